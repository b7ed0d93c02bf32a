/**
 * Stacked hinges. MuJoCo lets one body carry several hinges that share an anchor (Humanoid's
 * abdomen_z + abdomen_y, hip x/z/y, shoulder1 + shoulder2): the body's rotation is
 * parent · body_quat · R(a₁, q₁) · R(a₂, q₂) · …, axes in the body frame, each later axis carried
 * by the earlier joints. URDF has one joint per link, so such a group is written the usual way:
 * a chain of revolute joints through massless placeholder links.
 *
 * - The first joint of the group carries the body's offset and rotation (URDF origin); every
 *   later joint has a zero origin (xyz and rpy 0), so all of them share the anchor.
 * - A placeholder link has (near) zero mass — at most `PLACEHOLDER_MAX_MASS`, since URDF tools
 *   want an `<inertial>`; robots/humanoid uses 1e-6 kg — and no collision geometry, and sits
 *   between two revolute (or continuous) joints.
 * - Axes are written in each joint's frame; since the placeholders' frames at q = 0 coincide
 *   with the body frame, they are MuJoCo's body-frame axes.
 *
 * The loader rejects a massless link that is not such a placeholder (`checkPlaceholders`); the
 * physics recognises the groups with `hingeGroups` (see src/physics/floating-articulation.ts
 * for how it simulates them).
 */
import type { Joint, Link, RobotDescription } from "./description.js";

/** Links at most this heavy (kg) are massless placeholders of a stacked-hinge group. */
export const PLACEHOLDER_MAX_MASS = 1e-4;

export interface HingeGroup {
  /** The group's joints in kinematic order (the first carries the body offset). */
  readonly joints: readonly string[];
  /** The placeholder links between them (one fewer than joints). */
  readonly placeholders: readonly string[];
  /** The link the group hangs from. */
  readonly parent: string;
  /** The real body the group moves. */
  readonly child: string;
}

/** True for a link light enough to be a stacked-hinge placeholder (see the header). */
export function isMassless(link: Link): boolean {
  return (link.inertial?.mass ?? 0) <= PLACEHOLDER_MAX_MASS;
}

const isHinge = (j: Joint): boolean => j.type === "revolute" || j.type === "continuous";
const isZeroOrigin = (j: Joint): boolean => [...j.origin.xyz, ...j.origin.rpy].every((v) => Math.abs(v) <= 1e-12);

/** Why `link` (massless, not the world) is not a valid placeholder, or null when it is. */
function placeholderProblem(desc: RobotDescription, link: Link): { field: string; found: string; expected: string } | null {
  const expected = "a stacked-hinge placeholder: between two revolute joints, the second with a zero origin, and no collision geometry (src/robot/hinge-groups.ts)";
  const field = `link "${link.name}"`;
  const mass = `mass ${link.inertial?.mass ?? 0} kg`;
  const into = desc.joints.find((j) => j.child === link.name);
  const out = desc.joints.filter((j) => j.parent === link.name);
  if (link.collisions.length > 0) return { field, found: `${mass} with collision geometry`, expected };
  if (!into || !isHinge(into)) return { field, found: `${mass} below a ${into?.type ?? "missing"} joint`, expected };
  if (out.length !== 1) return { field, found: `${mass} with ${out.length} child joints`, expected };
  const next = out[0]!;
  if (!isHinge(next)) return { field, found: `${mass} above the ${next.type} joint "${next.name}"`, expected };
  if (!isZeroOrigin(next)) return { field, found: `${mass} above joint "${next.name}" with origin xyz ${next.origin.xyz.join(" ")} rpy ${next.origin.rpy.join(" ")}`, expected };
  return null;
}

/** The first massless link that is not a valid placeholder, as a description error's parts. */
export function checkPlaceholders(desc: RobotDescription): { field: string; found: string; expected: string } | null {
  for (const link of desc.links) {
    if (link.inertial === null || !isMassless(link)) continue; // the world link has no inertial
    const p = placeholderProblem(desc, link);
    if (p) return p;
  }
  return null;
}

/** Every stacked-hinge group of a (validated) description, in URDF joint order. */
export function hingeGroups(desc: RobotDescription): HingeGroup[] {
  const linkByName = new Map(desc.links.map((l) => [l.name, l]));
  const placeholder = (name: string): boolean => {
    const l = linkByName.get(name);
    return !!l && l.inertial !== null && isMassless(l);
  };
  const groups: HingeGroup[] = [];
  for (const first of desc.joints) {
    if (!isHinge(first) || placeholder(first.parent) || !placeholder(first.child)) continue;
    const joints = [first.name];
    const placeholders: string[] = [];
    let link = first.child;
    while (placeholder(link)) {
      placeholders.push(link);
      const next = desc.joints.find((j) => j.parent === link)!;
      joints.push(next.name);
      link = next.child;
    }
    groups.push({ joints, placeholders, parent: first.parent, child: link });
  }
  return groups;
}
