/**
 * Compares a Rapier planar locomotion robot (hopper, walker2d) with MuJoCo 2.2.2 running the
 * Gymnasium MJCF, from reference runs recorded in test/fixtures/<robot>-mujoco.json (generated
 * by test/fixtures/<robot>-mujoco.c; both fixtures share this layout):
 *
 *   zero   zero-action episode lengths, seeds 0..N-1, the same reset noise as MuJoCo's runs
 *          (locomote's Rng, the task's health rule): mean, per-seed mean |difference|, share of
 *          falls backwards (pitch at or below the healthy angle range's lower end).
 *   rate   growth rate (1/s) of the zero-action fall, mean over seeds: ln(|pitch(t2)/pitch(t1)|)
 *          / (t2 − t1), t1/t2 the first env steps with |pitch| ≥ 0.03 / 0.15. It measures the
 *          falling mode (inertias, armature, damping, foot contact); the length also depends on
 *          the kick the landing gives (contact and limit softness).
 *   stand  from rest with the feet on the ground and a small backwards lean, zero action: growth
 *          rate of the fall as above and the pitch halfway through MuJoCo's run. Free of the landing kick.
 *   drop   passive drop from qpos0 (300 physics steps): RMS error of torso height (mm) and of
 *          pitch + joint angles (mrad), the same at the last step, the settled height (mean over
 *          physics steps 100–150, after the landing and before a fall grows), the height at the
 *          last step and the landing dip (lowest torso height).
 *   open   open-loop periodic torques from qpos0: first env step at which any of height, pitch
 *          or joint angles differs by more than 0.05 (m or rad).
 *   1step  one env step from each MuJoCo state of the open-loop run (k < 100): RMS over k of
 *          |Δqvel_rapier − Δqvel_mujoco| / RMS |Δqvel_mujoco| (local dynamics, free of chaos),
 *          split into steps with and without contact in MuJoCo (before or after the step).
 *   rand   200 episodes under uniform random actions, one Rng(11) stream for reset noise and
 *          actions as in MuJoCo's run: mean length and per-episode mean |difference|.
 *   speed  task env steps per CPU second (quick: 2 s warm-up, 6000 steps; bench:sim is the
 *          reference protocol).
 *
 * The per-robot command lines are sims/<robot>/mujoco-compare.ts (`compareMain`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Articulation, type ArticulationOptions } from "../physics/articulation.js";
import { initPhysics } from "../physics/rapier.js";
import { loadRobot, packageRoot } from "../robot/load.js";
import { Rng } from "../util/rng.js";
import { createPlanarLocomotionTask, type PlanarLocomotionConfig } from "./planar-locomotion.js";

/** test/fixtures/<robot>-mujoco.json. Vectors have nq (qpos, qvel) or nu (ctrl, bias, ...) entries. */
export interface MujocoPlanarFixture {
  source: string;
  timestep: number;
  frame_skip: number;
  drop: { steps: number; qpos: number[][]; qvel: number[][] };
  openloop: {
    env_steps: number;
    bias: number[];
    amp: number[];
    phase: number[];
    freq: number;
    ctrl: number[][];
    qpos: number[][];
    qvel: number[][];
    ncon: number[];
  };
  zero_action_lengths: number[];
  zero_action_rates: number[];
  random_action_lengths: number[];
  standing_fall: { qpos0: number[]; rate: number; pitch: number[] };
}

/** Reads test/fixtures/<robot>-mujoco.json. */
export function loadMujocoFixture(robot: string): MujocoPlanarFixture {
  return JSON.parse(readFileSync(join(packageRoot(), "test", "fixtures", `${robot}-mujoco.json`), "utf8")) as MujocoPlanarFixture;
}

export interface DropError {
  /** RMS over the run of the torso height error (m) and of pitch + joint angle errors (rad). */
  zRms: number;
  angleRms: number;
  /** Errors at the last step. */
  zEnd: number;
  angleEnd: number;
  /** Torso height at the last step and lowest torso height, Rapier then MuJoCo (m). */
  zRest: number;
  zRestMujoco: number;
  /** Mean torso height over physics steps 100–150: settled after the landing, before a fall grows. */
  zSettled: number;
  zSettledMujoco: number;
  zMin: number;
  zMinMujoco: number;
  /** Per-step Rapier qpos (for traces). */
  qpos: number[][];
}

/** a / b as a whole number (engine and MuJoCo steps must line up). */
function stepRatio(a: number, b: number): number {
  const n = Math.round(a / b);
  if (n < 1 || Math.abs(n * b - a) > 1e-9 * a) throw new Error(`time step ${a} is not a multiple of ${b}`);
  return n;
}

