/**
 * URDF reader: parses the subset of URDF locomote uses (links with inertial/collision/visual,
 * joints with origin/axis/limit/dynamics, and the `<ros2_control>` block) into typed data,
 * checking every value. Errors are `DescriptionError`s naming the file and the element.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  DescriptionError,
  type Geometry,
  type Inertial,
  type JointLimit,
  type JointType,
  type Pose,
  type Ros2Control,
  type Ros2ControlJoint,
  type Vec3,
} from "./description.js";

/** A `<collision>` before the sidecar adds friction and may turn its cylinder into a capsule. */
export interface UrdfCollision {
  readonly name: string;
  readonly origin: Pose;
  readonly geometry: Geometry;
}

export interface UrdfLink {
  readonly name: string;
  readonly inertial: Inertial | null;
  readonly collisions: readonly UrdfCollision[];
  readonly visuals: readonly { readonly origin: Pose; readonly geometry: Geometry }[];
}

export interface UrdfJoint {
  readonly name: string;
  readonly type: JointType;
  readonly parent: string;
  readonly child: string;
  readonly origin: Pose;
  readonly axis: Vec3;
  readonly limit: JointLimit | null;
  readonly damping: number;
}

export interface UrdfRobot {
  readonly name: string;
  readonly links: readonly UrdfLink[];
  readonly joints: readonly UrdfJoint[];
  readonly ros2Control: Ros2Control | null;
}

/** The link that may have no `<inertial>` (URDF's fixed world frame). */
export const WORLD_LINK = "world";

const JOINT_TYPES: readonly JointType[] = ["revolute", "continuous", "prismatic", "fixed", "planar", "floating"];
const ARRAY_TAGS = new Set([
  "link",
  "joint",
  "collision",
  "visual",
  "ros2_control",
  "command_interface",
  "state_interface",
  "param",
]);

type XmlNode = { readonly [key: string]: unknown };

function isNode(v: unknown): v is XmlNode {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses URDF text; `file` labels error messages. */
export function parseUrdf(text: string, file: string): UrdfRobot {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new DescriptionError(file, `XML line ${valid.err.line}`, JSON.stringify(valid.err.msg), "well-formed XML");
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    isArray: (tagName) => ARRAY_TAGS.has(tagName),
  });
  const doc: unknown = parser.parse(text);
  const r = new Reader(file);
  const robot = isNode(doc) ? doc["robot"] : undefined;
  if (!isNode(robot)) throw new DescriptionError(file, "<robot>", "no <robot> root element", "a URDF <robot> element");
  const name = r.requiredAttr(robot, "name", "<robot>");

  const links: UrdfLink[] = [];
  const linkNames = new Set<string>();
  for (const [i, node] of r.elements(robot, "link").entries()) {
    const link = r.link(node, i);
    if (linkNames.has(link.name)) throw new DescriptionError(file, `link "${link.name}"`, "a second link of that name", "unique link names");
    linkNames.add(link.name);
    links.push(link);
  }
  if (links.length === 0) throw new DescriptionError(file, "<robot>", "no <link>", "at least one <link>");

  const joints: UrdfJoint[] = [];
  const jointNames = new Set<string>();
  const parentOf = new Map<string, string>();
  for (const [i, node] of r.elements(robot, "joint").entries()) {
    const joint = r.joint(node, i);
    const where = `joint "${joint.name}"`;
    if (jointNames.has(joint.name)) throw new DescriptionError(file, where, "a second joint of that name", "unique joint names");
    jointNames.add(joint.name);
    if (!linkNames.has(joint.parent)) {
      throw new DescriptionError(file, `${where} <parent link>`, `"${joint.parent}"`, `one of the links (${[...linkNames].join(", ")})`);
    }
    if (!linkNames.has(joint.child)) {
      throw new DescriptionError(file, `${where} <child link>`, `"${joint.child}"`, `one of the links (${[...linkNames].join(", ")})`);
    }
    if (joint.child === joint.parent) throw new DescriptionError(file, `${where} <child link>`, `"${joint.child}" (its own parent)`, "a link other than the parent");
    const previous = parentOf.get(joint.child);
    if (previous !== undefined) {
      throw new DescriptionError(file, `${where} <child link>`, `"${joint.child}", already the child of "${previous}"`, "each link to have at most one parent joint");
    }
    parentOf.set(joint.child, joint.parent);
    joints.push(joint);
  }
  // A tree: exactly one link without a parent, and no cycles.
  const roots = links.filter((l) => !parentOf.has(l.name)).map((l) => l.name);
  if (roots.length !== 1) {
    throw new DescriptionError(file, "kinematic tree", `${roots.length} root links (${roots.join(", ")})`, "exactly one link without a parent joint");
  }
  for (const link of links) {
    let cur = link.name;
    for (let steps = 0; parentOf.has(cur); steps++) {
      if (steps > links.length) throw new DescriptionError(file, `link "${link.name}"`, "a cycle of joints", "a kinematic tree");
      cur = parentOf.get(cur)!;
    }
  }

  const controls = r.elements(robot, "ros2_control");
  if (controls.length > 1) throw new DescriptionError(file, "<ros2_control>", `${controls.length} blocks`, "at most one <ros2_control> block");
  const ros2Control = controls[0] ? r.ros2Control(controls[0], jointNames) : null;
  return { name, links, joints, ros2Control };
}

