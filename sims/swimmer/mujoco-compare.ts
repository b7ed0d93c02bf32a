/**
 * The Rapier swimmer against MuJoCo 2.2.2's reference runs (test/fixtures/swimmer-mujoco.json,
 * recorded by test/fixtures/swimmer-mujoco.c from Gymnasium's swimmer.xml): used by
 * test/physics-swimmer.test.ts, and runnable for the figures:
 *
 *   node dist/sims/swimmer/mujoco-compare.js ['<ArticulationOptions as JSON>']
 *
 * Every run takes a robot description (default robots/swimmer) and articulation options, so
 * the tests can show that wrong settings (no fluid, another density) fail.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Articulation, type ArticulationOptions } from "../../src/physics/articulation.js";
import { initPhysics } from "../../src/physics/rapier.js";
import type { RobotDescription } from "../../src/robot/description.js";
import { loadRobot, packageRoot } from "../../src/robot/load.js";
import { Rng } from "../../src/util/rng.js";
import { createSwimmerTask } from "./task.js";

export interface MujocoSwimmerFixture {
  source: string;
  timestep: number;
  frame_skip: number;
  density: number;
  viscosity: number;
  fluid: {
    qpos: number[];
    qvel: number[];
    ctrl: number[];
    qacc: number[];
    qfrc_passive: number[];
    force: number[][];
    torque: number[][];
    qvel_20ms: number[];
    qvel_20ms_from_rest: number[];
  }[];
  gait: { env_steps: number; freq: number; phase: number; qpos: number[][]; qvel: number[][] };
  gaits: { env_steps: number; runs: { freq: number; phase: number; qpos: number[]; qpos_fine: number[] }[] };
  coast: { env_steps: number; qpos: number[][]; qvel: number[][] };
  random: { seed: number; return: number; qpos_every_100: number[][] }[];
}

export function loadSwimmerFixture(): MujocoSwimmerFixture {
  return JSON.parse(readFileSync(join(packageRoot(), "test", "fixtures", "swimmer-mujoco.json"), "utf8")) as MujocoSwimmerFixture;
}

export interface CompareSetup {
  robot?: RobotDescription;
  physics?: ArticulationOptions;
}

export interface TrajectoryError {
  /** Final displacement of the torso origin, ours and MuJoCo's (m). */
  distance: number;
  distanceMujoco: number;
  /** |ours − MuJoCo's| final position / MuJoCo's distance travelled. */
  finalPositionError: number;
  /** RMS over env steps of the position error (m), heading error and joint angle error (rad). */
  positionRms: number;
  headingRms: number;
  jointRms: number;
  /** RMS of the generalized velocity error / RMS of MuJoCo's generalized velocity. */
  velocityRelRms: number;
  /** Our qpos after every env step. */
  qpos: number[][];
}

/** Physics steps per Swimmer-v5 env step (0.04 s: MuJoCo's 0.01 × frame_skip 4) at the engine's timestep. */
export const envStep = (art: Articulation): number => Math.round(0.04 / art.timestep);

/** Runs env steps of `ctrl(k)` from (qpos0, qvel0) and compares with a recorded MuJoCo run. */
function runAgainst(setup: CompareSetup, qpos0: readonly number[], qvel0: readonly number[], ctrl: (k: number) => [number, number], ref: { qpos: number[][]; qvel: number[][] }): TrajectoryError {
  const desc = setup.robot ?? loadRobot("swimmer");
  const art = new Articulation(desc, setup.physics ?? {});
  const frameSkip = envStep(art);
  const qp = new Float64Array(art.nq);
  const qv = new Float64Array(art.nv);
  art.setState(qpos0, qvel0);
  const steps = ref.qpos.length - 1;
  const ours: number[][] = [];
  let pos2 = 0, head2 = 0, joint2 = 0, dv2 = 0, v2 = 0;
  for (let k = 0; k < steps; k++) {
    art.setControl(ctrl(k));
    art.step(frameSkip);
    art.readQpos(qp);
    art.readQvel(qv);
    ours.push([...qp]);
    const rq = ref.qpos[k + 1]!, rv = ref.qvel[k + 1]!;
    pos2 += (qp[0]! - rq[0]!) ** 2 + (qp[1]! - rq[1]!) ** 2;
    head2 += (qp[2]! - rq[2]!) ** 2;
    joint2 += ((qp[3]! - rq[3]!) ** 2 + (qp[4]! - rq[4]!) ** 2) / 2;
    for (let i = 0; i < 5; i++) {
      dv2 += (qv[i]! - rv[i]!) ** 2;
      v2 += rv[i]! ** 2;
    }
  }
  art.free();
  const first = ref.qpos[0]!, last = ref.qpos[steps]!, mine = ours[steps - 1]!;
  const distanceMujoco = Math.hypot(last[0]! - first[0]!, last[1]! - first[1]!);
  return {
    distance: Math.hypot(mine[0]! - first[0]!, mine[1]! - first[1]!),
    distanceMujoco,
    finalPositionError: Math.hypot(mine[0]! - last[0]!, mine[1]! - last[1]!) / distanceMujoco,
    positionRms: Math.sqrt(pos2 / steps),
    headingRms: Math.sqrt(head2 / steps),
    jointRms: Math.sqrt(joint2 / steps),
    velocityRelRms: Math.sqrt(dv2 / v2),
    qpos: ours,
  };
}

