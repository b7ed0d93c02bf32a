import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader, McapStreamReader, type McapTypes } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { parse as parseYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ClockEncoder, Float64Encoder, Float64MultiArrayEncoder, JointStateEncoder, splitNs, TfEncoder } from "../src/log/cdr-template.js";
import { McapLogWriter, locomoteVersion, offeredQosProfiles } from "../src/log/mcap-log-writer.js";
import { readEpisodeLog, truncationNote } from "../src/log/mcap-read.js";
import { openLogCount, closeOpenLogs } from "../src/log/open-logs.js";
import { encodeCdr, schemaText } from "../src/log/ros-msgs.js";

const root = mkdtempSync(join(tmpdir(), "locomote-log-mcap-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function indexed(file: string): Promise<{ reader: McapIndexedReader; close: () => Promise<void> }> {
  const handle = await open(file, "r");
  const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
  return { reader, close: () => handle.close() };
}

describe("CDR templates", () => {
  it("are byte-identical to rosmsg2-serialization's MessageWriter", () => {
    const t = 12_345_678_901n;
    const stamp = { sec: 12, nanosec: 345_678_901 };
    const names = ["thigh_joint", "leg_joint", "foot_joint"];
    const pos = [0.1, -0.25, 1e-300], vel = [3, -4, 5.5], eff = [0, 200, -200];
    expect(new JointStateEncoder(names).encode(12, 345_678_901, pos, vel, eff)).toEqual(
      encodeCdr("sensor_msgs/msg/JointState", { header: { stamp, frame_id: "" }, name: names, position: pos, velocity: vel, effort: eff }),
    );
    const empty = new JointStateEncoder([]).encode(12, 345_678_901, [], [], []);
    expect(empty).toEqual(encodeCdr("sensor_msgs/msg/JointState", { header: { stamp, frame_id: "" }, name: [], position: [], velocity: [], effort: [] }));
    for (const n of [0, 1, 3, 11]) {
      const data = Array.from({ length: n }, (_, i) => i * 0.5 - 1);
      expect(new Float64MultiArrayEncoder(n, "a,b").encode(data)).toEqual(
        encodeCdr("std_msgs/msg/Float64MultiArray", { layout: { dim: [{ label: "a,b", size: n, stride: n }], data_offset: 0 }, data }),
      );
      expect(new Float64MultiArrayEncoder(n, null).encode(data)).toEqual(encodeCdr("std_msgs/msg/Float64MultiArray", { layout: { dim: [], data_offset: 0 }, data }));
    }
    expect(new Float64Encoder().encode(-2.5)).toEqual(encodeCdr("std_msgs/msg/Float64", { data: -2.5 }));
    expect(splitNs(Number(t))).toEqual({ sec: 12, nsec: 345_678_901 });
    expect(new ClockEncoder().encode(12, 345_678_901)).toEqual(encodeCdr("rosgraph_msgs/msg/Clock", { clock: stamp }));
    const poses = [1, 2, 3, 0, 0.6, 0, 0.8, -1, -2, -3, 0.5, 0.5, 0.5, 0.5];
    const transforms = ["torso", "thigh"].map((child, k) => ({
      header: { stamp, frame_id: "world" },
      child_frame_id: child,
      transform: {
        translation: { x: poses[7 * k]!, y: poses[7 * k + 1]!, z: poses[7 * k + 2]! },
        rotation: { x: poses[7 * k + 3]!, y: poses[7 * k + 4]!, z: poses[7 * k + 5]!, w: poses[7 * k + 6]! },
      },
    }));
    expect(new TfEncoder("world", ["torso", "thigh"]).encode(12, 345_678_901, poses)).toEqual(encodeCdr("tf2_msgs/msg/TFMessage", { transforms }));
  });

  it("hand out a fresh buffer per message", () => {
    const enc = new Float64Encoder();
    const a = enc.encode(1);
    const b = enc.encode(2);
    expect(a).not.toBe(b);
    expect(a.buffer).toBe(b.buffer); // cut from one block…
    expect(new DataView(a.buffer, a.byteOffset).getFloat64(4, true)).toBe(1); // …without overwriting each other
    expect(new DataView(b.buffer, b.byteOffset).getFloat64(4, true)).toBe(2);
  });
});

describe("McapLogWriter", () => {
  it("writes a ROS 2 MCAP that @mcap/core's indexed reader and MessageReader read back with the same values", async () => {
    const file = join(root, "roundtrip.mcap");
    const w = new McapLogWriter(file, { chunkMessages: 7 });
    expect(openLogCount()).toBeGreaterThan(0);
    const js = w.addChannel({ topic: "/joint_states", type: "sensor_msgs/msg/JointState", qos: "sensor" });
    const act = w.addChannel({ topic: "/policy/action", type: "std_msgs/msg/Float64MultiArray", qos: "reliable" });
    const desc = w.addChannel({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" });
    const sent: { topic: string; t: bigint; value: unknown }[] = [];
    const urdf = '<robot name="r"><link name="world"/></robot>';
    w.publish(desc, 0n, encodeCdr("std_msgs/msg/String", { data: urdf }));
    sent.push({ topic: "/robot_description", t: 0n, value: { data: urdf } });
    const enc = new JointStateEncoder(["a", "b"]);
    for (let k = 0; k < 40; k++) {
      const t = BigInt(k) * 8_000_000n;
      const pos = [Math.sin(k) / 3, k * 1e-7];
      const vel = [Math.fround(k / 7), -k];
      w.publish(js, t, enc.encode(0, k * 8_000_000, pos, vel, [0, 0]));
      sent.push({ topic: "/joint_states", t, value: { name: ["a", "b"], position: pos, velocity: vel } });
      const data = [Math.fround(Math.cos(k)), -0.5];
      w.publish(act, t, encodeCdr("std_msgs/msg/Float64MultiArray", { layout: { dim: [], data_offset: 0 }, data }));
      sent.push({ topic: "/policy/action", t, value: { data } });
    }
    w.metadata("locomote", { seed: "3", robot: "r" });
    w.close();
    w.close(); // idempotent
    expect(w.closed).toBe(true);

    const { reader, close } = await indexed(file);
    try {
      expect(reader.header.profile).toBe("ros2");
      expect(reader.header.library).toBe(`locomote ${locomoteVersion()}`);
      const schemas = [...reader.schemasById.values()];
      expect(schemas.map((s) => s.name).sort()).toEqual(["sensor_msgs/msg/JointState", "std_msgs/msg/Float64MultiArray", "std_msgs/msg/String"]);
      for (const s of schemas) {
        expect(s.encoding).toBe("ros2msg");
        expect(new TextDecoder().decode(s.data)).toBe(schemaText(s.name as "std_msgs/msg/String"));
      }
      const channels = [...reader.channelsById.values()];
      for (const c of channels) expect(c.messageEncoding).toBe("cdr");
      const qos = (topic: string): Record<string, unknown> => {
        const c = channels.find((x) => x.topic === topic)!;
        const list = parseYaml(c.metadata.get("offered_qos_profiles")!) as Record<string, unknown>[];
        expect(list).toHaveLength(1);
        return list[0]!;
      };
      expect(qos("/joint_states")).toMatchObject({ history: 1, depth: 10, reliability: 2, durability: 2, liveliness: 1, avoid_ros_namespace_conventions: false });
      expect(qos("/policy/action")).toMatchObject({ history: 1, reliability: 1, durability: 2 });
      expect(qos("/robot_description")).toMatchObject({ reliability: 1, durability: 1, depth: 1, deadline: { sec: 0, nsec: 0 } });

      expect(reader.statistics?.messageCount).toBe(BigInt(sent.length));
      expect(reader.statistics?.channelCount).toBe(3);
      expect(reader.statistics?.metadataCount).toBe(1);
      expect(reader.chunkIndexes.length).toBeGreaterThan(5); // 7 messages per chunk
      const got: { topic: string; t: bigint; value: unknown }[] = [];
      const readers = new Map<number, MessageReader>();
      for await (const m of reader.readMessages()) {
        const ch = reader.channelsById.get(m.channelId)!;
        const schema = reader.schemasById.get(ch.schemaId)!;
        let r = readers.get(schema.id);
        if (!r) readers.set(schema.id, (r = new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true }))));
        got.push({ topic: ch.topic, t: m.logTime, value: r.readMessage(m.data) });
      }
      expect(got).toHaveLength(sent.length);
      // Indexed reads come back in log-time order; compare per topic in order.
      for (const topic of ["/joint_states", "/policy/action", "/robot_description"]) {
        const a = sent.filter((s) => s.topic === topic);
        const b = got.filter((s) => s.topic === topic);
        expect(b.map((x) => x.t)).toEqual(a.map((x) => x.t));
        b.forEach((x, i) => {
          const want = a[i]!.value as Record<string, unknown>;
          const have = x.value as Record<string, unknown>;
          for (const [k, v] of Object.entries(want)) expect(Array.from(have[k] as ArrayLike<unknown> | string as ArrayLike<unknown>)).toEqual(Array.from(v as ArrayLike<unknown>));
        });
      }
      const meta: McapTypes.Metadata[] = [];
      for await (const m of reader.readMetadata({ name: "locomote" })) meta.push(m);
      expect(Object.fromEntries(meta[0]!.metadata)).toEqual({ seed: "3", robot: "r" });
    } finally {
      await close();
    }
  });

  it("closes a chunk every second of log time even when it is small", async () => {
    const file = join(root, "span.mcap");
    const w = new McapLogWriter(file);
    const ch = w.addChannel({ topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" });
    const enc = new ClockEncoder();
    // 10 s at 10 Hz: chunks of ≤ 1 s span.
    for (let k = 0; k <= 100; k++) {
      const t = BigInt(k) * 100_000_000n;
      w.publish(ch, t, enc.encode(Math.floor(k / 10), (k % 10) * 100_000_000));
      if (k === 10) expect(w.bytesWritten).toBeGreaterThan(100); // first chunk already on disk
    }
    w.close();
    const { reader, close } = await indexed(file);
    try {
      expect(reader.chunkIndexes.length).toBe(10);
      for (const c of reader.chunkIndexes) expect(c.messageEndTime - c.messageStartTime).toBeLessThanOrEqual(1_000_000_000n);
    } finally {
      await close();
    }
  });

  it("leaves every closed chunk readable when the file is cut short", () => {
    const file = join(root, "cut.mcap");
    const w = new McapLogWriter(file, { chunkMessages: 10 });
    const ch = w.addChannel({ topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" });
    const enc = new ClockEncoder();
    for (let k = 0; k < 35; k++) w.publish(ch, BigInt(k), enc.encode(0, k));
    // Simulate a crash: copy what is on disk now (30 messages in 3 chunks; 5 in memory).
    const onDisk = readFileSync(file);
    w.close();
    const cut = join(root, "cut-copy.mcap");
    writeFileSync(cut, onDisk);
    const stream = new McapStreamReader();
    stream.append(onDisk);
    let n = 0;
    for (let r; (r = stream.nextRecord()); ) if (r.type === "Message") n++;
    expect(n).toBe(30);
    expect(stream.done()).toBe(false);
    const log = readEpisodeLog(cut);
    expect(log.complete).toBe(false);
    expect(log.messages).toHaveLength(30);
    expect(truncationNote(log)).toMatch(/truncated .*30 messages were readable/);
    // And a file cut in the middle of a chunk reads up to the chunk before.
    writeFileSync(cut, onDisk.subarray(0, onDisk.length - 300)); // message index (~180 B) and the end of chunk 3
    expect(readEpisodeLog(cut).messages).toHaveLength(20);
  });

  it("finalizes open writers through closeOpenLogs", async () => {
    const file = join(root, "registry.mcap");
    const w = new McapLogWriter(file);
    const ch = w.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
    w.publish(ch, 5n, new Float64Encoder().encode(1.5));
    expect(closeOpenLogs()).toBeGreaterThanOrEqual(1);
    expect(w.closed).toBe(true);
    expect(() => w.publish(ch, 6n, new Float64Encoder().encode(1))).toThrow(/already closed/);
    const { reader, close } = await indexed(file);
    try {
      expect(reader.statistics?.messageCount).toBe(1n);
    } finally {
      await close();
    }
  });

  it("writes QoS YAML with integer enums", () => {
    expect(offeredQosProfiles("latched")).toBe(
      "- history: 1\n  depth: 1\n  reliability: 1\n  durability: 1\n  deadline:\n    sec: 0\n    nsec: 0\n  lifespan:\n    sec: 0\n    nsec: 0\n" +
        "  liveliness: 1\n  liveliness_lease_duration:\n    sec: 0\n    nsec: 0\n  avoid_ros_namespace_conventions: false",
    );
  });
});
