/**
 * The safety layer between the policy and the transport. Every control period it checks, in
 * order: the e-stop input, the age of the observation (watchdog: older than k periods is
 * stale), non-finite observation elements, joints beyond their URDF position limit (plus a
 * margin) or velocity limit, the launch file's extra observation limits, and (after the policy)
 * non-finite commands. The first failed check trips it: the trip is latched until the next
 * activation, the controller sends the safe command from the same period on, and the reason is
 * logged once. Checks allocate nothing; only a trip builds its message.
 */
import type { ActuatedJoint } from "./actuation.js";
import { DeployError } from "./errors.js";

export interface SafetyOptions {
  readonly joints: readonly ActuatedJoint[];
  readonly observationNames: readonly string[];
  /** Extra [low, high] limits by observation name. */
  readonly observationLimits: Readonly<Record<string, readonly [number, number]>>;
  readonly periodMs: number;
  readonly watchdogPeriods: number;
  readonly jointLimitMargin: number;
  readonly velocityLimitScale: number;
  /** Labels configuration errors (the launch file). */
  readonly where: string;
}

export class SafetyLayer {
  /** Latched until `rearm()`. */
  tripped = false;
  reason = "";
  /** Clock time of the trip (ms). */
  tripTime = NaN;
  /** Observations older than this (ms) are stale: watchdogPeriods × periodMs. */
  readonly staleAfterMs: number;
  readonly watchdogPeriods: number;
  private readonly names: readonly string[];
  private readonly limitIndex: Int32Array;
  private readonly limitLow: Float64Array;
  private readonly limitHigh: Float64Array;
  private readonly joints: readonly ActuatedJoint[];
  private readonly margin: number;
  private readonly velocityScale: number;

  constructor(o: SafetyOptions) {
    this.names = o.observationNames;
    this.joints = o.joints;
    this.watchdogPeriods = o.watchdogPeriods;
    this.staleAfterMs = o.watchdogPeriods * o.periodMs;
    this.margin = o.jointLimitMargin;
    this.velocityScale = o.velocityLimitScale;
    const entries = Object.entries(o.observationLimits);
    this.limitIndex = new Int32Array(entries.length);
    this.limitLow = new Float64Array(entries.length);
    this.limitHigh = new Float64Array(entries.length);
    entries.forEach(([name, [lo, hi]], k) => {
      const i = o.observationNames.indexOf(name);
      if (i < 0) {
        throw new DeployError(o.where, `deploy.safety.observation_limits.${name}`, `no observation element "${name}" (the policy observes ${o.observationNames.join(", ")})`);
      }
      this.limitIndex[k] = i;
      this.limitLow[k] = lo;
      this.limitHigh[k] = hi;
    });
  }

  /** Clears a trip (on activation). */
  rearm(): void {
    this.tripped = false;
    this.reason = "";
    this.tripTime = NaN;
  }

  /** True when an observation of this age and content may be used at all (fresh, finite). */
  usable(obs: Float32Array, ageMs: number): boolean {
    if (!(ageMs <= this.staleAfterMs)) return false;
    for (let i = 0; i < this.names.length; i++) if (!Number.isFinite(obs[i]!)) return false;
    return true;
  }

  /** Runs the observation checks; trips (and returns false) on the first failure. */
  checkObservation(obs: Float32Array, ageMs: number, estop: boolean, now: number): boolean {
    if (this.tripped) return false;
    if (estop) return this.trip(now, "e-stop asserted");
    if (!(ageMs <= this.staleAfterMs)) {
      const age = ageMs === Infinity ? "no observation received yet" : `newest observation is ${ageMs.toFixed(2)} ms old`;
      return this.trip(now, `watchdog: ${age} (limit ${this.watchdogPeriods} periods = ${this.staleAfterMs.toFixed(1)} ms)`);
    }
    for (let i = 0; i < this.names.length; i++) {
      if (!Number.isFinite(obs[i]!)) return this.trip(now, `observation ${this.names[i]} is ${obs[i]}`);
    }
    for (const j of this.joints) {
      if (j.obsPosition >= 0) {
        const q = obs[j.obsPosition]!;
        if (q < j.lower - this.margin || q > j.upper + this.margin) {
          return this.trip(now, `joint limit: ${j.joint} at ${q.toFixed(3)}, URDF limits [${j.lower}, ${j.upper}] ± margin ${this.margin}`);
        }
      }
      if (j.obsVelocity >= 0) {
        const qd = obs[j.obsVelocity]!;
        const max = j.velocityLimit * this.velocityScale;
        if (qd > max || qd < -max) return this.trip(now, `velocity limit: ${j.joint} at ${qd.toFixed(2)}, limit ±${max}`);
      }
    }
    for (let k = 0; k < this.limitIndex.length; k++) {
      const i = this.limitIndex[k]!;
      const v = obs[i]!;
      if (v < this.limitLow[k]! || v > this.limitHigh[k]!) {
        return this.trip(now, `observation limit: ${this.names[i]} at ${v.toFixed(3)}, outside [${this.limitLow[k]}, ${this.limitHigh[k]}]`);
      }
    }
    return true;
  }

  /** Trips on a non-finite command (checked after the policy and the clamps). */
  checkCommand(action: Float32Array, now: number): boolean {
    if (this.tripped) return false;
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i]!)) return this.trip(now, `command for ${this.joints[i]?.joint ?? i} is ${action[i]}`);
    }
    return true;
  }

  /** Latches a trip (first reason wins); returns false for use in checks. */
  trip(now: number, reason: string): false {
    if (!this.tripped) {
      this.tripped = true;
      this.reason = reason;
      this.tripTime = now;
    }
    return false;
  }
}
