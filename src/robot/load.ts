/**
 * loadRobot: reads `robots/<name>/<name>.urdf` and `<name>.locomote.yaml`, cross-checks them
 * and returns one RobotDescription. The repository's `robots/` folder is found from this
 * module's location (walking up to the folder holding package.json), so it works from `src/`
 * under vitest and from the compiled `dist/src/`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Actuator,
  type Collision,
  DescriptionError,
  type Joint,
  type Link,
  type RobotDescription,
  type RootCoordinate,
  type Vec3,
} from "./description.js";
import { checkPlaceholders } from "./hinge-groups.js";
import { parseSidecar, type Sidecar } from "./sidecar.js";
import { parseUrdf, type UrdfJoint, type UrdfRobot, WORLD_LINK } from "./urdf.js";

let cachedRoot: string | undefined;

/** The folder holding locomote's package.json (the repository or installed package root). */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The repository's `robots/` folder. */
export function robotsDir(): string {
  return join(packageRoot(), "robots");
}

/**
 * Loads a robot by name (a folder in `robots/`) or by folder path. The folder must hold
 * `<folder name>.urdf` and `<folder name>.locomote.yaml`.
 */
export function loadRobot(nameOrDir: string): RobotDescription {
  const looksLikePath = isAbsolute(nameOrDir) || nameOrDir.includes("/") || nameOrDir.includes(sep) || nameOrDir.startsWith(".");
  const dir = looksLikePath ? resolve(nameOrDir) : join(robotsDir(), nameOrDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DescriptionError(displayPath(dir), "robot folder", "no such folder", looksLikePath ? "a folder with <name>.urdf and <name>.locomote.yaml" : `a robot name with a folder in ${displayPath(robotsDir())}`);
  }
  const name = basename(dir);
  const urdfPath = join(dir, `${name}.urdf`);
  const sidecarPath = join(dir, `${name}.locomote.yaml`);
  const urdf = parseUrdf(readText(urdfPath), displayPath(urdfPath));
  const sidecar = parseSidecar(readText(sidecarPath), displayPath(sidecarPath));
  return mergeDescription(urdf, sidecar, dir, displayPath(sidecarPath));
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new DescriptionError(displayPath(path), "file", code === "ENOENT" ? "no such file" : code, "a readable file");
  }
}