/** MuJoCo physics steps over which the drop's settled height is averaged. */
const SETTLED_FROM = 100;
const SETTLED_TO = 150;

/**
 * Passive drop from qpos0 with zero action, compared with MuJoCo at every engine step (every
 * `art.timestep / refTimestep`-th MuJoCo step when the engine's timestep is a multiple of it).
 */
export function dropError(robot: string, options: ArticulationOptions, ref: MujocoPlanarFixture["drop"], refTimestep = 0.002): DropError {
  const art = new Articulation(loadRobot(robot), options);
  const every = stepRatio(art.timestep, refTimestep);
  const nq = art.nq;
  const q = new Float64Array(nq);
  art.setState(ref.qpos[0]!, ref.qvel[0]!);
  art.setControl(new Float64Array(art.nu));
  let z2 = 0, a2 = 0, zEnd = 0, aEnd = 0, zMin = Infinity, zMinMujoco = Infinity, zs = 0, zsMujoco = 0, ns = 0;
  const traj: number[][] = [];
  let n = 0;
  for (let s = 0; s <= ref.steps; s += every) {
    if (s > 0) art.step(1);
    n++;
    art.readQpos(q);
    traj.push([...q]);
    const r = ref.qpos[s]!;
    const ez = q[1]! - r[1]!;
    let ea = 0;
    for (let i = 2; i < nq; i++) ea += (q[i]! - r[i]!) ** 2;
    z2 += ez * ez;
    a2 += ea / (nq - 2);
    zEnd = Math.abs(ez);
    aEnd = Math.sqrt(ea / (nq - 2));
    zMin = Math.min(zMin, q[1]!);
    zMinMujoco = Math.min(zMinMujoco, r[1]!);
    if (s >= SETTLED_FROM && s <= SETTLED_TO) {
      zs += q[1]!;
      zsMujoco += r[1]!;
      ns++;
    }
  }
  art.free();
  return {
    zRms: Math.sqrt(z2 / n),
    angleRms: Math.sqrt(a2 / n),
    zEnd,
    angleEnd: aEnd,
    zRest: traj[traj.length - 1]![1]!,
    zRestMujoco: ref.qpos[ref.steps]![1]!,
    zSettled: zs / ns,
    zSettledMujoco: zsMujoco / ns,
    zMin,
    zMinMujoco,
    qpos: traj,
  };
}

export interface OpenLoopError {
  /** First env step at which height, pitch or a joint angle differs by more than 0.05. */
  divergence: number;
  /** RMS relative error of the per-env-step velocity change from MuJoCo's states. */
  oneStep: number;
  /** The same over steps with contact (in MuJoCo, before or after the step) and without. */
  oneStepContact: number;
  oneStepAir: number;
  qpos: number[][];
}

export function openLoopError(robot: string, options: ArticulationOptions, ref: MujocoPlanarFixture["openloop"], oneStepUntil = 100, envDt = 0.008): OpenLoopError {
  const art = new Articulation(loadRobot(robot), options);
  const frameSkip = stepRatio(envDt, art.timestep);
  const nq = art.nq;
  const q = new Float64Array(nq);
  const v = new Float64Array(art.nv);
  art.setState(ref.qpos[0]!, ref.qvel[0]!);
  let divergence = ref.env_steps;
  const traj: number[][] = [];
  for (let k = 0; k < ref.env_steps; k++) {
    art.setControl(ref.ctrl[k]!);
    art.step(frameSkip);
    art.readQpos(q);
    traj.push([...q]);
    const r = ref.qpos[k + 1]!;
    let e = 0;
    for (let i = 1; i < nq; i++) e = Math.max(e, Math.abs(q[i]! - r[i]!));
    if (e > 0.05 && divergence === ref.env_steps) divergence = k + 1;
  }
  const num = [0, 0], den = [0, 0];
  for (let k = 0; k < Math.min(oneStepUntil, ref.env_steps); k++) {
    const c = ref.ncon[k]! > 0 || ref.ncon[k + 1]! > 0 ? 1 : 0;
    art.setState(ref.qpos[k]!, ref.qvel[k]!);
    art.readQvel(v);
    const v0 = [...v];
    art.setControl(ref.ctrl[k]!);
    art.step(frameSkip);
    art.readQvel(v);
    const r0 = ref.qvel[k]!, r1 = ref.qvel[k + 1]!;
    for (let i = 0; i < v.length; i++) {
      const dr = r1[i]! - r0[i]!;
      num[c]! += (v[i]! - v0[i]! - dr) ** 2;
      den[c]! += dr * dr;
    }
  }
  art.free();
  return {
    divergence,
    oneStep: Math.sqrt((num[0]! + num[1]!) / (den[0]! + den[1]!)),
    oneStepContact: Math.sqrt(num[1]! / den[1]!),
    oneStepAir: Math.sqrt(num[0]! / den[0]!),
    qpos: traj,
  };
}

