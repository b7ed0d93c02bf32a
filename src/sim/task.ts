/**
 * A simulated task: one environment instance (one physics world) with its reward,
 * termination and reset rules. `SimPort` batches instances into a `ControlPort`;
 * time limits and auto-reset are wrappers on the port, never part of a task.
 */
import type { PortSpec } from "../port/spec.js";
import type { Rng } from "../util/rng.js";

export interface TaskInstance {
  /** Resets to the initial state plus reset noise drawn from `rng`; writes the observation. */
  reset(rng: Rng, obs: Float32Array): void;
  /**
   * Applies `action` (length actDim, normalized action space) for one control period.
   * Writes the new observation into `obs` and one value per `spec.metrics` name into `metrics`.
   * Returns the reward.
   */
  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number;
  /** True when the state reached by the last step is terminal (unhealthy). */
  readonly terminated: boolean;
  /** Frees native (wasm) memory. */
  free(): void;
  /** Contact points in the world after the last step (diagnostics and benchmarks; may allocate). */
  contactCount?(): number;
}

export interface TaskDefinition {
  readonly name: string;
  readonly spec: PortSpec;
  /** Gymnasium TimeLimit for this task (env steps). */
  readonly maxEpisodeSteps: number;
  /** Builds one instance. Physics engines must be initialized first (`initPhysics`). */
  createInstance(): TaskInstance;
}
