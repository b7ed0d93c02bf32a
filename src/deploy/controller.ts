/**
 * The control loop's tick: one function from observation to command, the same for the
 * simulated and the real robot (it sees only a `RobotPort`).
 *
 *   sense → safety checks (e-stop, watchdog, NaN, limits) → phase command:
 *     zero         passive command (no effort; position joints hold where they are)
 *     interpolate  PD targets moving linearly from the measured pose to the default pose
 *     fade         (1 − α)·PD(default pose) + α·policy, α rising linearly 0 → 1 (never decreasing)
 *     policy       policy action (run once per policy period, held in between)
 *     stopping     safe command for `stop_s`, then the passive command, then inactive
 *   → clamp to the joint/effort limits → command check → send.
 * A safety trip replaces the phase command by the safe command (damping or hold pose) in the
 * same tick, and stays latched until the next activation. When the observation is stale or not
 * finite the safe command falls back to the passive one (no torque from unknown state).
 */
import type { SafeCommandKind } from "../launch/deploy-config.js";
import type { FrozenPolicy } from "../policy/frozen.js";
import { dampingAction, passiveAction, pdAction, type ActuatedJoint } from "./actuation.js";
import type { DeployLog } from "./log.js";
import type { Phase, TickRecorder } from "./recorder.js";
import type { Clock, RobotPort } from "./robot-port.js";
import type { SafetyLayer } from "./safety.js";
import type { LoopStats } from "./stats.js";

export interface StartupTimes {
  /** Seconds of each start-up phase. */
  readonly zeroS: number;
  readonly interpolateS: number;
  readonly fadeS: number;
}

/**
 * Sees every tick and every command the controller sends (the deploy session log,
 * src/log/deploy-recorder.ts). Called synchronously from the loop: must not allocate much.
 */
export interface TickObserver {
  /** Start of every tick (also while inactive), before sensing; `scheduled` is the tick's deadline. */
  tickStart(scheduled: number): void;
  /** After sensing, every tick (also while inactive). */
  sensed(now: number): void;
  /**
   * A command was sent (`port.step()`) at clock time `now`; `action` is exactly what the
   * transport got. From a tick: the observation used and its age (ms), and `policyAction` when
   * the policy was evaluated in this tick (else null). The final passive command of a stop is
   * reported with phase "inactive" and `obs` null.
   */
  sent(
    now: number,
    phase: Phase,
    alpha: number,
    tripped: boolean,
    obs: Float32Array | null,
    obsAgeMs: number,
    action: Float32Array,
    policyAction: Float32Array | null,
  ): void;
}

export interface DeployControllerOptions {
  readonly port: RobotPort;
  readonly policy: FrozenPolicy;
  readonly joints: readonly ActuatedJoint[];
  readonly safety: SafetyLayer;
  readonly rateHz: number;
  /** Control ticks per policy step. */
  readonly decimation: number;
  readonly startup: StartupTimes;
  readonly safeCommand: SafeCommandKind;
  /** Seconds of safe command when stopping. */
  readonly stopS: number;
  readonly log: DeployLog;
  readonly clock: Clock;
  readonly recorder?: TickRecorder | null;
  readonly stats?: LoopStats | null;
  /** The session log; may be set after construction (`observer`). */
  readonly observer?: TickObserver | null;
}

export class DeployController {
  phase: Phase = "inactive";
  /** Policy weight during fade-in (0 → 1, monotone), 1 afterwards. */
  alpha = 0;
  /** Policy evaluations so far. */
  policySteps = 0;
  readonly periodMs: number;
  private readonly o: DeployControllerOptions;
  private readonly policyAction: Float32Array;
  private readonly warmAction: Float32Array;
  private policyValid = false;
  private lastPolicyAt = -Infinity;
  private readonly interpStart: Float64Array;
  private readonly holdTarget: Float64Array;
  private readonly lastValidQ: Float64Array;
  private activatedAt = NaN;
  /** Clock time the current start-up phase began. */
  private phaseStart = NaN;
  private stopEnd = NaN;
  private tripLogged = false;
  private stopWaiters: (() => void)[] = [];
  /** Sees every tick and command (the session log). */
  observer: TickObserver | null;

  constructor(options: DeployControllerOptions) {
    this.o = options;
    this.observer = options.observer ?? null;
    this.periodMs = 1000 / options.rateHz;
    this.policyAction = new Float32Array(options.policy.actDim);
    this.warmAction = new Float32Array(options.policy.actDim);
    const n = options.joints.length;
    this.interpStart = new Float64Array(n);
    this.holdTarget = new Float64Array(n);
    this.lastValidQ = Float64Array.from(options.joints, (j) => j.defaultPosition);
  }

