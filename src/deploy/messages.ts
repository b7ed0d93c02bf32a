/**
 * ROS 2 message mapping, pure TypeScript (no rclnodejs): sensor messages → one observation row,
 * an action → the `Float64MultiArray` a ros2_control `forward_command_controller` expects, and
 * the reverse of both for `sim-robot`. The message shapes are those rclnodejs generates
 * (`float64[]` arrives as `number[]` or `Float64Array`); src/ros2 checks them against its typings.
 *
 * Where each observation element comes from is decided once, from its name and the robot
 * description (`planObservation`):
 *   `<joint>.position|velocity`  → sensor_msgs/JointState, matched by name, never by index;
 *   `<hinge root>.position`      → sensor_msgs/Imu orientation: the rotation angle about the
 *                                  hinge axis (twist of the orientation about that axis);
 *   `<hinge root>.velocity`      → Imu angular_velocity (body frame), rotated to the world, · axis;
 *   `<slide root>.position`      → nav_msgs/Odometry pose.position (odom frame) · axis;
 *   `<slide root>.velocity`      → Odometry twist.linear (child frame, REP 105), rotated by the
 *                                  pose orientation to the odom frame, · axis.
 * A floating base (`root.floating`, MuJoCo's free joint; e.g. the humanoid's root_x … root_qz,
 * root_x … root_rz) takes its coordinates from the same two messages:
 *   `root_x|y|z.position`        → Odometry pose.position x|y|z (the odom frame is the policy's
 *                                  world: z is the height above the floor, as MuJoCo's qpos[2]);
 *   `root_qw|qx|qy|qz.position`  → Imu orientation, reordered from ROS (x, y, z, w) to MuJoCo
 *                                  (w, x, y, z), normalized, sign kept as given (see below);
 *   `root_x|y|z.velocity`        → world linear velocity (qvel[0:3]) = R(q)·Odometry twist.linear,
 *                                  the twist being in child_frame_id (the body, REP 105) and q the
 *                                  IMU orientation — the same q the policy observes, so the
 *                                  velocity and the quaternion share one world frame even when
 *                                  the odometry's yaw has drifted from the IMU's (the Odometry's
 *                                  own pose.orientation is not used for a floating base);
 *   `root_rx|ry|rz.velocity`     → Imu angular_velocity as given: ROS IMUs report body-frame rates,
 *                                  as MuJoCo's qvel[3:6] is (no rotation).
 * Quaternion sign: q and −q are the same rotation. MuJoCo integrates the free joint's quaternion
 * continuously from w ≈ +1 and never flips it, so w < 0 occurs after large turns; we keep the
 * hemisphere the IMU reports (no w ≥ 0 canonicalization), which keeps a continuous IMU stream
 * continuous and makes sim-robot's messages map back to the exact observation. The IMU frame
 * and the odometry's child frame are taken to be the root link's frame.
 * Values are clipped to the observation box, as the simulation's observation is.
 */
import type { BoxSpec, ActuatorSpec } from "../port/spec.js";
import type { RobotDescription, Vec3 } from "../robot/description.js";

// ---------------------------------------------------------------------------------------------
// Message shapes (as rclnodejs generates them)

export type Float64Seq = number[] | Float64Array;

export interface TimeMsg {
  sec: number;
  nanosec: number;
}
export interface HeaderMsg {
  stamp: TimeMsg;
  frame_id: string;
}
export interface Vector3Msg {
  x: number;
  y: number;
  z: number;
}
export interface QuaternionMsg {
  x: number;
  y: number;
  z: number;
  w: number;
}
export interface JointStateMsg {
  header: HeaderMsg;
  name: string[];
  position: Float64Seq;
  velocity: Float64Seq;
  effort: Float64Seq;
}
export interface ImuMsg {
  header: HeaderMsg;
  orientation: QuaternionMsg;
  orientation_covariance: Float64Seq;
  angular_velocity: Vector3Msg;
  angular_velocity_covariance: Float64Seq;
  linear_acceleration: Vector3Msg;
  linear_acceleration_covariance: Float64Seq;
}
export interface OdometryMsg {
  header: HeaderMsg;
  child_frame_id: string;
  pose: { pose: { position: Vector3Msg; orientation: QuaternionMsg }; covariance: Float64Seq };
  twist: { twist: { linear: Vector3Msg; angular: Vector3Msg }; covariance: Float64Seq };
}
export interface MultiArrayDimensionMsg {
  label: string;
  size: number;
  stride: number;
}
export interface Float64MultiArrayMsg {
  layout: { dim: MultiArrayDimensionMsg[]; data_offset: number };
  data: Float64Seq;
}
export interface BoolMsg {
  data: boolean;
}