export interface StandingFall {
  rate: number;
  /** Pitch after each env step (until |pitch| > 0.3 or 400 steps). */
  pitch: number[];
}

/** Growth-rate thresholds on |pitch| (see the header). */
const RATE_FROM = 0.03;
const RATE_TO = 0.15;

/** Zero-action fall from rest with the feet on the ground (see the header). */
export function standingFall(robot: string, options: ArticulationOptions, qpos0: readonly number[], envDt = 0.008): StandingFall {
  const art = new Articulation(loadRobot(robot), options);
  const frameSkip = stepRatio(envDt, art.timestep);
  art.setState(qpos0, new Float64Array(art.nv));
  art.setControl(new Float64Array(art.nu));
  const q = new Float64Array(art.nq);
  const dt = art.timestep * frameSkip;
  const pitch: number[] = [];
  let t1 = 0, t2 = 0, p1 = 0, p2 = 0;
  for (let t = 0; t < 400; t++) {
    art.step(frameSkip);
    art.readQpos(q);
    const p = Math.abs(q[2]!);
    pitch.push(q[2]!);
    if (!t1 && p >= RATE_FROM) { t1 = t; p1 = p; }
    if (!t2 && p >= RATE_TO) { t2 = t; p2 = p; }
    if (p > 0.3) break;
  }
  art.free();
  return { rate: t2 > t1 && t1 ? Math.log(p2 / p1) / ((t2 - t1) * dt) : 0, pitch };
}

export interface EpisodeStats {
  lengths: number[];
  mean: number;
  /** Share of episodes that ended with the pitch at or below the healthy range (falling backwards). */
  backwards: number;
  /** Growth rate of the fall per episode (see the header; 0 when not measurable). */
  rates: number[];
}

