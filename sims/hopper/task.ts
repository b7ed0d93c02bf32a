/**
 * Hopper-v5 on Rapier: Gymnasium's observation, reward, health and reset rules over the
 * articulation built from `robots/hopper`, through the shared planar locomotion task
 * (src/sim/planar-locomotion.ts). One instance = one physics world.
 *
 * Step: clamp the action to [−1, 1], hold it for frame_skip physics steps, then
 *   reward = healthy_reward·[healthy] + forward_weight·vx − ctrl_cost_weight·Σa²,
 *   vx = (x_after − x_before)/dt with x = rootx, dt = 0.008; terminated = !healthy
 *   (0.7 < z, −0.2 < pitch < 0.2, every element of qpos[2:] and qvel in (−100, 100)).
 * Observation (11): qpos[1:6] then qvel[0:6] clipped to ±10.
 */
import type { PortSpec } from "../../src/port/spec.js";
import type { RobotDescription } from "../../src/robot/description.js";
import { createPlanarLocomotionTask, planarLocomotionSpec, type PlanarLocomotionTaskOptions } from "../../src/sim/planar-locomotion.js";
import type { TaskDefinition } from "../../src/sim/task.js";
import { HOPPER_V5, type HopperTaskConfig } from "./config.js";

export interface HopperTaskOptions extends PlanarLocomotionTaskOptions {
  /** Task constants (default Hopper-v5). */
  config?: HopperTaskConfig;
}

/** Builds the Hopper-v5 task definition (initializes Rapier, loads the robot). */
export function createHopperTask(options: HopperTaskOptions = {}): Promise<TaskDefinition> {
  const { config, ...rest } = options;
  return createPlanarLocomotionTask(config ?? HOPPER_V5, rest);
}

/** The port spec: observation and action names/bounds, actuators, dt and metrics. */
export function hopperSpec(desc: RobotDescription, cfg: HopperTaskConfig = HOPPER_V5): PortSpec {
  return planarLocomotionSpec(desc, cfg);
}
