/**
 * McapLogWriter: an MCAP file with the ROS 2 profile, as a `TopicSink`.
 *
 *   header      profile "ros2", library "locomote <version>"
 *   schemas     encoding "ros2msg", name = the ROS 2 type ("sensor_msgs/msg/JointState"),
 *               data = the .msg text with its dependencies (src/log/ros-msgs.ts)
 *   channels    message encoding "cdr", metadata `offered_qos_profiles` as rosbag2 writes it
 *   metadata    named string maps (`metadata(name, data)`), written between chunks
 *   summary     schemas, channels, Statistics (rosbag2 reads it), metadata and chunk indexes,
 *               summary offsets, footer
 *
 * Crash safety: messages go into an uncompressed chunk in memory; the chunk is closed and
 * handed to the OS with one `writeSync` when it reaches `chunkBytes`, `chunkMessages`, or spans
 * `chunkSpanNs` of log time (default 256 KiB, 4096 messages, 1 s). A process killed at any
 * moment leaves every closed chunk in the file, readable by a streaming reader (the
 * `replay` command says how many messages it could read); `close()` — synchronous, so safe
 * from a signal handler or an `exit` listener — writes the summary and footer.
 *
 * Records are built with @mcap/core's McapRecordBuilder (the code its McapWriter uses), the
 * message records inside chunks by `ChunkRecords` below. McapWriter itself is not used: it has
 * no call that closes a chunk on demand (needed for the time/count limits above), and its
 * asynchronous API needs each call awaited before the next, where `TopicSink.publish` is
 * synchronous and an interrupt must be able to finalize the file without waiting on the event
 * loop.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import * as zlib from "node:zlib";
import { McapRecordBuilder, Opcode } from "@mcap/core";
import type { McapTypes } from "@mcap/core";
import { findPackageRoot } from "../util/package-root.js";
import { schemaText, type RosMessageType } from "./ros-msgs.js";
import { trackOpenLog, untrackOpenLog, type ClosableLog } from "./open-logs.js";
import type { ChannelQos, ChannelSpec, TopicSink } from "./topic-sink.js";

export interface McapLogWriterOptions {
  /** Close the open chunk once it holds this many bytes (default 256 KiB). */
  readonly chunkBytes?: number;
  /** … or this many messages (default 4096). */
  readonly chunkMessages?: number;
  /** … or once its messages span this much log time, in ns (default 1 s). */
  readonly chunkSpanNs?: bigint;
  /** `fsync` the file on close (default false: a finished file is in the OS, which survives the process). */
  readonly fsyncOnClose?: boolean;
}

/** ROS 2 middleware enums (rmw/types.h), written as integers so that Humble's rosbag2 parses them. */
const RMW = {
  historyKeepLast: 1,
  reliable: 1,
  bestEffort: 2,
  transientLocal: 1,
  volatile: 2,
  livelinessAutomatic: 1,
} as const;

/** The `offered_qos_profiles` YAML of a channel (one publisher), as rosbag2 writes it. */
export function offeredQosProfiles(qos: ChannelQos): string {
  const profile = {
    sensor: { depth: 10, reliability: RMW.bestEffort, durability: RMW.volatile },
    reliable: { depth: 1, reliability: RMW.reliable, durability: RMW.volatile },
    latched: { depth: 1, reliability: RMW.reliable, durability: RMW.transientLocal },
  }[qos];
  // Durations 0 s 0 ns = RMW_DURATION_UNSPECIFIED (the default of every publisher).
  const duration = (key: string): string => `  ${key}:\n    sec: 0\n    nsec: 0\n`;
  return (
    `- history: ${RMW.historyKeepLast}\n` +
    `  depth: ${profile.depth}\n` +
    `  reliability: ${profile.reliability}\n` +
    `  durability: ${profile.durability}\n` +
    duration("deadline") +
    duration("lifespan") +
    `  liveliness: ${RMW.livelinessAutomatic}\n` +
    duration("liveliness_lease_duration") +
    "  avoid_ros_namespace_conventions: false"
  );
}

let versionCache: string | null = null;

/** locomote's package version. */
export function locomoteVersion(): string {
  if (versionCache === null) {
    const pkg = JSON.parse(readFileSync(`${findPackageRoot()}/package.json`, "utf8")) as { version: string };
    versionCache = pkg.version;
  }
  return versionCache;
}

const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function" ? (data, value) => zlib.crc32(data, value) : crc32Js;