/** Typed, checked access to the parsed XML tree. */
class Reader {
  constructor(private readonly file: string) {}

  fail(field: string, found: string, expected: string): never {
    throw new DescriptionError(this.file, field, found, expected);
  }

  elements(node: XmlNode, tag: string): XmlNode[] {
    const v = node[tag];
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    // An empty element such as <link name="world"/> parses to an object of attributes only;
    // a text-only element parses to a string: treat it as having no attributes.
    return list.map((e: unknown) => (isNode(e) ? e : {}));
  }

  element(node: XmlNode, tag: string, where: string, required: true): XmlNode;
  element(node: XmlNode, tag: string, where: string, required: false): XmlNode | null;
  element(node: XmlNode, tag: string, where: string, required: boolean): XmlNode | null {
    const v = node[tag];
    if (v === undefined) {
      if (required) this.fail(where, `no <${tag}>`, `a <${tag}> element`);
      return null;
    }
    if (Array.isArray(v)) {
      if (v.length !== 1) this.fail(`${where} <${tag}>`, `${v.length} elements`, "exactly one");
      const only: unknown = v[0];
      return isNode(only) ? only : {};
    }
    return isNode(v) ? v : {};
  }

  attr(node: XmlNode, name: string): string | undefined {
    const v = node[`@_${name}`];
    return typeof v === "string" ? v : undefined;
  }

  requiredAttr(node: XmlNode, name: string, where: string): string {
    const v = this.attr(node, name);
    if (v === undefined || v.trim() === "") this.fail(`${where} ${name}`, v === undefined ? "nothing" : `""`, `a non-empty "${name}" attribute`);
    return v.trim();
  }

  number(node: XmlNode, name: string, where: string, fallback?: number): number {
    const raw = this.attr(node, name);
    if (raw === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(`${where} ${name}`, "nothing", `a "${name}" attribute (number)`);
    }
    return this.parseNumber(raw, `${where.replace(/>$/, "")} ${name}="${raw}">`);
  }

  parseNumber(raw: string, field: string): number {
    const t = raw.trim();
    const v = Number(t);
    if (t === "" || !Number.isFinite(v)) this.fail(field, JSON.stringify(raw), "a number");
    return v;
  }

  vec3(node: XmlNode | null, name: string, where: string, fallback: Vec3): Vec3 {
    const raw = node ? this.attr(node, name) : undefined;
    if (raw === undefined) return fallback;
    const field = `${where.replace(/>$/, "")} ${name}="${raw}">`;
    const parts = raw.trim().split(/\s+/);
    if (parts.length !== 3) this.fail(field, JSON.stringify(raw), "three numbers");
    return [this.parseNumber(parts[0]!, field), this.parseNumber(parts[1]!, field), this.parseNumber(parts[2]!, field)];
  }

  pose(node: XmlNode, where: string): Pose {
    const origin = this.element(node, "origin", where, false);
    return {
      xyz: this.vec3(origin, "xyz", `${where} <origin>`, [0, 0, 0]),
      rpy: this.vec3(origin, "rpy", `${where} <origin>`, [0, 0, 0]),
    };
  }

