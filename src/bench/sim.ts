/**
 * `npm run bench:sim [-- --robots hopper,walker2d --json]`: simulation speed per robot, same
 * protocol as ../shared/bench/mujoco/run.sh: start from the initial pose (qpos0, zero velocity),
 * each env step draws a uniform random action inside the action box and holds it for the env
 * step (frame_skip physics steps), no resets and no termination; an untimed warm-up, then REPS
 * timed repetitions of the identical sequence, median reported. Rapier's wasm runs in V8's
 * baseline tier for the first seconds, so the warm-up lasts at least `--warmup-s` seconds.
 *
 * Per robot: env steps/s of the full task step (physics + observation + reward) per wall
 * second and per CPU second of this process (robust when other processes share the cores),
 * contacts per physics step (counted in a separate untimed pass over the same sequence), and,
 * when ../shared/bench/mujoco/run.sh can run, MuJoCo's env steps/s measured by it in the same
 * run (just before) and the ratio. Then the multi-worker scaling (src/bench/workers.ts: the
 * hopper batch with resets, 1 vs 2 threads).
 *
 *   node dist/src/bench/sim.js [--robots hopper,walker2d,swimmer,humanoid] [--steps 12000]
 *        [--reps 3] [--seed 1] [--warmup-s 3] [--metric wall|cpu] [--no-mujoco] [--no-workers] [--json]
 *
 * `--metric cpu` compares steps per CPU second on both sides (run.sh's METRIC=cpu): the robust
 * figure when other processes share the cores; `wall` (default) is the issue's protocol.
 *
 * `--json` prints one object: {"robots": {"<robot>": {"env_steps_per_s", "contacts_per_step",
 * "mujoco_env_steps_per_s" (or null), "ratio" (or null)}, …}, "workers": {"count", "scaling"}}.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { PHYSICS_BUILD } from "../physics/rapier.js";
import { loadTask } from "../sim/registry.js";
import type { TaskDefinition, TaskInstance } from "../sim/task.js";
import { findPackageRoot } from "../util/package-root.js";
import { Rng } from "../util/rng.js";
import { parseBenchArgs } from "./args.js";
import { measureWorkerScaling } from "./workers.js";

const DEFAULT_ROBOTS = ["hopper", "walker2d", "swimmer", "humanoid"];

/**
 * MuJoCo's env steps/s per robot from ../shared/bench/mujoco/run.sh, measured now; robots it
 * did not report are absent. Empty when the script is missing or fails (it installs
 * libmujoco-dev with apt when missing).
 */
