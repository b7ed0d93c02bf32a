/**
 * Humanoid-v5 task constants (Gymnasium `humanoid_v5.py` defaults, as documented in
 * ../shared/reference/ROBOTS.md). Physics settings (timestep, solver, contacts) live in the
 * robot's sidecar, `robots/humanoid/humanoid.locomote.yaml`.
 */
export interface HumanoidTaskConfig {
  /** Robot folder in `robots/`. */
  readonly robot: string;
  /** Physics steps per env step; env dt = frameSkip × timestep (0.015 s). */
  readonly frameSkip: number;
  /** Gymnasium TimeLimit (applied by a port wrapper, not by the task). */
  readonly maxEpisodeSteps: number;
  /** Weight of the mass-weighted COM x velocity. */
  readonly forwardRewardWeight: number;
  /** Cost weight on Σ ctrl² (ctrl = the action clamped to the ctrl range). */
  readonly ctrlCostWeight: number;
  /** Cost weight on Σ cfrc_ext² (contact wrenches of every body), and the cost's cap. */
  readonly contactCostWeight: number;
  readonly contactCostMax: number;
  /** Paid on every step that ends healthy. */
  readonly healthyReward: number;
  /** Open interval for the torso height qpos[2]. */
  readonly healthyZRange: readonly [number, number];
  /** Reset noise: qpos0 + U(−s, s) (quaternion included) and qvel U(−s, s), per element. */
  readonly resetNoiseScale: number;
  /** Layout id recorded in the port spec (and so in policy manifests). */
  readonly observationLayout: string;
}

export const HUMANOID_V5: HumanoidTaskConfig = {
  robot: "humanoid",
  frameSkip: 5,
  maxEpisodeSteps: 1000,
  forwardRewardWeight: 1.25,
  ctrlCostWeight: 0.1,
  contactCostWeight: 5e-7,
  contactCostMax: 10,
  healthyReward: 5,
  healthyZRange: [1.0, 2.0],
  resetNoiseScale: 1e-2,
  observationLayout: "humanoid-v5-reduced-45",
};

/** Metric names reported per step, in this order. */
export const HUMANOID_METRICS = ["reward_forward", "reward_ctrl", "reward_contact", "reward_healthy", "x_position", "x_velocity"] as const;
