/**
 * A simulated task: one environment instance (one physics world) with its reward,
 * termination and reset rules. `SimPort` batches instances into a `ControlPort`;
 * time limits and auto-reset are wrappers on the port, never part of a task.
 */
import type { PortSpec } from "../port/spec.js";
import type { Rng } from "../util/rng.js";

export interface TaskInstance {
  /**
   * Resets to the initial state plus reset noise drawn from `rng`; writes the observation.
   * Equivalent to drawing (qpos, qvel) from `rng` and calling `setState` with them.
   */
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
  /**
   * Does one piece of the next reset's work ahead of time (for a thread that would otherwise
   * wait, see `SimPort.prepareResets`); false when none is left. Never changes what a reset,
   * `setState` or a step produces.
   */
  prepareReset?(): boolean;
  /** Contact points in the world after the last step (diagnostics and benchmarks; may allocate). */
  contactCount?(): number;

  // --- State (episode logs, `replay --resim`). None of these allocate. ----------------------

  /**
   * Generalized coordinates after the last reset/step, in the robot's MuJoCo qpos/qvel
   * conventions (lengths `TaskDefinition.state.nq` / `nv`; `qpos`/`qvel` may be longer).
   * Right after `reset`/`setState` these are exactly the coordinates the state was set from
   * (not the engine's single-precision read-back, which the observation shows), so that
   * `setState(readState())` on any instance reproduces the episode bit for bit; after a step
   * they are the engine's state as read back.
   */
  readState(qpos: Float64Array, qvel: Float64Array): void;
  /**
   * Puts the instance in exactly this state the way `reset` does (fresh world from the built
   * snapshot + these coordinates, controls zeroed); writes the observation; clears
   * `terminated` as reset would. Nothing of the instance's history survives it.
   */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>, obs: Float32Array): void;
  /**
   * World pose of every link after the last reset/step, 7 numbers per link
   * [x y z qx qy qz qw], links in `TaskDefinition.state.links` order.
   */
  readLinkPoses(out: Float64Array): void;
  /**
   * Generalized force each actuator applied during the last step (N·m or N: gear × the
   * control after clamping to the ctrl range, NaN → 0), in `spec.action` order; zeros after
   * reset/setState.
   */
  readEfforts(out: Float64Array): void;
}

/** A 1-DoF joint of the robot and where its coordinate and rate sit in qpos / qvel. */
export interface TaskJoint {
  readonly name: string;
  readonly qposIndex: number;
  readonly qvelIndex: number;
}

/** What `TaskInstance.readState` / `readLinkPoses` report, by name. */
export interface TaskStateSpec {
  readonly nq: number;
  readonly nv: number;
  /**
   * Name of each qpos / qvel element: root coordinates as the robot description names them
   * (planar: e.g. "rootx", "rootz", "rooty"; free joint: "root_x", "root_y", "root_z",
   * "root_qw", "root_qx", "root_qy", "root_qz" and velocities "root_x", "root_y", "root_z",
   * "root_rx", "root_ry", "root_rz"), then the 1-DoF joints by URDF joint name.
   */
  readonly qposNames: readonly string[];
  readonly qvelNames: readonly string[];
  /** Links of `readLinkPoses`, by URDF link name (TF frame ids), in URDF file order. */
  readonly links: readonly string[];
  /**
   * The robot's 1-DoF joints (hinges/slides, actuated or not, excluding the root) with the
   * qpos and qvel index of each: what a sensor_msgs/JointState of the robot reports.
   */
  readonly joints: readonly TaskJoint[];
}

export interface TaskDefinition {
  readonly name: string;
  readonly spec: PortSpec;
  /** Gymnasium TimeLimit for this task (env steps). */
  readonly maxEpisodeSteps: number;
  /** Layout of the instances' state (`readState`, `readLinkPoses`). */
  readonly state: TaskStateSpec;
  /** Builds one instance. Physics engines must be initialized first (`initPhysics`). */
  createInstance(): TaskInstance;
}
