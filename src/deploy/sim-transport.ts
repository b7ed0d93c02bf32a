/**
 * transport:=sim — the Rapier simulation of a task as a robot in real time (sim-in-the-loop).
 * The sim advances in whole task steps (dt) on the clock: `sense(t)` steps it until its time
 * reaches t, each step holding the command that was in force at the step's start, exactly as a
 * zero-order-hold actuator would. With the loop at a multiple of the task rate, a policy tick
 * reads the state at the step boundary and its command governs the next step (training's
 * semantics). The simulated robot does not reset when it falls (a real one cannot), unless
 * `resetOnFall` is set (benchmarks).
 *
 * Fault injection for tests and drills: `freezeSensors()` keeps the last observation and its
 * timestamp while the physics goes on (a dead sensor bus), `corruptObservation()` makes one
 * element read a given value (NaN, out of range); `estop[0] = 1` asserts the e-stop.
 */
import { allocBuffers, type PortBuffers } from "../port/port.js";
import type { PortSpec } from "../port/spec.js";
import { SimPort } from "../sim/sim-port.js";
import type { TaskDefinition } from "../sim/task.js";
import type { RobotPort } from "./robot-port.js";

/** Sees every sim step (the deploy session log: true state, rewards, sim time). */
export interface SimStepObserver {
  /**
   * Called after each sim step, before a `resetOnFall` reset: `simTimeMs` is the clock time the
   * new state corresponds to, `steps` the sim steps run so far (sim time = steps · dt), `sim` the
   * simulation's own buffers — the true observation, reward, metrics and terminated flag, not
   * subject to `freezeSensors` / `corruptObservation`. The state is readable through
   * `readState`, `readLinkPoses` and `readEfforts` during the call.
   */
  simStep(simTimeMs: number, steps: number, sim: PortBuffers): void;
}

export interface SimTransportOptions {
  readonly seed?: number;
  readonly resetOnFall?: boolean;
  /** Most sim steps one `sense` runs to catch up; beyond, sim time slips (logged via `slips`). */
  readonly maxCatchUpSteps?: number;
}

export class SimRealtimePort implements RobotPort {
  readonly spec: PortSpec;
  readonly numEnvs = 1;
  readonly buffers: PortBuffers;
  readonly obsTime = new Float64Array([-Infinity]);
  readonly estop = new Uint8Array(1);
  /** Sim steps run, falls (the task turning terminated), and times sim time slipped behind the clock. */
  steps = 0;
  falls = 0;
  slips = 0;
  /** Notified of every sim step (null: none). */
  stepObserver: SimStepObserver | null = null;
  private readonly sim: SimPort;
  private readonly dtMs: number;
  /** Clock time the sim state corresponds to; NaN until anchored by the first `sense`. */
  private simTime = NaN;
  /** The command in force since `simTime`, applied by the next sim step. */
  private readonly held: Float32Array;
  private frozen = false;
  private fallen = false;
  private corruptIndex = -1;
  private corruptValue = 0;
  private readonly resetOnFall: boolean;
  private readonly maxCatchUp: number;

  constructor(readonly task: TaskDefinition, options: SimTransportOptions = {}) {
    this.spec = task.spec;
    this.buffers = allocBuffers(task.spec, 1);
    this.sim = new SimPort(task, { numEnvs: 1, seed: options.seed ?? 0 });
    this.dtMs = task.spec.dt * 1000;
    this.held = new Float32Array(task.spec.action.names.length);
    this.resetOnFall = options.resetOnFall ?? false;
    this.maxCatchUp = options.maxCatchUpSteps ?? 25;
    this.resetAll();
  }

  describe(): string {
    return `sim "${this.task.name}" in real time (dt ${this.spec.dt} s)`;
  }

  summary(): string {
    const x = this.buffers.metrics["x_position"]?.[0];
    const where = x === undefined ? "" : `, x_position ${x.toFixed(3)} m`;
    return `sim: ${this.steps} steps (${((this.steps * this.dtMs) / 1000).toFixed(2)} s simulated)${where}, falls ${this.falls}, clock slips ${this.slips}`;
  }

  /** Simulated robot at its initial state (plus reset noise); sim time re-anchors at the next `sense`. */
  resetAll(): void {
    this.sim.resetAll();
    this.held.fill(0);
    this.simTime = NaN;
    this.frozen = false;
    this.fallen = false;
    this.buffers.obs.set(this.sim.buffers.obs);
  }

  resetEnv(): void {
    this.resetAll();
  }

  resetEnvs(mask: Uint8Array): void {
    if (mask[0] !== 0) this.resetAll();
  }

  seed(seed: number): void {
    this.sim.seed(seed);
  }

  sense(t: number): void {
    if (Number.isNaN(this.simTime)) {
      this.simTime = t;
      this.obsTime[0] = t;
    }
    const sim = this.sim.buffers;
    let n = 0;
    // A step from simTime to simTime + dt runs once the clock has reached its end.
    while (this.simTime + this.dtMs <= t + 1e-6) {
      if (n === this.maxCatchUp) {
        this.simTime = t;
        this.slips++;
        break;
      }
      sim.action.set(this.held);
      this.sim.step();
      this.simTime += this.dtMs;
      this.steps++;
      n++;
      const fallen = sim.terminated[0] !== 0;
      if (fallen && !this.fallen) this.falls++;
      this.fallen = fallen;
      this.stepObserver?.simStep(this.simTime, this.steps, sim);
      if (fallen && this.resetOnFall) {
        this.sim.resetAll();
        this.fallen = false;
      }
    }
    if (!this.frozen) {
      this.buffers.obs.set(sim.obs);
      if (this.corruptIndex >= 0) this.buffers.obs[this.corruptIndex] = this.corruptValue;
      if (n > 0) this.obsTime[0] = this.simTime;
      const metrics = this.buffers.metrics;
      for (const name of this.spec.metrics) metrics[name]![0] = sim.metrics[name]![0]!;
      this.buffers.reward[0] = sim.reward[0]!;
      this.buffers.terminated[0] = sim.terminated[0]!;
    }
  }

  /**
   * The simulated robot's true state after the last sim step (or reset): qpos/qvel in the
   * task's `state` layout (`task.state.nq` / `nv`). Not subject to `freezeSensors` or
   * `corruptObservation`, which fake only the observation. No allocation.
   */
  readState(qpos: Float64Array, qvel: Float64Array): void {
    this.sim.instance(0).readState(qpos, qvel);
  }

  /** World pose of every link in `task.state.links` order, 7 numbers each [x y z qx qy qz qw]. */
  readLinkPoses(out: Float64Array): void {
    this.sim.instance(0).readLinkPoses(out);
  }

  /** Generalized force of each actuator during the last sim step (gear × clamped command), `spec.action` order. */
  readEfforts(out: Float64Array): void {
    this.sim.instance(0).readEfforts(out);
  }

  /** The command takes effect from now: the next sim step holds it. */
  step(): void {
    this.held.set(this.buffers.action);
  }

  /** Simulates a dead sensor bus: the observation and its timestamp stop updating. */
  freezeSensors(frozen = true): void {
    this.frozen = frozen;
  }

  /** Simulates a faulty sensor: observation element `index` reads `value` from the next `sense` on (null: healthy again). */
  corruptObservation(index: number, value: number | null): void {
    this.corruptIndex = value === null ? -1 : index;
    this.corruptValue = value ?? 0;
  }

  close(): void {
    this.sim.close();
  }
}
