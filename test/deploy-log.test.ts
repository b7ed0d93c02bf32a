/**
 * Deploy session logs (src/log/deploy-recorder.ts): a short sim deploy of the committed hopper
 * policy writes a ROS 2 MCAP that @mcap/core's indexed reader reads (profile, schemas, CDR,
 * QoS metadata, session metadata), whose commands are exactly what the sim transport received;
 * `replay --summary` reads it and `--resim` re-simulates it exactly (more in
 * test/replay-deploy.test.ts); through the CLI, Ctrl-C
 * leaves a complete file, SIGKILL a file readable up to its last chunk; `--view` serves the
 * same channels to a Foxglove client. A ROS 2 transport (a stand-in port fed with sensor
 * messages, ROS 2 not being installed) logs what it received.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader, type McapTypes } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import type { Channel, MessageData } from "@foxglove/ws-protocol";
import { WebSocket } from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { Deployment, type TransportContext } from "../src/deploy/deployment.js";
import { MemoryLog } from "../src/deploy/log.js";
import {
  CommandMap, emptyImu, emptyJointState, emptyOdometry, ObservationAssembler, SensorMessageWriter, stampFromMs,
} from "../src/deploy/messages.js";
import type { RobotPort } from "../src/deploy/robot-port.js";
import type { SimRealtimePort } from "../src/deploy/sim-transport.js";
import { loadDeployLaunch } from "../src/launch/index.js";
import { META_SIM_INITIAL_STATE, STATUS_FIELDS } from "../src/log/deploy-recorder.js";
import { META_EPISODE, META_SESSION } from "../src/log/episode-recorder.js";
import { offeredQosProfiles } from "../src/log/mcap-log-writer.js";
import { decodeLogMessage, metadataRecord, readEpisodeLog, summarizeEpisodeLog, topicMessages } from "../src/log/mcap-read.js";
import { schemaText, type RosMessageType } from "../src/log/ros-msgs.js";
import { allocBuffers, type PortBuffers } from "../src/port/port.js";
import type { PortSpec } from "../src/port/spec.js";
import { FoxgloveClient } from "../src/view/ws-protocol.js";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const POLICY = "test/fixtures/deploy-hopper-policy";
const LAUNCH = "launch/deploy_hopper.launch.yaml";
const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-log-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The topics of a hopper sim deploy log, and their ROS 2 types. */
const SIM_TOPICS: Record<string, RosMessageType> = {
  "/robot_description": "std_msgs/msg/String",
  "/clock": "rosgraph_msgs/msg/Clock",
  "/joint_states": "sensor_msgs/msg/JointState",
  "/tf": "tf2_msgs/msg/TFMessage",
  "/policy/observation": "std_msgs/msg/Float64MultiArray",
  "/policy/action": "std_msgs/msg/Float64MultiArray",
  "/effort_controller/commands": "std_msgs/msg/Float64MultiArray",
  "/locomote/status": "std_msgs/msg/Float64MultiArray",
  "/diagnostics": "diagnostic_msgs/msg/DiagnosticArray",
  "/reward/total": "std_msgs/msg/Float64",
  "/reward/forward": "std_msgs/msg/Float64",
  "/reward/ctrl": "std_msgs/msg/Float64",
  "/reward/healthy": "std_msgs/msg/Float64",
  "/metrics/x_position": "std_msgs/msg/Float64",
  "/metrics/x_velocity": "std_msgs/msg/Float64",
};
const QOS: Record<string, "sensor" | "reliable" | "latched"> = {
  "/robot_description": "latched",
  "/clock": "sensor",
  "/joint_states": "sensor",
  "/tf": "sensor",
  "/policy/observation": "sensor",
};

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: "1" };
  delete e["ROS_DISTRO"];
  return e;
};

interface IndexedLog {
  reader: McapIndexedReader;
  messages: { topic: string; schema: string; logTime: bigint; data: Uint8Array }[];
  metadata: Map<string, Map<string, string>>;
}

