/**
 * Episode recording end to end, in-process: `eval --record` (evaluateArtifact) on the hopper
 * writes one MCAP per episode holding the same return as the evaluation result and changes no
 * result; the training run records its final evaluation into run_dir/episodes/; `replay
 * --resim` of a sim log diverges by exactly 0 and a perturbed log diverges.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";
import { EpisodeRecorder } from "../src/log/episode-recorder.js";
import { McapLogWriter } from "../src/log/mcap-log-writer.js";
import { decodeLogMessage, locomoteMetadata, readEpisodeLog, summarizeEpisodeLog, topicMessages } from "../src/log/mcap-read.js";
import { resimulate } from "../src/log/resim.js";
import { decodeCdr, encodeCdr } from "../src/log/ros-msgs.js";
import type { ChannelSpec, TopicSink } from "../src/log/topic-sink.js";
import { initBackend } from "../src/nn/backend.js";
import { savePolicy } from "../src/policy/artifact.js";
import { evaluateArtifact } from "../src/rl/evaluate.js";
import { train } from "../src/rl/trainer.js";
import { loadTask } from "../src/sim/registry.js";
import type { TaskDefinition } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";
import { makeBody, randomLayers } from "./policy-fixtures.js";

const root = mkdtempSync(join(tmpdir(), "locomote-log-record-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let hopper: TaskDefinition;
let policyDir: string;
beforeAll(async () => {
  hopper = await loadTask("hopper");
  policyDir = join(root, "policy");
  const spec = hopper.spec;
  const od = spec.observation.names.length;
  const ad = spec.action.names.length;
  const body = makeBody(od, [16], ad, {
    spec,
    robot: spec.robot,
    sim: "hopper",
    joints: spec.actuators.map((a) => a.joint),
    observation_normalization: null,
    action_scaling: { squash: "tanh", low: [...spec.action.low], high: [...spec.action.high] },
  });
  // Small random weights: the hopper stands for a while before falling (episodes of ~20-60 steps).
  const layers = randomLayers([od, 16, ad], 7).map((l) => ({ ...l, kernel: l.kernel.map((x) => x * 0.3) }));
  await savePolicy(policyDir, { manifest: { ...body, network: { ...body.network, obs_dim: od, act_dim: ad, hidden: [16] } }, layers });
});

describe("eval --record", () => {
  it("writes one ROS 2 MCAP per episode with the evaluation's return, and changes no result", async () => {
    const dir = join(root, "eval");
    const opts = { episodes: 5, seed: 3, numEnvs: 2 };
    const plain = await evaluateArtifact(policyDir, opts);
    const recorded = await evaluateArtifact(policyDir, { ...opts, record: { dir } });
    const { episode_logs: logs, ...rest } = recorded;
    expect(rest).toEqual(plain);
    expect(readdirSync(dir).sort()).toEqual(["episode-0000.mcap", "episode-0001.mcap", "episode-0002.mcap", "episode-0003.mcap", "episode-0004.mcap"]);
    expect(logs).toEqual(readdirSync(dir).sort().map((f) => join(dir, f)));

    for (let k = 0; k < 5; k++) {
      const log = readEpisodeLog(logs![k]!);
      expect(log.complete).toBe(true);
      expect(log.profile).toBe("ros2");
      const s = summarizeEpisodeLog(log);
      expect(s.episode.return).toBe(plain.returns[k]); // exact: same float32 rewards summed in the same order
      expect(s.episode.length).toBe(plain.lengths[k]);
      const { session, initialState, episode } = locomoteMetadata(log);
      expect(session).toMatchObject({ robot: "hopper", sim: "hopper", seed: "3", source: "eval", controller: "effort_controller", policy: policyDir });
      expect(session!["policy_sha256"]).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.parse(episode!["return"]!)).toBe(plain.returns[k]);
      expect(episode!["terminated"]).toBe(String(plain.lengths[k]! < hopper.maxEpisodeSteps));
      // Env-major result order: env 0 runs episodes 0-2, env 1 episodes 3-4.
      expect(initialState).toMatchObject({ env_index: String(k < 3 ? 0 : 1), episode_index: String(k < 3 ? k : k - 3) });
      expect(JSON.parse(initialState!["qpos"]!)).toHaveLength(hopper.state.nq);
      const topics = s.topics.map((t) => t.topic);
      expect(topics).toEqual(
        expect.arrayContaining(["/robot_description", "/clock", "/joint_states", "/tf", "/policy/observation", "/policy/action", "/effort_controller/commands", "/reward/total", "/reward/forward", "/reward/healthy", "/reward/ctrl"]),
      );
      const rate = s.topics.find((t) => t.topic === "/joint_states")!.rate_hz!;
      expect(rate).toBeCloseTo(1 / hopper.spec.dt, 6);
      const terms = Object.values(s.episode.reward_terms).reduce((a, b) => a + b, 0);
      expect(terms).toBeCloseTo(s.episode.return, 3);
    }
  });

  it("logs messages a ROS 2 tool decodes: names, frames, stamps, commands = gear · action", async () => {
    const dir = join(root, "eval-msgs");
    const r = await evaluateArtifact(policyDir, { episodes: 1, seed: 1, numEnvs: 1, record: { dir } });
    const file = r.episode_logs![0]!;
    const handle = await open(file, "r");
    try {
      const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
      expect(reader.statistics?.messageCount).toBeGreaterThan(0n);
      const names = [...reader.schemasById.values()].map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(["sensor_msgs/msg/JointState", "tf2_msgs/msg/TFMessage", "rosgraph_msgs/msg/Clock", "std_msgs/msg/String"]));
    } finally {
      await handle.close();
    }
    const log = readEpisodeLog(file);
    const js = topicMessages(log, "/joint_states").map((m) => decodeLogMessage<{ header: { stamp: { sec: number; nanosec: number } }; name: string[]; effort: ArrayLike<number> }>(m));
    expect(js[0]!.name).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    expect(js[1]!.header.stamp).toEqual({ sec: 0, nanosec: 8_000_000 });
    const tf = decodeLogMessage<{ transforms: { header: { frame_id: string }; child_frame_id: string }[] }>(topicMessages(log, "/tf")[0]!);
    expect(tf.transforms.map((t) => t.child_frame_id)).toEqual(hopper.state.links);
    expect(tf.transforms.every((t) => t.header.frame_id === "world")).toBe(true);
    const urdf = decodeLogMessage<{ data: string }>(topicMessages(log, "/robot_description")[0]!).data;
    expect(urdf).toContain('<robot name="hopper">');
    const actions = topicMessages(log, "/policy/action").map((m) => Array.from(decodeLogMessage<{ data: ArrayLike<number>; layout: { dim: { label: string }[] } }>(m).data));
    const commands = topicMessages(log, "/effort_controller/commands").map((m) => Array.from(decodeLogMessage<{ data: ArrayLike<number> }>(m).data));
    expect(commands).toHaveLength(actions.length);
    const gears = hopper.spec.actuators.map((a) => a.gear);
    commands.forEach((c, k) => expect(c).toEqual(actions[k]!.map((a, i) => gears[i]! * a)));
    // Effort of a step = gear · clamped action (hopper: the action box is the ctrl range).
    expect(Array.from(js[0]!.effort)).toEqual([0, 0, 0]);
    Array.from(js[1]!.effort).forEach((e, i) => expect(e).toBeCloseTo(gears[i]! * actions[0]![i]!, 3));
    const label = decodeLogMessage<{ layout: { dim: { label: string; size: number }[] } }>(topicMessages(log, "/policy/observation")[0]!).layout.dim[0]!;
    expect(label).toEqual({ label: hopper.spec.observation.names.join(","), size: hopper.spec.observation.names.length, stride: hopper.spec.observation.names.length });
  });
});

/** Passes everything through, except that it adds `delta` to action element 0 of the `at`-th action. */
class PerturbActions implements TopicSink {
  private actionChannel = -1;
  private n = 0;
  constructor(private readonly inner: McapLogWriter, private readonly at: number, private readonly delta: number) {}
  addChannel(spec: ChannelSpec): number {
    const id = this.inner.addChannel(spec);
    if (spec.topic === "/policy/action") this.actionChannel = id;
    return id;
  }
  publish(channel: number, timeNs: bigint, data: Uint8Array): void {
    if (channel === this.actionChannel && this.n++ === this.at) {
      const msg = decodeCdr<{ layout: unknown; data: Float64Array }>("std_msgs/msg/Float64MultiArray", data);
      const values = Array.from(msg.data);
      values[0] = values[0]! + this.delta;
      data = encodeCdr("std_msgs/msg/Float64MultiArray", { layout: msg.layout, data: values });
    }
    this.inner.publish(channel, timeNs, data);
  }
  metadata(name: string, data: Readonly<Record<string, string>>): void {
    this.inner.metadata(name, data);
  }
}

