/**
 * Walker2d-v5 task constants (Gymnasium `walker2d_v5.py` defaults, as documented in
 * ../shared/reference/ROBOTS.md). Physics settings (timestep, solver, contacts) live in the
 * robot's sidecar, `robots/walker2d/walker2d.locomote.yaml`. The rules are the shared planar
 * locomotion task (src/sim/planar-locomotion.ts), as for the hopper.
 */
import { PLANAR_LOCOMOTION_METRICS, type PlanarLocomotionConfig } from "../../src/sim/planar-locomotion.js";

export type Walker2dTaskConfig = PlanarLocomotionConfig;

export const WALKER2D_V5: Walker2dTaskConfig = {
  name: "walker2d",
  robot: "walker2d",
  dt: 0.008, // Gymnasium: timestep 0.002 × frame_skip 4
  maxEpisodeSteps: 1000,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-3,
  healthyReward: 1,
  healthyZRange: [0.8, 2.0],
  healthyAngleRange: [-1, 1],
  // Walker2d-v5 has no state-range rule (Hopper-v5's (−100, 100) on qpos[2:] and qvel).
  healthyStateRange: null,
  resetNoiseScale: 5e-3,
  observationVelocityClip: 10,
  metrics: PLANAR_LOCOMOTION_METRICS,
};
