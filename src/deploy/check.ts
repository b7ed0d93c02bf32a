/**
 * Configure-time checks: does this frozen policy fit this robot and this loop? Each refusal is
 * one DeployError line naming the policy, the field, both values and what was expected.
 */
import type { DeployConfig } from "../launch/deploy-config.js";
import type { FrozenPolicy } from "../policy/frozen.js";
import { describeValue } from "../policy/manifest.js";
import type { BoxSpec } from "../port/spec.js";
import type { RobotDescription } from "../robot/description.js";
import { DeployError } from "./errors.js";
import { MessageMappingError, observationNeeds, planObservation } from "./messages.js";

/**
 * Checks the policy against the robot description: robot name, joint names and order against
 * the actuators, interfaces and gears, and the action box against the ctrl ranges. (Where each
 * observation element comes from is checked by the transport: the sim's port spec must match
 * exactly; ROS 2 must find a message field for every element.)
 */
export function checkPolicyForRobot(policy: FrozenPolicy, desc: RobotDescription, where: string): void {
  const m = policy.manifest;
  const spec = m.spec;
  if (m.robot !== desc.name) throw new DeployError(where, "robot", `policy was trained for robot ${describeValue(m.robot)}, the launch file deploys ${describeValue(desc.name)}`);
  if (spec.actuators.length !== desc.actuators.length) {
    throw new DeployError(where, "spec.actuators", `policy commands ${spec.actuators.length} joints (${m.joints.join(", ")}), robot ${desc.name} has ${desc.actuators.length} actuators (${desc.actuators.map((a) => a.joint).join(", ")})`);
  }
  spec.actuators.forEach((a, i) => {
    const d = desc.actuators[i]!;
    if (!desc.dofJoints.includes(a.joint)) {
      throw new DeployError(where, `joints[${i}]`, `policy commands joint ${describeValue(a.joint)}, robot ${desc.name} has no such joint (joints: ${desc.dofJoints.join(", ")})`);
    }
    if (a.joint !== d.joint) throw new DeployError(where, `joints[${i}]`, `policy commands ${describeValue(a.joint)}, robot ${desc.name}'s actuator ${i} drives ${describeValue(d.joint)} (same joints in the same order expected)`);
    if (a.interface !== d.interface) throw new DeployError(where, `spec.actuators[${i}].interface`, `policy has ${describeValue(a.interface)}, robot ${desc.name} has ${describeValue(d.interface)} for ${a.joint}`);
    if (a.gear !== d.gear) throw new DeployError(where, `spec.actuators[${i}].gear`, `policy has ${a.gear}, robot ${desc.name} has ${d.gear} for ${a.joint}`);
    const [lo, hi] = d.ctrlRange;
    if (spec.action.low[i] !== lo || spec.action.high[i] !== hi) {
      throw new DeployError(where, `spec.action (${a.joint})`, `policy acts in [${spec.action.low[i]}, ${spec.action.high[i]}], robot ${desc.name}'s ctrl_range is [${lo}, ${hi}]`);
    }
  });
}

/** Control ticks per policy step: policy dt × rate must be a whole number ≥ 1. */
export function policyDecimation(policyDt: number, rateHz: number, where: string): number {
  const ratio = policyDt * rateHz;
  const n = Math.round(ratio);
  if (n < 1 || Math.abs(ratio - n) > 1e-6 * Math.max(1, ratio)) {
    const ok = [1, 2, 4, 5, 10].map((k) => +(k / policyDt).toFixed(6)).join(", ");
    throw new DeployError(where, "deploy.rate_hz", `got ${rateHz} Hz, expected a whole multiple of the policy rate 1/${policyDt} s = ${+(1 / policyDt).toFixed(6)} Hz (e.g. ${ok})`);
  }
  return n;
}

/**
 * transport ros2: every observation element must have a message field (src/deploy/messages.ts
 * `planObservation`), and the launch file must name the topics the observation reads — the IMU
 * for root angles/rates (a floating base's quaternion and body rates), the odometry for root
 * positions/velocities (a floating base's height and world velocity). Checked at configure,
 * before any ROS 2 entity exists. Returns the observation names each topic feeds.
 */
export function checkRos2Sources(
  observation: BoxSpec,
  desc: RobotDescription,
  ros2: Pick<DeployConfig["ros2"], "imu_topic" | "odometry_topic">,
  where: string,
): { readonly imu: string[]; readonly odometry: string[] } {
  let needs: { imu: string[]; odometry: string[] };
  try {
    needs = observationNeeds(observation.names, planObservation(observation.names, desc));
  } catch (err) {
    if (err instanceof MessageMappingError) throw new DeployError(where, "deploy.ros2", err.message);
    throw err;
  }
  const list = (names: readonly string[]): string => (names.length > 4 ? `${names.slice(0, 4).join(", ")}, … (${names.length} elements)` : names.join(", "));
  if (needs.imu.length > 0 && ros2.imu_topic === null) {
    throw new DeployError(where, "deploy.ros2.imu_topic", `got null, expected a sensor_msgs/Imu topic such as "/imu": the policy observes ${list(needs.imu)}`);
  }
  if (needs.odometry.length > 0 && ros2.odometry_topic === null) {
    throw new DeployError(where, "deploy.ros2.odometry_topic", `got null, expected a nav_msgs/Odometry topic such as "/odom": the policy observes ${list(needs.odometry)}`);
  }
  return needs;
}
