/**
 * Walker2d-v5 on Rapier: Gymnasium's observation, reward, health and reset rules over the
 * articulation built from `robots/walker2d`, through the shared planar locomotion task
 * (src/sim/planar-locomotion.ts). One instance = one physics world.
 *
 * Step: clamp the action to [−1, 1]⁶, hold it for frame_skip 4 physics steps, then
 *   reward = 1·[healthy] + vx − 1e-3·Σa², vx = (x_after − x_before)/0.008 with x = rootx;
 *   terminated = !healthy (0.8 < z < 2.0 and −1 < pitch < 1; no state-range rule).
 * Observation (17): qpos[1:9] (z, pitch, six joint angles) then qvel[0:9] clipped to ±10.
 */
import { createPlanarLocomotionTask, type PlanarLocomotionTaskOptions } from "../../src/sim/planar-locomotion.js";
import type { TaskDefinition } from "../../src/sim/task.js";
import { WALKER2D_V5, type Walker2dTaskConfig } from "./config.js";

export interface Walker2dTaskOptions extends PlanarLocomotionTaskOptions {
  /** Task constants (default Walker2d-v5). */
  config?: Walker2dTaskConfig;
}

/** Builds the Walker2d-v5 task definition (initializes Rapier, loads the robot). */
export function createWalker2dTask(options: Walker2dTaskOptions = {}): Promise<TaskDefinition> {
  const { config, ...rest } = options;
  return createPlanarLocomotionTask(config ?? WALKER2D_V5, rest);
}
