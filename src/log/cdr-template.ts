/**
 * Fast CDR encoders for the fixed-shape messages an episode log writes every step.
 *
 * A message whose strings and array lengths never change (a JointState of the same joints, a
 * Float64MultiArray of the same length, a TFMessage of the same frames) has the same byte
 * layout every time: only numbers move. Each encoder here lays the message out once (XCDR1
 * little-endian, as ROS 2 middlewares write it: a 4-byte encapsulation header, then every
 * primitive aligned to its size relative to the end of that header) and remembers where each
 * number sits; encoding is then one copy of the template and a few DataView writes. Stamps
 * are given as seconds and nanoseconds (`splitNs`).
 *
 * The output is byte-identical to `@foxglove/rosmsg2-serialization`'s MessageWriter for the
 * same message (checked in test/log-mcap.test.ts), so `decodeCdr` reads it back as usual.
 */

/** Lays out one message, recording offsets of the numbers to patch later. */
class CdrLayout {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private offset = 4;

  constructor() {
    this.bytes[1] = 0x01; // CDR_LE
  }

  private reserve(n: number): void {
    if (this.offset + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.offset + n));
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  private align(size: number): void {
    const rem = (this.offset - 4) % size;
    const pad = rem > 0 ? size - rem : 0;
    this.reserve(pad + size);
    this.offset += pad; // padding bytes stay 0
  }

  uint32(value: number): number {
    this.align(4);
    const at = this.offset;
    this.view.setUint32(at, value, true);
    this.offset += 4;
    return at;
  }

  int32(value: number): number {
    this.align(4);
    const at = this.offset;
    this.view.setInt32(at, value, true);
    this.offset += 4;
    return at;
  }

  float64(value: number): number {
    this.align(8);
    const at = this.offset;
    this.view.setFloat64(at, value, true);
    this.offset += 8;
    return at;
  }

  string(value: string): void {
    const utf8 = new TextEncoder().encode(value);
    this.uint32(utf8.length + 1);
    this.reserve(utf8.length + 1);
    this.bytes.set(utf8, this.offset);
    this.offset += utf8.length + 1; // NUL terminator already 0
  }

  /** A float64[] of `n` zeros; returns the offset of each element. */
  float64Sequence(n: number): Int32Array {
    this.uint32(n);
    const at = new Int32Array(n);
    for (let i = 0; i < n; i++) at[i] = this.float64(0);
    return at;
  }

  stringSequence(values: readonly string[]): void {
    this.uint32(values.length);
    for (const v of values) this.string(v);
  }

  /** The laid-out message (a copy). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.offset);
  }
}

/**
 * Fresh bytes for each message without one allocation per message: messages are cut from
 * 64 KiB blocks that are never reused (a sink may keep a message's bytes), so a block is freed
 * once every message cut from it is.
 */
class ByteArena {
  private block = new Uint8Array(0);
  private used = 0;
  view = new DataView(this.block.buffer);

  /** Reserves `n` bytes; returns their offset in `this.block` (read it after the call). */
  reserve(n: number): number {
    if (this.used + n > this.block.length) {
      this.block = new Uint8Array(Math.max(65536, n));
      this.view = new DataView(this.block.buffer);
      this.used = 0;
    }
    const at = this.used;
    this.used += (n + 7) & ~7;
    return at;
  }

  get bytes(): Uint8Array {
    return this.block;
  }
}

const arena = new ByteArena();

/** A laid-out message: copy it, patch numbers, hand it out. */
abstract class TemplateEncoder {
  protected readonly template: Uint8Array;
  private readonly secAt: number;
  private readonly nsecAt: number;
  /** Where the message being encoded starts in `arena.bytes`. */
  protected at = 0;
  protected view: DataView = arena.view;

  protected constructor(layout: CdrLayout, stamp: { sec: number; nsec: number }) {
    this.template = layout.finish();
    this.secAt = stamp.sec;
    this.nsecAt = stamp.nsec;
  }

  /** Starts a message: a fresh copy of the template, stamped `sec`.`nsec` (if it has a stamp). */
  protected begin(sec: number, nsec: number): void {
    const n = this.template.length;
    this.at = arena.reserve(n);
    arena.bytes.set(this.template, this.at);
    this.view = arena.view;
    if (this.secAt >= 0) {
      this.view.setInt32(this.at + this.secAt, sec, true);
      this.view.setUint32(this.at + this.nsecAt, nsec, true);
    }
  }

  /** The message started by `begin`. */
  protected finish(): Uint8Array {
    return arena.bytes.subarray(this.at, this.at + this.template.length);
  }

