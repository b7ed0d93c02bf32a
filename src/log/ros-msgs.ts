/**
 * The ROS 2 message types locomote writes (episode logs, live view) and reads (replay): their
 * `.msg` definitions, the `ros2msg` schema text MCAP and the Foxglove WebSocket protocol carry,
 * and CDR writers/readers (`@foxglove/rosmsg2-serialization`).
 *
 * The definitions are kept here rather than taken from `@foxglove/rosmsg-msgs-common` (whose
 * `time` is ROS 1's). Field types are written fully qualified (`std_msgs/Header`) so each text
 * parses on its own. Schema text follows rosbag2: the root definition, then for every
 * dependency (depth-first, each once) a line of 80 `=`, `MSG: pkg/Type` and its definition.
 */
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";

/** `.msg` text per type, keyed by its ROS 2 name `pkg/msg/Type`. */
const DEFINITIONS = {
  "builtin_interfaces/msg/Time": "int32 sec\nuint32 nanosec",
  "std_msgs/msg/Header": "builtin_interfaces/Time stamp\nstring frame_id",
  "std_msgs/msg/Bool": "bool data",
  "std_msgs/msg/Float64": "float64 data",
  "std_msgs/msg/String": "string data",
  "std_msgs/msg/MultiArrayDimension": "string label\nuint32 size\nuint32 stride",
  "std_msgs/msg/MultiArrayLayout": "std_msgs/MultiArrayDimension[] dim\nuint32 data_offset",
  "std_msgs/msg/Float64MultiArray": "std_msgs/MultiArrayLayout layout\nfloat64[] data",
  "sensor_msgs/msg/JointState": "std_msgs/Header header\n\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort",
  "sensor_msgs/msg/Imu":
    "std_msgs/Header header\n\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n\n" +
    "geometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\n\n" +
    "geometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance",
  "geometry_msgs/msg/Vector3": "float64 x\nfloat64 y\nfloat64 z",
  "geometry_msgs/msg/Point": "float64 x\nfloat64 y\nfloat64 z",
  "geometry_msgs/msg/Quaternion": "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1",
  "geometry_msgs/msg/Pose": "geometry_msgs/Point position\ngeometry_msgs/Quaternion orientation",
  "geometry_msgs/msg/PoseWithCovariance": "geometry_msgs/Pose pose\nfloat64[36] covariance",
  "geometry_msgs/msg/Twist": "geometry_msgs/Vector3 linear\ngeometry_msgs/Vector3 angular",
  "geometry_msgs/msg/TwistWithCovariance": "geometry_msgs/Twist twist\nfloat64[36] covariance",
  "geometry_msgs/msg/Transform": "geometry_msgs/Vector3 translation\ngeometry_msgs/Quaternion rotation",
  "geometry_msgs/msg/TransformStamped": "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/Transform transform",
  "tf2_msgs/msg/TFMessage": "geometry_msgs/TransformStamped[] transforms",
  "nav_msgs/msg/Odometry":
    "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/PoseWithCovariance pose\ngeometry_msgs/TwistWithCovariance twist",
  "rosgraph_msgs/msg/Clock": "builtin_interfaces/Time clock",
  "diagnostic_msgs/msg/KeyValue": "string key\nstring value",
  "diagnostic_msgs/msg/DiagnosticStatus":
    "byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n\nbyte level\nstring name\nstring message\nstring hardware_id\ndiagnostic_msgs/KeyValue[] values",
  "diagnostic_msgs/msg/DiagnosticArray": "std_msgs/Header header\ndiagnostic_msgs/DiagnosticStatus[] status",
} as const satisfies Record<string, string>;

export type RosMessageType = keyof typeof DEFINITIONS;

export const ROS_MESSAGE_TYPES = Object.keys(DEFINITIONS) as RosMessageType[];

export function isRosMessageType(name: string): name is RosMessageType {
  return Object.hasOwn(DEFINITIONS, name);
}

const SEPARATOR = "=".repeat(80);

/** `pkg/Type` in a field declaration → `pkg/msg/Type`. */
function dependencyNames(text: string): RosMessageType[] {
  const out: RosMessageType[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const type = line.split(/\s+/)[0]!.replace(/\[.*$/, "");
    const slash = type.indexOf("/");
    if (slash < 0) continue;
    const full = `${type.slice(0, slash)}/msg/${type.slice(slash + 1)}`;
    if (!isRosMessageType(full)) throw new Error(`ros-msgs: ${type} (used in a definition) is not defined`);
    out.push(full);
  }
  return out;
}

const schemaCache = new Map<RosMessageType, string>();

/** The `ros2msg` schema text of `type` (root definition, then its dependencies). */
export function schemaText(type: RosMessageType): string {
  const cached = schemaCache.get(type);
  if (cached !== undefined) return cached;
  const parts: string[] = [DEFINITIONS[type]];
  const seen = new Set<RosMessageType>([type]);
  const visit = (name: RosMessageType): void => {
    for (const dep of dependencyNames(DEFINITIONS[name])) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      parts.push(`${SEPARATOR}\nMSG: ${dep.replace("/msg/", "/")}\n${DEFINITIONS[dep]}`);
      visit(dep);
    }
  };
  visit(type);
  const text = `${parts.join("\n")}\n`;
  schemaCache.set(type, text);
  return text;
}

const writers = new Map<string, MessageWriter>();
const readers = new Map<string, MessageReader>();

/** CDR writer for `type` (cached). */
export function cdrWriter(type: RosMessageType): MessageWriter {
  let w = writers.get(type);
  if (!w) {
    w = new MessageWriter(parse(schemaText(type), { ros2: true }));
    writers.set(type, w);
  }
  return w;
}

/**
 * CDR reader for a schema: a known type, or any `ros2msg` schema text read from a file (logs
 * written by other tools). Cached by name and text.
 */
export function cdrReader(type: string, text?: string): MessageReader {
  const schema = text ?? (isRosMessageType(type) ? schemaText(type) : undefined);
  if (schema === undefined) throw new Error(`ros-msgs: no definition for ${type}`);
  const key = `${type}\n${schema}`;
  let r = readers.get(key);
  if (!r) {
    r = new MessageReader(parse(schema, { ros2: true }));
    readers.set(key, r);
  }
  return r;
}

/** Serializes `message` (a plain object shaped as the type) to CDR. */
export function encodeCdr(type: RosMessageType, message: unknown): Uint8Array {
  return cdrWriter(type).writeMessage(message);
}

/** Deserializes CDR bytes of `type` (or of the given schema text). */
export function decodeCdr<T = unknown>(type: string, bytes: ArrayBufferView, text?: string): T {
  return cdrReader(type, text).readMessage<T>(bytes);
}
