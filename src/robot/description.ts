/**
 * RobotDescription: everything locomote knows about a robot, merged from its URDF (kinematics,
 * inertia, geometry, limits, ros2_control interfaces) and its `.locomote.yaml` sidecar (what
 * URDF cannot say: armature, gear, ctrl range, capsules, friction, contact rules, solver
 * settings, initial pose). Plain data: a physics builder, a task and a ROS 2 bridge read it.
 *
 * Conventions: SI units, z up; poses are URDF origins (xyz, then rpy as fixed-axis X-Y-Z);
 * a link's frame is its parent joint's frame (URDF). Arrays are in file order.
 */

export type Vec3 = readonly [number, number, number];

/** A URDF `<origin>`: translation, then roll-pitch-yaw (rotations about fixed x, y, z). */
export interface Pose {
  readonly xyz: Vec3;
  readonly rpy: Vec3;
}

/** Symmetric inertia tensor about the COM, in the inertial frame (kg·m²). */
export interface InertiaTensor {
  readonly ixx: number;
  readonly ixy: number;
  readonly ixz: number;
  readonly iyy: number;
  readonly iyz: number;
  readonly izz: number;
}

export interface Inertial {
  /** COM position and the frame the tensor is written in, relative to the link frame. */
  readonly origin: Pose;
  readonly mass: number;
  readonly inertia: InertiaTensor;
}

/**
 * Collision/visual geometry. `capsule` exists only after the sidecar marks a URDF `<cylinder>`
 * as one: `length` is the straight segment (the radius reaches past both ends). Cylinders and
 * capsules lie along the local z axis of their origin frame, as in URDF.
 */
export type Geometry =
  | { readonly type: "box"; readonly size: Vec3 }
  | { readonly type: "sphere"; readonly radius: number }
  | { readonly type: "cylinder"; readonly radius: number; readonly length: number }
  | { readonly type: "capsule"; readonly radius: number; readonly length: number };

export interface Collision {
  /** URDF `name` attribute, or `<link>#<index>` when absent. */
  readonly name: string;
  readonly origin: Pose;
  readonly geometry: Geometry;
  /** Coulomb friction coefficient of this geom (combined per pair with `contact.frictionCombine`). */
  readonly friction: number;
}

export interface Visual {
  readonly origin: Pose;
  readonly geometry: Geometry;
}

export interface Link {
  readonly name: string;
  /** Null only for massless frames such as `world`. */
  readonly inertial: Inertial | null;
  readonly collisions: readonly Collision[];
  readonly visuals: readonly Visual[];
}

export type JointType = "revolute" | "continuous" | "prismatic" | "fixed" | "planar" | "floating";

export interface JointLimit {
  readonly lower: number;
  readonly upper: number;
  /** Largest |effort| (N·m or N). */
  readonly effort: number;
  readonly velocity: number;
}

export interface Joint {
  readonly name: string;
  readonly type: JointType;
  readonly parent: string;
  readonly child: string;
  /** Child link frame relative to the parent link frame at q = 0. */
  readonly origin: Pose;
  /** Unit axis in the joint frame (hinge/slide axis; plane normal for `planar`). */
  readonly axis: Vec3;
  /** Position limits (revolute, prismatic); null when unlimited. */
  readonly limit: JointLimit | null;
  /** Viscous damping: generalized force −damping·q̇. */
  readonly damping: number;
  /** Rotor inertia added to this DoF's diagonal of the joint-space mass matrix (MuJoCo armature). */
  readonly armature: number;
  /** Spring towards q = 0: generalized force −stiffness·q (MuJoCo stiffness); absent = 0. */
  readonly stiffness?: number;
}

/** One generalized coordinate of the root joint (planar: two slides and one hinge). */
export interface RootCoordinate {
  readonly name: string;
  readonly type: "slide" | "hinge";
  /** World axis: slide direction, or hinge axis (the plane normal). */
  readonly axis: Vec3;
  /** Rotor inertia on this DoF (MuJoCo armature); absent = 0. */
  readonly armature?: number;
}

export interface Root {
  /** The joint from `world` to the root link, or null for a floating base. */
  readonly joint: string | null;
  readonly link: string;
  /** Coordinates in qpos order (planar: as listed in the sidecar; floating: none, see `floating`). */
  readonly coordinates: readonly RootCoordinate[];
  /**
   * A free (floating) root, MuJoCo's free joint: qpos names (x, y, z of the root link origin in
   * the world, then its quaternion w, x, y, z) and qvel names (world linear velocity of that
   * origin, then the angular velocity in the root link frame). Absent for a planar root.
   */
  readonly floating?: { readonly qpos: readonly string[]; readonly qvel: readonly string[] };
}