  positive(value: number, field: string, what: string): number {
    if (!(value > 0)) this.fail(field, String(value), `${what} > 0`);
    return value;
  }

  geometry(node: XmlNode, where: string): Geometry {
    const g = this.element(node, "geometry", where, true);
    const w = `${where} <geometry>`;
    const shapes = ["box", "sphere", "cylinder", "capsule", "mesh"].filter((k) => g[k] !== undefined);
    if (shapes.length !== 1) this.fail(w, shapes.length === 0 ? "no shape" : shapes.join(" and "), "exactly one of <box>, <sphere>, <cylinder>");
    const kind = shapes[0]!;
    const s = this.element(g, kind, w, true);
    switch (kind) {
      case "box": {
        const size = this.vec3(s, "size", `${w} <box>`, [0, 0, 0]);
        if (!(size[0] > 0 && size[1] > 0 && size[2] > 0)) this.fail(`${w} <box size>`, size.join(" "), "three sizes > 0");
        return { type: "box", size };
      }
      case "sphere":
        return { type: "sphere", radius: this.positive(this.number(s, "radius", `${w} <sphere>`), `${w} <sphere radius>`, "radius") };
      case "cylinder":
        return {
          type: "cylinder",
          radius: this.positive(this.number(s, "radius", `${w} <cylinder>`), `${w} <cylinder radius>`, "radius"),
          length: this.positive(this.number(s, "length", `${w} <cylinder>`), `${w} <cylinder length>`, "length"),
        };
      default:
        return this.fail(w, `<${kind}>`, "<box>, <sphere> or <cylinder> (capsules are cylinders marked in the sidecar; meshes are not supported)");
    }
  }

  inertial(node: XmlNode, where: string): Inertial {
    const w = `${where} <inertial>`;
    const massNode = this.element(node, "mass", w, true);
    const mass = this.number(massNode, "value", `${w} <mass>`);
    if (!(mass > 0)) this.fail(`${w} <mass value="${mass}">`, String(mass), "a mass > 0");
    const it = this.element(node, "inertia", w, true);
    const wi = `${w} <inertia>`;
    const inertia = {
      ixx: this.number(it, "ixx", wi),
      ixy: this.number(it, "ixy", wi, 0),
      ixz: this.number(it, "ixz", wi, 0),
      iyy: this.number(it, "iyy", wi),
      iyz: this.number(it, "iyz", wi, 0),
      izz: this.number(it, "izz", wi),
    };
    const { ixx, iyy, izz } = inertia;
    const tol = 1e-9 * (ixx + iyy + izz);
    if (!(ixx > 0 && iyy > 0 && izz > 0) || ixx + iyy < izz - tol || iyy + izz < ixx - tol || izz + ixx < iyy - tol) {
      this.fail(wi, `ixx=${ixx} iyy=${iyy} izz=${izz}`, "positive diagonal moments satisfying the triangle inequality");
    }
    return { origin: this.pose(node, w), mass, inertia };
  }

  link(node: XmlNode, index: number): UrdfLink {
    const name = this.requiredAttr(node, "name", `link #${index + 1}`);
    const where = `link "${name}"`;
    const inertialNode = this.element(node, "inertial", where, false);
    if (!inertialNode && name !== WORLD_LINK) this.fail(where, "no <inertial>", "an <inertial> with a mass > 0 (only \"world\" may omit it)");
    const collisions = this.elements(node, "collision").map((c, i) => {
      const cname = this.attr(c, "name")?.trim() || `${name}#${i}`;
      const w = `${where} <collision name="${cname}">`;
      return { name: cname, origin: this.pose(c, w), geometry: this.geometry(c, w) };
    });
    const visuals = this.elements(node, "visual").map((v, i) => {
      const w = `${where} <visual #${i + 1}>`;
      return { origin: this.pose(v, w), geometry: this.geometry(v, w) };
    });
    return { name, inertial: inertialNode ? this.inertial(inertialNode, where) : null, collisions, visuals };
  }

