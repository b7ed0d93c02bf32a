/**
 * Live view server: a real @foxglove/ws-protocol client over `ws` sees the advertised ROS 2
 * channels, subscribes, and decodes the CDR messages; late subscribers get the latched
 * /robot_description and the latest /tf; binding is loopback unless asked otherwise.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Channel, MessageData } from "@foxglove/ws-protocol";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { WebSocket } from "ws";
import { encodeCdr, schemaText } from "../src/log/ros-msgs.js";
import { isLoopbackHost, LiveViewServer } from "../src/view/live-view-server.js";
import { FoxgloveClient } from "../src/view/ws-protocol.js";
import { EpisodeBuffer } from "../src/view/episode-buffer.js";
import { TfEncoder } from "../src/view/sim-feed.js";

type Client = FoxgloveClient;

const servers: LiveViewServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function startServer(opts: Parameters<typeof LiveViewServer.start>[0] = {}): Promise<LiveViewServer> {
  const s = await LiveViewServer.start({ port: 0, ...opts });
  servers.push(s);
  return s;
}

/** A Foxglove client that records what it receives. */
function connect(url: string): {
  client: Client;
  channels: Map<number, Channel>;
  messages: { channel: Channel; timestamp: bigint; data: Uint8Array }[];
  until: (pred: () => boolean, what: string, timeoutMs?: number) => Promise<void>;
} {
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws });
  clients.push(client);
  const channels = new Map<number, Channel>();
  const subs = new Map<number, Channel>();
  const messages: { channel: Channel; timestamp: bigint; data: Uint8Array }[] = [];
  client.on("advertise", (chs) => {
    for (const c of chs) channels.set(c.id, c);
  });
  client.on("message", (m: MessageData) => {
    const channel = subs.get(m.subscriptionId);
    if (!channel) throw new Error(`message for unknown subscription ${m.subscriptionId}`);
    messages.push({ channel, timestamp: m.timestamp, data: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength).slice() });
  });
  const origSubscribe = client.subscribe.bind(client);
  client.subscribe = (channelId: number): number => {
    const id = origSubscribe(channelId);
    subs.set(id, channels.get(channelId)!);
    return id;
  };
  const until = async (pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { client, channels, messages, until };
}

const decode = <T>(channel: Channel, data: Uint8Array): T =>
  new MessageReader(parse(channel.schema, { ros2: true })).readMessage<T>(data);

const URDF = `<?xml version="1.0"?>\n<robot name="hopper"><link name="world"/><link name="torso"/></robot>\n`;