async function readIndexed(file: string): Promise<IndexedLog> {
  const handle = await open(file, "r");
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    const messages: IndexedLog["messages"] = [];
    for await (const m of reader.readMessages()) {
      const ch = reader.channelsById.get(m.channelId)!;
      messages.push({ topic: ch.topic, schema: reader.schemasById.get(ch.schemaId)!.name, logTime: m.logTime, data: m.data });
    }
    const metadata = new Map<string, Map<string, string>>();
    for await (const m of reader.readMetadata()) metadata.set(m.name, m.metadata);
    return { reader, messages, metadata };
  } finally {
    await handle.close();
  }
}

function decode<T>(reader: McapIndexedReader, topic: string, data: Uint8Array): T {
  const ch = [...reader.channelsById.values()].find((c) => c.topic === topic)!;
  const schema: McapTypes.Schema = reader.schemasById.get(ch.schemaId)!;
  return new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true })).readMessage<T>(data);
}

function onlyMcap(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(".mcap"));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^hopper-\d{8}-\d{6}\.mcap$/);
  return join(dir, files[0]!);
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

/** Starts `locomote deploy`; `onPolicy` runs once the policy is in control. */
function deployChild(extra: string[], onPolicy: (child: ChildProcess) => void): { child: ChildProcess; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [BIN, "deploy", LAUNCH, `policy:=${POLICY}`, "tilt_limit:=10", "duration:=30", ...extra], { env: env() });
  let stdout = "";
  let stderr = "";
  let fired = false;
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (!fired && stderr.includes("phase policy")) {
      fired = true;
      onPolicy(child);
    }
  });
  return { child, output: () => ({ stdout, stderr }) };
}