/**
 * Mean generalized acceleration over 20 ms from each of the fixture's random states (20 physics
 * steps of 1 ms, the state's ctrl), against MuJoCo's 20 RK4 steps of 1 ms: the relative RMS
 * error over all states and DoFs. Checks inertia, armature, actuation, the velocity terms and
 * the fluid forces together (one step alone would miss the centripetal terms, which a
 * velocity-level solver applies through the joints' position correction, one step late).
 * `fromRest`: the same states at zero velocity (inertia, armature and motors only).
 */
export function accelerationError(setup: CompareSetup, ref: MujocoSwimmerFixture["fluid"], fromRest = false): number {
  const base = setup.robot ?? loadRobot("swimmer");
  const h = 1e-3, n = 20;
  const desc: RobotDescription = { ...base, physics: { ...base.physics, timestep: h, substeps: 1 } };
  const art = new Articulation(desc, { pgsIterations: 30, ...setup.physics, substeps: 1 });
  const qv = new Float64Array(art.nv);
  let e2 = 0, n2 = 0;
  const zero = new Float64Array(art.nv);
  for (const s of ref) {
    const v0 = fromRest ? zero : s.qvel;
    const v1 = fromRest ? s.qvel_20ms_from_rest : s.qvel_20ms;
    art.setState(s.qpos, v0);
    art.setControl(s.ctrl);
    art.step(n);
    art.readQvel(qv);
    for (let i = 0; i < art.nv; i++) {
      e2 += (qv[i]! - v1[i]!) ** 2;
      n2 += (v1[i]! - v0[i]!) ** 2;
    }
  }
  art.free();
  return Math.sqrt(e2 / n2);
}

export interface GaitsError {
  /** Σ|final position error| / Σ MuJoCo's distance, over the gaits. */
  position: number;
  /** Mean |final heading error| (rad). */
  heading: number;
  /** The same for MuJoCo at timestep 0.001 against MuJoCo at 0.01 (the reference's own spread). */
  positionFine: number;
  headingFine: number;
  count: number;
}

/** The fixture's 36 open-loop gaits of 250 env steps: final position and heading errors. */
export function gaitsError(setup: CompareSetup, ref: MujocoSwimmerFixture["gaits"]): GaitsError {
  const desc = setup.robot ?? loadRobot("swimmer");
  const art = new Articulation(desc, setup.physics ?? {});
  const qp = new Float64Array(art.nq);
  const zero = new Float64Array(art.nv);
  const ctrl = new Float64Array(2);
  let dp = 0, dist = 0, dh = 0, dpFine = 0, dhFine = 0;
  for (const g of ref.runs) {
    art.setState(desc.qpos0, zero);
    const w = 2 * Math.PI * g.freq;
    for (let k = 0; k < ref.env_steps; k++) {
      ctrl[0] = Math.sin(w * k * 0.04);
      ctrl[1] = Math.sin(w * k * 0.04 + g.phase);
      art.setControl(ctrl);
      art.step(envStep(art));
    }
    art.readQpos(qp);
    const q = g.qpos, f = g.qpos_fine;
    dp += Math.hypot(qp[0]! - q[0]!, qp[1]! - q[1]!);
    dist += Math.hypot(q[0]!, q[1]!);
    dh += Math.abs(qp[2]! - q[2]!);
    dpFine += Math.hypot(f[0]! - q[0]!, f[1]! - q[1]!);
    dhFine += Math.abs(f[2]! - q[2]!);
  }
  art.free();
  const n = ref.runs.length;
  return { position: dp / dist, heading: dh / n, positionFine: dpFine / dist, headingFine: dhFine / n, count: n };
}

