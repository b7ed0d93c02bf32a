/**
 * Hopper-v5 task constants (Gymnasium `hopper_v5.py` defaults, as documented in
 * ../shared/reference/ROBOTS.md). Kept as a typed module rather than YAML so the compiled
 * `dist/sims/hopper/` needs no data files. Physics settings (timestep, solver, contacts) live
 * in the robot's sidecar, `robots/hopper/hopper.locomote.yaml`.
 */
export interface HopperTaskConfig {
  /** Robot folder in `robots/`. */
  readonly robot: string;
  /** Physics steps per env step; env dt = frameSkip × timestep (0.008 s). */
  readonly frameSkip: number;
  /** Gymnasium TimeLimit (applied by a port wrapper, not by the task). */
  readonly maxEpisodeSteps: number;
  readonly forwardRewardWeight: number;
  /** Cost weight on Σ action² (of the action after clamping to the action box). */
  readonly ctrlCostWeight: number;
  /** Paid on every step that ends healthy. */
  readonly healthyReward: number;
  /** Open interval for the torso height qpos[1]. */
  readonly healthyZRange: readonly [number, number];
  /** Open interval for the torso pitch qpos[2]. */
  readonly healthyAngleRange: readonly [number, number];
  /** Open interval for every element of qpos[2:] and of the (unclipped) qvel. */
  readonly healthyStateRange: readonly [number, number];
  /** Reset noise: qpos0 + U(−s, s) and qvel U(−s, s), per element. */
  readonly resetNoiseScale: number;
  /** Velocities in the observation are clipped to ±this. */
  readonly observationVelocityClip: number;
}

export const HOPPER_V5: HopperTaskConfig = {
  robot: "hopper",
  frameSkip: 4,
  maxEpisodeSteps: 1000,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-3,
  healthyReward: 1,
  healthyZRange: [0.7, Infinity],
  healthyAngleRange: [-0.2, 0.2],
  healthyStateRange: [-100, 100],
  resetNoiseScale: 5e-3,
  observationVelocityClip: 10,
};

/** Metric names reported per step, in this order. */
export const HOPPER_METRICS = ["reward_forward", "reward_ctrl", "reward_healthy", "x_position", "x_velocity"] as const;
