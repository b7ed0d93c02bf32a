/**
 * Configure-time checks: does this frozen policy fit this robot and this loop? Each refusal is
 * one DeployError line naming the policy, the field, both values and what was expected.
 */
import type { FrozenPolicy } from "../policy/frozen.js";
import { describeValue } from "../policy/manifest.js";
import type { RobotDescription } from "../robot/description.js";
import { DeployError } from "./errors.js";

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