describe("LiveViewServer: Foxglove WebSocket protocol", () => {
  it("advertises ROS 2 channels, and a FoxgloveClient subscribes and decodes the CDR messages", async () => {
    const server = await startServer({ name: "locomote test" });
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}`);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);

    const chJoint = server.addChannel({ topic: "/joint_states", type: "sensor_msgs/msg/JointState", qos: "sensor" });
    const chReward = server.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
    const chAction = server.addChannel({ topic: "/policy/action", type: "std_msgs/msg/Float64MultiArray", qos: "reliable" });

    const c = connect(server.wsUrl);
    await c.until(() => c.channels.size === 3, "3 advertisements");
    expect(server.clientCount).toBe(1);
    const byTopic = new Map([...c.channels.values()].map((ch) => [ch.topic, ch]));
    for (const [topic, type] of [
      ["/joint_states", "sensor_msgs/msg/JointState"],
      ["/reward/total", "std_msgs/msg/Float64"],
      ["/policy/action", "std_msgs/msg/Float64MultiArray"],
    ] as const) {
      const ch = byTopic.get(topic)!;
      expect(ch).toMatchObject({ encoding: "cdr", schemaName: type, schemaEncoding: "ros2msg" });
      expect(ch.schema).toBe(schemaText(type));
    }

    // Nobody subscribed: dropped.
    expect(server.hasSubscribers).toBe(false);
    server.publish(chReward, 1n, encodeCdr("std_msgs/msg/Float64", { data: -1 }));

    for (const ch of c.channels.values()) c.client.subscribe(ch.id);
    await c.until(() => server.hasSubscribers, "the subscription to reach the server");

    const joint = {
      header: { stamp: { sec: 3, nanosec: 500 }, frame_id: "" },
      name: ["thigh_joint", "leg_joint", "foot_joint"],
      position: [0.1, -0.2, 0.3],
      velocity: [1, 2, 3],
      effort: [10, -20, 30],
    };
    server.publish(chJoint, 3_000_000_500n, encodeCdr("sensor_msgs/msg/JointState", joint));
    server.publish(chReward, 3_000_000_500n, encodeCdr("std_msgs/msg/Float64", { data: 2.75 }));
    const action = { layout: { dim: [{ label: "action", size: 3, stride: 3 }], data_offset: 0 }, data: [0.5, -1, 1] };
    server.publish(chAction, 3_000_000_500n, encodeCdr("std_msgs/msg/Float64MultiArray", action));
    await c.until(() => c.messages.length === 3, "3 messages");

    const got = new Map(c.messages.map((m) => [m.channel.topic, m]));
    expect(got.get("/joint_states")!.timestamp).toBe(3_000_000_500n);
    const js = decode<typeof joint>(got.get("/joint_states")!.channel, got.get("/joint_states")!.data);
    expect({ ...js, position: Array.from(js.position), velocity: Array.from(js.velocity), effort: Array.from(js.effort) }).toEqual(joint);
    expect(decode(got.get("/reward/total")!.channel, got.get("/reward/total")!.data)).toEqual({ data: 2.75 });
    const a = decode<{ data: Float64Array | number[] }>(got.get("/policy/action")!.channel, got.get("/policy/action")!.data);
    expect(Array.from(a.data)).toEqual([0.5, -1, 1]);

    // A channel added while connected is advertised to the client.
    server.addChannel({ topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" });
    await c.until(() => c.channels.size === 4, "the /clock advertisement");
  });

  it("sends a late subscriber the latched /robot_description and the latest /tf", async () => {
    const server = await startServer();
    const chDesc = server.addChannel({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" });
    const chTf = server.addChannel({ topic: "/tf", type: "tf2_msgs/msg/TFMessage", qos: "sensor" });
    const chReward = server.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
    const tf = new TfEncoder(["torso"]);
    server.publish(chDesc, 0n, encodeCdr("std_msgs/msg/String", { data: URDF }));
    server.publish(chTf, 8_000_000n, tf.encode(8_000_000n, [0, 0, 1.25, 0, 0, 0, 1]));
    server.publish(chTf, 16_000_000n, tf.encode(16_000_000n, [0.5, 0, 1.2, 0, Math.sin(0.1), 0, Math.cos(0.1)]));
    server.publish(chReward, 16_000_000n, encodeCdr("std_msgs/msg/Float64", { data: 1 }));

    for (let round = 0; round < 2; round++) {
      // Two clients in turn: the kept messages are not consumed by the first.
      const c = connect(server.wsUrl);
      await c.until(() => c.channels.size === 3, "advertisements");
      for (const ch of c.channels.values()) c.client.subscribe(ch.id);
      await c.until(() => c.messages.length >= 2, "the latched messages");
      await new Promise((r) => setTimeout(r, 50));
      expect(c.messages.map((m) => m.channel.topic).sort()).toEqual(["/robot_description", "/tf"]);
      const desc = c.messages.find((m) => m.channel.topic === "/robot_description")!;
      expect(decode(desc.channel, desc.data)).toEqual({ data: URDF });
      const t = c.messages.find((m) => m.channel.topic === "/tf")!;
      expect(t.timestamp).toBe(16_000_000n);
      const msg = decode<{ transforms: { header: { frame_id: string; stamp: { sec: number; nanosec: number } }; child_frame_id: string; transform: { translation: { x: number; z: number }; rotation: { y: number; w: number } } }[] }>(t.channel, t.data);
      expect(msg.transforms).toHaveLength(1);
      expect(msg.transforms[0]).toMatchObject({
        header: { frame_id: "world", stamp: { sec: 0, nanosec: 16_000_000 } },
        child_frame_id: "torso",
        transform: { translation: { x: 0.5, z: 1.2 }, rotation: { y: Math.sin(0.1), w: Math.cos(0.1) } },
      });
      // Live messages keep flowing after the replay.
      server.publish(chReward, 24_000_000n, encodeCdr("std_msgs/msg/Float64", { data: 4 + round }));
      await c.until(() => c.messages.length === 3, "a live message");
      expect(decode(c.messages[2]!.channel, c.messages[2]!.data)).toEqual({ data: 4 + round });
      c.client.close();
      await c.until(() => server.clientCount === 0, "the client to go");
    }
    expect(server.hasSubscribers).toBe(false);
  });

  it("costs next to nothing to publish with no client", async () => {
    const server = await startServer();
    const ch = server.addChannel({ topic: "/joint_states", type: "sensor_msgs/msg/JointState", qos: "sensor" });
    const tf = server.addChannel({ topic: "/tf", type: "tf2_msgs/msg/TFMessage", qos: "sensor" });
    const data = new Uint8Array(200);
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      server.publish(ch, BigInt(i), data);
      server.publish(tf, BigInt(i), data);
    }
    const perCall = (performance.now() - t0) / (2 * n);
    // Measured ~0.02 µs; the bound is loose for a loaded machine.
    expect(perCall * 1000).toBeLessThan(2); // µs
    expect(() => server.publish(99, 0n, data)).toThrow(/unknown channel 99/);
  });

  it("serves the page, refuses other subprotocols, and reports a missing bundle", async () => {
    const server = await startServer({ name: "a <name>", pageBundle: "/nonexistent/page.js" });
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toContain('<script src="page.js"></script>');
    expect(html).toContain("a &#60;name&#62;");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing external
    const js = await fetch(`${server.url}page.js`);
    expect(js.status).toBe(404);
    expect(await js.text()).toMatch(/npm run build/);
    expect((await fetch(`${server.url}nope`)).status).toBe(404);

    const closed = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl); // no foxglove.websocket.v1 subprotocol
      ws.on("close", (code) => resolve(code));
      ws.on("error", reject);
    });
    expect(closed).toBe(1002);
  });
});

describe("EpisodeBuffer", () => {
  it("replays a recorded episode to the live view, paced by log time, channels added once", async () => {
    const server = await startServer();
    const buf = new EpisodeBuffer();
    const desc = buf.addChannel({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" });
    const reward = buf.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
    buf.publish(desc, 0n, encodeCdr("std_msgs/msg/String", { data: URDF }));
    for (let i = 1; i <= 5; i++) buf.publish(reward, BigInt(i) * 20_000_000n, encodeCdr("std_msgs/msg/Float64", { data: i }));
    expect(buf.size).toBe(6);
    expect(() => buf.publish(7, 0n, new Uint8Array())).toThrow(/unknown channel 7/);

    await buf.playTo(server, { speed: 0 }); // nobody watching: advertises, drops (keeps the latched one)
    const c = connect(server.wsUrl);
    await c.until(() => c.channels.size === 2, "advertisements");
    for (const ch of c.channels.values()) c.client.subscribe(ch.id);
    await c.until(() => server.isSubscribed(1) && c.messages.length === 1, "the latched description");
    const t0 = performance.now();
    await buf.playTo(server, { speed: 1 }); // 100 ms of log time
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    await c.until(() => c.messages.length === 7, "the replay");
    expect(c.channels.size).toBe(2); // the second play added no channels
    const values = c.messages.filter((m) => m.channel.topic === "/reward/total").map((m) => decode<{ data: number }>(m.channel, m.data).data);
    expect(values).toEqual([1, 2, 3, 4, 5]);
    expect(c.messages.slice(-5).map((m) => m.timestamp)).toEqual([1n, 2n, 3n, 4n, 5n].map((i) => i * 20_000_000n));

    const abort = new AbortController();
    const looping = buf.playTo(server, { loop: true, loopPauseMs: 10, signal: abort.signal, speed: 4 });
    await c.until(() => c.messages.length >= 7 + 12, "two loops");
    abort.abort();
    await looping;
  });
});

describe("LiveViewServer: binding", () => {
  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1", "LOCALHOST"]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:10.0.0.1"]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it("refuses a non-loopback host unless allowRemote is set", async () => {
    await expect(LiveViewServer.start({ host: "0.0.0.0", port: 0 })).rejects.toThrow(
      /refusing to bind 0\.0\.0\.0: it is not a loopback address.*allowRemote: true/,
    );
    await expect(LiveViewServer.start({ host: "192.168.77.77", port: 0 })).rejects.toThrow(/allowRemote/);
    const server = await startServer({ host: "0.0.0.0", allowRemote: true });
    expect(server.host).toBe("0.0.0.0");
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(server.url); // reachable on loopback too
    expect(res.status).toBe(200);
  });

  it("reports a port in use and a bad port", async () => {
    const a = await startServer();
    await expect(LiveViewServer.start({ port: a.port })).rejects.toThrow(new RegExp(`port ${a.port} on 127\\.0\\.0\\.1 is already in use`));
    await expect(LiveViewServer.start({ port: -1 })).rejects.toThrow(/port must be an integer/);
  });
});
