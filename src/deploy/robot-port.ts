/**
 * A `ControlPort` that is a robot in real time: the simulated one (`SimRealtimePort`) or a real
 * one behind ROS 2 (src/ros2). The control loop depends on this interface only.
 *
 * Differences from a simulation port, which steps a model as fast as it can:
 * - `sense(t)` refreshes `buffers.obs` with the freshest observation available at clock time `t`
 *   (a simulation catches up with `t`; a robot copies what its sensors last reported), and
 *   `obsTime` says when that observation was measured, so a watchdog can see staleness;
 * - `step()` sends `buffers.action` now (it does not wait for, or produce, a new observation);
 * - `estop[0]` is 1 while an emergency-stop input is asserted;
 * - `resetAll()` puts a simulated robot back at its initial state; a real robot ignores it.
 * numEnvs is 1.
 */
import type { ControlPort } from "../port/port.js";

/** Milliseconds on a monotonic high-resolution clock. */
export interface Clock {
  now(): number;
}

/** `performance.now()`: monotonic, sub-microsecond resolution in Node. */
export const systemClock: Clock = { now: () => performance.now() };

export interface RobotPort extends ControlPort {
  /** [1] clock time (ms) the observation in `buffers.obs` was measured at; −Infinity before the first. */
  readonly obsTime: Float64Array;
  /** [1] 1 while an e-stop input is asserted. */
  readonly estop: Uint8Array;
  /** Refreshes `buffers.obs` (and `obsTime`) to the freshest observation at clock time `t` (ms). */
  sense(t: number): void;
  /** One line describing the transport, for the log. */
  describe(): string;
  /** One line of transport statistics at the end of a run (optional). */
  summary?(): string;
}