  get active(): boolean {
    return this.phase !== "inactive";
  }

  /** Arms: start-up sequence from clock time `t` (ms); clears a latched trip. */
  activate(t: number): void {
    const s = this.o.startup;
    if (this.o.safety.tripped) this.o.log.write("info", `activate: clearing safety trip (${this.o.safety.reason})`);
    this.o.safety.rearm();
    this.tripLogged = false;
    this.activatedAt = t;
    this.alpha = 0;
    this.policyValid = false;
    this.o.log.write(
      "info",
      `activate: zero command ${s.zeroS} s → default pose in ${s.interpolateS} s → policy fade-in over ${s.fadeS} s (policy every ${this.o.decimation} ticks at ${this.o.rateHz} Hz)`,
    );
    this.enterPhase("zero", t);
  }

  /**
   * Disarms: safe command for `stopS`, then the passive command. Resolves once the passive
   * command is sent (the loop must keep ticking); at once when already inactive.
   */
  deactivate(why: string): Promise<void> {
    if (this.phase === "inactive") return Promise.resolve();
    if (this.phase !== "stopping") {
      this.captureHold();
      this.stopEnd = this.o.clock.now() + this.o.stopS * 1000;
      this.setPhase("stopping");
      this.o.log.write("info", `deactivate (${why}): safe command ${this.describeSafe()} for ${this.o.stopS} s, then passive`);
    }
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** Stops at once: passive command now (second Ctrl-C, shutdown without a loop). */
  stopNow(why: string): void {
    if (this.phase === "inactive") return;
    this.finish(why);
  }

  /**
   * Slack-time work before the tick due at `deadline`: when a policy step is due then, one
   * throw-away forward pass brings the weights back into the cache (other processes may have
   * run on this core while the loop slept), so the real one reads them warm.
   */
  prepare(deadline: number): void {
    if ((this.phase !== "fade" && this.phase !== "policy") || this.o.safety.tripped) return;
    if (this.policyValid && deadline - this.lastPolicyAt < (this.o.decimation - 0.5) * this.periodMs) return;
    this.o.policy.act(this.o.port.buffers.obs, 1, this.warmAction);
  }

  /** One control period: `now` is the clock time, `scheduled` the deadline it was due at. */
  tick(now: number, scheduled: number): void {
    const { port, safety, joints } = this.o;
    const observer = this.observer;
    observer?.tickStart(scheduled);
    port.sense(scheduled);
    observer?.sensed(now);
    this.o.stats?.tick(now);
    if (this.phase === "inactive") return;
    const policySteps = this.policySteps;

    const obs = port.buffers.obs;
    const age = now - port.obsTime[0]!;
    safety.checkObservation(obs, age, port.estop[0] !== 0, now);
    const usable = safety.usable(obs, age);
    if (usable) for (let i = 0; i < joints.length; i++) if (joints[i]!.obsPosition >= 0) this.lastValidQ[i] = obs[joints[i]!.obsPosition]!;
    if (safety.tripped && !this.tripLogged) this.onTrip();

    const action = port.buffers.action;
    if (this.phase === "stopping" || safety.tripped) {
      this.safeCommand(action, obs, usable);
    } else {
      this.phaseCommand(action, obs, scheduled);
      this.clamp(action);
      if (!safety.checkCommand(action, now)) {
        this.onTrip();
        this.safeCommand(action, obs, usable);
      }
    }
    this.clamp(action);
    port.step();
    observer?.sent(now, this.phase, this.alpha, safety.tripped, obs, age, action, this.policySteps !== policySteps ? this.policyAction : null);
    this.o.recorder?.record((scheduled - this.activatedAt) / 1000, this.phase, this.alpha, safety.tripped, age, obs, action);
    if (this.phase === "stopping" && now >= this.stopEnd) this.finish("stop time elapsed");
  }

  // -------------------------------------------------------------------------------------------

  private phaseCommand(action: Float32Array, obs: Float32Array, scheduled: number): void {
    const { joints, startup } = this.o;
    // Each phase is timed from the tick that entered it, and at most one transition happens per
    // tick, so a stalled tick delays the start-up instead of skipping a phase.
    const t = (scheduled - this.phaseStart) / 1000;
    if (this.phase === "zero" && t >= startup.zeroS) {
      for (let i = 0; i < joints.length; i++) this.interpStart[i] = this.lastValidQ[i]!;
      this.enterPhase("interpolate", scheduled);
    } else if (this.phase === "interpolate" && t >= startup.interpolateS) {
      this.enterPhase("fade", scheduled);
    } else if (this.phase === "fade") {
      const a = startup.fadeS > 0 ? Math.min(1, Math.max(0, t / startup.fadeS)) : 1;
      if (a > this.alpha) this.alpha = a; // monotone even if the clock stutters
      if (this.alpha >= 1) this.enterPhase("policy", scheduled);
    }
    const tp = (scheduled - this.phaseStart) / 1000;

    switch (this.phase) {
      case "zero":
        for (let i = 0; i < joints.length; i++) action[i] = passiveAction(joints[i]!, this.lastValidQ[i]!);
        return;
      case "interpolate": {
        const s = startup.interpolateS > 0 ? Math.min(1, Math.max(0, tp / startup.interpolateS)) : 1;
        for (let i = 0; i < joints.length; i++) {
          const j = joints[i]!;
          const target = this.interpStart[i]! + s * (j.defaultPosition - this.interpStart[i]!);
          action[i] = pdAction(j, target, obs[j.obsPosition]!, velocityOf(obs, j), j.startupKp, j.startupKd);
        }
        return;
      }
      case "fade":
      case "policy": {
        this.runPolicy(obs, scheduled);
        const a = this.alpha;
        for (let i = 0; i < joints.length; i++) {
          const j = joints[i]!;
          const pd = a < 1 ? pdAction(j, j.defaultPosition, obs[j.obsPosition]!, velocityOf(obs, j), j.startupKp, j.startupKd) : 0;
          action[i] = a < 1 ? (1 - a) * pd + a * this.policyAction[i]! : this.policyAction[i]!;
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Evaluates the policy once per policy period (decimation ticks; a late tick does not shift
   * the next one by more than it must), or at once when it has no action yet.
   */
  private runPolicy(obs: Float32Array, scheduled: number): void {
    if (this.policyValid && scheduled - this.lastPolicyAt < (this.o.decimation - 0.5) * this.periodMs) return;
    this.lastPolicyAt = scheduled;
    const stats = this.o.stats;
    const t0 = stats ? performance.now() : 0;
    this.o.policy.act(obs, 1, this.policyAction);
    if (stats) stats.inferenceUs.push((performance.now() - t0) * 1000);
    this.policyValid = true;
    this.policySteps++;
  }

  private safeCommand(action: Float32Array, obs: Float32Array, usable: boolean): void {
    const joints = this.o.joints;
    for (let i = 0; i < joints.length; i++) {
      const j = joints[i]!;
      if (!usable) {
        action[i] = passiveAction(j, this.lastValidQ[i]!);
      } else if (this.o.safeCommand === "damping") {
        action[i] = dampingAction(j, obs[j.obsPosition]!, velocityOf(obs, j));
      } else {
        action[i] = pdAction(j, this.holdTarget[i]!, obs[j.obsPosition]!, velocityOf(obs, j), j.holdKp, j.dampingKd);
      }
    }
  }

  private clamp(action: Float32Array): void {
    const joints = this.o.joints;
    for (let i = 0; i < joints.length; i++) {
      const j = joints[i]!;
      const a = action[i]!;
      if (a < j.low) action[i] = j.low;
      else if (a > j.high) action[i] = j.high;
    }
  }

  private onTrip(): void {
    this.tripLogged = true;
    this.captureHold();
    const s = this.o.safety;
    this.o.log.write("warn", `SAFETY TRIP in phase ${this.phase}: ${s.reason} → safe command ${this.describeSafe()} (latched until the next activation)`);
  }

  private captureHold(): void {
    this.holdTarget.set(this.lastValidQ);
  }

  private finish(why: string): void {
    const { port, joints } = this.o;
    const action = port.buffers.action;
    for (let i = 0; i < joints.length; i++) action[i] = passiveAction(joints[i]!, this.lastValidQ[i]!);
    this.clamp(action);
    port.step();
    this.setPhase("inactive");
    this.observer?.sent(this.o.clock.now(), "inactive", this.alpha, this.o.safety.tripped, null, NaN, action, null);
    const cmd = Array.from(action, (a, i) => +(a * joints[i]!.gear).toFixed(4));
    this.o.log.write("info", `stopped (${why}): final command [${cmd.join(", ")}] (${[...new Set(joints.map((j) => j.interface))].join("/")})`);
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
  }

  private enterPhase(phase: Phase, t: number): void {
    this.phaseStart = t;
    this.setPhase(phase);
  }

  private setPhase(phase: Phase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (phase !== "inactive" && phase !== "stopping") this.o.log.write("info", `phase ${phase}`);
  }

  private describeSafe(): string {
    return this.o.safeCommand === "damping" ? "damping" : "hold pose";
  }
}

/** The joint's observed velocity, NaN when the observation has none. */
function velocityOf(obs: Float32Array, j: ActuatedJoint): number {
  return j.obsVelocity >= 0 ? obs[j.obsVelocity]! : NaN;
}
