/**
 * `replay --resim` on deploy session logs (src/log/resim.ts): a short in-process sim deploy of
 * the committed hopper policy re-simulates with divergence exactly 0 (every sim step's joint
 * state, every reward and observation the controller saw); the same log rewritten as a robot's
 * (transport ros2, sim-only topics and metadata dropped) gives the sim-to-real gap report —
 * initial state from the first /joint_states and /policy/observation, per-joint divergence over
 * time — in text and `--json`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatResim } from "../src/cli/replay.js";
import { Deployment } from "../src/deploy/deployment.js";
import { MemoryLog } from "../src/deploy/log.js";
import type { SimRealtimePort } from "../src/deploy/sim-transport.js";
import { loadDeployLaunch } from "../src/launch/index.js";
import { META_SIM_INITIAL_STATE } from "../src/log/deploy-recorder.js";
import { META_SESSION } from "../src/log/episode-recorder.js";
import { McapLogWriter } from "../src/log/mcap-log-writer.js";
import { readEpisodeLog, topicMessages } from "../src/log/mcap-read.js";
import { resimulate, type ResimReport } from "../src/log/resim.js";
import type { RosMessageType } from "../src/log/ros-msgs.js";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const POLICY = "test/fixtures/deploy-hopper-policy";
const LAUNCH = "launch/deploy_hopper.launch.yaml";
const tmp = mkdtempSync(join(tmpdir(), "locomote-replay-deploy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let simLog = "";
let simSteps = 0;

/** The sim deploy log rewritten as a robot's: transport ros2, without the sim's topics and metadata. */
function asRobotLog(src: string, dst: string): void {
  const log = readEpisodeLog(src);
  const simOnly = (topic: string): boolean => topic === "/clock" || topic === "/tf" || topic.startsWith("/reward/") || topic.startsWith("/metrics/");
  const w = new McapLogWriter(dst);
  const ids = new Map<number, number>();
  for (const ch of log.channels) if (!simOnly(ch.topic)) ids.set(ch.id, w.addChannel({ topic: ch.topic, type: ch.schemaName as RosMessageType, qos: "reliable" }));
  for (const md of log.metadata) {
    if (md.name === META_SIM_INITIAL_STATE) continue;
    if (md.name === META_SESSION) {
      const { sim: _sim, seed: _seed, reset_on_fall: _r, metrics: _m, qpos_names: _q, qvel_names: _v, links: _l, ...rest } = md.data;
      w.metadata(md.name, { ...rest, transport: "ros2" });
    } else {
      w.metadata(md.name, md.data);
    }
  }
  for (const m of log.messages) {
    const id = ids.get(m.channel.id);
    if (id !== undefined) w.publish(id, m.logTime, m.data);
  }
  w.close();
}

beforeAll(async () => {
  const dir = join(tmp, "sim");
  const { config } = await loadDeployLaunch(LAUNCH, { policy: POLICY, duration: "2.5", tilt_limit: "10", log_dir: dir });
  const d = await Deployment.configure(config, { where: LAUNCH, log: new MemoryLog() });
  await d.run();
  d.shutdown();
  simSteps = (d.port as SimRealtimePort).steps;
  const files = readdirSync(dir).filter((f) => f.endsWith(".mcap"));
  expect(files).toHaveLength(1);
  simLog = join(dir, files[0]!);
}, 60_000);