/** What the mapping reads of an incoming message (any object with these fields). */
export type JointStateIn = { readonly name: readonly string[]; readonly position: ArrayLike<number>; readonly velocity: ArrayLike<number> };
export type ImuIn = { readonly orientation: Readonly<QuaternionMsg>; readonly angular_velocity: Readonly<Vector3Msg> };
export type OdometryIn = {
  readonly pose: { readonly pose: { readonly position: Readonly<Vector3Msg>; readonly orientation: Readonly<QuaternionMsg> } };
  readonly twist: { readonly twist: { readonly linear: Readonly<Vector3Msg> } };
};

/** A message that cannot be mapped (missing joint, wrong length, unknown observation element). */
export class MessageMappingError extends Error {
  override readonly name = "MessageMappingError";
}

// ---------------------------------------------------------------------------------------------
// Observation plan

export type ObservationSource =
  | { readonly kind: "joint_position"; readonly joint: string }
  | { readonly kind: "joint_velocity"; readonly joint: string }
  | { readonly kind: "root_angle"; readonly axis: Vec3 }
  | { readonly kind: "root_angular_velocity"; readonly axis: Vec3 }
  | { readonly kind: "root_position"; readonly axis: Vec3; readonly coordinate: string }
  | { readonly kind: "root_velocity"; readonly axis: Vec3 }
  /** Floating base: Odometry pose.position component (0 x, 1 y, 2 z). */
  | { readonly kind: "base_position"; readonly index: 0 | 1 | 2 }
  /** Floating base: Imu orientation component in MuJoCo order (0 w, 1 x, 2 y, 3 z). */
  | { readonly kind: "base_orientation"; readonly index: 0 | 1 | 2 | 3 }
  /** Floating base: world linear velocity component, R(q_imu)·Odometry twist.linear (0 x, 1 y, 2 z). */
  | { readonly kind: "base_linear_velocity"; readonly index: 0 | 1 | 2 }
  /** Floating base: body-frame angular velocity component, Imu angular_velocity (0 x, 1 y, 2 z). */
  | { readonly kind: "base_angular_velocity"; readonly index: 0 | 1 | 2 };

export type ObservationSourceKind = ObservationSource["kind"];

/** Kinds read from sensor_msgs/Imu and from nav_msgs/Odometry. */
const IMU_KINDS: ReadonlySet<ObservationSourceKind> = new Set(["root_angle", "root_angular_velocity", "base_orientation", "base_angular_velocity"]);
const ODOMETRY_KINDS: ReadonlySet<ObservationSourceKind> = new Set(["root_position", "root_velocity", "base_position", "base_linear_velocity"]);

/** Which messages an observation plan reads: the names of the elements taken from the IMU and from odometry. */
export function observationNeeds(names: readonly string[], sources: readonly ObservationSource[]): { readonly imu: string[]; readonly odometry: string[] } {
  return {
    imu: names.filter((_, i) => IMU_KINDS.has(sources[i]!.kind)),
    odometry: names.filter((_, i) => ODOMETRY_KINDS.has(sources[i]!.kind)),
  };
}