describe("deploy session log (sim transport, in process)", () => {
  it("writes a ROS 2 MCAP whose commands are exactly what the sim transport received", { retry: 1 }, async () => {
    const dir = join(tmp, "inproc");
    rmSync(dir, { recursive: true, force: true });
    const { config } = await loadDeployLaunch(LAUNCH, { policy: POLICY, duration: "1", tilt_limit: "10", log_dir: dir, record: join(tmp, "inproc.csv") });
    const d = await Deployment.configure(config, { where: LAUNCH, log: new MemoryLog(), sessionMeta: { launch_args: '{"test":"1"}' } });
    const port = d.port as SimRealtimePort;
    // Spy on the transport: every command it is sent.
    const sent: Float32Array[] = [];
    const step = port.step.bind(port);
    port.step = () => {
      sent.push(port.buffers.action.slice());
      step();
    };
    const result = await d.run();
    d.shutdown();
    const file = onlyMcap(dir);
    expect(result.logFile).toBe(file);
    const simSteps = port.steps;

    const { reader, messages, metadata } = await readIndexed(file);
    expect(reader.header.profile).toBe("ros2");
    expect(reader.header.library).toMatch(/^locomote /);
    const channels = [...reader.channelsById.values()];
    expect(Object.fromEntries(channels.map((c) => [c.topic, reader.schemasById.get(c.schemaId)!.name]))).toEqual(SIM_TOPICS);
    for (const c of channels) {
      const schema = reader.schemasById.get(c.schemaId)!;
      expect(c.messageEncoding).toBe("cdr");
      expect(schema.encoding).toBe("ros2msg");
      expect(new TextDecoder().decode(schema.data)).toBe(schemaText(schema.name as RosMessageType));
      expect(c.metadata.get("offered_qos_profiles")).toBe(offeredQosProfiles(QOS[c.topic] ?? "reliable"));
    }
    expect(reader.statistics!.messageCount).toBe(BigInt(messages.length));

    // /<controller>/commands: one per command sent, gear · action in the controller's joint order.
    const commands = messages.filter((m) => m.topic === "/effort_controller/commands").map((m) => decode<{ data: Float64Array }>(reader, m.topic, m.data).data);
    expect(commands.length).toBe(sent.length);
    const map = new CommandMap(d.policy.spec.actuators, ["thigh_joint", "leg_joint", "foot_joint"], "effort_controller");
    const expected = new Float64Array(3);
    sent.forEach((action, k) => {
      map.toCommand(action, expected);
      expect(Array.from(commands[k]!)).toEqual(Array.from(expected));
    });
    expect(Array.from(commands.at(-1)!)).toEqual([0, 0, 0]); // the final passive command
    // Policy steps, sim steps (+ the state at t = 0), status every command.
    const count = (topic: string): number => messages.filter((m) => m.topic === topic).length;
    expect(count("/policy/action")).toBe(result.policySteps);
    expect(result.policySteps).toBeGreaterThan(20);
    expect(count("/joint_states")).toBe(simSteps + 1);
    expect(count("/clock")).toBe(simSteps + 1);
    expect(count("/reward/total")).toBe(simSteps);
    expect(count("/locomote/status")).toBe(sent.length);
    const clocks = messages.filter((m) => m.topic === "/clock").map((m) => decode<{ clock: { sec: number; nanosec: number } }>(reader, m.topic, m.data).clock);
    clocks.forEach((c, k) => expect(c.sec * 1e9 + c.nanosec).toBe(k * 8_000_000));
    const js = decode<{ name: string[]; position: Float64Array }>(reader, "/joint_states", messages.find((m) => m.topic === "/joint_states")!.data);
    expect(js.name).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    const status = messages.filter((m) => m.topic === "/locomote/status").map((m) => Array.from(decode<{ data: Float64Array }>(reader, m.topic, m.data).data));
    expect(new Set(status.map((s) => s[0]))).toEqual(new Set([1, 2, 3, 4, 5, 0])); // zero … stopping, then inactive
    const alphas = status.map((s) => s[1]!);
    for (let k = 1; k < alphas.length; k++) expect(alphas[k]!).toBeGreaterThanOrEqual(alphas[k - 1]!);
    const diagnostics = messages
      .filter((m) => m.topic === "/diagnostics")
      .map((m) => decode<{ status: { level: number; message: string }[] }>(reader, m.topic, m.data).status[0]!.message);
    expect(diagnostics).toEqual(expect.arrayContaining(["phase fade", "phase policy"]));
    // Log times never go backwards by more than a tick (sim-step messages precede the tick's own).
    for (const m of messages) expect(m.logTime).toBeGreaterThanOrEqual(0n);

    // Metadata: session, initial sim state, end record.
    const session = metadata.get(META_SESSION)!;
    expect(session.get("format")).toBe("locomote.deploy_log");
    expect(session.get("source")).toBe("deploy");
    expect(session.get("robot")).toBe("hopper");
    expect(session.get("transport")).toBe("sim");
    expect(session.get("seed")).toBe("0");
    expect(session.get("rate_hz")).toBe("500");
    expect(session.get("launch_file")).toBe(LAUNCH);
    expect(session.get("launch_args")).toBe('{"test":"1"}');
    expect(session.get("policy")).toBe(POLICY);
    expect(session.get("policy_sha256")).toMatch(/^[0-9a-f]{64}$/);
    expect(session.get("locomote_version")).toMatch(/^\d+\.\d+\.\d+/);
    expect(session.get("controller")).toBe("effort_controller");
    expect(JSON.parse(session.get("status_fields")!)).toEqual([...STATUS_FIELDS]);
    expect(BigInt(session.get("start_time_unix_ns")!)).toBeGreaterThan(1_600_000_000_000_000_000n);
    const init = metadata.get(META_SIM_INITIAL_STATE)!;
    expect(JSON.parse(init.get("qpos")!)).toHaveLength(6);
    const end = metadata.get(META_EPISODE)!;
    expect(end.get("stop_reason")).toBe("duration 1 s");
    expect(end.get("truncated")).toBe("true");
    expect(end.get("interrupted")).toBe("false");
    expect(end.get("length")).toBe(String(result.policySteps));
    expect(end.get("sim_steps")).toBe(String(simSteps));

    // replay --summary's reader agrees; --resim re-simulates the sim deploy log exactly.
    const log = readEpisodeLog(file);
    expect(log.complete).toBe(true);
    const summary = summarizeEpisodeLog(log);
    expect(summary.episode.length).toBe(result.policySteps);
    const rewards = topicMessages(log, "/reward/total").map((m) => decodeLogMessage<{ data: number }>(m).data);
    expect(summary.episode.return).toBeCloseTo(rewards.reduce((a, b) => a + b, 0), 9);
    expect(Number(metadataRecord(log, META_EPISODE)!["return"])).toBeCloseTo(summary.episode.return, 9);
    expect(summary.episode.truncated).toBe(true);
    const replay = spawnSync(process.execPath, [BIN, "replay", "--summary", file], { encoding: "utf8", env: env() });
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('complete MCAP, profile "ros2"');
    expect(replay.stdout).toContain("source deploy");
    expect(replay.stdout).toContain(`episode: ${result.policySteps} steps`);
    const resim = spawnSync(process.execPath, [BIN, "replay", "--resim", file], { encoding: "utf8", env: env() });
    expect(resim.stderr).toBe("");
    expect(resim.status).toBe(0);
    expect(resim.stdout).toContain("deploy session log of the simulated robot (transport sim)");
    expect(resim.stdout).toContain(`re-ran sim "hopper" for ${simSteps} steps`);
    expect(resim.stdout).toContain("divergence: exactly 0");
  });

  it("log_dir: null writes no file", async () => {
    const { config } = await loadDeployLaunch(LAUNCH, { policy: POLICY, log_dir: "null" });
    expect(config.log_dir).toBeNull();
    const d = await Deployment.configure(config, { where: LAUNCH, log: new MemoryLog() });
    expect(d.session).toBeNull();
    d.shutdown();
    const defaults = await loadDeployLaunch(LAUNCH, { policy: POLICY });
    expect(defaults.config.log_dir).toBe("runs/deploy");
  });
});

