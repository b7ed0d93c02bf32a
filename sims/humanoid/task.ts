/**
 * Humanoid-v5 on Rapier: Gymnasium's observation, reward, health and reset rules over the
 * floating articulation built from `robots/humanoid` (src/physics/floating-articulation.ts).
 * One instance = one physics world.
 *
 * Step: clamp the action to the ctrl range [−0.4, 0.4], hold it for frame_skip = 5 physics steps
 * (dt = 0.015 s), then
 *   reward = 5·[healthy] + 1.25·vx − 0.1·Σctrl² − min(5e-7·Σcfrc_ext², 10),
 *   vx = (x_after − x_before)/dt with x the mass-weighted COM of all bodies;
 *   healthy = 1 < z < 2 (z = qpos[2], torso height); terminated = !healthy.
 * Observation ("humanoid-v5-reduced-45", Gymnasium's layout with
 * include_cinert/cvel/qfrc_actuator/cfrc_ext_in_observation=False): qpos[2:] (22: torso z,
 * torso quaternion w x y z, 17 hinge angles) then qvel (23: torso linear velocity in the world,
 * angular velocity in the torso frame, 17 hinge rates), not clipped.
 * Reset: qpos0 + U(±0.01) on all 24 qpos (the quaternion too), then qvel U(±0.01) on all 23, in
 * that draw order; the quaternion is normalized when the state is set (Gymnasium's very first
 * observation shows it unnormalized; MuJoCo normalizes it when used, and after the first step).
 *
 * State (`TaskDefinition.state`): MuJoCo's qpos (24) / qvel (23) as above, named by the
 * description (root_x … root_qz, root_x … root_rz, then the hinges); every URDF link below the
 * world (stacked-hinge placeholders and the welded feet included); efforts = gear × clamped ctrl.
 *
 * Contact cost: cfrc_ext comes from Rapier's contact impulses per body (normal forces only, see
 * `FloatingArticulation.contactWrenches` for the two approximations). Against MuJoCo 2.2.2
 * (sims/humanoid/mujoco-compare.ts): lying on the floor after the passive drop 0.027 vs 0.030
 * per env step; under uniform random actions 0.098 vs 0.137 on average (the missing friction
 * and impacts). The cost is ~2% of the healthy reward of 5, so this changes returns little.
 */
import { FloatingArticulation, type FloatingArticulationOptions } from "../../src/physics/floating-articulation.js";
import { initPhysics } from "../../src/physics/rapier.js";
import type { ActuatorSpec, PortSpec } from "../../src/port/spec.js";
import { coordinateNames, velocityNames, type RobotDescription } from "../../src/robot/description.js";
import { loadRobot } from "../../src/robot/load.js";
import { ArticulatedInstance } from "../../src/sim/articulated-instance.js";
import type { TaskDefinition, TaskStateSpec } from "../../src/sim/task.js";
import { robotTaskState } from "../../src/sim/task-state.js";
import { HUMANOID_METRICS, HUMANOID_V5, type HumanoidTaskConfig } from "./config.js";

export interface HumanoidTaskOptions {
  /** Robot description, or a robot name/folder for `loadRobot` (default "humanoid"). */
  robot?: RobotDescription | string;
  /** Task constants (default Humanoid-v5). */
  config?: HumanoidTaskConfig;
  /** Physics overrides (PGS iterations, intermediate bodies, ...) for experiments. */
  physics?: FloatingArticulationOptions;
}

/** Builds the Humanoid-v5 task definition (initializes Rapier, loads the robot). */
export async function createHumanoidTask(options: HumanoidTaskOptions = {}): Promise<TaskDefinition> {
  await initPhysics();
  const cfg = options.config ?? HUMANOID_V5;
  const desc = typeof options.robot === "object" ? options.robot : loadRobot(options.robot ?? cfg.robot);
  const physics = options.physics ?? {};
  const state = robotTaskState(desc);
  return {
    name: "humanoid",
    spec: humanoidSpec(desc, cfg),
    maxEpisodeSteps: cfg.maxEpisodeSteps,
    state,
    createInstance: () => new HumanoidInstance(desc, cfg, physics, state),
  };
}

/** The port spec: qpos[2:] positions then qvel velocities, the ctrl box, actuators, dt, metrics. */
export function humanoidSpec(desc: RobotDescription, cfg: HumanoidTaskConfig): PortSpec {
  const posNames = coordinateNames(desc).slice(2).map((n) => `${n}.position`);
  const velNames = velocityNames(desc).map((n) => `${n}.velocity`);
  const names = [...posNames, ...velNames];
  const actuators: ActuatorSpec[] = desc.actuators.map((a) => ({ joint: a.joint, interface: a.interface, gear: a.gear }));
  return {
    robot: desc.name,
    observation: { names, low: names.map(() => -Infinity), high: names.map(() => Infinity) },
    action: {
      names: desc.actuators.map((a) => a.joint),
      low: desc.actuators.map((a) => a.ctrlRange[0]),
      high: desc.actuators.map((a) => a.ctrlRange[1]),
    },
    actuators,
    dt: desc.physics.timestep * cfg.frameSkip,
    metrics: [...HUMANOID_METRICS],
    observationLayout: cfg.observationLayout,
  };
}

export class HumanoidInstance extends ArticulatedInstance<FloatingArticulation> {
  private readonly wrench: Float64Array;
  private readonly com = new Float64Array(3);
  private readonly dt: number;

  constructor(desc: RobotDescription, private readonly cfg: HumanoidTaskConfig, physics: FloatingArticulationOptions, state: TaskStateSpec = robotTaskState(desc)) {
    super(new FloatingArticulation(desc, physics), desc, state, cfg.resetNoiseScale);
    this.wrench = new Float64Array(6 * this.art.bodyNames.length);
    this.dt = desc.physics.timestep * cfg.frameSkip;
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const cfg = this.cfg;
    const ctrlCost = cfg.ctrlCostWeight * this.clampControl(action);

    this.art.massCenter(this.com);
    const xBefore = this.com[0]!;
    this.advance(cfg.frameSkip);
    this.art.massCenter(this.com);
    const xAfter = this.com[0]!;
    const vx = (xAfter - xBefore) / this.dt;

    this.art.contactWrenches(this.wrench);
    let w2 = 0;
    for (const w of this.wrench) w2 += w * w;
    const contactCost = Math.min(cfg.contactCostWeight * w2, cfg.contactCostMax);

    const z = this.qpos[2]!;
    const healthy = z > cfg.healthyZRange[0] && z < cfg.healthyZRange[1];
    this.done = !healthy;
    const forward = cfg.forwardRewardWeight * vx;
    const healthyReward = healthy ? cfg.healthyReward : 0;
    const reward = healthyReward + forward - ctrlCost - contactCost;

    metrics[0] = forward;
    metrics[1] = -ctrlCost;
    metrics[2] = -contactCost;
    metrics[3] = healthyReward;
    metrics[4] = xAfter;
    metrics[5] = vx;
    this.writeObs(obs);
    return Number.isFinite(reward) ? reward : 0;
  }

  protected writeObs(obs: Float32Array): void {
    const { qpos, qvel } = this;
    let k = 0;
    for (let i = 2; i < qpos.length; i++) {
      const v = qpos[i]!;
      obs[k++] = Number.isFinite(v) ? v : 0;
    }
    for (let i = 0; i < qvel.length; i++) {
      const v = qvel[i]!;
      obs[k++] = Number.isFinite(v) ? v : 0;
    }
  }
}