  protected put(offsets: Int32Array, values: ArrayLike<number>): void {
    const v = this.view;
    const at = this.at;
    for (let i = 0; i < offsets.length; i++) v.setFloat64(at + offsets[i]!, values[i]!, true);
  }
}

/** Seconds and nanoseconds of a time in ns (a non-negative integer below 2^53). */
export function splitNs(timeNs: number): { sec: number; nsec: number } {
  const sec = Math.floor(timeNs / 1e9);
  return { sec, nsec: timeNs - sec * 1e9 };
}

function header(layout: CdrLayout, frameId: string): { sec: number; nsec: number } {
  const sec = layout.int32(0);
  const nsec = layout.uint32(0);
  layout.string(frameId);
  return { sec, nsec };
}

/** sensor_msgs/msg/JointState of fixed joints (effort included). */
export class JointStateEncoder extends TemplateEncoder {
  private readonly pos: Int32Array;
  private readonly vel: Int32Array;
  private readonly eff: Int32Array;
  readonly names: readonly string[];

  constructor(names: readonly string[], frameId = "") {
    const l = new CdrLayout();
    const stamp = header(l, frameId);
    l.stringSequence(names);
    const pos = l.float64Sequence(names.length);
    const vel = l.float64Sequence(names.length);
    const eff = l.float64Sequence(names.length);
    super(l, stamp);
    this.names = names;
    this.pos = pos;
    this.vel = vel;
    this.eff = eff;
  }

  encode(sec: number, nsec: number, position: ArrayLike<number>, velocity: ArrayLike<number>, effort: ArrayLike<number>): Uint8Array {
    this.begin(sec, nsec);
    this.put(this.pos, position);
    this.put(this.vel, velocity);
    this.put(this.eff, effort);
    return this.finish();
  }
}

/**
 * std_msgs/msg/Float64MultiArray of `size` elements; `label` non-null gives a one-dimension
 * layout {label, size, stride: size}, null an empty layout (as forward_command_controller takes).
 */
export class Float64MultiArrayEncoder extends TemplateEncoder {
  private readonly data: Int32Array;
  readonly size: number;

  constructor(size: number, label: string | null) {
    const l = new CdrLayout();
    if (label === null) {
      l.uint32(0);
    } else {
      l.uint32(1);
      l.string(label);
      l.uint32(size);
      l.uint32(size);
    }
    l.uint32(0); // data_offset
    const data = l.float64Sequence(size);
    super(l, { sec: -1, nsec: -1 });
    this.size = size;
    this.data = data;
  }

  encode(values: ArrayLike<number>): Uint8Array {
    this.begin(0, 0);
    this.put(this.data, values);
    return this.finish();
  }
}

/** std_msgs/msg/Float64. */
export class Float64Encoder extends TemplateEncoder {
  private readonly valueAt: number;

  constructor() {
    const l = new CdrLayout();
    const at = l.float64(0);
    super(l, { sec: -1, nsec: -1 });
    this.valueAt = at;
  }

  encode(value: number): Uint8Array {
    this.begin(0, 0);
    this.view.setFloat64(this.at + this.valueAt, value, true);
    return this.finish();
  }
}

/** rosgraph_msgs/msg/Clock. */
export class ClockEncoder extends TemplateEncoder {
  constructor() {
    const l = new CdrLayout();
    const sec = l.int32(0);
    const nsec = l.uint32(0);
    super(l, { sec, nsec });
  }

  encode(sec: number, nsec: number): Uint8Array {
    this.begin(sec, nsec);
    return this.finish();
  }
}

/**
 * tf2_msgs/msg/TFMessage: one transform parent → each child frame, poses given as 7 numbers
 * per frame [x y z qx qy qz qw] (TaskInstance.readLinkPoses order).
 */
export class TfEncoder extends TemplateEncoder {
  private readonly stamps: Int32Array;
  private readonly poses: Int32Array;
  readonly children: readonly string[];

  constructor(parent: string, children: readonly string[]) {
    const l = new CdrLayout();
    l.uint32(children.length);
    const stamps = new Int32Array(children.length * 2);
    const poses = new Int32Array(children.length * 7);
    children.forEach((child, k) => {
      const s = header(l, parent);
      stamps[2 * k] = s.sec;
      stamps[2 * k + 1] = s.nsec;
      l.string(child);
      for (let c = 0; c < 7; c++) poses[7 * k + c] = l.float64(c === 6 ? 1 : 0);
    });
    super(l, { sec: -1, nsec: -1 });
    this.children = children;
    this.stamps = stamps;
    this.poses = poses;
  }

  encode(sec: number, nsec: number, poses: ArrayLike<number>): Uint8Array {
    this.begin(0, 0);
    const v = this.view;
    const at = this.at;
    for (let k = 0; k < this.children.length; k++) {
      v.setInt32(at + this.stamps[2 * k]!, sec, true);
      v.setUint32(at + this.stamps[2 * k + 1]!, nsec, true);
    }
    this.put(this.poses, poses);
    return this.finish();
  }
}
