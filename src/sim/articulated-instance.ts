/**
 * The part every task instance over one articulated robot shares (planar Hopper/Walker2d,
 * Humanoid): the action → control clamp, holding the controls for the physics steps of one
 * env step, and the TaskInstance reset/state API over `ArticulatedState`. A task adds its
 * observation (`writeObs`) and its `step` (reward, health, metrics).
 */
import type { RobotDescription } from "../robot/description.js";
import type { Rng } from "../util/rng.js";
import type { TaskInstance, TaskStateSpec } from "./task.js";
import { ArticulatedState, type StateArticulation } from "./task-state.js";

/** What a task instance drives: the state API plus controls, stepping and the world's lifetime. */
export interface ControlledArticulation extends StateArticulation {
  /** Actuators (controls per step). */
  readonly nu: number;
  setControl(ctrl: ArrayLike<number>): void;
  /** Advances `n` physics steps with the current controls. */
  step(n: number): void;
  contactCount(): number;
  /** One piece of the next reset's work done ahead of time; false when none is left. */
  prepareReset(): boolean;
  free(): void;
}

export abstract class ArticulatedInstance<A extends ControlledArticulation> implements TaskInstance {
  /** The state API, and the engine's state as read back after the last reset/step (`state.qpos`, `state.qvel`). */
  protected readonly state: ArticulatedState;
  protected readonly qpos: Float64Array;
  protected readonly qvel: Float64Array;
  /** The clamped controls of the current step (what `readEfforts` reports, times the gear). */
  protected readonly ctrl: Float64Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  protected done = false;

  constructor(
    readonly art: A,
    desc: RobotDescription,
    state: TaskStateSpec,
    private readonly resetNoiseScale: number,
  ) {
    this.state = new ArticulatedState(art, desc, state);
    this.qpos = this.state.qpos;
    this.qvel = this.state.qvel;
    this.ctrl = new Float64Array(art.nu);
    this.low = new Float64Array(desc.actuators.map((a) => a.ctrlRange[0]));
    this.high = new Float64Array(desc.actuators.map((a) => a.ctrlRange[1]));
  }

  get terminated(): boolean {
    return this.done;
  }

  reset(rng: Rng, obs: Float32Array): void {
    this.state.drawReset(rng, this.resetNoiseScale);
    this.placed(obs);
  }

  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>, obs: Float32Array): void {
    this.state.set(qpos, qvel);
    this.placed(obs);
  }

  readState(qpos: Float64Array, qvel: Float64Array): void {
    this.state.readState(qpos, qvel);
  }

  readLinkPoses(out: Float64Array): void {
    this.state.readLinkPoses(out);
  }

  readEfforts(out: Float64Array): void {
    this.state.readEfforts(out);
  }

  prepareReset(): boolean {
    return this.art.prepareReset();
  }

  free(): void {
    this.art.free();
  }

  /** Contact points after the last physics step (diagnostics and benchmarks; allocates). */
  contactCount(): number {
    return this.art.contactCount();
  }

  abstract step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number;

  /** Writes the observation of the state in `qpos`/`qvel`. */
  protected abstract writeObs(obs: Float32Array): void;

  /** Clamps `action` to the ctrl range into `ctrl` (NaN → 0 rather than poisoning the physics); returns Σ ctrl². */
  protected clampControl(action: Float32Array): number {
    const { ctrl, low, high } = this;
    let sq = 0;
    for (let i = 0; i < ctrl.length; i++) {
      const a = action[i]!;
      const lo = low[i]!, hi = high[i]!;
      const c = a > lo ? (a < hi ? a : hi) : a <= lo ? lo : 0;
      ctrl[i] = c;
      sq += c * c;
    }
    return sq;
  }

  /** Holds `ctrl` for `physicsSteps` steps and reads the state back into `qpos`/`qvel`. */
  protected advance(physicsSteps: number): void {
    this.art.setControl(this.ctrl);
    this.art.step(physicsSteps);
    this.state.stepped();
  }

  /** Reset's common part after the world was placed: zero controls, the observation. */
  private placed(obs: Float32Array): void {
    this.ctrl.fill(0);
    this.art.setControl(this.ctrl);
    this.done = false;
    this.writeObs(obs);
  }
}