export function mujocoEnvStepsPerS(robots: readonly string[], metric: "wall" | "cpu" = "wall"): Map<string, number> {
  const out = new Map<string, number>();
  const script = join(findPackageRoot(), "..", "shared", "bench", "mujoco", "run.sh");
  if (!existsSync(script)) return out;
  const r = spawnSync("bash", [script], { env: { ...process.env, ROBOTS: robots.join(" "), METRIC: metric }, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return out;
  for (const line of (r.stdout ?? "").split("\n")) {
    const m = /^(\S+) .*env_steps_per_s=(\d+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

interface Timing {
  wall: number;
  cpu: number;
}

function timed(run: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface RobotSpeed {
  robot: string;
  envStepsPerS: number;
  cpuEnvStepsPerS: number;
  /** Contact points per physics step, or null when the task cannot count them. */
  contactsPerStep: number | null;
}

/** Runs the protocol above on one registered task. */
export async function measureRobot(name: string, steps: number, reps: number, seed: number, warmupS: number): Promise<RobotSpeed> {
  const task: TaskDefinition = await loadTask(name);
  const { low, high } = task.spec.action;
  const actDim = low.length;
  const action = new Float32Array(actDim);
  const obs = new Float32Array(task.spec.observation.names.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  const run = (inst: TaskInstance, n: number, onStep?: () => void): void => {
    const rng = new Rng(seed);
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < actDim; k++) action[k] = rng.range(low[k]!, high[k]!);
      inst.step(action, obs, metrics);
      onStep?.();
    }
  };
  const warmEnd = performance.now() + warmupS * 1000;
  do {
    const inst = task.createInstance();
    run(inst, Math.max(1, steps >> 2));
    inst.free();
  } while (performance.now() < warmEnd);

  const times: Timing[] = [];
  for (let r = 0; r < reps; r++) {
    const inst = task.createInstance(); // a fresh instance starts at qpos0 with zero velocity
    times.push(timed(() => run(inst, steps)));
    inst.free();
  }
  // Contacts: after every env step (those of its last physics step), in an untimed pass.
  const inst = task.createInstance();
  let contacts: number | null = null;
  if (inst.contactCount) {
    let sum = 0;
    const count = inst.contactCount.bind(inst);
    run(inst, Math.min(steps, 2000), () => {
      sum += count();
    });
    contacts = sum / Math.min(steps, 2000);
  }
  inst.free();
  return {
    robot: name,
    envStepsPerS: steps / median(times.map((t) => t.wall)),
    cpuEnvStepsPerS: steps / median(times.map((t) => t.cpu)),
    contactsPerStep: contacts,
  };
}

async function main(): Promise<void> {
  const { values } = parseBenchArgs(
    "npm run bench:sim",
    "Env steps/s per robot on one thread (random action held for the env step, no resets), contacts per\n" +
      "step, MuJoCo's figure from ../shared/bench/mujoco/run.sh in the same run and the ratio; then the\n" +
      "2-worker scaling of the hopper batch. --metric cpu counts CPU seconds (robust on a busy machine).",
    {
      robots: { type: "string", default: DEFAULT_ROBOTS.join(",") },
      steps: { type: "string", default: "12000" },
      reps: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      "warmup-s": { type: "string", default: "3" },
      "no-mujoco": { type: "boolean", default: false },
      "no-workers": { type: "boolean", default: false },
      metric: { type: "string", default: "wall" },
      json: { type: "boolean", default: false },
    },
  );
  const metric = values.metric;
  if (metric !== "wall" && metric !== "cpu") throw new Error(`--metric: expected wall or cpu, got "${metric}"`);
  const robots = values.robots.split(",").map((r) => r.trim()).filter((r) => r.length > 0);
  const steps = Number(values.steps);
  const reps = Number(values.reps);
  const seed = Number(values.seed);
  const warmupS = Number(values["warmup-s"]);
  const fmt = (x: number): string => Math.round(x).toString();

  const mujoco = values["no-mujoco"] ? new Map<string, number>() : mujocoEnvStepsPerS(robots, metric);
  console.error(`# ${PHYSICS_BUILD} metric=${metric} steps=${steps} reps=${reps} load="${loadavg().map((l) => l.toFixed(2)).join(" ")}"`);
  const results: Record<string, { env_steps_per_s: number; contacts_per_step: number | null; mujoco_env_steps_per_s: number | null; ratio: number | null }> = {};
  for (const robot of robots) {
    const r = await measureRobot(robot, steps, reps, seed, warmupS);
    const mj = mujoco.get(robot) ?? null;
    const rate = metric === "cpu" ? r.cpuEnvStepsPerS : r.envStepsPerS;
    results[robot] = {
      env_steps_per_s: Math.round(rate),
      contacts_per_step: r.contactsPerStep,
      mujoco_env_steps_per_s: mj,
      ratio: mj === null ? null : rate / mj,
    };
    if (!values.json) {
      console.log(
        `${robot} env_steps_per_s=${fmt(r.envStepsPerS)} cpu_env_steps_per_s=${fmt(r.cpuEnvStepsPerS)}` +
          ` contacts_per_step=${r.contactsPerStep === null ? "n/a" : r.contactsPerStep.toFixed(2)}` +
          ` mujoco_env_steps_per_s=${mj ?? "n/a"} ratio=${mj === null ? "n/a" : (rate / mj).toFixed(2)} (${metric})`,
      );
    }
  }
  let workers: { count: number; scaling: number } | null = null;
  if (!values["no-workers"]) {
    // The trainer's port (time limit and auto-reset inside each thread's step), 16 hopper envs;
    // 4 s of warm-up, then 7 rounds of 2000-step runs, as `npm run bench:workers` reports.
    const s = await measureWorkerScaling({ task: "hopper", workers: [1, 2], warmupS: Math.max(4, warmupS), steps: 2000, reps: 7 });
    workers = { count: 2, scaling: s.scaling };
    if (!values.json) {
      console.log(`workers ${s.runs.map((run) => `${run.workers}: ${fmt(run.envStepsPerS)} env steps/s`).join(", ")} scaling=${s.scaling.toFixed(2)} (hopper, ${s.numEnvs} envs, load ${s.loadBefore.toFixed(2)} → ${s.loadAfter.toFixed(2)})`);
    }
  }
  console.error(`# load after="${loadavg().map((l) => l.toFixed(2)).join(" ")}"`);
  if (values.json) console.log(JSON.stringify({ robots: results, workers }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
