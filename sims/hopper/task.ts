/**
 * Hopper-v5 on Rapier: Gymnasium's observation, reward, health and reset rules over the
 * articulation built from `robots/hopper`. One instance = one physics world.
 *
 * Step: clamp the action to [−1, 1], hold it for frame_skip physics steps, then
 *   reward = healthy_reward·[healthy] + forward_weight·vx − ctrl_cost_weight·Σa²,
 *   vx = (x_after − x_before)/dt with x = rootx, dt = 0.008; terminated = !healthy.
 * Observation (11): qpos[1:6] then qvel[0:6] clipped to ±10.
 */
import { Articulation, type ArticulationOptions } from "../../src/physics/articulation.js";
import { initPhysics } from "../../src/physics/rapier.js";
import type { ActuatorSpec, PortSpec } from "../../src/port/spec.js";
import type { RobotDescription } from "../../src/robot/description.js";
import { loadRobot } from "../../src/robot/load.js";
import type { TaskDefinition, TaskInstance } from "../../src/sim/task.js";
import type { Rng } from "../../src/util/rng.js";
import { HOPPER_METRICS, HOPPER_V5, type HopperTaskConfig } from "./config.js";

export interface HopperTaskOptions {
  /** Robot description, or a robot name/folder for `loadRobot` (default "hopper"). */
  robot?: RobotDescription | string;
  /** Task constants (default Hopper-v5). */
  config?: HopperTaskConfig;
  /** Physics overrides (solver iterations, armature model) for experiments. */
  physics?: ArticulationOptions;
}

/** Builds the Hopper-v5 task definition (initializes Rapier, loads the robot). */
export async function createHopperTask(options: HopperTaskOptions = {}): Promise<TaskDefinition> {
  await initPhysics();
  const cfg = options.config ?? HOPPER_V5;
  const desc = typeof options.robot === "object" ? options.robot : loadRobot(options.robot ?? cfg.robot);
  const spec = hopperSpec(desc, cfg);
  return {
    name: "hopper",
    spec,
    maxEpisodeSteps: cfg.maxEpisodeSteps,
    createInstance: () => new HopperInstance(desc, cfg, options.physics ?? {}),
  };
}

/** The port spec: observation and action names/bounds, actuators, dt and metrics. */
export function hopperSpec(desc: RobotDescription, cfg: HopperTaskConfig): PortSpec {
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
    dt: desc.physics.timestep * cfg.frameSkip,
    metrics: [...HOPPER_METRICS],
  };
}

class HopperInstance implements TaskInstance {
  private readonly art: Articulation;
  private readonly qpos: Float64Array;
  private readonly qvel: Float64Array;
  private readonly qpos0: Float64Array;
  private readonly ctrl: Float64Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly dt: number;
  private done = false;

  constructor(desc: RobotDescription, private readonly cfg: HopperTaskConfig, physics: ArticulationOptions) {
    this.art = new Articulation(desc, physics);
    this.qpos = new Float64Array(this.art.nq);
    this.qvel = new Float64Array(this.art.nv);
    this.qpos0 = new Float64Array(desc.qpos0);
    this.ctrl = new Float64Array(this.art.nu);
    this.low = new Float64Array(desc.actuators.map((a) => a.ctrlRange[0]));
    this.high = new Float64Array(desc.actuators.map((a) => a.ctrlRange[1]));
    this.dt = desc.physics.timestep * cfg.frameSkip;
    this.art.readQpos(this.qpos);
    this.art.readQvel(this.qvel);
  }

  get terminated(): boolean {
    return this.done;
  }

  reset(rng: Rng, obs: Float32Array): void {
    const s = this.cfg.resetNoiseScale;
    const { qpos, qvel } = this;
    for (let i = 0; i < qpos.length; i++) qpos[i] = this.qpos0[i]! + rng.range(-s, s);
    for (let i = 0; i < qvel.length; i++) qvel[i] = rng.range(-s, s);
    this.art.setState(qpos, qvel);
    this.ctrl.fill(0);
    this.art.setControl(this.ctrl);
    // Read back what the (single-precision) engine holds, so obs and x_before match it.
    this.art.readQpos(qpos);
    this.art.readQvel(qvel);
    this.done = false;
    this.writeObs(obs);
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const cfg = this.cfg;
    const { qpos, qvel, ctrl } = this;
    let ctrlCost = 0;
    for (let i = 0; i < ctrl.length; i++) {
      const a = action[i]!;
      const lo = this.low[i]!, hi = this.high[i]!;
      // NaN actions become 0 rather than poisoning the physics.
      const c = a > lo ? (a < hi ? a : hi) : a <= lo ? lo : 0;
      ctrl[i] = c;
      ctrlCost += c * c;
    }
    ctrlCost *= cfg.ctrlCostWeight;

    const xBefore = qpos[0]!;
    this.art.setControl(ctrl);
    this.art.step(cfg.frameSkip);
    this.art.readQpos(qpos);
    this.art.readQvel(qvel);
    const xAfter = qpos[0]!;
    const vx = (xAfter - xBefore) / this.dt;

    const healthy = this.isHealthy();
    this.done = !healthy;
    const forward = cfg.forwardRewardWeight * vx;
    const healthyReward = healthy ? cfg.healthyReward : 0;
    const reward = healthyReward + forward - ctrlCost;

    metrics[0] = forward;
    metrics[1] = -ctrlCost;
    metrics[2] = healthyReward;
    metrics[3] = xAfter;
    metrics[4] = vx;
    this.writeObs(obs);
    return Number.isFinite(reward) ? reward : 0;
  }

  free(): void {
    this.art.free();
  }

  /** Gymnasium Hopper-v5 `is_healthy` (open intervals; NaN is unhealthy). */
  private isHealthy(): boolean {
    const cfg = this.cfg;
    const { qpos, qvel } = this;
    const z = qpos[1]!;
    const pitch = qpos[2]!;
    if (!(z > cfg.healthyZRange[0] && z < cfg.healthyZRange[1])) return false;
    if (!(pitch > cfg.healthyAngleRange[0] && pitch < cfg.healthyAngleRange[1])) return false;
    const [lo, hi] = cfg.healthyStateRange;
    for (let i = 2; i < qpos.length; i++) if (!(qpos[i]! > lo && qpos[i]! < hi)) return false;
    for (let i = 0; i < qvel.length; i++) if (!(qvel[i]! > lo && qvel[i]! < hi)) return false;
    return true;
  }

  private writeObs(obs: Float32Array): void {
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
