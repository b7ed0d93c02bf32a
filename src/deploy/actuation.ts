/**
 * What the control loop knows about each actuated joint, in action order: where its position
 * and velocity are in the observation, its limits from the robot description, the start-up and
 * safe-command gains, and how a physical command (torque, position, velocity) becomes an action
 * element (command = gear · action, as in the port spec).
 *
 * Clamp box of action element i = the policy's action box ∩ the actuator's ctrl range ∩ the URDF
 * joint limit (effort: ±effort/gear; position: [lower, upper]/gear; velocity: ±velocity/gear) ∩
 * the URDF <ros2_control> command interface min/max (/gear).
 */
import type { Gain } from "../launch/deploy-config.js";
import type { PortSpec } from "../port/spec.js";
import type { RobotDescription } from "../robot/description.js";
import { DeployError } from "./errors.js";

export interface ActuatedJoint {
  readonly joint: string;
  readonly interface: "effort" | "position" | "velocity";
  readonly gear: number;
  /** Clamp box of the action element. */
  readonly low: number;
  readonly high: number;
  /** Index of `<joint>.position` / `<joint>.velocity` in the observation (−1 if absent). */
  readonly obsPosition: number;
  readonly obsVelocity: number;
  /** URDF position limits (±Infinity when unlimited) and velocity limit. */
  readonly lower: number;
  readonly upper: number;
  readonly velocityLimit: number;
  /** Default pose (start-up target). */
  readonly defaultPosition: number;
  readonly startupKp: number;
  readonly startupKd: number;
  readonly dampingKd: number;
  readonly holdKp: number;
}

export interface ActuationGains {
  startupKp: Gain;
  startupKd: Gain;
  dampingKd: Gain;
  holdKp: Gain;
  /** Default pose by joint name; others from the description's initial pose. */
  defaultPose: Readonly<Record<string, number>>;
}

/** Builds the per-joint table; throws DeployError when the description cannot support the spec. */
export function actuatedJoints(spec: PortSpec, desc: RobotDescription, gains: ActuationGains, where: string): ActuatedJoint[] {
  const names = spec.observation.names;
  const jointNames = new Set(desc.dofJoints);
  for (const [name, table] of Object.entries({
    "startup.kp": gains.startupKp,
    "startup.kd": gains.startupKd,
    "safety.damping_kd": gains.dampingKd,
    "safety.hold_kp": gains.holdKp,
    "startup.default_pose": gains.defaultPose,
  })) {
    if (typeof table === "number") continue;
    for (const joint of Object.keys(table)) {
      if (!jointNames.has(joint)) throw new DeployError(where, `deploy.${name}.${joint}`, `got joint "${joint}", expected a joint of robot "${desc.name}" (${desc.dofJoints.join(", ")})`);
    }
  }
  const gain = (g: Gain, joint: string): number => (typeof g === "number" ? g : (g[joint] ?? 0));
  // qpos0 starts with the root's coordinates (a floating root has 7: x, y, z, qw, qx, qy, qz).
  const offset = desc.root.floating?.qpos.length ?? desc.root.coordinates.length;
  return spec.actuators.map((a, i): ActuatedJoint => {
    const joint = desc.joints.find((j) => j.name === a.joint);
    if (!joint) throw new DeployError(where, `policy spec.actuators[${i}].joint`, `got "${a.joint}", expected a joint of robot "${desc.name}"`);
    let low = spec.action.low[i]!;
    let high = spec.action.high[i]!;
    const actuator = desc.actuators.find((d) => d.joint === a.joint);
    if (actuator) {
      low = Math.max(low, actuator.ctrlRange[0]);
      high = Math.min(high, actuator.ctrlRange[1]);
    }
    const lim = joint.limit;
    if (lim) {
      const bound = a.interface === "effort" ? [-lim.effort, lim.effort] : a.interface === "velocity" ? [-lim.velocity, lim.velocity] : [lim.lower, lim.upper];
      low = Math.max(low, bound[0]! / a.gear);
      high = Math.min(high, bound[1]! / a.gear);
    }
    const cmd = desc.ros2Control?.joints.find((r) => r.name === a.joint)?.commandInterfaces.find((c) => c.name === a.interface);
    if (cmd?.min != null) low = Math.max(low, cmd.min / a.gear);
    if (cmd?.max != null) high = Math.min(high, cmd.max / a.gear);
    if (!(low <= high)) throw new DeployError(where, `actuator ${a.joint}`, `the policy's action box, ctrl range and URDF limits leave no command (low ${low} > high ${high})`);
    const q0 = desc.qpos0[offset + desc.dofJoints.indexOf(a.joint)] ?? 0;
    const defaultPosition = gains.defaultPose[a.joint] ?? q0;
    if (lim && (defaultPosition < lim.lower || defaultPosition > lim.upper)) {
      throw new DeployError(where, `deploy.startup.default_pose.${a.joint}`, `got ${defaultPosition}, expected a position within the URDF limits [${lim.lower}, ${lim.upper}]`);
    }
    return {
      joint: a.joint,
      interface: a.interface,
      gear: a.gear,
      low,
      high,
      obsPosition: names.indexOf(`${a.joint}.position`),
      obsVelocity: names.indexOf(`${a.joint}.velocity`),
      lower: lim ? lim.lower : -Infinity,
      upper: lim ? lim.upper : Infinity,
      velocityLimit: lim ? lim.velocity : Infinity,
      defaultPosition,
      startupKp: gain(gains.startupKp, a.joint),
      startupKd: gain(gains.startupKd, a.joint),
      dampingKd: gain(gains.dampingKd, a.joint),
      holdKp: gain(gains.holdKp, a.joint),
    };
  });
}

/**
 * Action that drives joint `j` toward `target` (PD for effort joints; the target itself for
 * position joints; P on position for velocity joints). `q`, `qd` are measured; NaN velocity
 * counts as 0 (no damping rather than a NaN command).
 */
export function pdAction(j: ActuatedJoint, target: number, q: number, qd: number, kp: number, kd: number): number {
  const v = qd === qd ? qd : 0;
  switch (j.interface) {
    case "effort":
      return (kp * (target - q) - kd * v) / j.gear;
    case "position":
      return target / j.gear;
    case "velocity":
      return (kp * (target - q)) / j.gear;
  }
}

/** Damping-only action: effort −kd·q̇; velocity 0; position = measured (no stiffness to add). */
export function dampingAction(j: ActuatedJoint, q: number, qd: number): number {
  switch (j.interface) {
    case "effort":
      return qd === qd ? (-j.dampingKd * qd) / j.gear : 0;
    case "position":
      return q / j.gear;
    case "velocity":
      return 0;
  }
}

/**
 * The command left behind when the node stops (forward_command_controller holds the last one
 * forever): no effort, no velocity, position = measured.
 */
export function passiveAction(j: ActuatedJoint, q: number): number {
  return j.interface === "position" ? q / j.gear : 0;
}