/** A ROS 2 transport stand-in: sensor messages go through the real ObservationAssembler. */
class FakeRos2Port implements RobotPort {
  readonly spec: PortSpec;
  readonly numEnvs = 1;
  readonly buffers: PortBuffers;
  readonly obsTime = new Float64Array([-Infinity]);
  readonly estop = new Uint8Array(1);
  readonly assembler: ObservationAssembler;
  readonly sent: Float32Array[] = [];
  constructor(ctx: TransportContext) {
    this.spec = ctx.policy.spec;
    this.buffers = allocBuffers(this.spec, 1);
    this.assembler = new ObservationAssembler(this.spec.observation, ctx.robot);
  }
  describe(): string {
    return "fake ROS 2";
  }
  sense(): void {
    const t = this.assembler.measuredAt();
    if (t === -Infinity) return;
    this.assembler.assemble(this.buffers.obs);
    this.obsTime[0] = t;
  }
  step(): void {
    this.sent.push(this.buffers.action.slice());
  }
  seed(): void {}
  resetAll(): void {}
  resetEnv(): void {}
  resetEnvs(): void {}
  close(): void {}
}

describe("deploy session log (ROS 2 transport stand-in, hand-driven clock)", () => {
  it("logs the joint states received, the commands published and no sim topics", async () => {
    const dir = join(tmp, "ros2");
    const { config } = await loadDeployLaunch(LAUNCH, { policy: POLICY, transport: "ros2", log_dir: dir });
    let t = 1000;
    let fake: FakeRos2Port | null = null;
    const d = await Deployment.configure(config, {
      where: LAUNCH,
      log: new MemoryLog(),
      clock: { now: () => t },
      ros2Transport: (ctx) => Promise.resolve((fake = new FakeRos2Port(ctx))),
    });
    const port = fake!;
    // The robot standing still at the policy's mean observation, reported every 4 ms.
    const obsRow = Float64Array.from(d.policy.manifest.observation_normalization!.mean);
    const writer = new SensorMessageWriter(d.policy.spec.observation, d.robot);
    const js = emptyJointState();
    const imu = emptyImu("torso");
    const odom = emptyOdometry("odom", "torso");
    const received: number[][] = [];
    const thigh = d.policy.spec.observation.names.indexOf("thigh_joint.position");
    for (let k = 0; k < 600; k++) {
      if (k % 2 === 0) {
        const stamp = stampFromMs(t);
        obsRow[thigh] = 0.01 * Math.sin(k / 50); // a joint moving a little
        writer.jointState(obsRow, stamp, js);
        writer.imu(obsRow, stamp, imu);
        writer.odometry(obsRow, {}, stamp, odom);
        port.assembler.onJointState(js, t);
        port.assembler.onImu(imu, t);
        port.assembler.onOdometry(odom, t);
        received.push(Array.from(port.assembler.jointStates.position));
      }
      d.controller.tick(t, t);
      if (k === 0) d.controller.activate(t);
      t += 2;
    }
    void d.requestDeactivate("test");
    for (let k = 0; k < 300 && d.controller.active; k++) {
      d.controller.tick(t, t);
      t += 2;
    }
    d.shutdown();
    const file = onlyMcap(dir);
    const { reader, messages, metadata } = await readIndexed(file);
    const topics = new Set([...reader.channelsById.values()].map((c) => c.topic));
    expect([...topics].sort()).toEqual(
      ["/robot_description", "/joint_states", "/policy/observation", "/policy/action", "/effort_controller/commands", "/locomote/status", "/diagnostics"].sort(),
    );
    expect(metadata.get(META_SESSION)!.get("transport")).toBe("ros2");
    expect(metadata.has(META_SIM_INITIAL_STATE)).toBe(false);
    // /joint_states: one per received message (the first arrived before the first tick), as received.
    const states = messages.filter((m) => m.topic === "/joint_states").map((m) => decode<{ name: string[]; position: Float64Array; effort: Float64Array }>(reader, m.topic, m.data));
    expect(states.length).toBe(received.length);
    expect(states[0]!.name).toEqual(port.assembler.jointStates.joints);
    states.forEach((s, k) => expect(Array.from(s.position)).toEqual(received[k]));
    expect(Number.isNaN(states[0]!.effort[0])).toBe(true);
    // Commands: exactly the array a forward_command_controller would get, one per command sent.
    const commands = messages.filter((m) => m.topic === "/effort_controller/commands").map((m) => Array.from(decode<{ data: Float64Array }>(reader, m.topic, m.data).data));
    expect(commands.length).toBe(port.sent.length);
    const map = new CommandMap(d.policy.spec.actuators, ["thigh_joint", "leg_joint", "foot_joint"], "effort_controller");
    const out = new Float64Array(3);
    port.sent.forEach((a, k) => {
      map.toCommand(a, out);
      expect(commands[k]).toEqual(Array.from(out));
    });
    // Log time = clock time since the first tick.
    const last = messages.filter((m) => m.topic === "/effort_controller/commands").at(-1)!;
    expect(Number(last.logTime) / 1e6).toBeCloseTo(t - 2 - 1000, 6);
  });
});