/** Zero-action (or random-action, with `actionRng`) episodes through the task. */
export async function episodes(config: PlanarLocomotionConfig, options: ArticulationOptions, seeds: number, actionRng?: Rng): Promise<EpisodeStats> {
  const task = await createPlanarLocomotionTask(config, { physics: options });
  const inst = task.createInstance();
  const obs = new Float32Array(task.spec.observation.names.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  const nu = task.spec.action.names.length;
  const action = new Float32Array(nu);
  const dt = task.spec.dt;
  const backLimit = config.healthyAngleRange?.[0] ?? -Infinity;
  const lengths: number[] = [];
  const rates: number[] = [];
  let back = 0;
  for (let seed = 0; seed < seeds; seed++) {
    inst.reset(actionRng ?? new Rng(seed), obs);
    let t = 1, t1 = 0, t2 = 0, p1 = 0, p2 = 0;
    for (; t <= config.maxEpisodeSteps; t++) {
      if (actionRng) for (let i = 0; i < nu; i++) action[i] = actionRng.range(-1, 1);
      inst.step(action, obs, metrics);
      const p = Math.abs(obs[1]!);
      if (!t1 && p >= RATE_FROM) { t1 = t; p1 = p; }
      if (!t2 && p >= RATE_TO) { t2 = t; p2 = p; }
      if (inst.terminated) break;
    }
    lengths.push(Math.min(t, config.maxEpisodeSteps));
    rates.push(t1 && t2 > t1 ? Math.log(p2 / p1) / ((t2 - t1) * dt) : 0);
    if (obs[1]! <= backLimit) back++;
  }
  inst.free();
  return { lengths, mean: lengths.reduce((a, b) => a + b, 0) / seeds, backwards: back / seeds, rates };
}

/** Task env steps per CPU second under random actions (no resets), after a warm-up. */
export async function quickSpeed(config: PlanarLocomotionConfig, options: ArticulationOptions, steps = 6000, warmupS = 2): Promise<number> {
  const task = await createPlanarLocomotionTask(config, { physics: options });
  const obs = new Float32Array(task.spec.observation.names.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  const action = new Float32Array(task.spec.action.names.length);
  const run = (n: number): void => {
    const inst = task.createInstance();
    const rng = new Rng(1);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < action.length; i++) action[i] = rng.range(-1, 1);
      inst.step(action, obs, metrics);
    }
    inst.free();
  };
  const end = performance.now() + warmupS * 1000;
  while (performance.now() < end) run(1000);
  const c0 = process.cpuUsage();
  run(steps);
  const c = process.cpuUsage(c0);
  return steps / ((c.user + c.system) / 1e6);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean of the measurable (positive) growth rates. */
export function meanRate(rates: readonly number[]): number {
  return mean(rates.filter((x) => x > 0));
}

/**
 * The comparison command line for one task:
 *   node dist/sims/<robot>/mujoco-compare.js [--physics '<ArticulationOptions JSON>'] [--seeds 50]
 *        [--label text] [--no-speed] [--trace drop|open]
 */
export async function compareMain(config: PlanarLocomotionConfig, argv: string[]): Promise<void> {
  let physics: ArticulationOptions = {};
  let seeds = 50;
  let label = "";
  let speed = true;
  let trace = "";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--physics") physics = JSON.parse(argv[++i]!) as ArticulationOptions;
    else if (a === "--seeds") seeds = Number(argv[++i]);
    else if (a === "--label") label = argv[++i]!;
    else if (a === "--no-speed") speed = false;
    else if (a === "--trace") trace = argv[++i]!;
    else throw new Error(`unknown option ${a}`);
  }
  await initPhysics();
  const robot = config.robot;
  const ref = loadMujocoFixture(robot);
  const envDt = ref.timestep * ref.frame_skip;
  const mjLengths = ref.zero_action_lengths.slice(0, seeds);
  const mjMean = mean(mjLengths);
  const mjRate = meanRate(ref.zero_action_rates.slice(0, seeds));

  const zero = await episodes(config, physics, seeds);
  const perSeed = zero.lengths.reduce((s, l, i) => s + Math.abs(l - mjLengths[i]!), 0) / seeds;
  const drop = dropError(robot, physics, ref.drop, ref.timestep);
  const stand = standingFall(robot, physics, ref.standing_fall.qpos0, envDt);
  const open = openLoopError(robot, physics, ref.openloop, 100, envDt);
  const rand = await episodes(config, physics, ref.random_action_lengths.length, new Rng(11));
  const mjRandL = ref.random_action_lengths;
  const randDiff = rand.lengths.reduce((s, l, i) => s + Math.abs(l - mjRandL[i]!), 0) / rand.lengths.length;
  const sps = speed ? await quickSpeed(config, physics) : Number.NaN;

  if (trace === "drop") {
    const every = Math.round(ref.drop.steps / (drop.qpos.length - 1));
    for (let k = 0; k < drop.qpos.length; k += Math.max(1, Math.round(10 / every))) {
      const s = k * every;
      const q = drop.qpos[k]!, r = ref.drop.qpos[s]!;
      console.log(`${s} rapier ${q.slice(1).map((x) => x.toFixed(4)).join(" ")} | mujoco ${r.slice(1).map((x) => x.toFixed(4)).join(" ")}`);
    }
  } else if (trace === "open") {
    for (let k = 0; k < ref.openloop.env_steps; k += 5) {
      const q = open.qpos[k]!, r = ref.openloop.qpos[k + 1]!;
      console.log(`${k + 1} rapier ${q.slice(1).map((x) => x.toFixed(3)).join(" ")} | mujoco ${r.slice(1).map((x) => x.toFixed(3)).join(" ")}`);
    }
  }
  const f = (x: number, d = 1): string => x.toFixed(d);
  const at = Math.floor((ref.standing_fall.pitch.length - 1) / 2);
  console.log(
    `${label || JSON.stringify(physics)}: zero ${f(zero.mean)} (mujoco ${f(mjMean)}, |Δ|/seed ${f(perSeed)}, back ${f(zero.backwards * 100, 0)}%)` +
      ` | rate ${f(meanRate(zero.rates), 2)} (mujoco ${f(mjRate, 2)})` +
      ` | stand ${f(stand.rate, 2)} (mujoco ${f(ref.standing_fall.rate, 2)}), pitch@${at + 1} ${f(stand.pitch[at] ?? Number.NaN, 3)} (${f(ref.standing_fall.pitch[at]!, 3)})` +
      ` | drop z ${f(drop.zRms * 1000, 2)} mm, ang ${f(drop.angleRms * 1000, 2)} mrad (end ${f(drop.zEnd * 1000, 2)} mm, ${f(drop.angleEnd * 1000, 1)} mrad)` +
      `, settled ${f(drop.zSettled, 4)} (${f(drop.zSettledMujoco, 4)}), end ${f(drop.zRest, 4)} (${f(drop.zRestMujoco, 4)}), dip ${f(drop.zMin, 4)} (${f(drop.zMinMujoco, 4)})` +
      ` | open div ${open.divergence} | 1step ${f(open.oneStep * 100, 0)}% (contact ${f(open.oneStepContact * 100, 0)}%, air ${f(open.oneStepAir * 100, 0)}%)` +
      ` | rand ${f(rand.mean)} (mujoco ${f(mean(mjRandL), 1)}, |Δ|/ep ${f(randDiff)}) | ${f(sps, 0)} steps/s`,
  );
}
