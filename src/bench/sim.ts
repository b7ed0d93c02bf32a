/**
 * Simulation speed benchmark, same protocol as ../shared/bench/mujoco/run.sh:
 * start from the initial pose (qpos0, zero velocity), each env step draws a uniform random
 * action inside the action box and holds it for frame_skip physics steps, no resets and no
 * termination; an untimed warm-up, then REPS timed repetitions of the identical sequence,
 * median reported. Rapier's wasm runs in V8's baseline tier for the first seconds, so the
 * warm-up lasts at least `--warmup-s` seconds.
 *
 * Reports env steps/s of the full task step (physics + observation + reward) and of the bare
 * articulation (physics only), both per wall second and per CPU second of this process
 * (robust when other processes share the cores), plus contacts per physics step counted in
 * a separate untimed pass over the same sequence.
 *
 *   node dist/src/bench/sim.js [--steps 12000] [--reps 3] [--seed 1] [--warmup-s 3]
 *                              [--solver-iterations N] [--pgs-iterations N] [--substeps N]
 *                              [--armature joint_motor|child_inertia] [--limits soft|hard]
 *                              [--physics '<ArticulationOptions as JSON>']
 *
 * --physics takes any ArticulationOptions (e.g. '{"solver":{"stabilizationIterations":1}}');
 * the other physics flags override single fields. Measured on this machine with the defaults
 * (30 PGS iterations, MuJoCo-like contacts and soft limits; see src/physics/articulation.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createHopperTask } from "../../sims/hopper/task.js";
import { Articulation, type ArticulationOptions } from "../physics/articulation.js";
import { PHYSICS_BUILD } from "../physics/rapier.js";
import { loadRobot } from "../robot/load.js";
import type { TaskInstance } from "../sim/task.js";
import { Rng } from "../util/rng.js";
import { findPackageRoot } from "../util/package-root.js";
import { measureWorkerScaling } from "./workers.js";

/**
 * MuJoCo's env steps/s for `robot` from ../shared/bench/mujoco/run.sh, measured now, or null
 * when the script is absent or cannot run (it installs libmujoco-dev with apt when missing).
 */
function mujocoEnvStepsPerS(robot: string): number | null {
  const script = join(findPackageRoot(), "..", "shared", "bench", "mujoco", "run.sh");
  if (!existsSync(script)) return null;
  const r = spawnSync("bash", [script], { env: { ...process.env, ROBOTS: robot }, encoding: "utf8", timeout: 300_000 });
  const m = /env_steps_per_s=(\d+)/.exec(r.stdout ?? "");
  return r.status === 0 && m ? Number(m[1]) : null;
}

