/**
 * Browser side of the live view: the robot's drawable geometry from its URDF (collision
 * elements, else visual ones), pose math, and the choice of projection.
 *
 * locomote's URDFs describe MuJoCo capsules as `<cylinder>` whose `length` is the capsule's
 * straight segment (the sidecar marks them `collision_shape: capsule`), so a cylinder is drawn
 * as that segment with round caps of its radius: exactly the capsule's outline in an
 * orthographic view.
 */
import { quatFromRpy } from "../../physics/spatial.js";

export type Vec3 = [number, number, number];
/** Quaternion [x, y, z, w]. */
export type Quat = [number, number, number, number];

export interface Pose {
  readonly p: Vec3;
  readonly q: Quat;
}

export const IDENTITY: Pose = { p: [0, 0, 0], q: [0, 0, 0, 1] };

export type ShapeGeometry =
  | { readonly kind: "capsule"; readonly radius: number; readonly length: number }
  | { readonly kind: "sphere"; readonly radius: number }
  | { readonly kind: "box"; readonly size: Vec3 };

export type Shape = ShapeGeometry & {
  readonly link: string;
  /** Pose of the geometry in its link frame. */
  readonly origin: Pose;
};

/** Side view: screen right = +x, up = +z (looking along +y). Top view: right = +x, up = +y. */
export type ViewPlane = "xz" | "xy";

export interface RobotModel {
  readonly name: string;
  /** Link names in URDF order. */
  readonly links: readonly string[];
  /** The link the camera follows: the child of the root joint (or the first link with geometry). */
  readonly rootLink: string;
  readonly shapes: readonly Shape[];
  readonly plane: ViewPlane;
  /** Parent link, joint origin and fixedness of each non-root link (to place welded links missing from /tf). */
  readonly parents: ReadonlyMap<string, { readonly parent: string; readonly origin: Pose; readonly fixed: boolean }>;
  /** Links that are no joint's child (the URDF's world frame): identity poses. */
  readonly roots: readonly string[];
}

export function quatMul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

export function rotate(q: Quat, v: Vec3): Vec3 {
  const [qx, qy, qz, qw] = q;
  const [vx, vy, vz] = v;
  // t = 2 q × v; v' = v + w t + q × t
  const tx = 2 * (qy * vz - qz * vy);
  const ty = 2 * (qz * vx - qx * vz);
  const tz = 2 * (qx * vy - qy * vx);
  return [
    vx + qw * tx + (qy * tz - qz * ty),
    vy + qw * ty + (qz * tx - qx * tz),
    vz + qw * tz + (qx * ty - qy * tx),
  ];
}

/** a ∘ b: b expressed in a's frame, to a's parent frame. */
export function compose(a: Pose, b: Pose): Pose {
  const r = rotate(a.q, b.p);
  return { p: [a.p[0] + r[0], a.p[1] + r[1], a.p[2] + r[2]], q: quatMul(a.q, b.q) };
}

export function transformPoint(a: Pose, v: Vec3): Vec3 {
  const r = rotate(a.q, v);
  return [a.p[0] + r[0], a.p[1] + r[1], a.p[2] + r[2]];
}

function numbers(text: string | null, n: number, fallback: number): number[] {
  const out = (text ?? "").trim().split(/\s+/).filter((s) => s.length > 0).map(Number);
  while (out.length < n) out.push(fallback);
  return out.slice(0, n).map((v) => (Number.isFinite(v) ? v : fallback));
}

function childElements(el: Element, tag: string): Element[] {
  return Array.from(el.children).filter((c) => c.tagName === tag);
}

function originOf(el: Element): Pose {
  const o = childElements(el, "origin")[0];
  if (!o) return IDENTITY;
  const [x, y, z] = numbers(o.getAttribute("xyz"), 3, 0) as Vec3;
  const [r, p, w] = numbers(o.getAttribute("rpy"), 3, 0) as Vec3;
  return { p: [x, y, z], q: quatFromRpy(r, p, w) };
}

function geometryOf(el: Element): ShapeGeometry | undefined {
  const g = childElements(el, "geometry")[0];
  const shape = g?.children[0];
  if (!shape) return undefined;
  const num = (name: string): number => Number(shape.getAttribute(name));
  switch (shape.tagName) {
    case "cylinder":
    case "capsule": {
      const radius = num("radius"), length = num("length");
      return radius > 0 && length >= 0 ? { kind: "capsule", radius, length } : undefined;
    }
    case "sphere": {
      const radius = num("radius");
      return radius > 0 ? { kind: "sphere", radius } : undefined;
    }
    case "box": {
      const size = numbers(shape.getAttribute("size"), 3, 0) as Vec3;
      return { kind: "box", size };
    }
    default:
      return undefined; // meshes: not drawn
  }
}

/** Parses URDF XML (a document from DOMParser). Throws on a document without `<robot>`. */
export function robotModelFromUrdf(doc: Document): RobotModel {
  const robot = doc.documentElement;
  if (!robot || robot.tagName !== "robot") throw new Error("robot_description: not a URDF (no <robot> root element)");
  const links: string[] = [];
  const shapes: Shape[] = [];
  for (const link of childElements(robot, "link")) {
    const name = link.getAttribute("name") ?? "";
    links.push(name);
    const collisions = childElements(link, "collision");
    const elements = collisions.length > 0 ? collisions : childElements(link, "visual");
    for (const el of elements) {
      const geom = geometryOf(el);
      if (geom) shapes.push({ ...geom, link: name, origin: originOf(el) });
    }
  }
  const parents = new Map<string, { parent: string; origin: Pose; fixed: boolean }>();
  const children = new Set<string>();
  let zAxes = 0, axes = 0;
  let planarAxis: Vec3 | undefined;
  let rootLink: string | undefined;
  for (const joint of childElements(robot, "joint")) {
    const parent = childElements(joint, "parent")[0]?.getAttribute("link") ?? "";
    const child = childElements(joint, "child")[0]?.getAttribute("link") ?? "";
    const type = joint.getAttribute("type") ?? "";
    parents.set(child, { parent, origin: originOf(joint), fixed: type === "fixed" });
    children.add(child);
    const axisEl = childElements(joint, "axis")[0];
    const axis = numbers(axisEl?.getAttribute("xyz") ?? "1 0 0", 3, 0) as Vec3;
    if (type === "planar") planarAxis = axis;
    if (type === "revolute" || type === "continuous") {
      axes++;
      if (Math.abs(axis[2]) > 0.9) zAxes++;
    }
  }
  // The link under the world frame: the child of the joint whose parent is a root link.
  const roots = links.filter((l) => !children.has(l));
  for (const [child, { parent }] of parents) {
    if (roots.includes(parent) && shapes.some((s) => s.link === child)) {
      rootLink = child;
      break;
    }
  }
  rootLink ??= shapes[0]?.link ?? links[0] ?? "";
  // Planar robots moving in the x–y plane (swimmer: planar axis z) are seen from above.
  const plane: ViewPlane =
    planarAxis !== undefined ? (Math.abs(planarAxis[2]) > 0.9 ? "xy" : "xz") : axes > 0 && zAxes * 2 > axes ? "xy" : "xz";
  return { name: robot.getAttribute("name") ?? "robot", links, rootLink, shapes, plane, parents, roots };
}
