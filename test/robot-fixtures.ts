/**
 * Test fixtures: temporary robot folders (URDF + sidecar) for loader and physics tests.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { robotsDir } from "../src/robot/load.js";

const made: string[] = [];

/** Writes `<root>/<name>/<name>.urdf` and `.locomote.yaml`; returns the robot folder. */
export function writeRobot(name: string, urdf: string, sidecar: string): string {
  const root = mkdtempSync(join(tmpdir(), "locomote-robot-"));
  made.push(root);
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, `${name}.urdf`), urdf);
  writeFileSync(join(dir, `${name}.locomote.yaml`), sidecar);
  return dir;
}

export function removeTempRobots(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function hopperUrdf(): string {
  return readFileSync(join(robotsDir(), "hopper", "hopper.urdf"), "utf8");
}

export function hopperSidecar(): string {
  return readFileSync(join(robotsDir(), "hopper", "hopper.locomote.yaml"), "utf8");
}

/** A hopper copy with `edit` applied to its URDF and/or sidecar text (robot name "hopper"). */
export function editedHopper(edit: { urdf?: (s: string) => string; sidecar?: (s: string) => string }): string {
  const urdf = (edit.urdf ?? ((s) => s))(hopperUrdf());
  const sidecar = (edit.sidecar ?? ((s) => s))(hopperSidecar());
  return writeRobot("hopper", urdf, sidecar);
}

export interface HingeRigOptions {
  /** Arm mass (kg) and COM offset along x from the hinge (m). */
  armMass: number;
  comOffset: number;
  /** Arm inertia about its COM (diagonal). */
  armInertia: number;
  armature: number;
  damping: number;
  gear: number;
  pgsIterations?: number;
}

/**
 * A single hinge: a very heavy base (1e6 kg, planar root, no gravity, no ground) carrying an
 * arm on a revolute joint about (0, −1, 0). The base barely moves, so the hinge obeys
 * (I + armature)·q̈ = τ − damping·q̇ with I = I_com + m·d².
 */
export function hingeRig(o: HingeRigOptions): string {
  const urdf = `<?xml version="1.0"?>
<robot name="rig">
  <link name="world"/>
  <joint name="root" type="planar">
    <parent link="world"/><child link="base"/>
    <origin xyz="0 0 0" rpy="0 0 0"/><axis xyz="0 1 0"/>
  </joint>
  <link name="base">
    <inertial><origin xyz="0 0 0"/><mass value="1e6"/>
      <inertia ixx="1e6" ixy="0" ixz="0" iyy="1e6" iyz="0" izz="1e6"/></inertial>
  </link>
  <joint name="hinge" type="revolute">
    <parent link="base"/><child link="arm"/>
    <origin xyz="0 0 0" rpy="0 0 0"/><axis xyz="0 -1 0"/>
    <limit lower="-100" upper="100" effort="${o.gear}" velocity="1000"/>
    <dynamics damping="${o.damping}"/>
  </joint>
  <link name="arm">
    <inertial><origin xyz="${o.comOffset} 0 0"/><mass value="${o.armMass}"/>
      <inertia ixx="${o.armInertia}" ixy="0" ixz="0" iyy="${o.armInertia}" iyz="0" izz="${o.armInertia}"/></inertial>
    <collision><origin xyz="${o.comOffset} 0 0" rpy="0 1.5707963 0"/><geometry><cylinder radius="0.02" length="0.2"/></geometry></collision>
  </link>
</robot>
`;
  const sidecar = `schema: locomote.robot/1
robot: rig
physics:
  timestep: 0.002
  gravity: [0, 0, 0]
  solver_iterations: 1
  pgs_iterations: ${o.pgsIterations ?? 12}
  armature_model: joint_motor
root:
  joint: root
  coordinates:
    - { name: rootx, type: slide, axis: [1, 0, 0] }
    - { name: rootz, type: slide, axis: [0, 0, 1] }
    - { name: rooty, type: hinge, axis: [0, 1, 0] }
joints:
  hinge: { armature: ${o.armature} }
actuators:
  - { joint: hinge, gear: ${o.gear}, ctrl_range: [-1, 1] }
links:
  arm: { collision_shape: capsule, friction: 1 }
contact:
  self_collision: none
  ground: null
initial_pose:
  qpos: {}
`;
  return writeRobot("rig", urdf, sidecar);
}
