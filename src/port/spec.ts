/**
 * Named, bounded vector spaces: the vocabulary shared by simulations, real robots,
 * policies and logs. A spec is plain data so it can be written into a policy manifest
 * and compared across processes.
 */

/** A box-shaped space whose elements each have a name and closed bounds (±Infinity allowed). */
export interface BoxSpec {
  /** One name per element, e.g. "thigh_joint.position". */
  readonly names: readonly string[];
  readonly low: readonly number[];
  readonly high: readonly number[];
}

/** What an implementation of the control port exchanges each step. */
export interface PortSpec {
  /** Robot name, as in its description (URDF `<robot name>`). */
  readonly robot: string;
  readonly observation: BoxSpec;
  /** Normalized command space the policy acts in (for the Gymnasium tasks: the ctrlrange box). */
  readonly action: BoxSpec;
  /** Joint each action element commands, and how a normalized action becomes a command. */
  readonly actuators: readonly ActuatorSpec[];
  /** Seconds between two port steps (control period). */
  readonly dt: number;
  /** Per-env scalar metrics a step reports besides the reward (reward terms, positions). */
  readonly metrics: readonly string[];
  /**
   * Identifier of the observation layout when it follows a published convention, e.g.
   * "humanoid-v5-reduced-45" (Gymnasium Humanoid-v5 with the cinert/cvel/qfrc_actuator/cfrc_ext
   * blocks excluded). Absent: the element names alone define the layout.
   */
  readonly observationLayout?: string;
}

/** How action element `i` drives joint `joint`: command = gear · clamp(action, low, high). */
export interface ActuatorSpec {
  readonly joint: string;
  /** ros2_control command interface the command goes to. */
  readonly interface: "effort" | "position" | "velocity";
  readonly gear: number;
}

/** Checks internal consistency; throws with the offending field named. */
export function assertBoxSpec(box: BoxSpec, label: string): void {
  const n = box.names.length;
  if (box.low.length !== n || box.high.length !== n) {
    throw new Error(`${label}: ${n} names but ${box.low.length} low and ${box.high.length} high bounds`);
  }
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const name = box.names[i]!;
    if (seen.has(name)) throw new Error(`${label}: duplicate element name "${name}"`);
    seen.add(name);
    const lo = box.low[i]!;
    const hi = box.high[i]!;
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
      throw new Error(`${label}.${name}: bounds [${lo}, ${hi}] are not an interval`);
    }
  }
}