/** Records `steps` steps of the hopper under a fixed sinusoidal action (falls and lies there). */
async function recordHopper(file: string, steps: number, perturb: { at: number; delta: number } | null): Promise<void> {
  const rec = await EpisodeRecorder.create(hopper, { sim: "hopper", source: "test", seed: 5 });
  const inst = hopper.createInstance();
  const spec = hopper.spec;
  const obs = new Float32Array(spec.observation.names.length);
  const action = new Float32Array(spec.action.names.length);
  const metrics = new Float32Array(spec.metrics.length);
  inst.reset(new Rng(5, 0), obs);
  const writer = new McapLogWriter(file, { chunkMessages: 100 });
  const sink = perturb ? new PerturbActions(writer, perturb.at, perturb.delta) : writer;
  const stream = rec.begin(sink, inst, obs, { envIndex: 0, episodeIndex: 0 });
  for (let k = 0; k < steps; k++) {
    for (let i = 0; i < action.length; i++) action[i] = Math.sin(0.1 * k + i);
    const reward = Math.fround(inst.step(action, obs, metrics));
    stream.step(action, obs, reward, metrics);
  }
  stream.end({ terminated: false, truncated: true });
  writer.close();
  inst.free();
}

describe("replay --resim", () => {
  it("re-simulates a sim log with divergence exactly 0", async () => {
    const file = join(root, "resim.mcap");
    await recordHopper(file, 150, null);
    const report = await resimulate(readEpisodeLog(file));
    expect(report.steps).toBe(150);
    expect(report.exact).toBe(true);
    expect(report.max_abs).toBe(0);
    expect(report.first_divergent_step).toBeNull();
    expect(report.joints.map((j) => j.name)).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
  });

  it("re-simulates eval --record logs with divergence exactly 0", async () => {
    const dir = join(root, "eval-resim");
    const r = await evaluateArtifact(policyDir, { episodes: 2, seed: 11, numEnvs: 2, record: { dir } });
    for (const file of r.episode_logs!) expect((await resimulate(readEpisodeLog(file))).max_abs).toBe(0);
  });

  it("reports where a perturbed log diverges", async () => {
    const file = join(root, "perturbed.mcap");
    await recordHopper(file, 150, { at: 20, delta: 0.05 });
    const report = await resimulate(readEpisodeLog(file));
    expect(report.exact).toBe(false);
    expect(report.first_divergent_step).toBe(21); // the state after the 21st action (index 20)
    expect(report.max_abs).toBeGreaterThan(0);
    const moved = report.joints.filter((j) => j.position.max_abs > 0 || j.velocity.max_abs > 0);
    expect(moved.length).toBeGreaterThan(0);
    for (const j of moved) expect(Math.min(j.position.step ?? Infinity, j.velocity.step ?? Infinity)).toBeGreaterThanOrEqual(21);
  });
});