  joint(node: XmlNode, index: number): UrdfJoint {
    const name = this.requiredAttr(node, "name", `joint #${index + 1}`);
    const where = `joint "${name}"`;
    const typeRaw = this.requiredAttr(node, "type", where);
    if (!(JOINT_TYPES as readonly string[]).includes(typeRaw)) this.fail(`${where} type`, `"${typeRaw}"`, `one of ${JOINT_TYPES.join(", ")}`);
    const type = typeRaw as JointType;
    const parent = this.requiredAttr(this.element(node, "parent", where, true), "link", `${where} <parent>`);
    const child = this.requiredAttr(this.element(node, "child", where, true), "link", `${where} <child>`);
    const axisNode = this.element(node, "axis", where, false);
    const rawAxis = this.vec3(axisNode, "xyz", `${where} <axis>`, [1, 0, 0]);
    const n = Math.hypot(rawAxis[0], rawAxis[1], rawAxis[2]);
    if (!(n > 1e-9)) this.fail(`${where} <axis xyz>`, rawAxis.join(" "), "a non-zero axis");
    const axis: Vec3 = [rawAxis[0] / n, rawAxis[1] / n, rawAxis[2] / n];

    let limit: JointLimit | null = null;
    const limitNode = this.element(node, "limit", where, false);
    if (type === "revolute" || type === "prismatic") {
      if (!limitNode) this.fail(where, "no <limit>", `a <limit> (required for ${type} joints)`);
      const w = `${where} <limit>`;
      const lower = this.number(limitNode, "lower", w, 0);
      const upper = this.number(limitNode, "upper", w, 0);
      if (lower > upper) this.fail(`${where} <limit lower="${lower}" upper="${upper}">`, `lower ${lower} > upper ${upper}`, "lower <= upper");
      const effort = this.number(limitNode, "effort", w);
      const velocity = this.number(limitNode, "velocity", w);
      if (effort < 0) this.fail(`${where} <limit effort="${effort}">`, String(effort), "effort >= 0");
      if (velocity < 0) this.fail(`${where} <limit velocity="${velocity}">`, String(velocity), "velocity >= 0");
      limit = { lower, upper, effort, velocity };
    }
    const dyn = this.element(node, "dynamics", where, false);
    const damping = dyn ? this.number(dyn, "damping", `${where} <dynamics>`, 0) : 0;
    if (damping < 0) this.fail(`${where} <dynamics damping="${damping}">`, String(damping), "damping >= 0");
    return { name, type, parent, child, origin: this.pose(node, where), axis, limit, damping };
  }

  ros2Control(node: XmlNode, jointNames: ReadonlySet<string>): Ros2Control {
    const name = this.requiredAttr(node, "name", "<ros2_control>");
    const where = `<ros2_control name="${name}">`;
    const type = this.requiredAttr(node, "type", where);
    const hw = this.element(node, "hardware", where, true);
    const pluginRaw = hw["plugin"];
    const plugin = typeof pluginRaw === "string" ? pluginRaw.trim() : "";
    if (plugin === "") this.fail(`${where} <hardware><plugin>`, "nothing", "a plugin name");
    const joints: Ros2ControlJoint[] = this.elements(node, "joint").map((j, i) => {
      const jname = this.requiredAttr(j, "name", `${where} <joint #${i + 1}>`);
      const w = `${where} <joint name="${jname}">`;
      if (!jointNames.has(jname)) this.fail(`${w}`, `"${jname}"`, `one of the URDF joints (${[...jointNames].join(", ")})`);
      const commandInterfaces = this.elements(j, "command_interface").map((c) => {
        const cname = this.requiredAttr(c, "name", `${w} <command_interface>`);
        let min: number | null = null;
        let max: number | null = null;
        for (const p of this.elements(c, "param")) {
          const pname = this.requiredAttr(p, "name", `${w} <command_interface name="${cname}"> <param>`);
          const text = p["#text"];
          const value = this.parseNumber(typeof text === "string" ? text : "", `${w} <command_interface name="${cname}"> <param name="${pname}">`);
          if (pname === "min") min = value;
          else if (pname === "max") max = value;
        }
        if (min !== null && max !== null && min > max) this.fail(`${w} <command_interface name="${cname}">`, `min ${min} > max ${max}`, "min <= max");
        return { name: cname, min, max };
      });
      const stateInterfaces = this.elements(j, "state_interface").map((s) => this.requiredAttr(s, "name", `${w} <state_interface>`));
      return { name: jname, commandInterfaces, stateInterfaces };
    });
    return { name, type, plugin, joints };
  }
}
