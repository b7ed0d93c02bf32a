/**
 * The state layout (`TaskDefinition.state`) of a task simulating a robot description: qpos/qvel
 * names from the description's root and 1-DoF joints, the links below the root (every URDF
 * link but the world frame, in file order: placeholders of stacked hinges and welded links
 * included, as robot_state_publisher would publish them), and the JointState joints.
 */
import { coordinateNames, type RobotDescription, velocityNames } from "../robot/description.js";
import type { TaskJoint, TaskStateSpec } from "./task.js";

/** The links moved by the robot: the root link and everything below it, in URDF file order. */
export function robotLinkNames(desc: RobotDescription): string[] {
  const below = new Set<string>([desc.root.link]);
  const queue = [desc.root.link];
  for (let i = 0; i < queue.length; i++) {
    for (const j of desc.joints) {
      if (j.parent !== queue[i] || below.has(j.child)) continue;
      below.add(j.child);
      queue.push(j.child);
    }
  }
  return desc.links.map((l) => l.name).filter((n) => below.has(n));
}

/** `TaskDefinition.state` for a task whose qpos/qvel are the description's generalized coordinates. */
export function robotTaskState(desc: RobotDescription): TaskStateSpec {
  const qposNames = coordinateNames(desc);
  const qvelNames = velocityNames(desc);
  const rootQ = qposNames.length - desc.dofJoints.length;
  const rootV = qvelNames.length - desc.dofJoints.length;
  const joints: TaskJoint[] = desc.dofJoints.map((name, i) => ({ name, qposIndex: rootQ + i, qvelIndex: rootV + i }));
  return { nq: qposNames.length, nv: qvelNames.length, qposNames, qvelNames, links: robotLinkNames(desc), joints };
}

/**
 * Index of each of `names` (the task's `state.links`) among an articulation's links, for
 * `readLinkPoses`; throws when one is missing.
 */
export function linkIndices(names: readonly string[], articulationLinks: readonly string[], robot: string): Int32Array {
  return new Int32Array(
    names.map((n) => {
      const i = articulationLinks.indexOf(n);
      if (i < 0) throw new Error(`robot "${robot}": link "${n}" is not simulated (simulated: ${articulationLinks.join(", ")})`);
      return i;
    }),
  );
}