/** A MuJoCo-style motor: generalized force = gear · clamp(ctrl, ctrlRange). */
export interface Actuator {
  readonly joint: string;
  readonly interface: "effort" | "position" | "velocity";
  readonly gear: number;
  readonly ctrlRange: readonly [number, number];
}

export interface ContactSettings {
  /** Contacts are generated within this distance (m). */
  readonly margin: number;
  /** `none`: robot geoms touch only the ground; `non_adjacent`: also each other, except parent/child. */
  readonly selfCollision: "none" | "non_adjacent";
  /** How the two friction coefficients of a pair combine (MuJoCo takes the max). */
  readonly frictionCombine: "max" | "average" | "min" | "multiply";
  readonly ground: { readonly height: number; readonly friction: number } | null;
  /** Soft-contact natural frequency (Hz) and damping ratio; absent = the physics engine's default. */
  readonly stiffnessHz?: number;
  readonly dampingRatio?: number;
}

export interface PhysicsSettings {
  readonly timestep: number;
  readonly gravity: Vec3;
  /** Rapier solver iterations (substeps) per step. */
  readonly solverIterations: number;
  /** Rapier PGS iterations inside each solver iteration. */
  readonly pgsIterations: number;
  /**
   * How joint armature is reproduced: `joint_motor` (a per-step velocity motor that acts
   * as −armature·q̈ on the joint's relative motion, like MuJoCo's M[q,q] += armature) or
   * `child_inertia` (armature added to the child's inertia about the hinge axis).
   */
  readonly armatureModel: "joint_motor" | "child_inertia";
  /** Rapier world steps per physics step (armature/limit motors, fluid refreshed before each); absent = 1. */
  readonly substeps?: number;
  /**
   * How a physics step advances MuJoCo's soft joint limits (planar articulation): `euler`
   * (MuJoCo's own Euler step: the limit's reference acceleration from the state at the start of
   * the step, so a joint that crosses its limit during a step is held only from the next one) or
   * `exact` (the limit's reference dynamics solved exactly over the part of the step after the
   * crossing, predicted from the joint rate at the start). Absent = `euler`.
   */
  readonly limitStep?: "euler" | "exact";
  /** Medium for MuJoCo's inertia-box fluid forces (kg/m³, Pa·s); absent or null = vacuum. */
  readonly fluid?: { readonly density: number; readonly viscosity: number } | null;
}

export interface Ros2ControlJoint {
  readonly name: string;
  readonly commandInterfaces: readonly { readonly name: string; readonly min: number | null; readonly max: number | null }[];
  readonly stateInterfaces: readonly string[];
}

export interface Ros2Control {
  readonly name: string;
  readonly type: string;
  readonly plugin: string;
  readonly joints: readonly Ros2ControlJoint[];
}

export interface RobotDescription {
  readonly name: string;
  /** Folder the description was loaded from. */
  readonly dir: string;
  readonly links: readonly Link[];
  /** Every URDF joint, in file order. */
  readonly joints: readonly Joint[];
  readonly root: Root;
  /** Names of the 1-DoF joints (revolute, continuous, prismatic) in kinematic-tree order. */
  readonly dofJoints: readonly string[];
  readonly actuators: readonly Actuator[];
  readonly contact: ContactSettings;
  readonly physics: PhysicsSettings;
  /** qpos0 in generalized-coordinate order: root coordinates, then `dofJoints`. */
  readonly qpos0: readonly number[];
  readonly ros2Control: Ros2Control | null;
}

/**
 * A malformed robot description. The message is one line: file, field path, the value found
 * and what was expected.
 */
export class DescriptionError extends Error {
  override readonly name = "DescriptionError";
  constructor(
    readonly file: string,
    readonly field: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field}: expected ${expected}, got ${found}`);
  }
}

/** Generalized-coordinate names in qpos order (root coordinates, then 1-DoF joints). */
export function coordinateNames(desc: RobotDescription): string[] {
  return [...(desc.root.floating?.qpos ?? desc.root.coordinates.map((c) => c.name)), ...desc.dofJoints];
}

/** Generalized-velocity names in qvel order (= `coordinateNames` except for a floating root). */
export function velocityNames(desc: RobotDescription): string[] {
  return [...(desc.root.floating?.qvel ?? desc.root.coordinates.map((c) => c.name)), ...desc.dofJoints];
}

export function totalMass(desc: RobotDescription): number {
  let m = 0;
  for (const link of desc.links) m += link.inertial?.mass ?? 0;
  return m;
}

export function findLink(desc: RobotDescription, name: string): Link {
  const link = desc.links.find((l) => l.name === name);
  if (!link) throw new Error(`robot "${desc.name}" has no link "${name}"`);
  return link;
}

export function findJoint(desc: RobotDescription, name: string): Joint {
  const joint = desc.joints.find((j) => j.name === name);
  if (!joint) throw new Error(`robot "${desc.name}" has no joint "${name}"`);
  return joint;
}
