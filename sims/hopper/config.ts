/**
 * Hopper-v5 task constants (Gymnasium `hopper_v5.py` defaults, as documented in
 * ../shared/reference/ROBOTS.md). Kept as a typed module rather than YAML so the compiled
 * `dist/sims/hopper/` needs no data files. Physics settings (timestep, solver, contacts) live
 * in the robot's sidecar, `robots/hopper/hopper.locomote.yaml`. The rules themselves are the
 * shared planar locomotion task (src/sim/planar-locomotion.ts).
 */
import { PLANAR_LOCOMOTION_METRICS, type PlanarLocomotionConfig } from "../../src/sim/planar-locomotion.js";

export type HopperTaskConfig = PlanarLocomotionConfig;

export const HOPPER_V5: HopperTaskConfig = {
  name: "hopper",
  robot: "hopper",
  dt: 0.008, // Gymnasium: timestep 0.002 × frame_skip 4
  maxEpisodeSteps: 1000,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-3,
  healthyReward: 1,
  healthyZRange: [0.7, Infinity],
  healthyAngleRange: [-0.2, 0.2],
  healthyStateRange: [-100, 100],
  resetNoiseScale: 5e-3,
  observationVelocityClip: 10,
  metrics: PLANAR_LOCOMOTION_METRICS,
};

/** Metric names reported per step, in this order. */
export const HOPPER_METRICS = HOPPER_V5.metrics;
