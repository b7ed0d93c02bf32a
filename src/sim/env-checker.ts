/**
 * Env checker: the properties every simulated task must have, checked through the same port
 * the trainer uses (SimPort → TimeLimit → AutoReset). Returns a list of problems (empty when
 * the task passes) so tests and tools can print all of them at once.
 *
 * - the spec is consistent (dims, names, bounds) and, for a robot with a description, its
 *   action names are the actuated joints and its observation names are known coordinates;
 * - the same seed gives identical resets and trajectories, and a different seed does not;
 * - random actions for `steps` steps (with resets) produce no NaN/Inf in observations,
 *   rewards or metrics;
 * - observed joint positions stay within their URDF limits plus `limitTolerance` (rad);
 * - the robot's total mass matches the expected figure when one is given.
 */
import { assertBoxSpec } from "../port/spec.js";
import { AutoReset } from "../port/wrappers/auto-reset.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import type { RobotDescription } from "../robot/description.js";
import { coordinateNames, totalMass, velocityNames } from "../robot/description.js";
import { Rng } from "../util/rng.js";
import { SimPort } from "./sim-port.js";
import type { TaskDefinition } from "./task.js";

export interface EnvCheckOptions {
  /** Random-action steps per env for the NaN and limit checks (default 10,000 in total). */
  steps?: number;
  numEnvs?: number;
  /** Allowed excursion beyond a joint limit, in the joint's unit (default 0.15: MuJoCo's limits are soft too). */
  limitTolerance?: number;
  /** Robot description, for the spec, limit and mass checks. */
  robot?: RobotDescription;
  /** Expected total mass (kg), checked to 1e-3. */
  expectedMass?: number;
}

export function checkEnv(task: TaskDefinition, options: EnvCheckOptions = {}): string[] {
  const problems: string[] = [];
  const { spec } = task;
  try {
    assertBoxSpec(spec.observation, "observation");
    assertBoxSpec(spec.action, "action");
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (spec.actuators.length !== spec.action.names.length) {
    problems.push(`spec: ${spec.actuators.length} actuators for ${spec.action.names.length} actions`);
  }
  if (!(spec.dt > 0)) problems.push(`spec.dt: expected > 0, got ${spec.dt}`);

  const robot = options.robot;
  const limits = new Map<number, [number, number]>();
  if (robot) {
    const actuated = robot.actuators.map((a) => a.joint);
    if (JSON.stringify(actuated) !== JSON.stringify(spec.action.names)) {
      problems.push(`action names ${JSON.stringify(spec.action.names)} are not the actuated joints ${JSON.stringify(actuated)}`);
    }
    const coords = new Set(coordinateNames(robot));
    const velocities = new Set(velocityNames(robot)); // differ for a floating root
    spec.observation.names.forEach((name, i) => {
      const [coord, kind] = name.split(".");
      if (!coord || !(kind === "position" ? coords : velocities).has(coord) || (kind !== "position" && kind !== "velocity")) {
        problems.push(`observation.names[${i}]: "${name}" is not <coordinate>.position|velocity of ${robot.name}`);
        return;
      }
      const joint = robot.joints.find((j) => j.name === coord);
      if (kind === "position" && joint?.limit) limits.set(i, [joint.limit.lower, joint.limit.upper]);
    });
    if (options.expectedMass !== undefined) {
      const m = totalMass(robot);
      if (Math.abs(m - options.expectedMass) > 1e-3) problems.push(`total mass ${m.toFixed(4)} kg, expected ${options.expectedMass}`);
    }
  }

  // Determinism: two ports with the same seed, one with another seed.
  const trace = (seed: number, n: number): Float32Array => {
    const port = new AutoReset(new TimeLimit(new SimPort(task, { numEnvs: 2, seed }), task.maxEpisodeSteps));
    const rng = new Rng(12345);
    const od = spec.observation.names.length;
    const out = new Float32Array(n * (2 * od + 2));
    port.resetAll();
    for (let t = 0; t < n; t++) {
      fillRandom(port.buffers.action, spec.action.low, spec.action.high, rng);
      port.step();
      out.set(port.buffers.obs, t * (2 * od + 2));
      out.set(port.buffers.reward, t * (2 * od + 2) + 2 * od);
    }
    port.close();
    return out;
  };
  const a = trace(7, 200);
  const b = trace(7, 200);
  const c = trace(8, 200);
  if (!a.every((x, i) => Object.is(x, b[i]))) problems.push("same seed gave different trajectories");
  if (a.every((x, i) => Object.is(x, c[i]))) problems.push("different seeds gave identical trajectories (reset noise ignored?)");

  // Random actions with resets: no NaN/Inf, limits held.
  const numEnvs = options.numEnvs ?? 4;
  const steps = Math.ceil((options.steps ?? 10_000) / numEnvs);
  const tol = options.limitTolerance ?? 0.15;
  const port = new AutoReset(new TimeLimit(new SimPort(task, { numEnvs, seed: 1 }), task.maxEpisodeSteps));
  const rng = new Rng(99);
  const od = spec.observation.names.length;
  const { obs, reward, metrics } = port.buffers;
  port.resetAll();
  let worst = { excess: 0, name: "" };
  let badValue = "";
  for (let t = 0; t < steps && !badValue; t++) {
    fillRandom(port.buffers.action, spec.action.low, spec.action.high, rng);
    port.step();
    for (let i = 0; i < numEnvs; i++) {
      if (!Number.isFinite(reward[i]!)) badValue = `reward ${reward[i]} at step ${t}`;
      for (let j = 0; j < od; j++) {
        const v = obs[i * od + j]!;
        if (!Number.isFinite(v)) badValue = `${spec.observation.names[j]} = ${v} at step ${t}`;
        const lim = limits.get(j);
        if (lim) {
          const excess = Math.max(lim[0] - v, v - lim[1]);
          if (excess > worst.excess) worst = { excess, name: spec.observation.names[j]! };
        }
      }
      for (const [name, arr] of Object.entries(metrics)) if (!Number.isFinite(arr[i]!)) badValue = `metric ${name} = ${arr[i]} at step ${t}`;
    }
  }
  port.close();
  if (badValue) problems.push(`non-finite value under random actions: ${badValue}`);
  if (worst.excess > tol) problems.push(`${worst.name} exceeded its limit by ${worst.excess.toFixed(3)} (tolerance ${tol})`);
  return problems;
}

function fillRandom(out: Float32Array, low: readonly number[], high: readonly number[], rng: Rng): void {
  const d = low.length;
  for (let k = 0; k < out.length; k++) out[k] = rng.range(low[k % d]!, high[k % d]!);
}