describe("locomote deploy: session log and --view (child processes)", () => {
  it("Ctrl-C leaves a complete log that replay --summary reads", async () => {
    const dir = join(tmp, "sigint");
    const run = deployChild([`log_dir:=${dir}`], (child) => setTimeout(() => child.kill("SIGINT"), 300));
    const code = await exited(run.child);
    const { stdout, stderr } = run.output();
    expect(code, stderr).toBe(130);
    const file = onlyMcap(dir);
    expect(stderr).toContain(`session log: ${file}`);
    expect(stdout).toContain(`session log: ${file}`);
    const { reader, messages, metadata } = await readIndexed(file); // needs the summary and footer
    expect(reader.footer.summaryStart).toBeGreaterThan(0n);
    const end = metadata.get(META_EPISODE)!;
    expect(end.get("stop_reason")).toBe("Ctrl-C");
    expect(end.get("interrupted")).toBe("true");
    const commands = messages.filter((m) => m.topic === "/effort_controller/commands");
    expect(Array.from(decode<{ data: Float64Array }>(reader, commands.at(-1)!.topic, commands.at(-1)!.data).data)).toEqual([0, 0, 0]);
    const statuses = messages.filter((m) => m.topic === "/locomote/status").map((m) => decode<{ data: Float64Array }>(reader, m.topic, m.data).data[0]);
    expect(statuses.filter((p) => p === 5).length).toBeGreaterThan(50); // stopping: 0.5 s of safe command
    const replay = spawnSync(process.execPath, [BIN, "replay", file], { encoding: "utf8", env: env() });
    expect(replay.status).toBe(0);
    expect(replay.stderr).toBe("");
    expect(replay.stdout).toMatch(/episode: \d+ steps, return [-\d.]+, interrupted/);
  });

  it("SIGKILL leaves the file readable up to its last closed chunk", async () => {
    const dir = join(tmp, "sigkill");
    const run = deployChild([`log_dir:=${dir}`], (child) => setTimeout(() => child.kill("SIGKILL"), 1000));
    await exited(run.child);
    const file = onlyMcap(dir);
    const log = readEpisodeLog(file);
    expect(log.complete).toBe(false);
    expect(topicMessages(log, "/policy/action").length).toBeGreaterThan(0);
    // Killed ~1.1 s into the session; chunks are closed every 0.25 s of log time.
    const last = log.messages.at(-1)!.logTime;
    expect(Number(last) / 1e9).toBeGreaterThan(0.6);
    const replay = spawnSync(process.execPath, [BIN, "replay", file], { encoding: "utf8", env: env() });
    expect(replay.status).toBe(0);
    expect(replay.stderr).toContain("truncated");
    expect(replay.stdout).toContain("TRUNCATED MCAP");
  });

  it("--view serves the log's channels to a Foxglove client", async () => {
    let wsUrl: string | null = null;
    const run = deployChild(["--view", "0", "log_dir:=null"], () => {});
    const t0 = Date.now();
    while (wsUrl === null) {
      if (Date.now() - t0 > 60_000 || run.child.exitCode !== null) throw new Error(`no live view URL in: ${run.output().stderr}`);
      wsUrl = /Foxglove: open connection (ws:\/\/127\.0\.0\.1:\d+)\)/.exec(run.output().stderr)?.[1] ?? null;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(run.output().stderr).toMatch(/live view: http:\/\/127\.0\.0\.1:\d+\/ /);
    const client = new FoxgloveClient({ ws: new WebSocket(wsUrl, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
    const channels = new Map<number, Channel>();
    const got: { channel: Channel; data: Uint8Array }[] = [];
    const subs = new Map<number, Channel>();
    client.on("advertise", (chs) => {
      for (const c of chs) {
        channels.set(c.id, c);
        if (c.topic === "/effort_controller/commands" || c.topic === "/robot_description") subs.set(client.subscribe(c.id), c);
      }
    });
    client.on("message", (m: MessageData) => {
      got.push({ channel: subs.get(m.subscriptionId)!, data: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength).slice() });
    });
    try {
      const until = Date.now() + 60_000;
      while (!got.some((g) => g.channel.topic === "/effort_controller/commands") || !got.some((g) => g.channel.topic === "/robot_description")) {
        if (Date.now() > until) throw new Error(`no /commands message; stderr: ${run.output().stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      client.close();
      run.child.kill("SIGINT");
    }
    // The same channels (topics and types) as the session log of the same deployment.
    expect(Object.fromEntries([...channels.values()].map((c) => [c.topic, c.schemaName]))).toEqual(SIM_TOPICS);
    for (const c of channels.values()) expect(c).toMatchObject({ encoding: "cdr", schemaEncoding: "ros2msg", schema: schemaText(c.schemaName as RosMessageType) });
    const cmd = got.find((g) => g.channel.topic === "/effort_controller/commands")!;
    const msg = new MessageReader(parse(cmd.channel.schema, { ros2: true })).readMessage<{ data: Float64Array }>(cmd.data);
    expect(msg.data).toHaveLength(3);
    for (const v of msg.data) expect(Math.abs(v)).toBeLessThanOrEqual(200);
    expect(await exited(run.child)).toBe(130);
    expect(run.output().stdout).not.toContain("session log:");
  });

  it("--view flags: the launch file after --view, a bad port, and a non-loopback host without the opt-in are one line, exit 2", () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, "deploy", ...args], { encoding: "utf8", env: env() });
    const help = cli(["--view", LAUNCH, "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("log_dir:=");
    expect(help.stdout).toContain("--view [port]");
    const badPort = cli([LAUNCH, "--view", "70000"]);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr.trim()).toBe('locomote: deploy: --view [port]: expected a port number 0-65535 (0: any free port), got "70000"');
    const remote = cli([LAUNCH, "--view-host", "0.0.0.0", "--view"]);
    expect(remote.status).toBe(2);
    expect(remote.stderr.trim()).toMatch(/^locomote: deploy: --view-host 0\.0\.0\.0 is not a loopback address: .* add --view-allow-remote to allow it$/);
    const hostOnly = cli([LAUNCH, "--view-host", "127.0.0.1"]);
    expect(hostOnly.status).toBe(2);
    expect(hostOnly.stderr.trim()).toBe("locomote: deploy: --view-host needs --view");
  });
});
