/**
 * The `<robot>.locomote.yaml` sidecar: what a URDF cannot say. Validated with zod; names are
 * cross-checked against the URDF in `load.ts`. Field names are snake_case, as in ROS configs.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { DescriptionError } from "./description.js";

export const SIDECAR_SCHEMA_VERSION = "locomote.robot/1";

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const nonNegative = z.number().min(0);

const PhysicsSchema = z.strictObject({
  /** Physics step (s). */
  timestep: z.number().positive(),
  gravity: vec3.default([0, 0, -9.81]),
  /** Rapier solver iterations (substeps) per physics step. */
  solver_iterations: z.int().min(1).max(64).default(4),
  /** Rapier PGS iterations per solver iteration. */
  pgs_iterations: z.int().min(1).max(64).default(1),
  /** How armature is reproduced (see PhysicsSettings.armatureModel). */
  armature_model: z.enum(["joint_motor", "child_inertia"]).default("joint_motor"),
  /** Rapier world steps per physics step, motors and fluid forces refreshed before each. */
  substeps: z.int().min(1).max(64).default(1),
  /** How a step advances MuJoCo's soft joint limits (see PhysicsSettings.limitStep). */
  limit_step: z.enum(["euler", "exact"]).default("euler"),
  /**
   * The medium around the robot (MuJoCo `<option density viscosity>`, inertia-box fluid model:
   * src/physics/fluid.ts); null (default): vacuum.
   */
  fluid: z.strictObject({ density: nonNegative, viscosity: nonNegative }).nullable().default(null),
});

const RootCoordinateSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(["slide", "hinge"]),
  /** World axis: slide direction, or hinge axis (must be the plane normal). */
  axis: vec3,
  /** Rotor inertia on this root DoF (MuJoCo `armature` of the slide/hinge joint). */
  armature: nonNegative.default(0),
});

const RootSchema = z.strictObject({
  /** The URDF joint from `world` to the root link: planar, or floating (a free root). */
  joint: z.string().min(1),
  /**
   * Generalized coordinates of a planar root, in qpos order. Absent for a floating root, whose
   * coordinates are MuJoCo's free joint: `<joint>_x/_y/_z/_qw/_qx/_qy/_qz` (qpos) and
   * `<joint>_x/_y/_z/_rx/_ry/_rz` (qvel: world linear, body-frame angular velocity).
   */
  coordinates: z.array(RootCoordinateSchema).length(3).optional(),
});

const JointExtraSchema = z.strictObject({
  /** Rotor inertia on this DoF (MuJoCo `armature`, kg·m²). */
  armature: nonNegative.default(0),
  /** Spring towards 0: generalized force −stiffness·q (MuJoCo joint `stiffness`, springref 0). */
  stiffness: nonNegative.default(0),
});

const ActuatorSchema = z.strictObject({
  joint: z.string().min(1),
  interface: z.enum(["effort", "position", "velocity"]).default("effort"),
  /** Command = gear · ctrl (MuJoCo motor gear). */
  gear: z.number().positive(),
  ctrl_range: z.tuple([z.number(), z.number()]),
});

const LinkExtraSchema = z.strictObject({
  /** `capsule`: every <cylinder> collision of the link is a capsule (URDF length = straight segment). */
  collision_shape: z.enum(["as_urdf", "capsule"]).default("as_urdf"),
  /** Friction coefficient of the link's geoms (MuJoCo geom friction[0]). */
  friction: nonNegative.default(1),
});

const ContactSchema = z.strictObject({
  margin: nonNegative.default(0),
  self_collision: z.enum(["none", "non_adjacent"]),
  friction_combine: z.enum(["max", "average", "min", "multiply"]).default("max"),
  ground: z
    .strictObject({
      height: z.number().default(0),
      friction: nonNegative,
    })
    .nullable(),
  /**
   * Softness of the Rapier articulation's contacts (a spring-damper): natural frequency (Hz) and
   * damping ratio. Absent: the articulation's MuJoCo-like defaults (15 Hz, 1; fitted to
   * hopper.xml's solimp 0.8 0.8 0.01), see src/physics/rapier.ts MUJOCO_LIKE_SOLVER.
   */
  stiffness_hz: z.number().positive().optional(),
  damping_ratio: z.number().positive().optional(),
});

export const SidecarSchema = z.strictObject({
  schema: z.literal(SIDECAR_SCHEMA_VERSION),
  /** Must equal the URDF `<robot name>`. */
  robot: z.string().min(1),
  physics: PhysicsSchema,
  root: RootSchema,
  /** Per-joint extras, keyed by URDF joint name. */
  joints: z.record(z.string(), JointExtraSchema).default({}),
  /** In action order. */
  actuators: z.array(ActuatorSchema).min(1),
  /** Per-link extras, keyed by URDF link name. */
  links: z.record(z.string(), LinkExtraSchema).default({}),
  contact: ContactSchema,
  initial_pose: z.strictObject({
    /** Initial generalized coordinates by name; unnamed ones are 0. */
    qpos: z.record(z.string(), z.number()).default({}),
  }),
});

export type Sidecar = z.infer<typeof SidecarSchema>;

/** Parses and validates sidecar YAML; `file` labels errors. */
export function parseSidecar(text: string, file: string): Sidecar {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    throw new DescriptionError(file, "YAML", JSON.stringify(msg), "valid YAML");
  }
  const result = SidecarSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length === 0 ? "(root)" : issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
  const found = "input" in issue && issue.input !== undefined ? JSON.stringify(issue.input) : "nothing";
  throw new DescriptionError(file, field, found, describeIssue(issue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "unrecognized_keys":
      return `no unknown keys (unknown: ${issue.keys.join(", ")})`;
    default: {
      // zod messages read "Invalid input: expected …" or "Too small: expected …".
      const m = /expected (.*)$/i.exec(issue.message);
      return m ? m[1]! : issue.message;
    }
  }
}