describe("replay --resim of a sim deploy log", () => {
  it("re-simulates every sim step from locomote.sim_initial_state with divergence exactly 0", async () => {
    const log = readEpisodeLog(simLog);
    const r = await resimulate(log);
    expect(r.kind).toBe("deploy_sim");
    expect(r.commands_topic).toBe("/effort_controller/commands");
    expect(r.steps).toBe(simSteps);
    expect(r.steps).toBeGreaterThan(300); // start-up + 2.5 s
    expect(r.exact).toBe(true);
    expect(r.max_abs).toBe(0);
    expect(r.first_divergent_step).toBeNull();
    expect(r.joints.map((j) => j.name)).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    for (const j of r.joints) expect(j.position.samples).toBe(simSteps + 1);
    expect(r.reward!.samples).toBe(simSteps);
    expect(r.observation[0]!.samples).toBe(topicMessages(log, "/policy/observation").length);
    const text = formatResim(r);
    expect(text).toContain("deploy session log of the simulated robot (transport sim)");
    expect(text).toContain("divergence: exactly 0");
  });

  it("detects a perturbed command", async () => {
    // Rewrite one command mid-run: the re-run departs from the recording from the next sim step on.
    const log = readEpisodeLog(simLog);
    // Only the last command before a sim step's /joint_states is applied (the loop runs at 4× the task rate).
    const js = log.messages.findIndex((m, i) => m.channel.topic === "/joint_states" && i > log.messages.length / 2);
    const target = log.messages.slice(0, js).filter((m) => m.channel.topic === "/effort_controller/commands").at(-1)!;
    const step = log.messages.slice(0, js).filter((m) => m.channel.topic === "/joint_states").length; // the state index js holds
    const data = target.data.slice();
    // CDR: 4-byte header, layout (dim count 0, data_offset 0), then the length and the float64s.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    view.setFloat64(data.byteLength - 8, view.getFloat64(data.byteLength - 8, true) + 0.5, true);
    const perturbed = { ...log, messages: log.messages.map((m) => (m === target ? { ...m, data } : m)) };
    const r = await resimulate(perturbed);
    expect(r.exact).toBe(false);
    expect(r.first_divergent_step).toBe(step);
  });
});

describe("replay --resim of a robot (ros2) deploy log: the sim-to-real gap report", () => {
  let robotLog = "";
  let report: ResimReport;
  beforeAll(async () => {
    robotLog = join(tmp, "robot.mcap");
    asRobotLog(simLog, robotLog);
    report = await resimulate(readEpisodeLog(robotLog));
  });

  it("starts from the first /joint_states and /policy/observation and reports per-joint divergence over time", () => {
    const r = report;
    expect(r.kind).toBe("deploy_robot");
    expect(r.sim).toBe("hopper"); // from deploy_config.sim: a robot's session metadata has no "sim"
    expect(r.reward).toBeNull();
    expect(r.observation).toEqual([]);
    expect(r.steps).toBeGreaterThan(300);
    expect(r.notes.join("\n")).toMatch(/from the first \/policy\/observation \(float32\): rootz\.position, rooty\.position, rootx\.velocity, rootz\.velocity, rooty\.velocity/);
    expect(r.notes.join("\n")).toMatch(/not in the log, the sim's qpos0: rootx = /);
    // The root starts from float32 observation values, not the exact float64 state: a small,
    // nonzero gap that the joints start without (their t = 0 state is the recorded one).
    expect(r.exact).toBe(false);
    expect(Number.isFinite(r.max_abs)).toBe(true);
    expect(r.first_divergent_step).toBeGreaterThan(0);
    for (const j of r.joints) {
      for (const d of [j.position, j.velocity]) {
        expect(d.samples).toBe(r.steps + 1);
        expect(d.max_abs).toBeGreaterThan(0);
        expect(d.rms).toBeGreaterThan(0);
        expect(d.rms).toBeLessThanOrEqual(d.max_abs);
        expect(d.time_s).toBeCloseTo(d.step! * r.dt, 12);
        expect(d.at.map((a) => a.time_s)).toEqual([0.5, 1, 2]);
        for (const a of d.at) expect(a.abs).not.toBeNull();
      }
      // Same commands, nearly the same start: positions stay close (well under a radian).
      expect(j.position.max_abs).toBeLessThan(1);
    }
    const text = formatResim(r);
    expect(text).toContain("deploy session log of a robot (transport ros2) — sim-to-real gap report");
    expect(text).toContain("Δ = sim − robot per joint");
    expect(text).toMatch(/joint\s+max \|Δ\|\s+at t \(s\)\s+RMS\s+at 0\.5 s\s+at 1 s\s+at 2 s/);
    expect(text).toMatch(/thigh_joint\s+position\s+\d/);
  });

  it("--json through the CLI, for both kinds of deploy log", () => {
    const run = (file: string): ResimReport => {
      const r = spawnSync(process.execPath, [BIN, "replay", file, "--resim", "--json"], { encoding: "utf8", env: { ...process.env, CI: "1" } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as ResimReport;
    };
    expect(run(simLog)).toMatchObject({ kind: "deploy_sim", exact: true, max_abs: 0, steps: simSteps });
    const robot = run(robotLog);
    expect(robot).toMatchObject({ kind: "deploy_robot", exact: false, steps: report.steps, max_abs: report.max_abs });
    expect(robot.joints[0]!.position.at).toHaveLength(3);
  });
});
