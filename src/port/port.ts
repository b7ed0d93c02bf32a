/**
 * The observation/action port: the spine of locomote.
 *
 * A simulation, a real robot (through ROS 2) and a log replayer all implement `ControlPort`.
 * The trainer, the runtime control loop and the evaluator depend on this interface only.
 *
 * A port drives a batch of `numEnvs` environments through flat, preallocated buffers:
 * the caller writes `buffers.action`, calls `step()`, and reads `obs`, `reward`,
 * `terminated`, `truncated` and `metrics`. Nothing is allocated per step.
 */
import type { PortSpec } from "./spec.js";

export interface PortBuffers {
  /** [numEnvs × obsDim] observation after the last reset/step. */
  readonly obs: Float32Array;
  /** [numEnvs × actDim] action to apply at the next step (written by the caller). */
  readonly action: Float32Array;
  /** [numEnvs] reward of the last step. */
  readonly reward: Float32Array;
  /** [numEnvs] 1 if the last step reached a terminal state of the MDP (e.g. the robot fell). */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 if the episode was cut for a reason outside the MDP (time limit). */
  readonly truncated: Uint8Array;
  /** One [numEnvs] array per name in `spec.metrics` (reward terms and diagnostics). */
  readonly metrics: Readonly<Record<string, Float32Array>>;
}

export interface ControlPort {
  readonly spec: PortSpec;
  readonly numEnvs: number;
  readonly buffers: PortBuffers;
  /** Seeds the port's random source (reset noise). Same seed → identical resets and trajectories. */
  seed(seed: number): void;
  /** Resets every env; fills `obs`, clears flags. */
  resetAll(): void;
  /** Resets env `i` only, writing its row of `obs`. */
  resetEnv(i: number): void;
  /**
   * Resets every env `i` with `mask[i] !== 0` (mask length ≥ numEnvs), as `resetEnv` would one
   * by one; a multi-threaded port resets its slices in parallel, in one round trip.
   */
  resetEnvs(mask: Uint8Array): void;
  /** Applies `action` for one control period to every env. */
  step(): void;
  /** Releases native resources (wasm memory, sockets). */
  close(): void;
}

/** Allocates buffers for `numEnvs` envs of `spec`; `shared` uses SharedArrayBuffers (workers). */
export function allocBuffers(spec: PortSpec, numEnvs: number, options: { shared?: boolean } = {}): PortBuffers {
  const make = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const f32 = (n: number): Float32Array => new Float32Array(make(n * 4));
  const metrics: Record<string, Float32Array> = {};
  for (const name of spec.metrics) metrics[name] = f32(numEnvs);
  return {
    obs: f32(numEnvs * spec.observation.names.length),
    action: f32(numEnvs * spec.action.names.length),
    reward: f32(numEnvs),
    terminated: new Uint8Array(make(numEnvs)),
    truncated: new Uint8Array(make(numEnvs)),
    metrics,
  };
}

/** Views rows [start, start+count) of `b` (no copy): lets a sub-port write straight into a batch. */
export function sliceBuffers(spec: PortSpec, b: PortBuffers, start: number, count: number): PortBuffers {
  const od = spec.observation.names.length;
  const ad = spec.action.names.length;
  const metrics: Record<string, Float32Array> = {};
  for (const [name, arr] of Object.entries(b.metrics)) metrics[name] = arr.subarray(start, start + count);
  return {
    obs: b.obs.subarray(start * od, (start + count) * od),
    action: b.action.subarray(start * ad, (start + count) * ad),
    reward: b.reward.subarray(start, start + count),
    terminated: b.terminated.subarray(start, start + count),
    truncated: b.truncated.subarray(start, start + count),
    metrics,
  };
}
