/**
 * What both articulations (planar `Articulation`, `FloatingArticulation`) build their Rapier
 * world from and read it back with: collision-group bits, collider shapes, the ground, the
 * solver snapshot every reset restores from, and the per-body state read-back of the hot path.
 */
import type { CoefficientCombineRule, World } from "@dimforge/rapier3d-simd-compat";
import type { ContactSettings, Link } from "../robot/description.js";
import { MUJOCO_LIKE_SOLVER, patchSolverParameters, type Rapier, type SolverParameters } from "./rapier.js";

/** Collision-group bits: the ground, and robot colliders that meet it. */
export const GROUND_BIT = 0x0001;
export const ROBOT_BIT = 0x0002;

/** Rapier's friction combine rule for the description's `contact.frictionCombine`. */
export function frictionCombineRule(R: Rapier, rule: ContactSettings["frictionCombine"]): CoefficientCombineRule {
  return {
    max: R.CoefficientCombineRule.Max,
    min: R.CoefficientCombineRule.Min,
    average: R.CoefficientCombineRule.Average,
    multiply: R.CoefficientCombineRule.Multiply,
  }[rule];
}

/**
 * Creates the world's fixed body (always: body handles do not depend on the ground) and, when
 * the description has a ground, its half-space collider (z up at the ground height, friction
 * combined by `combine`, no restitution, contact skin `skin`, meeting robot colliders only).
 * Returns the ground collider's handle, or −1.
 */
export function addGround(R: Rapier, world: World, contact: ContactSettings, skin: number, combine: CoefficientCombineRule): number {
  const fixed = world.createRigidBody(R.RigidBodyDesc.fixed());
  if (!contact.ground) return -1;
  const g = contact.ground;
  const cd = new R.ColliderDesc(new R.HalfSpace({ x: 0, y: 0, z: 1 }))
    .setTranslation(0, 0, g.height)
    .setFriction(g.friction)
    .setFrictionCombineRule(combine)
    .setRestitution(0)
    .setContactSkin(skin)
    .setCollisionGroups((GROUND_BIT << 16) | ROBOT_BIT);
  return world.createCollider(cd, fixed).handle;
}

/** Rapier collider shape of a URDF collision geometry (capsules/cylinders along local Y). */
export function colliderDesc(R: Rapier, g: Link["collisions"][number]["geometry"]): InstanceType<Rapier["ColliderDesc"]> {
  switch (g.type) {
    case "capsule":
      return R.ColliderDesc.capsule(g.length / 2, g.radius);
    case "cylinder":
      return R.ColliderDesc.cylinder(g.length / 2, g.radius);
    case "sphere":
      return R.ColliderDesc.ball(g.radius);
    case "box":
      return R.ColliderDesc.cuboid(g.size[0] / 2, g.size[1] / 2, g.size[2] / 2);
  }
}

/**
 * The solver parameters the JS API cannot set, patched into a snapshot of the built `world`:
 * `MUJOCO_LIKE_SOLVER`, with the description's contact softness (sidecar contact.stiffness_hz /
 * damping_ratio) for ground and robot-robot contacts, and `override` over both. Frees `world`
 * and returns the world restored from the snapshot, and the snapshot every reset restores from.
 */
export function solverSnapshotWorld(
  R: Rapier,
  world: World,
  contact: ContactSettings,
  override: Partial<SolverParameters> | undefined,
  numJoints: number,
): { world: World; snapshot: Uint8Array } {
  const { stiffnessHz: hz, dampingRatio: zeta } = contact;
  const contactSoftness: SolverParameters = {
    ...(hz !== undefined ? { staticContactHz: hz, contactHz: hz } : {}),
    ...(zeta !== undefined ? { staticContactDampingRatio: zeta, contactDampingRatio: zeta } : {}),
  };
  const snapshot = patchSolverParameters(world.takeSnapshot(), { ...MUJOCO_LIKE_SOLVER, ...contactSoftness, ...override }, numJoints);
  const restored = R.World.restoreSnapshot(snapshot);
  world.free();
  return { world: restored, snapshot };
}

/**
 * Reads the pose and velocities of each body in `handles` into `pos` (3 per body), `quat`
 * (x y z w), `lin` and `ang`, through Rapier's raw getters writing into `f32` (length ≥ 4):
 * no wrapper objects, no allocation.
 */
export function readBodyStates(
  world: World,
  handles: ArrayLike<number>,
  f32: Float32Array,
  pos: Float64Array,
  quat: Float64Array,
  lin: Float64Array,
  ang: Float64Array,
): void {
  const raw = world.bodies.raw;
  const b = f32;
  for (let i = 0; i < handles.length; i++) {
    const h = handles[i]!;
    raw.rbTranslation(h, b);
    pos[3 * i] = b[0]!; pos[3 * i + 1] = b[1]!; pos[3 * i + 2] = b[2]!;
    raw.rbRotation(h, b);
    quat[4 * i] = b[0]!; quat[4 * i + 1] = b[1]!; quat[4 * i + 2] = b[2]!; quat[4 * i + 3] = b[3]!;
    raw.rbLinvel(h, b);
    lin[3 * i] = b[0]!; lin[3 * i + 1] = b[1]!; lin[3 * i + 2] = b[2]!;
    raw.rbAngvel(h, b);
    ang[3 * i] = b[0]!; ang[3 * i + 1] = b[1]!; ang[3 * i + 2] = b[2]!;
  }
}