interface Options {
  steps: number;
  reps: number;
  seed: number;
  warmupS: number;
  physics: ArticulationOptions;
  /** Print one JSON object (issue 3's shape), with MuJoCo's figure and the worker scaling. */
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { steps: 12000, reps: 3, seed: 1, warmupS: 3, physics: {}, json: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (key === "--json") {
      opts.json = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${key}: missing value`);
    const num = Number(value);
    switch (key) {
      case "--steps": opts.steps = num; break;
      case "--reps": opts.reps = num; break;
      case "--seed": opts.seed = num; break;
      case "--warmup-s": opts.warmupS = num; break;
      case "--solver-iterations": opts.physics.solverIterations = num; break;
      case "--pgs-iterations": opts.physics.pgsIterations = num; break;
      case "--substeps": opts.physics.substeps = num; break;
      case "--physics": opts.physics = { ...opts.physics, ...(JSON.parse(value) as ArticulationOptions) }; break;
      case "--limits":
        if (value !== "soft" && value !== "hard") throw new Error(`--limits: expected soft or hard, got "${value}"`);
        opts.physics.limitModel = value;
        break;
      case "--armature":
        if (value !== "joint_motor" && value !== "child_inertia") throw new Error(`--armature: expected joint_motor or child_inertia, got "${value}"`);
        opts.physics.armatureModel = value;
        break;
      default: throw new Error(`unknown option ${key}`);
    }
    i++;
  }
  return opts;
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

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const task = await createHopperTask({ physics: opts.physics });
  const desc = loadRobot("hopper");
  const frameSkip = Math.round(task.spec.dt / desc.physics.timestep);
  const actDim = task.spec.action.names.length;
  const low = task.spec.action.low;
  const high = task.spec.action.high;
  const obsDim = task.spec.observation.names.length;

  // Full env step through the task; a fresh instance starts at qpos0 with zero velocity.
  const action = new Float32Array(actDim);
  const obs = new Float32Array(obsDim);
  const metrics = new Float32Array(task.spec.metrics.length);
  const runTask = (inst: TaskInstance, n: number): void => {
    const rng = new Rng(opts.seed);
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < actDim; k++) action[k] = rng.range(low[k]!, high[k]!);
      inst.step(action, obs, metrics);
    }
  };
  const art = new Articulation(desc, opts.physics);
  const qpos = new Float64Array(art.nq);
  const qvel = new Float64Array(art.nv);
  const ctrl = new Float64Array(art.nu);
  const runPhysics = (n: number, countContacts: boolean): number => {
    art.setState(desc.qpos0, new Float64Array(art.nv));
    const rng = new Rng(opts.seed);
    let contacts = 0;
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < actDim; k++) ctrl[k] = rng.range(low[k]!, high[k]!);
      art.setControl(ctrl);
      if (countContacts) {
        for (let f = 0; f < frameSkip; f++) {
          art.step(1);
          contacts += art.contactCount();
        }
      } else art.step(frameSkip);
      art.readQpos(qpos);
      art.readQvel(qvel);
    }
    return contacts;
  };

  // Warm-up: at least a quarter run and `warmupS` seconds of each loop.
  const warmEnd = performance.now() + opts.warmupS * 1000;
  do {
    const inst = task.createInstance();
    runTask(inst, Math.max(1, opts.steps >> 2));
    inst.free();
    runPhysics(Math.max(1, opts.steps >> 2), false);
  } while (performance.now() < warmEnd);

  const taskTimes: Timing[] = [];
  const physTimes: Timing[] = [];
  for (let r = 0; r < opts.reps; r++) {
    const inst = task.createInstance(); // starts at qpos0 with zero velocity
    taskTimes.push(timed(() => runTask(inst, opts.steps)));
    inst.free();
    physTimes.push(timed(() => runPhysics(opts.steps, false)));
  }
  const contacts = runPhysics(opts.steps, true);
  art.free();

  const rate = (ts: Timing[], k: "wall" | "cpu"): number => opts.steps / median(ts.map((t) => t[k]));
  const fmt = (x: number): string => Math.round(x).toString();
  const load = (await import("node:os")).loadavg().map((l) => l.toFixed(2)).join(" ");
  console.error(`# ${PHYSICS_BUILD} hopper frame_skip=${frameSkip} steps=${opts.steps} reps=${opts.reps} physics=${JSON.stringify(opts.physics)} load="${load}"`);
  if (opts.json) {
    const envRate = rate(taskTimes, "wall");
    const mujoco = mujocoEnvStepsPerS("hopper");
    const scaling = await measureWorkerScaling({ task: "hopper", workers: [1, 2] });
    const out = {
      robots: {
        hopper: {
          env_steps_per_s: Math.round(envRate),
          contacts_per_step: contacts / (opts.steps * frameSkip),
          mujoco_env_steps_per_s: mujoco,
          ratio: mujoco === null ? null : envRate / mujoco,
        },
      },
      workers: { count: 2, scaling: scaling.scaling },
    };
    console.log(JSON.stringify(out));
    return;
  }
  console.log(
    `hopper env_steps_per_s=${fmt(rate(taskTimes, "wall"))} cpu_env_steps_per_s=${fmt(rate(taskTimes, "cpu"))}` +
      ` physics_only_env_steps_per_s=${fmt(rate(physTimes, "wall"))} cpu_physics_only_env_steps_per_s=${fmt(rate(physTimes, "cpu"))}` +
      ` physics_steps_per_s=${fmt(rate(taskTimes, "wall") * frameSkip)} contacts_per_physics_step=${(contacts / (opts.steps * frameSkip)).toFixed(2)}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
