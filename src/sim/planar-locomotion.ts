/**
 * Planar locomotion tasks on Rapier (Gymnasium Hopper-v5, Walker2d-v5): one implementation of
 * their shared observation, reward, health and reset rules over the articulation built from a
 * robot in `robots/`, parameterized by a `PlanarLocomotionConfig`. One instance = one world.
 *
 * Step: clamp the action to the ctrl range, hold it for dt / timestep physics steps, then
 *   reward = healthy_reward·[healthy] + forward_weight·vx − ctrl_cost_weight·Σa²,
 *   vx = (x_after − x_before)/dt with x = rootx (qpos[0]), dt = the env step (config.dt);
 *   terminated = !healthy.
 * Observation: qpos[1:] (height, pitch, joint angles) then qvel clipped to ±clip.
 * Healthy (open intervals, NaN is unhealthy): z = qpos[1] in healthyZRange, pitch = qpos[2] in
 * healthyAngleRange and, when given, every element of qpos[2:] and of the unclipped qvel in
 * healthyStateRange. A null range is no rule.
 * State (`TaskDefinition.state`): the articulation's qpos/qvel (root coordinates, then the
 * hinges in MuJoCo's DoF order), the URDF links below the root, efforts = gear × clamped action.
 */
import { Articulation, type ArticulationOptions } from "../physics/articulation.js";
import { initPhysics } from "../physics/rapier.js";
import type { ActuatorSpec, PortSpec } from "../port/spec.js";
import type { RobotDescription } from "../robot/description.js";
import { loadRobot } from "../robot/load.js";
import { ArticulatedInstance } from "./articulated-instance.js";
import type { TaskDefinition, TaskStateSpec } from "./task.js";
import { robotTaskState } from "./task-state.js";

/** The per-step metrics a planar locomotion task can report. */
export const PLANAR_LOCOMOTION_METRICS = ["reward_forward", "reward_ctrl", "reward_healthy", "x_position", "x_velocity"] as const;
export type PlanarLocomotionMetric = (typeof PLANAR_LOCOMOTION_METRICS)[number];

/**
 * Task constants (Gymnasium `*_v5.py` defaults, as documented in ../shared/reference/ROBOTS.md).
 * Physics settings (timestep, solver, contacts) live in the robot's sidecar.
 */
export interface PlanarLocomotionConfig {
  /** Task (sim) name, as registered in src/sim/registry.ts. */
  readonly name: string;
  /** Robot folder in `robots/`. */
  readonly robot: string;
  /**
   * Env step (control period) in seconds: Gymnasium's timestep × frame_skip (0.008 for Hopper
   * and Walker2d). The engine takes dt / (the sidecar's physics timestep) steps per env step,
   * which must be a whole number.
   */
  readonly dt: number;
  /** Gymnasium TimeLimit (applied by a port wrapper, not by the task). */
  readonly maxEpisodeSteps: number;
  readonly forwardRewardWeight: number;
  /** Cost weight on Σ action² (of the action after clamping to the action box). */
  readonly ctrlCostWeight: number;
  /** Paid on every step that ends healthy. */
  readonly healthyReward: number;
  /** Open interval for the torso height qpos[1]; null: no rule. */
  readonly healthyZRange: readonly [number, number] | null;
  /** Open interval for the torso pitch qpos[2]; null: no rule. */
  readonly healthyAngleRange: readonly [number, number] | null;
  /** Open interval for every element of qpos[2:] and of the (unclipped) qvel; null: no rule. */
  readonly healthyStateRange: readonly [number, number] | null;
  /** Reset noise: qpos0 + U(−s, s) and qvel U(−s, s), per element (all qpos draws, then qvel). */
  readonly resetNoiseScale: number;
  /** Velocities in the observation are clipped to ±this. */
  readonly observationVelocityClip: number;
  /** Metrics reported per step, in this order. */
  readonly metrics: readonly PlanarLocomotionMetric[];
}

export interface PlanarLocomotionTaskOptions {
  /** Robot description, or a robot name/folder for `loadRobot` (default `config.robot`). */
  robot?: RobotDescription | string;
  /** Physics overrides (solver iterations, armature model) for experiments. */
  physics?: ArticulationOptions;
}

/** Builds the task definition (initializes Rapier, loads the robot). */
export async function createPlanarLocomotionTask(cfg: PlanarLocomotionConfig, options: PlanarLocomotionTaskOptions = {}): Promise<TaskDefinition> {
  await initPhysics();
  const desc = typeof options.robot === "object" ? options.robot : loadRobot(options.robot ?? cfg.robot);
  const spec = planarLocomotionSpec(desc, cfg);
  const physics = options.physics ?? {};
  const state = robotTaskState(desc);
  return {
    name: cfg.name,
    spec,
    maxEpisodeSteps: cfg.maxEpisodeSteps,
    state,
    createInstance: () => new PlanarLocomotionInstance(desc, cfg, physics, state),
  };
}