/** The open-loop gait: ctrl = (sin 2πft, sin(2πft + phase)) from qpos0 at rest. */
export function gaitError(setup: CompareSetup, ref: MujocoSwimmerFixture["gait"]): TrajectoryError {
  const w = 2 * Math.PI * ref.freq;
  return runAgainst(setup, ref.qpos[0]!, ref.qvel[0]!, (k) => [Math.sin(w * k * 0.04), Math.sin(w * k * 0.04 + ref.phase)], ref);
}

/** Coasting under zero control from a moving state. */
export function coastError(setup: CompareSetup, ref: MujocoSwimmerFixture["coast"]): TrajectoryError {
  return runAgainst(setup, ref.qpos[0]!, ref.qvel[0]!, () => [0, 0], ref);
}

/**
 * Swimmer-v5 returns of 1000 uniform random actions per seed through the task (same reset
 * noise and actions as the fixture's `random` runs), and the final torso positions.
 */
export async function randomReturns(setup: CompareSetup, seeds: readonly number[]): Promise<{ returns: number[]; finalQpos: number[][] }> {
  const task = await createSwimmerTask({ ...(setup.robot ? { robot: setup.robot } : {}), ...(setup.physics ? { physics: setup.physics } : {}) });
  const returns: number[] = [];
  const finalQpos: number[][] = [];
  const obs = new Float32Array(task.spec.observation.names.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  const action = new Float32Array(2);
  const xIndex = task.spec.metrics.indexOf("x_position");
  for (const seed of seeds) {
    const inst = task.createInstance();
    const rng = new Rng(seed);
    inst.reset(rng, obs);
    let ret = 0;
    for (let k = 0; k < 1000; k++) {
      action[0] = rng.range(-1, 1);
      action[1] = rng.range(-1, 1);
      ret += inst.step(action, obs, metrics);
    }
    returns.push(ret);
    finalQpos.push([metrics[xIndex]!, ...obs.slice(0, 3)]);
    inst.free();
  }
  return { returns, finalQpos };
}

async function main(): Promise<void> {
  await initPhysics();
  const physics = process.argv[2] ? (JSON.parse(process.argv[2]) as ArticulationOptions) : {};
  const ref = loadSwimmerFixture();
  const fmt = (e: TrajectoryError): string =>
    `distance ${e.distance.toFixed(3)} m (MuJoCo ${e.distanceMujoco.toFixed(3)}), final position error ${(e.finalPositionError * 100).toFixed(2)}% of it,` +
    ` position RMS ${(e.positionRms * 1000).toFixed(1)} mm, heading RMS ${(e.headingRms * 1000).toFixed(1)} mrad,` +
    ` joint RMS ${(e.jointRms * 1000).toFixed(1)} mrad, qvel RMS error ${(e.velocityRelRms * 100).toFixed(2)}%`;
  console.log(
    `mean acceleration over 20 ms, relative RMS error: ${(accelerationError({ physics }, ref.fluid) * 100).toFixed(2)}%` +
      ` (from rest: ${(accelerationError({ physics }, ref.fluid, true) * 100).toFixed(3)}%)`,
  );
  const g = gaitsError({ physics }, ref.gaits);
  console.log(
    `${g.count} gaits of ${ref.gaits.env_steps} env steps: final position error ${(g.position * 100).toFixed(1)}% of the distance,` +
      ` heading ${(g.heading * 1000).toFixed(0)} mrad (MuJoCo at 1 ms: ${(g.positionFine * 100).toFixed(1)}%, ${(g.headingFine * 1000).toFixed(0)} mrad)`,
  );
  console.log(`gait (${ref.gait.env_steps} env steps): ${fmt(gaitError({ physics }, ref.gait))}`);
  console.log(`coast (${ref.coast.env_steps} env steps): ${fmt(coastError({ physics }, ref.coast))}`);
  const r = await randomReturns({ physics }, ref.random.map((x) => x.seed));
  console.log(`random actions, returns: ${r.returns.map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`                 MuJoCo: ${ref.random.map((x) => x.return.toFixed(2)).join(" ")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