let crcTable: Uint32Array | null = null;
/** CRC-32 (ISO-HDLC) for Node versions without `zlib.crc32` (< 20.15). */
function crc32Js(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The records of the open chunk. Schema and channel records are built by McapRecordBuilder;
 * message records, the one thing written per message, are written here directly (opcode 0x05,
 * u64 record length, u16 channel id, u32 sequence, u64 log time, u64 publish time, data), with
 * their index kept as plain numbers until the chunk closes — a third of the cost of going
 * through @mcap/core's ChunkBuilder per message.
 */
class ChunkRecords {
  private bytes = new Uint8Array(64 * 1024);
  private view = new DataView(this.bytes.buffer);
  private readonly scratch = new McapRecordBuilder();
  /** Per channel id: log times and record offsets of its messages in this chunk. */
  private readonly index = new Map<number, { times: bigint[]; offsets: number[] }>();
  byteLength = 0;
  numMessages = 0;
  messageStartTime = 0n;
  messageEndTime = 0n;

  private reserve(n: number): void {
    if (this.byteLength + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.byteLength + n));
    next.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  private append(record: Uint8Array): void {
    this.reserve(record.length);
    this.bytes.set(record, this.byteLength);
    this.byteLength += record.length;
  }

  addSchema(schema: McapTypes.Schema): void {
    this.scratch.reset();
    this.scratch.writeSchema(schema);
    this.append(this.scratch.buffer);
  }

  addChannel(channel: McapTypes.Channel): void {
    this.scratch.reset();
    this.scratch.writeChannel(channel);
    this.append(this.scratch.buffer);
    if (!this.index.has(channel.id)) this.index.set(channel.id, { times: [], offsets: [] });
  }

  addMessage(channelId: number, sequence: number, logTime: bigint, data: Uint8Array): void {
    if (this.numMessages === 0 || logTime < this.messageStartTime) this.messageStartTime = logTime;
    if (this.numMessages === 0 || logTime > this.messageEndTime) this.messageEndTime = logTime;
    const at = this.byteLength;
    let entry = this.index.get(channelId);
    if (!entry) this.index.set(channelId, (entry = { times: [], offsets: [] }));
    entry.times.push(logTime);
    entry.offsets.push(at);
    this.reserve(31 + data.length);
    const v = this.view;
    v.setUint8(at, Opcode.MESSAGE);
    v.setBigUint64(at + 1, BigInt(22 + data.length), true);
    v.setUint16(at + 9, channelId, true);
    v.setUint32(at + 11, sequence, true);
    v.setBigUint64(at + 15, logTime, true);
    v.setBigUint64(at + 23, logTime, true);
    this.bytes.set(data, at + 31);
    this.byteLength = at + 31 + data.length;
    this.numMessages++;
  }

  /** The chunk's records (a view, valid until the next change). */
  get records(): Uint8Array {
    return this.bytes.subarray(0, this.byteLength);
  }

  /** Message index records, one per channel in the chunk. */
  *indices(): Iterable<McapTypes.MessageIndex> {
    for (const [channelId, e] of this.index) {
      yield { channelId, records: e.times.map((t, i): [bigint, bigint] => [t, BigInt(e.offsets[i]!)]) };
    }
  }

  reset(): void {
    this.byteLength = 0;
    this.numMessages = 0;
    this.messageStartTime = 0n;
    this.messageEndTime = 0n;
    this.index.clear();
  }
}

/**
 * Record builders and chunk buffers of closed writers, reused by the next ones: their buffers
 * have grown to a chunk's size, and regrowing them for every episode file (an evaluation opens
 * one per episode) costs more than writing the messages.
 */
const builderPool: { records: McapRecordBuilder; chunk: ChunkRecords }[] = [];
const POOL_SIZE = 8;

interface ChannelState {
  readonly channel: McapTypes.Channel;
  readonly schema: McapTypes.Schema;
  sequence: number;
  count: number;
  inChunk: boolean;
}

export class McapLogWriter implements TopicSink, ClosableLog {
  private fd: number | null;
  private position = 0;
  private dataCrc = 0;
  private readonly records: McapRecordBuilder;
  private readonly chunk: ChunkRecords;
  private readonly schemas = new Map<string, McapTypes.Schema>();
  private readonly channels: ChannelState[] = [];
  /** Schemas already written into the open chunk. */
  private readonly chunkSchemas = new Set<number>();
  private readonly chunkIndexes: McapTypes.ChunkIndex[] = [];
  private readonly metadataIndexes: McapTypes.MetadataIndex[] = [];
  private messageCount = 0;
  private startTime = 0n;
  private endTime = 0n;
  /** The open chunk is closed by the first message at or past this log time. */
  private chunkDeadline = 0n;
  private chunkCount = 0;
  private metadataCount = 0;
  private readonly chunkBytes: number;
  private readonly chunkMessages: number;
  private readonly chunkSpanNs: bigint;
  private readonly fsyncOnClose: boolean;

  /** Creates `path` (replacing a file of that name) and writes the MCAP magic and header. */
  constructor(readonly path: string, options: McapLogWriterOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.chunkMessages = options.chunkMessages ?? 4096;
    this.chunkSpanNs = options.chunkSpanNs ?? 1_000_000_000n;
    this.fsyncOnClose = options.fsyncOnClose ?? false;
    const pooled = builderPool.pop();
    this.records = pooled?.records ?? new McapRecordBuilder();
    this.chunk = pooled?.chunk ?? new ChunkRecords();
    this.records.reset();
    this.chunk.reset();
    // A new file rather than truncating an old one in place: on ext4, truncating a file that
    // still has unwritten pages makes its close wait for them (auto_da_alloc).
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.fd = openSync(path, "wx");
    trackOpenLog(this);
    this.records.writeMagic();
    this.records.writeHeader({ profile: "ros2", library: `locomote ${locomoteVersion()}` });
    this.flushRecords();
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Messages written so far (including those in the open chunk). */
  get messages(): number {
    return this.messageCount;
  }

  /** Bytes handed to the OS so far. */
  get bytesWritten(): number {
    return this.position;
  }

  addChannel(spec: ChannelSpec): number {
    this.assertOpen("addChannel");
    const schema = this.schemaFor(spec.type);
    const channel: McapTypes.Channel = {
      id: this.channels.length + 1,
      schemaId: schema.id,
      topic: spec.topic,
      messageEncoding: "cdr",
      metadata: new Map([["offered_qos_profiles", offeredQosProfiles(spec.qos)]]),
    };
    this.channels.push({ channel, schema, sequence: 0, count: 0, inChunk: false });
    return channel.id;
  }

  publish(channelId: number, timeNs: bigint, data: Uint8Array): void {
    this.assertOpen("publish");
    const ch = this.channels[channelId - 1];
    if (!ch) throw new Error(`McapLogWriter: unknown channel ${channelId} (${this.path})`);
    if (!ch.inChunk) {
      // Each chunk carries the schema and channel records of the messages in it, so a chunk
      // decodes on its own (a streaming reader of a truncated file sees them before use).
      if (!this.chunkSchemas.has(ch.schema.id)) {
        this.chunk.addSchema(ch.schema);
        this.chunkSchemas.add(ch.schema.id);
      }
      this.chunk.addChannel(ch.channel);
      ch.inChunk = true;
    }
    if (this.messageCount === 0 || timeNs < this.startTime) this.startTime = timeNs;
    if (this.messageCount === 0 || timeNs > this.endTime) this.endTime = timeNs;
    this.messageCount++;
    ch.count++;
    if (this.chunk.numMessages === 0) this.chunkDeadline = timeNs + this.chunkSpanNs;
    this.chunk.addMessage(channelId, ch.sequence++, timeNs, data);
    if (this.chunk.byteLength >= this.chunkBytes || this.chunk.numMessages >= this.chunkMessages || timeNs >= this.chunkDeadline) this.flushChunk();
  }

  /** An MCAP Metadata record (written at once, between chunks). */
  metadata(name: string, data: Readonly<Record<string, string>>): void {
    this.assertOpen("metadata");
    const offset = BigInt(this.position);
    const length = this.records.writeMetadata({ name, metadata: new Map(Object.entries(data)) });
    this.metadataIndexes.push({ offset, length, name });
    this.metadataCount++;
    this.flushRecords();
  }

  /** Closes the open chunk (if it holds messages) and hands it to the OS. */
  flushChunk(): void {
    this.assertOpen("flushChunk");
    if (this.chunk.numMessages === 0) return;
    const data = this.chunk.records;
    const chunkStartOffset = BigInt(this.position);
    const chunk: McapTypes.Chunk = {
      messageStartTime: this.chunk.messageStartTime,
      messageEndTime: this.chunk.messageEndTime,
      uncompressedSize: BigInt(data.length),
      uncompressedCrc: crc32(data),
      compression: "",
      records: data,
    };
    const chunkLength = this.records.writeChunk(chunk);
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    let messageIndexLength = 0n;
    for (const index of this.chunk.indices()) {
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.records.writeMessageIndex(index);
    }
    this.chunkIndexes.push({
      messageStartTime: chunk.messageStartTime,
      messageEndTime: chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression: "",
      compressedSize: BigInt(data.length),
      uncompressedSize: BigInt(data.length),
    });
    this.chunkCount++;
    this.chunk.reset();
    this.chunkSchemas.clear();
    for (const ch of this.channels) ch.inChunk = false;
    this.flushRecords();
  }

  /** Finalizes the file: last chunk, data end, summary, footer. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    try {
      this.flushChunk();
      this.records.writeDataEnd({ dataSectionCrc: 0 });
      // The data section CRC covers everything before the DataEnd record.
      const dataEnd = this.records.buffer;
      const view = new DataView(dataEnd.buffer, dataEnd.byteOffset, dataEnd.byteLength);
      view.setUint32(dataEnd.byteLength - 4, this.dataCrc, true);
      this.flushRecords();
      this.writeSummary();
      if (this.fsyncOnClose) fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = null;
      untrackOpenLog(this);
      this.records.reset();
      this.chunk.reset();
      if (builderPool.length < POOL_SIZE) builderPool.push({ records: this.records, chunk: this.chunk });
    }
  }

  private schemaFor(type: RosMessageType): McapTypes.Schema {
    let s = this.schemas.get(type);
    if (!s) {
      s = { id: this.schemas.size + 1, name: type, encoding: "ros2msg", data: new TextEncoder().encode(schemaText(type)) };
      this.schemas.set(type, s);
    }
    return s;
  }

  private writeSummary(): void {
    const summaryStart = BigInt(this.position);
    const r = this.records;
    const groups: McapTypes.SummaryOffset[] = [];
    const group = (opcode: number, write: () => void): void => {
      const start = BigInt(this.position) + BigInt(r.length);
      const before = r.length;
      write();
      const length = BigInt(r.length - before);
      if (length > 0n) groups.push({ groupOpcode: opcode, groupStart: start, groupLength: length });
    };
    group(Opcode.SCHEMA, () => {
      for (const s of this.schemas.values()) r.writeSchema(s);
    });
    group(Opcode.CHANNEL, () => {
      for (const c of this.channels) r.writeChannel(c.channel);
    });
    group(Opcode.STATISTICS, () => {
      const channelMessageCounts = new Map<number, bigint>();
      for (const c of this.channels) if (c.count > 0) channelMessageCounts.set(c.channel.id, BigInt(c.count));
      r.writeStatistics({
        messageCount: BigInt(this.messageCount),
        schemaCount: this.schemas.size,
        channelCount: this.channels.length,
        attachmentCount: 0,
        metadataCount: this.metadataCount,
        chunkCount: this.chunkCount,
        messageStartTime: this.startTime,
        messageEndTime: this.endTime,
        channelMessageCounts,
      });
    });
    group(Opcode.METADATA_INDEX, () => {
      for (const m of this.metadataIndexes) r.writeMetadataIndex(m);
    });
    group(Opcode.CHUNK_INDEX, () => {
      for (const c of this.chunkIndexes) r.writeChunkIndex(c);
    });
    const summaryOffsetStart = BigInt(this.position) + BigInt(r.length);
    for (const g of groups) r.writeSummaryOffset(g);
    const summaryLength = summaryOffsetStart - summaryStart;
    // Footer: summary CRC over the summary section, summary offsets and the footer's first fields.
    r.writeFooter({ summaryStart: summaryLength === 0n ? 0n : summaryStart, summaryOffsetStart, summaryCrc: 0 });
    const bytes = r.buffer;
    const crcEnd = bytes.byteLength - 4; // everything up to the summary_crc field
    const summaryCrc = crc32(bytes.subarray(0, crcEnd));
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(crcEnd, summaryCrc, true);
    r.writeMagic();
    this.flushRecords(false);
  }

  /** Writes the record builder's buffer to the file (updating the data-section CRC) and resets it. */
  private flushRecords(dataSection = true): void {
    const bytes = this.records.buffer;
    if (bytes.byteLength === 0) return;
    if (dataSection) this.dataCrc = crc32(bytes, this.dataCrc);
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd!, bytes, done, bytes.byteLength - done);
    this.position += bytes.byteLength;
    this.records.reset();
  }

  private assertOpen(what: string): void {
    if (this.fd === null) throw new Error(`McapLogWriter.${what}: ${this.path} is already closed`);
  }
}