/** Path relative to the package root when inside it (short, stable error messages). */
function displayPath(path: string): string {
  const rel = relative(packageRoot(), path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel.split(sep).join("/");
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Rotates `v` by URDF roll-pitch-yaw (R = Rz(yaw)·Ry(pitch)·Rx(roll)). */
function rotateRpy(rpy: Vec3, v: Vec3): Vec3 {
  const [r, p, y] = rpy;
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(y), Math.sin(y)];
  const x1 = v[0];
  const y1 = cr * v[1] - sr * v[2];
  const z1 = sr * v[1] + cr * v[2];
  const x2 = cp * x1 + sp * z1;
  const z2 = -sp * x1 + cp * z1;
  return [cy * x2 - sy * y1, sy * x2 + cy * y1, z2];
}

/** Merges a parsed URDF and sidecar, checking that every name in one exists in the other. */
export function mergeDescription(urdf: UrdfRobot, sc: Sidecar, dir: string, sidecarFile: string): RobotDescription {
  const fail = (field: string, found: string, expected: string): never => {
    throw new DescriptionError(sidecarFile, field, found, expected);
  };
  if (sc.robot !== urdf.name) fail("robot", JSON.stringify(sc.robot), `the URDF robot name "${urdf.name}"`);
  const jointByName = new Map(urdf.joints.map((j) => [j.name, j]));
  const linkByName = new Map(urdf.links.map((l) => [l.name, l]));
  const oneDof = (j: UrdfJoint): boolean => j.type === "revolute" || j.type === "continuous" || j.type === "prismatic";
  const jointList = [...jointByName.keys()].join(", ");

  // Root: a planar joint from world (coordinates from the sidecar), or a floating one (MuJoCo's
  // free joint, with fixed coordinate names).
  const rootJoint = jointByName.get(sc.root.joint);
  if (!rootJoint) return fail("root.joint", JSON.stringify(sc.root.joint), `a URDF joint (${jointList})`);
  if (rootJoint.type !== "planar" && rootJoint.type !== "floating") fail("root.joint", `"${rootJoint.name}" of type ${rootJoint.type}`, "a planar or floating joint");
  if (rootJoint.parent !== WORLD_LINK) fail("root.joint", `"${rootJoint.name}" with parent "${rootJoint.parent}"`, `a joint whose parent is "${WORLD_LINK}"`);
  const floating = rootJoint.type === "floating" ? freeRootNames(rootJoint.name) : undefined;
  if (floating && sc.root.coordinates) fail("root.coordinates", "a list", `none for the floating joint "${rootJoint.name}" (its coordinates are ${floating.qpos.join(", ")})`);
  if (!floating && !sc.root.coordinates) fail("root.coordinates", "nothing", `the three coordinates (two slides, one hinge) of the planar joint "${rootJoint.name}"`);
  if (floating && sc.physics.limit_step !== "euler") fail("physics.limit_step", `"${sc.physics.limit_step}"`, `"euler" for the floating joint "${rootJoint.name}" (the exact limit step is implemented for planar roots only)`);
  const normal = rotateRpy(rootJoint.origin.rpy, rootJoint.axis);
  const coordinates: RootCoordinate[] = (sc.root.coordinates ?? []).map((c, i) => {
    const n = Math.hypot(...c.axis);
    if (!(n > 1e-9)) fail(`root.coordinates[${i}].axis`, JSON.stringify(c.axis), "a non-zero axis");
    const axis: Vec3 = [c.axis[0] / n, c.axis[1] / n, c.axis[2] / n];
    const along = Math.abs(dot(axis, normal));
    if (c.type === "slide" && along > 1e-6) fail(`root.coordinates[${i}].axis`, JSON.stringify(c.axis), `a slide axis in the plane of joint "${rootJoint.name}" (normal ${normal.map((v) => +v.toFixed(6)).join(" ")})`);
    if (c.type === "hinge" && Math.abs(along - 1) > 1e-6) fail(`root.coordinates[${i}].axis`, JSON.stringify(c.axis), `the plane normal of joint "${rootJoint.name}" (${normal.map((v) => +v.toFixed(6)).join(" ")}) or its opposite`);
    return { name: c.name, type: c.type, axis, armature: c.armature };
  });
  const slides = coordinates.filter((c) => c.type === "slide");
  if (!floating && (slides.length !== 2 || Math.abs(dot(slides[0]!.axis, slides[1]!.axis)) > 1e-6)) {
    fail("root.coordinates", coordinates.map((c) => c.type).join(", "), "two perpendicular slides and one hinge");
  }
  for (const j of urdf.joints) {
    if ((j.type === "planar" || j.type === "floating") && j !== rootJoint) fail("root.joint", `"${rootJoint.name}", but URDF joint "${j.name}" is also ${j.type}`, "a single multi-DoF joint (the root)");
  }

  // Kinematic-tree order (depth first, children in file order), as MuJoCo orders its DoFs.
  const dofJoints: string[] = [];
  const visit = (link: string): void => {
    for (const j of urdf.joints) {
      if (j.parent !== link) continue;
      if (oneDof(j)) dofJoints.push(j.name);
      visit(j.child);
    }
  };
  visit(rootJoint.child);
  for (const j of urdf.joints) {
    if (j.parent === WORLD_LINK && j !== rootJoint) fail("root.joint", `"${rootJoint.name}", but "${j.name}" also attaches to "${WORLD_LINK}"`, "one joint from world");
  }

  // Joint extras.
  for (const name of Object.keys(sc.joints)) {
    const j = jointByName.get(name);
    if (!j) fail(`joints.${name}`, JSON.stringify(name), `a URDF joint (${jointList})`);
    else if (!oneDof(j)) fail(`joints.${name}`, `a ${j.type} joint`, "a revolute, continuous or prismatic joint");
  }
  const joints: Joint[] = urdf.joints.map((j) => ({ ...j, armature: sc.joints[j.name]?.armature ?? 0, stiffness: sc.joints[j.name]?.stiffness ?? 0 }));

  // Actuators.
  const actuators: Actuator[] = sc.actuators.map((a, i) => {
    const field = `actuators[${i}].joint`;
    const j = jointByName.get(a.joint);
    if (!j) return fail(field, JSON.stringify(a.joint), `a URDF joint (${jointList})`);
    if (!oneDof(j)) fail(field, `"${a.joint}", a ${j.type} joint`, "a revolute, continuous or prismatic joint");
    const [lo, hi] = a.ctrl_range;
    if (lo > hi) fail(`actuators[${i}].ctrl_range`, JSON.stringify(a.ctrl_range), "[low, high] with low <= high");
    const maxCommand = a.gear * Math.max(Math.abs(lo), Math.abs(hi));
    if (a.interface === "effort" && j.limit && maxCommand > j.limit.effort * (1 + 1e-9)) {
      fail(`actuators[${i}]`, `gear ${a.gear} × ctrl ${Math.max(Math.abs(lo), Math.abs(hi))} = ${maxCommand} N·m`, `at most the URDF effort limit ${j.limit.effort} of "${j.name}"`);
    }
    if (urdf.ros2Control) {
      const rj = urdf.ros2Control.joints.find((r) => r.name === a.joint);
      if (!rj || !rj.commandInterfaces.some((c) => c.name === a.interface)) {
        fail(`actuators[${i}].interface`, `"${a.interface}" on "${a.joint}"`, `a command interface the URDF <ros2_control> declares for that joint`);
      }
    }
    return { joint: a.joint, interface: a.interface, gear: a.gear, ctrlRange: [lo, hi] as const };
  });

  // Links: capsules and friction.
  for (const name of Object.keys(sc.links)) {
    const link = linkByName.get(name);
    if (!link) {
      fail(`links.${name}`, JSON.stringify(name), `a URDF link (${[...linkByName.keys()].join(", ")})`);
    } else if (sc.links[name]!.collision_shape === "capsule" && !link.collisions.some((c) => c.geometry.type === "cylinder")) {
      fail(`links.${name}.collision_shape`, `"capsule" for a link with no <cylinder> collision`, "a link whose collisions include a <cylinder>");
    }
  }
  const links: Link[] = urdf.links.map((l) => {
    const extra = sc.links[l.name];
    const collisions: Collision[] = l.collisions.map((c) => ({
      name: c.name,
      origin: c.origin,
      geometry: extra?.collision_shape === "capsule" && c.geometry.type === "cylinder" ? { type: "capsule", radius: c.geometry.radius, length: c.geometry.length } : c.geometry,
      friction: extra?.friction ?? 1,
    }));
    return { name: l.name, inertial: l.inertial, collisions, visuals: l.visuals };
  });

  // Initial pose.
  const rootNames = floating ? floating.qpos : coordinates.map((c) => c.name);
  const coordNames = [...rootNames, ...dofJoints];
  const seen = new Set<string>();
  for (const n of [...coordNames, ...(floating ? floating.qvel.filter((v) => !floating.qpos.includes(v)) : [])]) {
    if (seen.has(n)) fail("root.coordinates", `"${n}" used twice (root coordinate and joint)`, "distinct coordinate names");
    seen.add(n);
  }
  for (const key of Object.keys(sc.initial_pose.qpos)) {
    if (!seen.has(key)) fail(`initial_pose.qpos.${key}`, JSON.stringify(key), `a generalized coordinate (${coordNames.join(", ")})`);
  }
  // Unnamed coordinates are 0, except a floating root's quaternion w (identity rotation).
  const qpos0 = coordNames.map((n) => sc.initial_pose.qpos[n] ?? (floating && n === floating.qpos[3] ? 1 : 0));
  dofJoints.forEach((n, i) => {
    const j = jointByName.get(n)!;
    const q = qpos0[rootNames.length + i]!;
    // Only a value the sidecar names must be within the limits: an unnamed hinge is 0 even
    // outside its range, as MuJoCo's qpos0 is (Humanoid's knees, range [-160°, -2°]: the soft
    // limit acts from the first step).
    if (sc.initial_pose.qpos[n] !== undefined && j.limit && (q < j.limit.lower || q > j.limit.upper)) fail(`initial_pose.qpos.${n}`, String(q), `a value within the URDF limits [${j.limit.lower}, ${j.limit.upper}]`);
  });

  const description: RobotDescription = {
    name: urdf.name,
    dir,
    links,
    joints,
    root: { joint: rootJoint.name, link: rootJoint.child, coordinates, ...(floating ? { floating } : {}) },
    dofJoints,
    actuators,
    contact: {
      margin: sc.contact.margin,
      selfCollision: sc.contact.self_collision,
      frictionCombine: sc.contact.friction_combine,
      ground: sc.contact.ground,
      ...(sc.contact.stiffness_hz !== undefined ? { stiffnessHz: sc.contact.stiffness_hz } : {}),
      ...(sc.contact.damping_ratio !== undefined ? { dampingRatio: sc.contact.damping_ratio } : {}),
    },
    physics: {
      timestep: sc.physics.timestep,
      gravity: sc.physics.gravity,
      solverIterations: sc.physics.solver_iterations,
      pgsIterations: sc.physics.pgs_iterations,
      armatureModel: sc.physics.armature_model,
      substeps: sc.physics.substeps,
      limitStep: sc.physics.limit_step,
      fluid: sc.physics.fluid,
    },
    qpos0,
    ros2Control: urdf.ros2Control,
  };
  // Massless links must be stacked-hinge placeholders (src/robot/hinge-groups.ts).
  const placeholderProblem = checkPlaceholders(description);
  if (placeholderProblem) throw new DescriptionError(sidecarFile.replace(/\.locomote\.yaml$/, ".urdf"), placeholderProblem.field, placeholderProblem.found, placeholderProblem.expected);
  return description;
}

/** Coordinate names of a floating root joint `j` (MuJoCo free joint): qpos, then qvel. */
export function freeRootNames(j: string): { qpos: string[]; qvel: string[] } {
  return {
    qpos: [`${j}_x`, `${j}_y`, `${j}_z`, `${j}_qw`, `${j}_qx`, `${j}_qy`, `${j}_qz`],
    qvel: [`${j}_x`, `${j}_y`, `${j}_z`, `${j}_rx`, `${j}_ry`, `${j}_rz`],
  };
}