describe("training", () => {
  beforeAll(async () => {
    await initBackend({ quiet: true });
  });

  it("records its final evaluation episodes into run_dir/episodes/", async () => {
    const dir = join(root, "run");
    const launch = await loadLaunch("launch/point_mass_ppo.launch.yaml", { run_dir: dir, total_steps: "2048", seed: "4" });
    const result = await train({ config: launch.config, launchFile: launch.file, progress: "off", plot: false });
    expect(result.finalEval).not.toBeNull();
    const files = readdirSync(join(dir, "episodes")).sort();
    expect(files).toEqual(Array.from({ length: 10 }, (_, k) => `update-000002_final_episode-${String(k).padStart(4, "0")}.mcap`));
    const returns = files.map((f) => summarizeEpisodeLog(readEpisodeLog(join(dir, "episodes", f))).episode.return);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    expect(mean).toBe(result.finalEval!.mean_return);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { final_eval: { mean_return: number } };
    expect(summary.final_eval.mean_return).toBe(mean);
    const meta = locomoteMetadata(readEpisodeLog(join(dir, "episodes", files[0]!)));
    expect(meta.session).toMatchObject({ source: "train_eval", sim: "point_mass", update: "2", launch_file: launch.file });
    expect(meta.initialState).not.toBeNull();
    expect(meta.episode).not.toBeNull();
  });
});