/** The port spec: observation and action names/bounds, actuators, dt and metrics. */
export function planarLocomotionSpec(desc: RobotDescription, cfg: PlanarLocomotionConfig): PortSpec {
  const coords = [...desc.root.coordinates.map((c) => c.name), ...desc.dofJoints];
  const clip = cfg.observationVelocityClip;
  const posNames = coords.slice(1).map((n) => `${n}.position`);
  const velNames = coords.map((n) => `${n}.velocity`);
  const actuators: ActuatorSpec[] = desc.actuators.map((a) => ({ joint: a.joint, interface: a.interface, gear: a.gear }));
  return {
    robot: desc.name,
    observation: {
      names: [...posNames, ...velNames],
      low: [...posNames.map(() => -Infinity), ...velNames.map(() => -clip)],
      high: [...posNames.map(() => Infinity), ...velNames.map(() => clip)],
    },
    action: {
      names: desc.actuators.map((a) => a.joint),
      low: desc.actuators.map((a) => a.ctrlRange[0]),
      high: desc.actuators.map((a) => a.ctrlRange[1]),
    },
    actuators,
    dt: cfg.dt,
    metrics: [...cfg.metrics],
  };
}

/**
 * Physics steps per env step: env dt / the robot's physics timestep, which must divide it (the
 * sidecar's `physics.timestep` is an engine setting; the env step is the task's).
 */
export function frameSkipOf(desc: RobotDescription, dt: number): number {
  const h = desc.physics.timestep;
  const n = Math.round(dt / h);
  if (n < 1 || Math.abs(n * h - dt) > 1e-9 * dt) {
    throw new Error(`robot "${desc.name}": physics.timestep ${h} must divide the task's env step ${dt} s`);
  }
  return n;
}

/** Open-interval test; NaN fails. */
const inside = (v: number, r: readonly [number, number]): boolean => v > r[0] && v < r[1];

class PlanarLocomotionInstance extends ArticulatedInstance<Articulation> {
  private readonly dt: number;
  private readonly frameSkip: number;
  /** Per reported metric, its index in PLANAR_LOCOMOTION_METRICS. */
  private readonly metricIndex: Uint8Array;
  private readonly metricValues = new Float64Array(PLANAR_LOCOMOTION_METRICS.length);

  constructor(desc: RobotDescription, private readonly cfg: PlanarLocomotionConfig, physics: ArticulationOptions, state: TaskStateSpec) {
    super(new Articulation(desc, physics), desc, state, cfg.resetNoiseScale);
    this.dt = cfg.dt;
    this.frameSkip = frameSkipOf(desc, cfg.dt);
    this.metricIndex = new Uint8Array(cfg.metrics.map((m) => PLANAR_LOCOMOTION_METRICS.indexOf(m)));
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const cfg = this.cfg;
    const qpos = this.qpos;
    const ctrlCost = cfg.ctrlCostWeight * this.clampControl(action);

    const xBefore = qpos[0]!;
    this.advance(this.frameSkip);
    const xAfter = qpos[0]!;
    const vx = (xAfter - xBefore) / this.dt;

    const healthy = this.isHealthy();
    this.done = !healthy;
    const forward = cfg.forwardRewardWeight * vx;
    const healthyReward = healthy ? cfg.healthyReward : 0;
    const reward = healthyReward + forward - ctrlCost;

    // In PLANAR_LOCOMOTION_METRICS order.
    const mv = this.metricValues;
    mv[0] = forward;
    mv[1] = -ctrlCost;
    mv[2] = healthyReward;
    mv[3] = xAfter;
    mv[4] = vx;
    const mi = this.metricIndex;
    for (let k = 0; k < mi.length; k++) metrics[k] = mv[mi[k]!]!;
    this.writeObs(obs);
    return Number.isFinite(reward) ? reward : 0;
  }

  /** Gymnasium `is_healthy` (open intervals; NaN is unhealthy). */
  private isHealthy(): boolean {
    const cfg = this.cfg;
    const { qpos, qvel } = this;
    if (cfg.healthyZRange && !inside(qpos[1]!, cfg.healthyZRange)) return false;
    if (cfg.healthyAngleRange && !inside(qpos[2]!, cfg.healthyAngleRange)) return false;
    const state = cfg.healthyStateRange;
    if (state) {
      for (let i = 2; i < qpos.length; i++) if (!inside(qpos[i]!, state)) return false;
      for (let i = 0; i < qvel.length; i++) if (!inside(qvel[i]!, state)) return false;
    }
    return true;
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel } = this;
    const clip = this.cfg.observationVelocityClip;
    let k = 0;
    for (let i = 1; i < qpos.length; i++) {
      const v = qpos[i]!;
      obs[k++] = Number.isFinite(v) ? v : 0;
    }
    for (let i = 0; i < qvel.length; i++) {
      const v = qvel[i]!;
      obs[k++] = v > clip ? clip : v < -clip ? -clip : v === v ? v : 0;
    }
  }
}