/** The source of every observation element (by name), or a MessageMappingError naming the first unmappable one. */
export function planObservation(names: readonly string[], desc: RobotDescription): ObservationSource[] {
  const joints = new Set(desc.dofJoints);
  const roots = new Map(desc.root.coordinates.map((c) => [c.name, c]));
  const floating = desc.root.floating;
  return names.map((full): ObservationSource => {
    const dot = full.lastIndexOf(".");
    const coord = full.slice(0, dot);
    const field = full.slice(dot + 1);
    if (dot > 0 && (field === "position" || field === "velocity")) {
      if (joints.has(coord)) return field === "position" ? { kind: "joint_position", joint: coord } : { kind: "joint_velocity", joint: coord };
      const root = roots.get(coord);
      if (root?.type === "hinge") return field === "position" ? { kind: "root_angle", axis: root.axis } : { kind: "root_angular_velocity", axis: root.axis };
      if (root?.type === "slide") return field === "position" ? { kind: "root_position", axis: root.axis, coordinate: coord } : { kind: "root_velocity", axis: root.axis };
      if (floating) {
        // qpos: x y z qw qx qy qz; qvel: x y z (world) rx ry rz (body).
        const k = field === "position" ? floating.qpos.indexOf(coord) : floating.qvel.indexOf(coord);
        if (field === "position" && (k === 0 || k === 1 || k === 2)) return { kind: "base_position", index: k };
        if (field === "position" && k >= 3 && k <= 6) return { kind: "base_orientation", index: (k - 3) as 0 | 1 | 2 | 3 };
        if (field === "velocity" && (k === 0 || k === 1 || k === 2)) return { kind: "base_linear_velocity", index: k };
        if (field === "velocity" && k >= 3 && k <= 5) return { kind: "base_angular_velocity", index: (k - 3) as 0 | 1 | 2 };
      }
    }
    const rootNames = floating
      ? `root coordinates ${floating.qpos.map((n) => `${n}.position`).join(", ")}, ${floating.qvel.map((n) => `${n}.velocity`).join(", ")}`
      : `a root coordinate (${[...roots.keys()].join(", ")})`;
    throw new MessageMappingError(
      `observation element "${full}" has no ROS 2 source: expected <joint>.position|velocity for a joint of robot "${desc.name}" (${desc.dofJoints.join(", ")}) or ${rootNames}`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// JointState → joint positions/velocities, by name

/** Reads the positions (and velocities) of `joints` from JointState messages, matching by name. */
export class JointStateReader {
  readonly position: Float64Array;
  readonly velocity: Float64Array;
  /** Index of each wanted joint in the last message's `name` list. */
  private readonly index: Int32Array;
  private lastNames: string[] = [];

  constructor(readonly joints: readonly string[], private readonly needVelocity: boolean) {
    this.position = new Float64Array(joints.length);
    this.velocity = new Float64Array(joints.length);
    this.index = new Int32Array(joints.length).fill(-1);
  }

  /** Copies the wanted joints out of `msg`; extra joints are ignored; a missing one is an error. */
  read(msg: JointStateIn): void {
    const names = msg.name;
    if (!this.sameNames(names)) this.reindex(names);
    const n = names.length;
    if (msg.position.length !== n) {
      throw new MessageMappingError(`joint_states: position has ${msg.position.length} values for ${n} names, expected one per name`);
    }
    if (this.needVelocity && msg.velocity.length !== n) {
      throw new MessageMappingError(`joint_states: velocity has ${msg.velocity.length} values for ${n} names, expected one per name (the observation needs joint velocities)`);
    }
    const idx = this.index;
    for (let j = 0; j < idx.length; j++) {
      const k = idx[j]!;
      this.position[j] = msg.position[k]!;
      if (this.needVelocity) this.velocity[j] = msg.velocity[k]!;
    }
  }

  private sameNames(names: readonly string[]): boolean {
    const last = this.lastNames;
    if (names.length !== last.length) return false;
    for (let i = 0; i < names.length; i++) if (names[i] !== last[i]) return false;
    return true;
  }

  private reindex(names: readonly string[]): void {
    for (let j = 0; j < this.joints.length; j++) {
      const k = names.indexOf(this.joints[j]!);
      if (k < 0) {
        const missing = this.joints.filter((name) => !names.includes(name));
        throw new MessageMappingError(
          `joint_states: no joint "${missing[0]}"${missing.length > 1 ? ` (nor ${missing.slice(1).map((m) => `"${m}"`).join(", ")})` : ""}: the message names [${names.join(", ")}], the policy needs [${this.joints.join(", ")}]`,
        );
      }
      this.index[j] = k;
    }
    this.lastNames = names.slice();
  }
}

// ---------------------------------------------------------------------------------------------
// Sensor messages → observation row

/** Keeps the latest JointState/Imu/Odometry and writes the observation row from them. */
export class ObservationAssembler {
  readonly sources: readonly ObservationSource[];
  readonly needsImu: boolean;
  readonly needsOdometry: boolean;
  readonly jointStates: JointStateReader;
  /** Clock time (ms) each source was last received; −Infinity before the first. */
  jointTime = -Infinity;
  imuTime = -Infinity;
  odomTime = -Infinity;
  private readonly slot: Int32Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  /** IMU orientation, unit, ROS order [x, y, z, w], hemisphere as received. */
  private readonly imuQ = new Float64Array([0, 0, 0, 1]);
  /** Angular velocity in the body frame (as the IMU reports it) and in the world frame. */
  private readonly bodyOmega = new Float64Array(3);
  private readonly omega = new Float64Array(3);
  private readonly odomP = new Float64Array(3);
  private readonly odomQ = new Float64Array(4);
  /** Odometry linear velocity in the child (body) frame, as received. */
  private readonly odomBodyV = new Float64Array(3);
  /** Linear velocity in the odom (world) frame, rotated by the odometry's own orientation (planar roots). */
  private readonly odomV = new Float64Array(3);
  /** Floating base: linear velocity in the world frame of the IMU orientation, refreshed by `assemble`. */
  private readonly baseV = new Float64Array(3);
  private readonly needsBaseVelocity: boolean;

  constructor(observation: BoxSpec, desc: RobotDescription) {
    this.sources = planObservation(observation.names, desc);
    const joints: string[] = [];
    let needVelocity = false;
    this.slot = new Int32Array(this.sources.length).fill(-1);
    this.sources.forEach((s, i) => {
      if (s.kind !== "joint_position" && s.kind !== "joint_velocity") return;
      if (!joints.includes(s.joint)) joints.push(s.joint);
      this.slot[i] = joints.indexOf(s.joint);
      if (s.kind === "joint_velocity") needVelocity = true;
    });
    this.jointStates = new JointStateReader(joints, needVelocity);
    const needs = observationNeeds(observation.names, this.sources);
    this.needsImu = needs.imu.length > 0;
    this.needsOdometry = needs.odometry.length > 0;
    this.needsBaseVelocity = this.sources.some((s) => s.kind === "base_linear_velocity");
    this.low = Float64Array.from(observation.low);
    this.high = Float64Array.from(observation.high);
  }

  onJointState(msg: JointStateIn, t: number): void {
    this.jointStates.read(msg);
    this.jointTime = t;
  }

  onImu(msg: ImuIn, t: number): void {
    const q = msg.orientation;
    const n = Math.hypot(q.x, q.y, q.z, q.w);
    if (!(n > 0)) throw new MessageMappingError(`imu: orientation is not a rotation (|q| = ${n})`);
    this.imuQ[0] = q.x / n;
    this.imuQ[1] = q.y / n;
    this.imuQ[2] = q.z / n;
    this.imuQ[3] = q.w / n;
    const w = msg.angular_velocity;
    this.bodyOmega[0] = w.x;
    this.bodyOmega[1] = w.y;
    this.bodyOmega[2] = w.z;
    rotate(this.imuQ, w, this.omega);
    this.imuTime = t;
  }

  onOdometry(msg: OdometryIn, t: number): void {
    const { position, orientation } = msg.pose.pose;
    this.odomP[0] = position.x;
    this.odomP[1] = position.y;
    this.odomP[2] = position.z;
    const q = orientation;
    const n = Math.hypot(q.x, q.y, q.z, q.w);
    if (!(n > 0)) throw new MessageMappingError(`odometry: pose.orientation is not a rotation (|q| = ${n})`);
    const scratch = this.odomQ;
    scratch[0] = q.x / n;
    scratch[1] = q.y / n;
    scratch[2] = q.z / n;
    scratch[3] = q.w / n;
    const v = msg.twist.twist.linear;
    this.odomBodyV[0] = v.x;
    this.odomBodyV[1] = v.y;
    this.odomBodyV[2] = v.z;
    rotate(scratch, v, this.odomV);
    this.odomTime = t;
  }

  /** Time of the oldest source the observation needs (−Infinity until each has arrived once). */
  measuredAt(): number {
    let t = this.jointStates.joints.length > 0 ? this.jointTime : Infinity;
    if (this.needsImu) t = Math.min(t, this.imuTime);
    if (this.needsOdometry) t = Math.min(t, this.odomTime);
    return t === Infinity ? -Infinity : t;
  }

  /** Writes the observation row into `out`, clipped to the observation box. */
  assemble(out: Float32Array | Float64Array): void {
    const js = this.jointStates;
    const q = this.imuQ;
    if (this.needsBaseVelocity) rotateArray(q, this.odomBodyV, this.baseV);
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      let v: number;
      switch (s.kind) {
        case "joint_position":
          v = js.position[this.slot[i]!]!;
          break;
        case "joint_velocity":
          v = js.velocity[this.slot[i]!]!;
          break;
        case "root_angle":
          v = twistAngle(q, s.axis);
          break;
        case "root_angular_velocity":
          v = this.omega[0]! * s.axis[0] + this.omega[1]! * s.axis[1] + this.omega[2]! * s.axis[2];
          break;
        case "root_position":
          v = this.odomP[0]! * s.axis[0] + this.odomP[1]! * s.axis[1] + this.odomP[2]! * s.axis[2];
          break;
        case "root_velocity":
          v = this.odomV[0]! * s.axis[0] + this.odomV[1]! * s.axis[1] + this.odomV[2]! * s.axis[2];
          break;
        case "base_position":
          v = this.odomP[s.index]!;
          break;
        case "base_orientation":
          // MuJoCo (w, x, y, z) from ROS [x, y, z, w].
          v = q[(s.index + 3) & 3]!;
          break;
        case "base_linear_velocity":
          v = this.baseV[s.index]!;
          break;
        case "base_angular_velocity":
          v = this.bodyOmega[s.index]!;
          break;
      }
      // NaN stays NaN (the safety layer reports it); finite values are clipped as in the sim.
      out[i] = v > this.high[i]! ? this.high[i]! : v < this.low[i]! ? this.low[i]! : v;
    }
  }
}

/** Rotation angle of unit quaternion `q` = [x, y, z, w] about unit `axis` (swing-twist), in (−π, π]. */
export function twistAngle(q: ArrayLike<number>, axis: Vec3): number {
  const p = q[0]! * axis[0] + q[1]! * axis[1] + q[2]! * axis[2];
  let a = 2 * Math.atan2(p, q[3]!);
  if (a > Math.PI) a -= 2 * Math.PI;
  else if (a <= -Math.PI) a += 2 * Math.PI;
  return a;
}

/** out = R(q)·v for unit quaternion q = [x, y, z, w]. */
function rotate(q: ArrayLike<number>, v: Readonly<Vector3Msg>, out: Float64Array): void {
  rotateXyz(q, v.x, v.y, v.z, out);
}

/** out = R(q)·v for unit quaternion q = [x, y, z, w] and v = [x, y, z] (out may not alias v). */
function rotateArray(q: ArrayLike<number>, v: ArrayLike<number>, out: Float64Array): void {
  rotateXyz(q, v[0]!, v[1]!, v[2]!, out);
}

function rotateXyz(q: ArrayLike<number>, vx: number, vy: number, vz: number, out: Float64Array): void {
  const x = q[0]!, y = q[1]!, z = q[2]!, w = q[3]!;
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  out[0] = vx + w * tx + (y * tz - z * ty);
  out[1] = vy + w * ty + (z * tx - x * tz);
  out[2] = vz + w * tz + (x * ty - y * tx);
}

// ---------------------------------------------------------------------------------------------
// Action ↔ forward_command_controller commands

/**
 * The command array of one forward_command_controller: element j goes to `controllerJoints[j]`
 * (the controller's `joints` parameter order) and is gear·action of that joint's actuator.
 */
export class CommandMap {
  readonly joints: readonly string[];
  /** ros2_control interface the controller commands (its `interface_name`). */
  readonly interfaceName: ActuatorSpec["interface"];
  /** For controller element j: index of its actuator in the action vector. */
  private readonly source: Int32Array;
  private readonly gear: Float64Array;

  constructor(actuators: readonly ActuatorSpec[], controllerJoints: readonly string[], readonly controller: string) {
    if (actuators.length === 0) throw new MessageMappingError(`controller "${controller}": the policy commands no joint`);
    const first = actuators[0]!.interface;
    const mixed = actuators.find((a) => a.interface !== first);
    if (mixed) {
      throw new MessageMappingError(
        `controller "${controller}": actuators use both "${first}" and "${mixed.interface}" interfaces (joint "${mixed.joint}"); one forward_command_controller has one interface_name`,
      );
    }
    const actuated = actuators.map((a) => a.joint);
    const seen = new Set<string>();
    for (const j of controllerJoints) {
      if (seen.has(j)) throw new MessageMappingError(`controller "${controller}": joint "${j}" is listed twice in its joints`);
      seen.add(j);
      if (!actuated.includes(j)) {
        throw new MessageMappingError(`controller "${controller}": joint "${j}" has no actuator in the policy (actuated: ${actuated.join(", ")})`);
      }
    }
    const missing = actuated.filter((j) => !seen.has(j));
    if (missing.length > 0) {
      throw new MessageMappingError(
        `controller "${controller}": joints [${controllerJoints.join(", ")}] lack the actuated joint${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`,
      );
    }
    this.joints = [...controllerJoints];
    this.interfaceName = first;
    this.source = Int32Array.from(controllerJoints, (j) => actuated.indexOf(j));
    this.gear = Float64Array.from(controllerJoints, (j) => actuators[actuated.indexOf(j)]!.gear);
  }

  get length(): number {
    return this.joints.length;
  }

  /** out[j] = gear · action[actuator of joint j]. `out` must have `length` elements. */
  toCommand(action: ArrayLike<number>, out: Float64Array): void {
    if (out.length !== this.source.length) throw new MessageMappingError(`command buffer has ${out.length} elements, expected ${this.source.length}`);
    for (let j = 0; j < this.source.length; j++) out[j] = this.gear[j]! * action[this.source[j]!]!;
  }

  /** Inverse of `toCommand` (a robot receiving commands): action[i] = command / gear. */
  toAction(data: ArrayLike<number>, action: Float32Array): void {
    if (data.length !== this.source.length) {
      throw new MessageMappingError(
        `/${this.controller}/commands: got ${data.length} values, expected ${this.source.length} (one per joint: ${this.joints.join(", ")})`,
      );
    }
    for (let j = 0; j < this.source.length; j++) action[this.source[j]!] = data[j]! / this.gear[j]!;
  }

  /** An empty-layout Float64MultiArray whose data is `data` (forward_command_controller ignores the layout). */
  static message(data: Float64Array): Float64MultiArrayMsg {
    return { layout: { dim: [], data_offset: 0 }, data };
  }
}

// ---------------------------------------------------------------------------------------------
// Observation row → sensor messages (sim-robot)

/**
 * Fills JointState/Imu/Odometry messages from a simulated observation row (the inverse
 * mapping, for sim-robot). Arrays are preallocated and reused: a message is serialized when
 * published, so one buffer per field is enough.
 *
 * Floating base: the Imu carries the observed quaternion (MuJoCo w, x, y, z → ROS x, y, z, w,
 * normalized, sign kept) and the body-frame rates as observed; the Odometry carries the observed
 * (else `rootPositions`) x, y, z, the same orientation, twist.linear = R(q)ᵀ·(world velocity) in
 * the child (body) frame and twist.angular = the body rates.
 */
export class SensorMessageWriter {
  private readonly sources: readonly ObservationSource[];
  private readonly joints: string[];
  /** Per observation element: its joint's index in `joints` (−1 for root elements). */
  private readonly jointIndex: Int32Array;
  private readonly hingeAxis: Vec3;
  private readonly slides = new Map<string, Vec3>();
  /** Floating base: qpos names of x, y, z (for `rootPositions`); null for a planar root. */
  private readonly floatingPosition: readonly string[] | null;
  private readonly position: Float64Array;
  private readonly velocity: Float64Array;
  private readonly effort: Float64Array;
  private readonly body = new Float64Array(3);
  /** Floating base scratch: quaternion [x, y, z, w], world velocity. */
  private readonly baseQ = new Float64Array(4);
  private readonly baseV = new Float64Array(3);

  constructor(observation: BoxSpec, desc: RobotDescription) {
    this.sources = planObservation(observation.names, desc);
    this.joints = [...desc.dofJoints];
    this.jointIndex = Int32Array.from(this.sources, (s) => (s.kind === "joint_position" || s.kind === "joint_velocity" ? this.joints.indexOf(s.joint) : -1));
    const hinges = desc.root.coordinates.filter((c) => c.type === "hinge");
    if (hinges.length > 1) throw new MessageMappingError(`robot "${desc.name}": ${hinges.length} hinge root coordinates, one IMU orientation can carry one`);
    this.hingeAxis = hinges[0]?.axis ?? [0, 0, 1];
    for (const c of desc.root.coordinates) if (c.type === "slide") this.slides.set(c.name, c.axis);
    this.floatingPosition = desc.root.floating ? desc.root.floating.qpos.slice(0, 3) : null;
    this.position = new Float64Array(this.joints.length);
    this.velocity = new Float64Array(this.joints.length);
    this.effort = new Float64Array(this.joints.length);
  }

  /** JointState over every 1-DoF joint of the robot (joints not in the observation report 0). */
  jointState(obs: ArrayLike<number>, stamp: TimeMsg, out: JointStateMsg): void {
    out.header.stamp = stamp;
    out.name = this.joints;
    for (let i = 0; i < this.sources.length; i++) {
      const kind = this.sources[i]!.kind;
      if (kind === "joint_position") this.position[this.jointIndex[i]!] = obs[i]!;
      else if (kind === "joint_velocity") this.velocity[this.jointIndex[i]!] = obs[i]!;
    }
    out.position = this.position;
    out.velocity = this.velocity;
    out.effort = this.effort;
  }

  /** Orientation (rotation about the hinge root axis, or the floating base's quaternion) and body angular velocity. */
  imu(obs: ArrayLike<number>, stamp: TimeMsg, out: ImuMsg): void {
    out.header.stamp = stamp;
    if (this.floatingPosition) {
      const q = this.baseOrientation(obs);
      out.orientation = { x: q[0]!, y: q[1]!, z: q[2]!, w: q[3]! };
      out.angular_velocity = this.baseRates(obs);
      return;
    }
    const a = this.hingeAxis;
    const angle = this.value(obs, "root_angle");
    const rate = this.value(obs, "root_angular_velocity");
    out.orientation = axisAngle(a, angle);
    // A rotation about a fixed axis: the body-frame rate vector equals the world one.
    out.angular_velocity = { x: a[0] * rate, y: a[1] * rate, z: a[2] * rate };
  }

  /**
   * Pose (slide coordinates, or a floating base's x, y, z; unobserved ones from `rootPositions`
   * by coordinate name, else 0) and body-frame twist.
   */
  odometry(obs: ArrayLike<number>, rootPositions: Readonly<Record<string, number>>, stamp: TimeMsg, out: OdometryMsg): void {
    out.header.stamp = stamp;
    if (this.floatingPosition) {
      this.floatingOdometry(obs, rootPositions, this.floatingPosition, out);
      return;
    }
    let px = 0, py = 0, pz = 0, vx = 0, vy = 0, vz = 0;
    const observed = new Set<string>();
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      const v = obs[i]!;
      if (s.kind === "root_position") {
        observed.add(s.coordinate);
        px += v * s.axis[0];
        py += v * s.axis[1];
        pz += v * s.axis[2];
      } else if (s.kind === "root_velocity") {
        vx += v * s.axis[0];
        vy += v * s.axis[1];
        vz += v * s.axis[2];
      }
    }
    for (const [coordinate, value] of Object.entries(rootPositions)) {
      const axis = this.slides.get(coordinate);
      if (!axis || observed.has(coordinate)) continue;
      px += value * axis[0];
      py += value * axis[1];
      pz += value * axis[2];
    }
    const q = axisAngle(this.hingeAxis, this.value(obs, "root_angle"));
    rotate([-q.x, -q.y, -q.z, q.w], { x: vx, y: vy, z: vz }, this.body);
    out.pose.pose.position = { x: px, y: py, z: pz };
    out.pose.pose.orientation = q;
    out.twist.twist.linear = { x: this.body[0]!, y: this.body[1]!, z: this.body[2]! };
  }

  /** The observation element of the given root kind, or 0. */
  private value(obs: ArrayLike<number>, kind: "root_angle" | "root_angular_velocity"): number {
    for (let i = 0; i < this.sources.length; i++) if (this.sources[i]!.kind === kind) return obs[i]!;
    return 0;
  }

  private floatingOdometry(obs: ArrayLike<number>, rootPositions: Readonly<Record<string, number>>, names: readonly string[], out: OdometryMsg): void {
    const p = [0, 1, 2].map((k) => rootPositions[names[k]!] ?? 0);
    const v = this.baseV.fill(0);
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      if (s.kind === "base_position") p[s.index] = obs[i]!;
      else if (s.kind === "base_linear_velocity") v[s.index] = obs[i]!;
    }
    const q = this.baseOrientation(obs);
    // World → body: rotate by the conjugate.
    rotateArray([-q[0]!, -q[1]!, -q[2]!, q[3]!], v, this.body);
    out.pose.pose.position = { x: p[0]!, y: p[1]!, z: p[2]! };
    out.pose.pose.orientation = { x: q[0]!, y: q[1]!, z: q[2]!, w: q[3]! };
    out.twist.twist.linear = { x: this.body[0]!, y: this.body[1]!, z: this.body[2]! };
    out.twist.twist.angular = this.baseRates(obs);
  }

  /** The observed base quaternion as a unit [x, y, z, w] (sign kept); identity where unobserved; NaN stays NaN. */
  private baseOrientation(obs: ArrayLike<number>): Float64Array {
    const q = this.baseQ;
    q[0] = 0;
    q[1] = 0;
    q[2] = 0;
    q[3] = 1;
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      if (s.kind === "base_orientation") q[(s.index + 3) & 3] = obs[i]!;
    }
    // A broken sim state is published as it is (the deploy side refuses it and its watchdog trips).
    const n = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
    if (n > 0) for (let k = 0; k < 4; k++) q[k] = q[k]! / n;
    return q;
  }

  /** The observed body-frame angular velocity (0 where unobserved). */
  private baseRates(obs: ArrayLike<number>): Vector3Msg {
    const w = [0, 0, 0];
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i]!;
      if (s.kind === "base_angular_velocity") w[s.index] = obs[i]!;
    }
    return { x: w[0]!, y: w[1]!, z: w[2]! };
  }
}

