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
  | { readonly kind: "root_velocity"; readonly axis: Vec3 };

/** The source of every observation element (by name), or a MessageMappingError naming the first unmappable one. */
export function planObservation(names: readonly string[], desc: RobotDescription): ObservationSource[] {
  const joints = new Set(desc.dofJoints);
  const roots = new Map(desc.root.coordinates.map((c) => [c.name, c]));
  return names.map((full): ObservationSource => {
    const dot = full.lastIndexOf(".");
    const coord = full.slice(0, dot);
    const field = full.slice(dot + 1);
    if (dot > 0 && (field === "position" || field === "velocity")) {
      if (joints.has(coord)) return field === "position" ? { kind: "joint_position", joint: coord } : { kind: "joint_velocity", joint: coord };
      const root = roots.get(coord);
      if (root?.type === "hinge") return field === "position" ? { kind: "root_angle", axis: root.axis } : { kind: "root_angular_velocity", axis: root.axis };
      if (root?.type === "slide") return field === "position" ? { kind: "root_position", axis: root.axis, coordinate: coord } : { kind: "root_velocity", axis: root.axis };
    }
    throw new MessageMappingError(
      `observation element "${full}" has no ROS 2 source: expected <joint>.position|velocity for a joint of robot "${desc.name}" (${desc.dofJoints.join(", ")}) or a root coordinate (${[...roots.keys()].join(", ")})`,
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
  private readonly imuQ = new Float64Array([0, 0, 0, 1]);
  /** Angular velocity in the world frame. */
  private readonly omega = new Float64Array(3);
  private readonly odomP = new Float64Array(3);
  private readonly odomQ = new Float64Array(4);
  /** Linear velocity in the odom (world) frame. */
  private readonly odomV = new Float64Array(3);

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
    this.needsImu = this.sources.some((s) => s.kind === "root_angle" || s.kind === "root_angular_velocity");
    this.needsOdometry = this.sources.some((s) => s.kind === "root_position" || s.kind === "root_velocity");
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
    rotate(this.imuQ, msg.angular_velocity, this.omega);
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
    rotate(scratch, msg.twist.twist.linear, this.odomV);
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
  assemble(out: Float32Array): void {
    const js = this.jointStates;
    const q = this.imuQ;
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
  const x = q[0]!, y = q[1]!, z = q[2]!, w = q[3]!;
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (y * v.z - z * v.y);
  const ty = 2 * (z * v.x - x * v.z);
  const tz = 2 * (x * v.y - y * v.x);
  out[0] = v.x + w * tx + (y * tz - z * ty);
  out[1] = v.y + w * ty + (z * tx - x * tz);
  out[2] = v.z + w * tz + (x * ty - y * tx);
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
 */
export class SensorMessageWriter {
  private readonly sources: readonly ObservationSource[];
  private readonly joints: string[];
  /** Per observation element: its joint's index in `joints` (−1 for root elements). */
  private readonly jointIndex: Int32Array;
  private readonly hingeAxis: Vec3;
  private readonly slides = new Map<string, Vec3>();
  private readonly position: Float64Array;
  private readonly velocity: Float64Array;
  private readonly effort: Float64Array;
  private readonly body = new Float64Array(3);

  constructor(observation: BoxSpec, desc: RobotDescription) {
    this.sources = planObservation(observation.names, desc);
    this.joints = [...desc.dofJoints];
    this.jointIndex = Int32Array.from(this.sources, (s) => (s.kind === "joint_position" || s.kind === "joint_velocity" ? this.joints.indexOf(s.joint) : -1));
    const hinges = desc.root.coordinates.filter((c) => c.type === "hinge");
    if (hinges.length > 1) throw new MessageMappingError(`robot "${desc.name}": ${hinges.length} hinge root coordinates, one IMU orientation can carry one`);
    this.hingeAxis = hinges[0]?.axis ?? [0, 0, 1];
    for (const c of desc.root.coordinates) if (c.type === "slide") this.slides.set(c.name, c.axis);
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

  /** Orientation (rotation about the hinge root axis) and body angular velocity. */
  imu(obs: ArrayLike<number>, stamp: TimeMsg, out: ImuMsg): void {
    out.header.stamp = stamp;
    const a = this.hingeAxis;
    const angle = this.value(obs, "root_angle");
    const rate = this.value(obs, "root_angular_velocity");
    out.orientation = axisAngle(a, angle);
    // A rotation about a fixed axis: the body-frame rate vector equals the world one.
    out.angular_velocity = { x: a[0] * rate, y: a[1] * rate, z: a[2] * rate };
  }

  /** Pose (slide coordinates; unobserved ones from `rootPositions` by name, else 0) and body-frame twist. */
  odometry(obs: ArrayLike<number>, rootPositions: Readonly<Record<string, number>>, stamp: TimeMsg, out: OdometryMsg): void {
    out.header.stamp = stamp;
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