/** Unit quaternion of a rotation by `angle` about unit `axis`. */
export function axisAngle(axis: Vec3, angle: number): QuaternionMsg {
  const s = Math.sin(angle / 2);
  return { x: axis[0] * s, y: axis[1] * s, z: axis[2] * s, w: Math.cos(angle / 2) };
}

/** Empty messages to fill (sim-robot) or to test with. */
export function emptyHeader(frameId = ""): HeaderMsg {
  return { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId };
}
export function emptyJointState(): JointStateMsg {
  return { header: emptyHeader(), name: [], position: [], velocity: [], effort: [] };
}
export function emptyImu(frameId: string): ImuMsg {
  const unknown = [-1, 0, 0, 0, 0, 0, 0, 0, 0]; // covariance[0] = −1: "not provided" (sensor_msgs/Imu)
  return {
    header: emptyHeader(frameId),
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    orientation_covariance: new Float64Array(9),
    angular_velocity: { x: 0, y: 0, z: 0 },
    angular_velocity_covariance: new Float64Array(9),
    linear_acceleration: { x: 0, y: 0, z: 0 },
    linear_acceleration_covariance: Float64Array.from(unknown),
  };
}
export function emptyOdometry(frameId: string, childFrameId: string): OdometryMsg {
  return {
    header: emptyHeader(frameId),
    child_frame_id: childFrameId,
    pose: { pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }, covariance: new Float64Array(36) },
    twist: { twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, covariance: new Float64Array(36) },
  };
}

/** ROS time from clock milliseconds. */
export function stampFromMs(ms: number): TimeMsg {
  const sec = Math.floor(ms / 1000);
  return { sec, nanosec: Math.round((ms - sec * 1000) * 1e6) % 1_000_000_000 };
}
