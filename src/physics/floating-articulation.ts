/**
 * FloatingArticulation: a Rapier world for a robot with a free-floating root (MuJoCo's free
 * joint), stacked hinges (several hinges of one MuJoCo body sharing an anchor) and welded
 * bodies, exposed in MuJoCo's generalized coordinates:
 *   qpos = x, y, z, qw, qx, qy, qz of the root link, then the hinge angles (URDF tree order),
 *   qvel = world linear velocity of the root link origin, its angular velocity in the root link
 *          frame, then the hinge rates.
 * Built for Gymnasium's Humanoid-v5 (robots/humanoid); the planar robots use `Articulation`
 * (src/physics/articulation.ts), whose MuJoCo-like solver settings, joint motors (armature,
 * damping, soft limits) and torque actuators this class reproduces joint by joint.
 *
 * Construction (see robots/humanoid/README.md for the URDF side):
 * - Root: a dynamic body with no joint to the world.
 * - Hinges: revolute impulse joints between consecutive bodies. A stacked group (URDF: revolute
 *   joints chained through massless placeholder links, src/robot/hinge-groups.ts) becomes a
 *   chain parent → D₁ → … → child of k revolute joints at the one anchor, with k − 1
 *   intermediate Rapier bodies Dᵢ. That is MuJoCo's kinematics exactly: R_child = R_parent ·
 *   R_origin · R(a₁, q₁) · R(a₂, q₂) · …, each later axis carried by the earlier joints; every
 *   joint's angle and rate are read from its two bodies (twist of the relative rotation, and the
 *   relative angular velocity along the moving axis), so qpos/qvel are MuJoCo's per hinge.
 * - Intermediate bodies need mass and inertia (Rapier locks a rotation whose inertia is 0, and a
 *   light body between heavy ones slows the PGS solve). They get, without changing the
 *   dynamics of the robot:
 *     · a point mass at the anchor, taken from the group's real (child) body, whose COM and
 *       inertia are recomputed so the pair is unchanged (a point at the anchor moves identically
 *       in every body of the group): `intermediateMassFraction` of the child's mass per body;
 *     · rotational inertia that is invisible to the dynamics: D₁ (after the first hinge, axis a₁)
 *       takes β·(1 − a₁a₁ᵀ) from the parent body — a tensor symmetric about a₁ does not see
 *       R(a₁, q₁), and its energy does not see q̇₁ — and the last Dᵢ takes γ·(1 − a_k a_kᵀ)
 *       from the child the same way; β, γ = `intermediateInertiaFraction` × the donor's smallest
 *       principal moment (shared among a parent's groups). A two-hinge group (abdomen,
 *       shoulders) gets a full-rank inertia this way, exactly.
 *     · where that leaves a direction without inertia (a three-hinge group: D₁ about a₁ and D₂
 *       about a₃ of the hips), ε·aaᵀ along that axis (`intermediateInertiaEpsilon`, 0.004
 *       kg·m²), taken from the neighbour (parent for D₁, child for the last) and from that
 *       hinge's armature: ½ε(a·ω_neighbour ± q̇)² leaves the diagonal of the mass matrix as it
 *       was and adds only the cross term ε·(a·ω_neighbour)·q̇ — the one approximation
 *       (dof_invweight0 within 5.1% of MuJoCo's). Total mass and COM stay exact.
 * - Welded bodies (URDF fixed joints; Humanoid's feet): merged into their parent's Rapier body
 *   (colliders and mass properties), as MuJoCo's weld groups are; they keep their identity for
 *   the COM and the contact wrenches.
 * - Damping d, armature a, stiffness k and soft limits: one ForceBased velocity motor per
 *   revolute joint, refreshed before every world step from the joint rate v₀ and angle q at the
 *   start of the step: factor d + a/h + k·h, target ((a/h)·v₀ − k·q)/factor, i.e. damping and
 *   the spring implicit, armature as −a·q̈ on the relative motion, plus MuJoCo's soft limit
 *   (solref 0.02 1, solimp 0.9 0.95 0.001, R from dof_invweight0 computed at qpos0) as in
 *   `Articulation` (see its header for the derivation).
 * - Motors: τ = gear·clamp(ctrl) along the current world axis of the hinge, +τ on its child
 *   body and −τ on its parent body (an intermediate body for the later hinges of a group),
 *   rewritten every physics step (`torqueModel`).
 * - Contacts: capsules and spheres; half-space ground with friction combined by the
 *   description's rule; contact skin = MuJoCo margin; robot–robot contacts frictionless (a
 *   second, friction-0 collider per geom) and only between bodies that are not parent and child
 *   in MuJoCo's sense (an intermediate chain counts as one joint; a welded foot counts as its
 *   shin), through per-body collision-group bits (up to 14 bodies with geometry).
 * - Solver: `MUJOCO_LIKE_SOLVER` (src/physics/rapier.ts) unless overridden (the description's
 *   contact softness first); reset restores the patched snapshot of the freshly built world.
 *
 * Why this construction (TECH-NOTES: stacked revolute joints with ~1 kg intermediates, 8.9k
 * physics steps/s with limit overshoot ≤ 14°; a spherical joint 20–27k/s but with limits,
 * damping, armature and torques left to explicit per-axis forces). Every per-hinge term here —
 * armature (a/h = 3.3 on the hips), damping 5, soft limits, torques up to 120 N·m on effective
 * inertias of ~0.02 kg·m² — is a row of the same implicit solve, as in MuJoCo; with a spherical
 * joint the limits would have to be explicit spring-dampers, which cannot cancel a motor pushing
 * into the limit (MuJoCo's limit force does: −a_unc/(A+R)) and would let a 120 N·m hip torque
 * sit ~τ/(M_eff·k) ≈ 0.9 rad past its limit. Measured against MuJoCo 2.2.2 (humanoid.xml;
 * sims/humanoid/mujoco-compare.ts, test/physics-humanoid.test.ts), 50 PGS iterations:
 * - kinematics: body poses at random states within 6e-7 m and 1e-7 (quaternions) of MuJoCo's;
 * - contact-free dynamics: velocity change over one env step (15 ms) from random states with
 *   joint rates ±1 rad/s, relative error 0.05–0.10 vs RK4 and 0.02–0.07 vs MuJoCo's own
 *   semi-implicit Euler (the integrator used here); 300 PGS iterations: 0.03–0.05 vs RK4. The
 *   rest is the PGS residual of the joint chain: 30 iterations 0.05–0.18, 10: 0.15–0.47.
 * - passive drop from qpos0: torso height RMS 11 mm over 200 env steps, falls below 1 m at env
 *   step 41 (MuJoCo 40), lies at 0.0789 m (0.0787); zero-action episodes 41.1 env steps
 *   (MuJoCo 40.1, 10 seeds); random-action episodes 25.0 (24.4, 60 episodes);
 * - limits under random actions: up to 0.16–0.24 rad past a limit (MuJoCo 0.19);
 * - dof_invweight0 (the soft-limit scale) within 5.1% of MuJoCo's (the hips' ε terms);
 * - intermediate-body choices: mass and inertia fractions of 2% (instead of 15% and 50%) raise
 *   the limit overshoot under random actions to 0.47 rad; ε = 1e-3 instead of 4e-3 raises the
 *   air error to 0.05–0.12.
 * - speed (npm run bench:sim -- --robots humanoid, one thread, run.sh's protocol): 1.49k task
 *   env steps/s (1.52k per CPU second; 7.4k physics steps/s, 5.9 contacts per step) against
 *   MuJoCo's 2.35k measured by run.sh in the same run: 0.63× (load ~2.8 on the 2 cores).
 */
import type { World } from "@dimforge/rapier3d-simd-compat";
import type { Joint, Link, RobotDescription } from "../robot/description.js";
import { coordinateNames, velocityNames } from "../robot/description.js";
import { hingeGroups, isMassless } from "../robot/hinge-groups.js";
import {
  addScaled3,
  hingeColumn,
  outer,
  inverseDiagonal,
  mul3,
  perpendicularProjector,
  placeHingeChild,
  pointInertia,
  rotateTensor,
  softLimitMotor,
} from "./joint-math.js";
import { rapier, type Rapier, type SolverParameters, stepWorld, WorldRestorer } from "./rapier.js";
import { matFromQuat, quatConjMul, quatFromAxisAngle, quatFromMat, quatFromRpy, quatMul, quatRotate, symmetricEigen, twistAngle } from "./spatial.js";
import { addGround, colliderDesc, frictionCombineRule, GROUND_BIT, readBodyStates, ROBOT_BIT, solverSnapshotWorld } from "./world-parts.js";

type RawVector = ReturnType<Rapier["VectorOps"]["intoRaw"]>;

/** Self-contact collision-group bits (after world-parts.ts' GROUND_BIT and ROBOT_BIT): one per body with geometry. */
const FIRST_BODY_BIT = 2;
const MAX_BODY_BITS = 14;

export interface FloatingArticulationOptions {
  /** Overrides the description's PGS iterations per substep. */
  pgsIterations?: number;
  /** Overrides the description's solver iterations (Rapier substeps). */
  solverIterations?: number;
  /** Solver parameters beyond `MUJOCO_LIKE_SOLVER` (see `SolverParameters`). */
  solver?: SolverParameters;
  /** Contact skin (m) of every collider; default the description's margin. */
  contactSkin?: number;
  /** `soft` (default): MuJoCo's soft limits through the joint motor; `hard`: Rapier's limits. */
  limitModel?: "soft" | "hard";
  /** Point mass of each intermediate body, as a fraction of its group's child body mass (default 0.15). */
  intermediateMassFraction?: number;
  /**
   * How the actuator torque τ is applied: `body` (default): +τ·axis / −τ·axis body torques
   * written before each world step, exact whatever the solver's convergence; `motor`: as a
   * constant term of the joint's velocity motor, inside the solve. Random-action episodes last
   * 25.0 env steps with `body`, 27.2 with `motor` (MuJoCo 24.4); same cost (~1 µs per step).
   */
  torqueModel?: "motor" | "body";
  /** Exactly transferable inertia of the intermediate bodies, as a fraction of the donor's smallest moment (default 0.5). */
  intermediateInertiaFraction?: number;
  /** Inertia (kg·m²) given to an intermediate body along an axis where it has none, taken from its neighbour and that hinge's armature (default 4e-3). */
  intermediateInertiaEpsilon?: number;
}

/** One Rapier body: a real link (with welded links merged in) or a stacked-hinge intermediate. */
interface BodyModel {
  readonly name: string;
  /** Parent body index, −1 for the root. */
  readonly parent: number;
  /** Joint origin in the parent body frame. */
  readonly originPos: Float64Array;
  readonly originQuat: Float64Array;
  /** Hinge axis in this body's frame. */
  readonly axis: Float64Array;
  /** qvel index of the hinge (qpos index + 1), −1 for the root. */
  readonly dof: number;
  readonly damping: number;
  /** Armature of the hinge, less any share moved into an intermediate body's inertia. */
  armature: number;
  readonly stiffness: number;
  readonly lower: number;
  readonly upper: number;
  /** Soft-limit gain 1/(h·invweight0), 0 without soft limits. */
  limitGain: number;
  /** Mass properties in the body frame (after the intermediate-body transfers). */
  mass: number;
  com: Float64Array;
  inertia: number[];
  readonly intermediate: boolean;
  bodyHandle: number;
  jointHandle: number;
}

/** A MuJoCo body (a URDF link with mass): the Rapier body carrying it and its pose there. */
interface MjBody {
  readonly name: string;
  readonly body: number;
  readonly pos: Float64Array;
  readonly quat: Float64Array;
  readonly mass: number;
  /** COM in the link frame. */
  readonly com: Float64Array;
}

export class FloatingArticulation {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly coordinateNames: readonly string[];
  readonly velocityNames: readonly string[];
  readonly timestep: number;
  /** Names of the MuJoCo bodies (URDF links with mass), in URDF order: the rows of `contactWrenches`. */
  readonly bodyNames: readonly string[];
  /**
   * Every simulated URDF link (root link and all below it: bodies, stacked-hinge placeholders,
   * welded links), in URDF order: the indices of `linkPose`.
   */
  readonly linkNames: readonly string[];
  /** Per entry of `linkNames`: its Rapier body, and its pose in that body's frame. */
  private readonly linkBody: Int32Array;
  private readonly linkOffsetPos: Float64Array;
  private readonly linkOffsetQuat: Float64Array;
  private world: World;
  private readonly R: Rapier;
  /** Builds each reset's world from the patched snapshot (ahead of time when `prepareReset` runs). */
  private readonly restorer: WorldRestorer;
  private readonly bodies: BodyModel[] = [];
  private readonly mjBodies: MjBody[] = [];
  private readonly nb: number;
  private readonly actBody: Int32Array;
  private readonly actGear: Float64Array;
  private readonly actLow: Float64Array;
  private readonly actHigh: Float64Array;
  private readonly ctrl: Float64Array;
  private readonly softLimits: boolean;
  private readonly torqueModel: "motor" | "body";
  /** Actuator torque per body (on its parent hinge), for the motor torque model. */
  private readonly hingeTorque: Float64Array;
  private readonly dt: number;
  private readonly margin: number;
  private readonly groundCollider: number;
  /** Robot colliders that meet the ground, and the friction-0 self-contact ones, with their MuJoCo body. */
  private readonly groundColliders: number[] = [];
  private readonly selfColliders: number[] = [];
  private readonly colliderMjBody = new Map<number, number>();
  /** Per body: 1 while its motor is off (max force 0). */
  private readonly motorOff: Uint8Array;
  // Per-body world state scratch: origin, rotation (x, y, z, w), COM velocity, angular velocity.
  private readonly pos: Float64Array;
  private readonly quat: Float64Array;
  private readonly lin: Float64Array;
  private readonly ang: Float64Array;
  private readonly torque: Float64Array;
  private readonly tmp = new Float64Array(12);
  /** `softLimitMotor`'s output: gain and weighted target of the active limit. */
  private readonly limitTerm = new Float64Array(2);
  private readonly f32 = new Float32Array(4);
  /** Rapier body handle of each body, in body order (`readBodyStates`). */
  private readonly bodyHandles: number[];
  private readonly rawVec: RawVector;
  private readonly rawGravity: RawVector;
  private stateValid = false;

  constructor(readonly desc: RobotDescription, options: FloatingArticulationOptions = {}) {
    const R = rapier();
    this.R = R;
    const phys = desc.physics;
    if (!desc.root.floating) throw new Error(`robot "${desc.name}": FloatingArticulation needs a floating root`);
    this.timestep = phys.timestep;
    this.dt = phys.timestep;
    this.softLimits = (options.limitModel ?? "soft") === "soft";
    this.torqueModel = options.torqueModel ?? "body";
    this.margin = desc.contact.margin;
    const skin = options.contactSkin ?? this.margin;
    this.rawVec = R.VectorOps.intoRaw({ x: 0, y: 0, z: 0 });
    this.rawGravity = R.VectorOps.intoRaw({ x: phys.gravity[0], y: phys.gravity[1], z: phys.gravity[2] });

    // --- Bodies in tree order (parents first), welded links merged into their parent. ---------
    const linkByName = new Map(desc.links.map((l) => [l.name, l]));
    const dofIndex = new Map(desc.dofJoints.map((n, i) => [n, 6 + i]));
    /** URDF link → its Rapier body and pose in that body's frame. */
    const placement = new Map<string, { body: number; pos: Float64Array; quat: Float64Array }>();
    const bodyLinks: Link[][] = [];
    const queue: { link: string; joint: Joint | null; parent: number }[] = [{ link: desc.root.link, joint: null, parent: -1 }];
    for (let qi = 0; qi < queue.length; qi++) {
      const { link: name, joint, parent } = queue[qi]!;
      const link = linkByName.get(name)!;
      const index = this.bodies.length;
      const intermediate = isMassless(link);
      const jointName = joint?.name ?? "";
      this.bodies.push({
        name,
        parent,
        originPos: new Float64Array(joint ? joint.origin.xyz : [0, 0, 0]),
        originQuat: new Float64Array(joint ? quatFromRpy(...joint.origin.rpy) : [0, 0, 0, 1]),
        axis: new Float64Array(joint ? joint.axis : [1, 0, 0]),
        dof: joint ? dofIndex.get(jointName)! : -1,
        damping: joint?.damping ?? 0,
        armature: joint?.armature ?? 0,
        stiffness: joint?.stiffness ?? 0,
        lower: joint?.type === "revolute" && joint.limit ? joint.limit.lower : -Infinity,
        upper: joint?.type === "revolute" && joint.limit ? joint.limit.upper : Infinity,
        limitGain: 0,
        mass: 0,
        com: new Float64Array(3),
        inertia: new Array<number>(9).fill(0),
        intermediate,
        bodyHandle: -1,
        jointHandle: -1,
      });
      bodyLinks.push([]);
      // This body's links: the jointed link plus everything welded below it.
      const stack: { name: string; pos: Float64Array; quat: Float64Array }[] = [{ name, pos: new Float64Array(3), quat: new Float64Array([0, 0, 0, 1]) }];
      while (stack.length > 0) {
        const cur = stack.pop()!;
        placement.set(cur.name, { body: index, pos: cur.pos, quat: cur.quat });
        bodyLinks[index]!.push(linkByName.get(cur.name)!);
        for (const j of desc.joints) {
          if (j.parent !== cur.name) continue;
          if (j.type === "fixed") {
            const p = new Float64Array(3);
            quatRotate(p, 0, cur.quat, 0, new Float64Array(j.origin.xyz), 0);
            for (let c = 0; c < 3; c++) p[c]! += cur.pos[c]!;
            const q = new Float64Array(4);
            quatMul(q, 0, cur.quat, 0, new Float64Array(quatFromRpy(...j.origin.rpy)), 0);
            stack.push({ name: j.child, pos: p, quat: q });
          } else if (j.type === "revolute" || j.type === "continuous") {
            queue.push({ link: j.child, joint: j, parent: index });
          } else {
            throw new Error(`joint "${j.name}": ${j.type} joints are not supported by the floating articulation`);
          }
        }
      }
    }
    this.nb = this.bodies.length;

    // --- Mass properties: merged real links; MuJoCo bodies for the COM and contact wrenches. ---
    for (const l of desc.links) {
      const pl = placement.get(l.name);
      if (!pl || !l.inertial || isMassless(l)) continue;
      this.mjBodies.push({ name: l.name, body: pl.body, pos: pl.pos, quat: pl.quat, mass: l.inertial.mass, com: new Float64Array(l.inertial.origin.xyz) });
    }
    this.bodyNames = this.mjBodies.map((b) => b.name);
    const placed = desc.links.filter((l) => placement.has(l.name));
    this.linkNames = placed.map((l) => l.name);
    this.linkBody = new Int32Array(placed.length);
    this.linkOffsetPos = new Float64Array(3 * placed.length);
    this.linkOffsetQuat = new Float64Array(4 * placed.length);
    placed.forEach((l, i) => {
      const pl = placement.get(l.name)!;
      this.linkBody[i] = pl.body;
      this.linkOffsetPos.set(pl.pos, 3 * i);
      this.linkOffsetQuat.set(pl.quat, 4 * i);
    });
    for (let b = 0; b < this.nb; b++) {
      const body = this.bodies[b]!;
      if (body.intermediate) continue;
      let m = 0;
      const c = [0, 0, 0];
      const parts: { m: number; c: number[]; I: number[] }[] = [];
      for (const l of bodyLinks[b]!) {
        const inertial = l.inertial!;
        const pl = placement.get(l.name)!;
        const cb = new Float64Array(3);
        quatRotate(cb, 0, pl.quat, 0, new Float64Array(inertial.origin.xyz), 0);
        for (let k = 0; k < 3; k++) cb[k]! += pl.pos[k]!;
        const rot = mul3(matFromQuat([...pl.quat]), matFromQuat(quatFromRpy(...inertial.origin.rpy)));
        const { ixx, ixy, ixz, iyy, iyz, izz } = inertial.inertia;
        parts.push({ m: inertial.mass, c: [...cb], I: rotateTensor(rot, [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]) });
        m += inertial.mass;
        for (let k = 0; k < 3; k++) c[k]! += inertial.mass * cb[k]!;
      }
      for (let k = 0; k < 3; k++) c[k]! /= m;
      let I = new Array<number>(9).fill(0);
      for (const p of parts) I = addScaled3(addScaled3(I, p.I, 1), pointInertia(p.m, p.c.map((v, k) => v - c[k]!)), 1);
      body.mass = m;
      body.com.set(c);
      body.inertia = I;
    }

    // --- Intermediate bodies of stacked-hinge groups (see the header). --------------------------
    const massFraction = options.intermediateMassFraction ?? 0.15;
    const inertiaFraction = options.intermediateInertiaFraction ?? 0.5;
    const epsilon = options.intermediateInertiaEpsilon ?? 4e-3;
    const groups = hingeGroups(desc).map((g) => ({
      parent: placement.get(g.parent)!.body,
      child: placement.get(g.child)!.body,
      between: g.placeholders.map((p) => placement.get(p)!.body),
    }));
    const smallestMoment = (I: readonly number[]): number => Math.min(...symmetricEigen(I).values);
    const donations = new Map<number, number>();
    for (const g of groups) donations.set(g.parent, (donations.get(g.parent) ?? 0) + 1);
    const parentMoment = new Map([...donations.keys()].map((p) => [p, smallestMoment(this.bodies[p]!.inertia)]));
    for (const g of groups) {
      const child = this.bodies[g.child]!;
      // Point masses at the anchor (the child's frame origin) from the child.
      const md = massFraction * child.mass;
      const m0 = child.mass;
      const c0 = [...child.com];
      const about0 = addScaled3(child.inertia, pointInertia(m0, c0), 1); // about the anchor
      const m1 = m0 - md * g.between.length;
      const c1 = c0.map((v) => (v * m0) / m1);
      child.mass = m1;
      child.com.set(c1);
      child.inertia = addScaled3(about0, pointInertia(m1, c1), -1);
      const gamma = inertiaFraction * smallestMoment(child.inertia);
      const beta = (inertiaFraction * parentMoment.get(g.parent)!) / donations.get(g.parent)!;
      g.between.forEach((d, k) => {
        const D = this.bodies[d]!;
        D.mass = md;
        let J = new Array<number>(9).fill(0);
        if (k === 0) {
          // From the parent: β·(1 − a₁a₁ᵀ) in D₁'s frame = R_origin·(…)·R_originᵀ in the parent's.
          const P = this.bodies[g.parent]!;
          const ring = perpendicularProjector(D.axis);
          J = addScaled3(J, ring, beta);
          P.inertia = addScaled3(P.inertia, rotateTensor(matFromQuat([...D.originQuat]), ring), -beta);
        }
        if (k === g.between.length - 1) {
          // From the child: γ·(1 − a_k a_kᵀ), a_k the last joint's axis (same frame at q = 0).
          const ring = perpendicularProjector(child.axis);
          J = addScaled3(J, ring, gamma);
          child.inertia = addScaled3(child.inertia, ring, -gamma);
        }
        const last = g.between.length - 1;
        if (k === 0 && k !== last) {
          // D₁ of a longer chain has no inertia about a₁: give it ε·a₁a₁ᵀ, whose energy
          // ½ε(a₁·ω_P + q̇₁)² is the parent's ½ε(a₁·ω_P)² (taken from the parent) plus armature
          // ½ε·q̇₁² (taken from the hinge's armature) plus the cross term ε(a₁·ω_P)·q̇₁ (the error).
          const e = Math.min(epsilon, D.armature);
          const P = this.bodies[g.parent]!;
          const along = outer(D.axis);
          J = addScaled3(J, along, epsilon);
          P.inertia = addScaled3(P.inertia, rotateTensor(matFromQuat([...D.originQuat]), along), -e);
          D.armature -= e;
        } else if (k === last && k !== 0) {
          // The last Dᵢ has none about a_k: likewise, from the child and from hinge k's armature.
          const e = Math.min(epsilon, child.armature);
          const along = outer(child.axis);
          J = addScaled3(J, along, epsilon);
          child.inertia = addScaled3(child.inertia, along, -e);
          child.armature -= e;
        } else if (k !== 0) {
          J = addScaled3(J, [1, 0, 0, 0, 1, 0, 0, 0, 1], epsilon); // middle of a ≥ 4-hinge chain: uncompensated
        }
        D.inertia = J;
      });
    }
    for (const b of this.bodies) {
      if (!(b.mass > 0) || !(smallestMoment(b.inertia) > 0)) throw new Error(`body "${b.name}": mass ${b.mass}, inertia ${b.inertia.join(" ")} after the intermediate-body transfer (lower the fractions)`);
    }

    // --- Rapier world. -------------------------------------------------------------------------
    const world = new R.World({ x: phys.gravity[0], y: phys.gravity[1], z: phys.gravity[2] });
    world.timestep = this.dt;
    world.numSolverIterations = options.solverIterations ?? phys.solverIterations;
    world.numInternalPgsIterations = options.pgsIterations ?? phys.pgsIterations;
    const combine = frictionCombineRule(R, desc.contact.frictionCombine);
    this.groundCollider = addGround(R, world, desc.contact, skin, combine);

    // Self-contact filter: one bit per body with geometry; MuJoCo's parent/child pairs excluded
    // (the nearest bodies with geometry up the chain, so an intermediate chain is one joint).
    const selfCollide = desc.contact.selfCollision === "non_adjacent";
    const withGeometry = this.bodies.map((_, b) => bodyLinks[b]!.some((l) => l.collisions.length > 0));
    const bit = new Int32Array(this.nb).fill(-1);
    let nextBit = FIRST_BODY_BIT;
    for (let b = 0; b < this.nb; b++) if (withGeometry[b]) bit[b] = nextBit++;
    if (selfCollide && nextBit > FIRST_BODY_BIT + MAX_BODY_BITS) throw new Error(`robot "${desc.name}": ${nextBit - FIRST_BODY_BIT} bodies with geometry, self-contacts support at most ${MAX_BODY_BITS}`);
    const realParent = (b: number): number => {
      let p = this.bodies[b]!.parent;
      while (p >= 0 && this.bodies[p]!.intermediate) p = this.bodies[p]!.parent;
      return p;
    };
    const selfFilter = (b: number): number => {
      let mask = 0;
      for (let o = 0; o < this.nb; o++) {
        if (o === b || bit[o]! < 0 || realParent(o) === b || realParent(b) === o) continue;
        mask |= 1 << bit[o]!;
      }
      return mask;
    };

    for (let b = 0; b < this.nb; b++) {
      const body = this.bodies[b]!;
      const eig = symmetricEigen(body.inertia);
      const frame = quatFromMat(eig.vectors);
      const rb = world.createRigidBody(
        R.RigidBodyDesc.dynamic()
          .setCanSleep(false)
          .setAdditionalMassProperties(
            body.mass,
            { x: body.com[0]!, y: body.com[1]!, z: body.com[2]! },
            { x: eig.values[0], y: eig.values[1], z: eig.values[2] },
            { x: frame[0], y: frame[1], z: frame[2], w: frame[3] },
          ),
      );
      body.bodyHandle = rb.handle;
      for (const link of bodyLinks[b]!) {
        const pl = placement.get(link.name)!;
        const mj = this.mjBodies.findIndex((m) => m.name === link.name);
        for (const col of link.collisions) {
          for (const selfOnly of selfCollide ? [false, true] : [false]) {
            const cd = colliderDesc(R, col.geometry);
            // Collider pose in the body frame: link placement ∘ collision origin (∘ Z→Y for capsules).
            const p = new Float64Array(3);
            quatRotate(p, 0, pl.quat, 0, new Float64Array(col.origin.xyz), 0);
            for (let k = 0; k < 3; k++) p[k]! += pl.pos[k]!;
            const q = new Float64Array(4);
            quatMul(q, 0, pl.quat, 0, new Float64Array(quatFromRpy(...col.origin.rpy)), 0);
            if (col.geometry.type === "capsule" || col.geometry.type === "cylinder") quatMul(q, 0, q, 0, new Float64Array([Math.SQRT1_2, 0, 0, Math.SQRT1_2]), 0);
            cd.setTranslation(p[0]!, p[1]!, p[2]!)
              .setRotation({ x: q[0]!, y: q[1]!, z: q[2]!, w: q[3]! })
              .setDensity(0)
              .setFriction(selfOnly ? 0 : col.friction)
              .setFrictionCombineRule(combine)
              .setRestitution(0)
              .setContactSkin(skin)
              .setCollisionGroups(selfOnly ? ((1 << bit[b]!) << 16) | selfFilter(b) : (ROBOT_BIT << 16) | GROUND_BIT);
            const h = world.createCollider(cd, rb).handle;
            (selfOnly ? this.selfColliders : this.groundColliders).push(h);
            this.colliderMjBody.set(h, mj);
          }
        }
      }
      if (body.parent >= 0) {
        const parent = world.getRigidBody(this.bodies[body.parent]!.bodyHandle);
        const ap = new Float64Array(3);
        quatRotate(ap, 0, body.originQuat, 0, body.axis, 0);
        const data = R.JointData.revoluteWithAxes(
          { x: body.originPos[0]!, y: body.originPos[1]!, z: body.originPos[2]! },
          { x: 0, y: 0, z: 0 },
          { x: ap[0]!, y: ap[1]!, z: ap[2]! },
          { x: body.axis[0]!, y: body.axis[1]!, z: body.axis[2]! },
        );
        const j = world.createImpulseJoint(data, parent, rb, true) as InstanceType<Rapier["RevoluteImpulseJoint"]>;
        j.setContactsEnabled(false);
        // Hard limits only as an experiment: Rapier measures the angle in frames built from the
        // axes, which can be twisted for a rotated joint origin.
        if (!this.softLimits && Number.isFinite(body.lower)) j.setLimits(body.lower, body.upper);
        j.configureMotorModel(R.MotorModel.ForceBased);
        j.configureMotorVelocity(0, body.damping);
        body.jointHandle = j.handle;
      }
    }

    // --- Coordinates and actuators. -----------------------------------------------------------
    this.coordinateNames = coordinateNames(desc);
    this.velocityNames = velocityNames(desc);
    this.nq = this.coordinateNames.length;
    this.nv = this.velocityNames.length;
    const bodyOfJoint = new Map<string, number>();
    for (let b = 1; b < this.nb; b++) {
      const dof = this.bodies[b]!.dof;
      bodyOfJoint.set(desc.dofJoints[dof - 6]!, b);
    }
    this.nu = desc.actuators.length;
    this.actBody = new Int32Array(desc.actuators.map((a) => bodyOfJoint.get(a.joint) ?? -1));
    if (this.actBody.some((b) => b <= 0)) throw new Error("every actuator must drive a hinge");
    for (const b of this.actBody) {
      const B = this.bodies[b]!;
      if (this.torqueModel === "motor" && !(B.damping + B.armature + B.stiffness > 0)) {
        throw new Error(`joint of body "${B.name}": the motor torque model needs damping, armature or stiffness on an actuated hinge (use torqueModel "body")`);
      }
    }
    this.actGear = new Float64Array(desc.actuators.map((a) => a.gear));
    this.actLow = new Float64Array(desc.actuators.map((a) => a.ctrlRange[0]));
    this.actHigh = new Float64Array(desc.actuators.map((a) => a.ctrlRange[1]));
    this.ctrl = new Float64Array(this.nu);
    this.pos = new Float64Array(3 * this.nb);
    this.quat = new Float64Array(4 * this.nb);
    this.lin = new Float64Array(3 * this.nb);
    this.ang = new Float64Array(3 * this.nb);
    this.torque = new Float64Array(3 * this.nb);
    this.motorOff = new Uint8Array(this.nb);
    this.hingeTorque = new Float64Array(this.nb);

    // MUJOCO_LIKE_SOLVER with the description's contact softness, as in `Articulation`.
    const built = solverSnapshotWorld(R, world, desc.contact, options.solver, this.nb - 1);
    this.world = built.world;
    this.restorer = new WorldRestorer(R, built.snapshot);
    this.bodyHandles = this.bodies.map((b) => b.bodyHandle);
    if (this.softLimits) {
      const invWeight = this.restInverseWeights();
      for (const b of this.bodies) if (b.dof >= 0 && Number.isFinite(b.lower)) b.limitGain = 1 / (invWeight[b.dof]! * this.dt);
    }
    this.setState(desc.qpos0, new Float64Array(this.nv));
  }

  /** Current Rapier world (replaced on every `setState`; do not keep references). */
  get rapierWorld(): World {
    return this.world;
  }

  /** Total mass of the Rapier bodies (kg). */
  get totalMass(): number {
    return this.bodies.reduce((s, b) => s + b.mass, 0);
  }

  /** Mass properties of the Rapier bodies as built (for tests): name, mass, COM in the body frame. */
  get rapierBodies(): { name: string; mass: number; com: number[]; intermediate: boolean }[] {
    return this.bodies.map((b) => ({ name: b.name, mass: b.mass, com: [...b.com], intermediate: b.intermediate }));
  }

  /**
   * MuJoCo's dof_invweight0 (diagonal of the inverse joint-space inertia at qpos0, armature
   * included), qvel order; the free root's entries are per DoF (MuJoCo averages them).
   */
  restInverseWeights(): Float64Array {
    const nv = this.nv, nb = this.nb;
    const pos = new Float64Array(3 * nb);
    const rot = new Float64Array(4 * nb);
    const q0 = this.desc.qpos0;
    pos.set([q0[0]!, q0[1]!, q0[2]!], 0);
    const n0 = Math.hypot(q0[3]!, q0[4]!, q0[5]!, q0[6]!);
    rot.set([q0[4]! / n0, q0[5]! / n0, q0[6]! / n0, q0[3]! / n0], 0);
    const t = new Float64Array(8);
    for (let b = 1; b < nb; b++) {
      const B = this.bodies[b]!;
      quatRotate(pos, 3 * b, rot, 4 * B.parent, B.originPos, 0);
      for (let c = 0; c < 3; c++) pos[3 * b + c]! += pos[3 * B.parent + c]!;
      quatFromAxisAngle(t, 0, B.axis, 0, q0[B.dof + 1]!);
      quatMul(t, 4, rot, 4 * B.parent, B.originQuat, 0);
      quatMul(rot, 4 * b, t, 4, t, 0);
    }
    const inSubtree = (b: number, root: number): boolean => {
      for (let k = b; k >= 0; k = this.bodies[k]!.parent) if (k === root) return true;
      return false;
    };
    const M = new Float64Array(nv * nv);
    const jv = new Float64Array(3 * nv);
    const jw = new Float64Array(3 * nv);
    const c = new Float64Array(3);
    const w = new Float64Array(3);
    const rootRot = matFromQuat([...rot.subarray(0, 4)]);
    for (let b = 0; b < nb; b++) {
      const B = this.bodies[b]!;
      quatRotate(c, 0, rot, 4 * b, B.com, 0);
      for (let k = 0; k < 3; k++) c[k]! += pos[3 * b + k]!;
      jv.fill(0);
      jw.fill(0);
      for (let d = 0; d < 3; d++) {
        jv[3 * d + d] = 1;
        // Angular DoFs about the root frame's axes through its origin.
        hingeColumn(jv, jw, 3 + d, [rootRot[d]!, rootRot[3 + d]!, rootRot[6 + d]!], pos.subarray(0, 3), c);
      }
      for (let i = 1; i < nb; i++) {
        if (!inSubtree(b, i)) continue;
        const Bi = this.bodies[i]!;
        quatRotate(w, 0, rot, 4 * i, Bi.axis, 0);
        hingeColumn(jv, jw, Bi.dof, w, pos.subarray(3 * i, 3 * i + 3), c);
      }
      const rb = matFromQuat([...rot.subarray(4 * b, 4 * b + 4)]);
      const Iw = rotateTensor(rb, B.inertia);
      for (let p = 0; p < nv; p++) {
        for (let q = 0; q < nv; q++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += B.mass * jv[3 * p + k]! * jv[3 * q + k]!;
          for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) s += jw[3 * p + r]! * Iw[3 * r + k]! * jw[3 * q + k]!;
          M[p * nv + q]! += s;
        }
      }
    }
    for (let b = 1; b < nb; b++) M[this.bodies[b]!.dof * (nv + 1)]! += this.bodies[b]!.armature;
    return inverseDiagonal(M, nv);
  }

  /** Sets the actuator controls (clamped to ctrl range; NaN → 0) for the following physics steps. */
  setControl(ctrl: ArrayLike<number>): void {
    for (let a = 0; a < this.nu; a++) {
      const c = ctrl[a]!;
      const lo = this.actLow[a]!;
      const hi = this.actHigh[a]!;
      this.ctrl[a] = c > lo ? (c < hi ? c : hi) : c <= lo ? lo : 0;
    }
    this.hingeTorque.fill(0);
    for (let a = 0; a < this.nu; a++) this.hingeTorque[this.actBody[a]!]! += this.actGear[a]! * this.ctrl[a]!;
  }

  /** Advances `n` physics steps with the current controls. */
  step(n = 1): void {
    for (let s = 0; s < n; s++) {
      this.readRotationsAndSpins();
      if (this.torqueModel === "body") this.applyTorques();
      this.updateJointMotors();
      this.stepWorld();
    }
    this.stateValid = false;
  }

  /** Writes qpos (MuJoCo order and conventions) into `out`. */
  readQpos(out: Float64Array | Float32Array): void {
    this.readBodies();
    const p = this.pos, q = this.quat, t = this.tmp;
    out[0] = p[0]!; out[1] = p[1]!; out[2] = p[2]!;
    out[3] = q[3]!; out[4] = q[0]!; out[5] = q[1]!; out[6] = q[2]!;
    for (let b = 1; b < this.nb; b++) {
      const B = this.bodies[b]!;
      quatMul(t, 4, q, 4 * B.parent, B.originQuat, 0);
      quatConjMul(t, 0, t, 4, q, 4 * b);
      out[B.dof + 1] = twistAngle(t, 0, B.axis, 0);
    }
  }

  /** Writes qvel (MuJoCo order and conventions) into `out`. */
  readQvel(out: Float64Array | Float32Array): void {
    this.readBodies();
    const t = this.tmp, w = this.ang, q = this.quat;
    // Root origin velocity = v_com + ω × (origin − com); angular velocity in the root frame.
    quatRotate(t, 0, q, 0, this.bodies[0]!.com, 0);
    const rx = -t[0]!, ry = -t[1]!, rz = -t[2]!;
    out[0] = this.lin[0]! + w[1]! * rz - w[2]! * ry;
    out[1] = this.lin[1]! + w[2]! * rx - w[0]! * rz;
    out[2] = this.lin[2]! + w[0]! * ry - w[1]! * rx;
    t[4] = -q[0]!; t[5] = -q[1]!; t[6] = -q[2]!; t[7] = q[3]!;
    quatRotate(t, 0, t, 4, w, 0);
    out[3] = t[0]!; out[4] = t[1]!; out[5] = t[2]!;
    for (let b = 1; b < this.nb; b++) out[this.bodies[b]!.dof] = this.jointRate(b);
  }

  /**
   * Places every body by forward kinematics from (qpos, qvel) on a fresh copy of the initial
   * world (no warm-start or contact history). The root quaternion is normalized (MuJoCo
   * normalizes it when used); a zero quaternion is the identity.
   */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    this.world = this.restorer.restore(this.world);
    this.motorOff.fill(0);
    const p = this.pos, q = this.quat, lin = this.lin, ang = this.ang, t = this.tmp;
    p[0] = qpos[0]!; p[1] = qpos[1]!; p[2] = qpos[2]!;
    const n = Math.hypot(qpos[3]!, qpos[4]!, qpos[5]!, qpos[6]!);
    if (n > 0 && Number.isFinite(n)) {
      q[0] = qpos[4]! / n; q[1] = qpos[5]! / n; q[2] = qpos[6]! / n; q[3] = qpos[3]! / n;
    } else {
      q[0] = 0; q[1] = 0; q[2] = 0; q[3] = 1;
    }
    // Root: origin velocity (world) and angular velocity (body frame → world).
    lin[0] = qvel[0]!; lin[1] = qvel[1]!; lin[2] = qvel[2]!;
    t[4] = qvel[3]!; t[5] = qvel[4]!; t[6] = qvel[5]!;
    quatRotate(ang, 0, q, 0, t, 4);
    for (let b = 1; b < this.nb; b++) {
      const B = this.bodies[b]!;
      const pi = B.parent;
      const qi = qpos[B.dof + 1]!;
      const qc = this.softLimits ? qi : qi < B.lower ? B.lower : qi > B.upper ? B.upper : qi;
      placeHingeChild(p, q, lin, ang, t, b, pi, B.originPos, B.originQuat, B.axis, qc, qvel[B.dof]!);
    }
    const raw = this.world.bodies.raw;
    const rv = this.rawVec;
    for (let b = 0; b < this.nb; b++) {
      const B = this.bodies[b]!;
      const h = B.bodyHandle;
      raw.rbSetTranslation(h, p[3 * b]!, p[3 * b + 1]!, p[3 * b + 2]!, true);
      raw.rbSetRotation(h, q[4 * b]!, q[4 * b + 1]!, q[4 * b + 2]!, q[4 * b + 3]!, true);
      quatRotate(t, 0, q, 4 * b, B.com, 0);
      const wx = ang[3 * b]!, wy = ang[3 * b + 1]!, wz = ang[3 * b + 2]!;
      rv.x = lin[3 * b]! + wy * t[2]! - wz * t[1]!;
      rv.y = lin[3 * b + 1]! + wz * t[0]! - wx * t[2]!;
      rv.z = lin[3 * b + 2]! + wx * t[1]! - wy * t[0]!;
      raw.rbSetLinvel(h, rv, true);
      rv.x = wx; rv.y = wy; rv.z = wz;
      raw.rbSetAngvel(h, rv, true);
    }
    this.stateValid = false;
  }

  /**
   * Mass-weighted centre of mass of all bodies (Gymnasium's `mass_center`), written to
   * out[o..o+3]. The intermediate-body transfer keeps it exact.
   */
  massCenter(out: Float64Array, o = 0): void {
    this.readBodies();
    const t = this.tmp;
    let m = 0, x = 0, y = 0, z = 0;
    for (let b = 0; b < this.nb; b++) {
      const B = this.bodies[b]!;
      quatRotate(t, 0, this.quat, 4 * b, B.com, 0);
      x += B.mass * (this.pos[3 * b]! + t[0]!);
      y += B.mass * (this.pos[3 * b + 1]! + t[1]!);
      z += B.mass * (this.pos[3 * b + 2]! + t[2]!);
      m += B.mass;
    }
    out[o] = x / m; out[o + 1] = y / m; out[o + 2] = z / m;
  }

  /**
   * External (contact) wrench on each MuJoCo body from the last physics step, in MuJoCo's
   * cfrc_ext layout and frame: per body (torque, force), world-aligned axes, torque about the
   * robot's centre of mass (the subtree COM of the root); ground contacts and (frictionless)
   * self-contacts, equal and opposite on the two bodies. `out` has 6 × bodyNames.length
   * elements. Allocates a little (Rapier's contact queries): call it once per env step.
   *
   * Two approximations, both forced by what this Rapier build reports per contact point:
   * - Normal forces only: the friction impulses are not written back (`contactTangentImpulseX/Y`
   *   read 0 while friction visibly acts), so floor friction is missing from the wrench.
   * - The reported normal impulse of a point that was already in contact at the previous step
   *   is that step's impulse plus the previous one (measured on a ball landing: exactly
   *   j(t) + j(t−1), warm start on or off); it is halved here, which is exact at rest and in
   *   steady contact, 2× low on a contact's first step and up to ~20% high while an impact
   *   decays. See sims/humanoid/task.ts for the effect on the contact cost against MuJoCo.
   */
  contactWrenches(out: Float64Array): void {
    out.fill(0);
    const np = this.world.narrowPhase;
    const cols = this.world.colliders;
    const com = new Float64Array(3);
    this.massCenter(com);
    const inv = 0.5 / this.dt; // halved: see the doc comment
    const n = { x: 0, y: 0, z: 0 };
    const lp = { x: 0, y: 0, z: 0 };
    const t1 = new Float64Array(3), t2 = new Float64Array(3), f = new Float64Array(3), pt = new Float64Array(3), cq = new Float64Array(4), cpos = new Float64Array(3);
    const add = (mj: number, sign: number): void => {
      if (mj < 0) return;
      const rx = pt[0]! - com[0]!, ry = pt[1]! - com[1]!, rz = pt[2]! - com[2]!;
      const o = 6 * mj;
      out[o]! += sign * (ry * f[2]! - rz * f[1]!);
      out[o + 1]! += sign * (rz * f[0]! - rx * f[2]!);
      out[o + 2]! += sign * (rx * f[1]! - ry * f[0]!);
      out[o + 3]! += sign * f[0]!;
      out[o + 4]! += sign * f[1]!;
      out[o + 5]! += sign * f[2]!;
    };
    const visitPair = (c1: number, c2: number): void => {
      np.contactPair(c1, c2, this.world.bodies, (m, flipped) => {
        const k = m.numContacts();
        if (k === 0) return;
        // Manifold data refer to the pair's first collider: `flipped` means that is c2.
        const a = flipped ? c2 : c1, b = flipped ? c1 : c2;
        m.normal(n); // world, pointing from a towards b
        const nx = n.x, ny = n.y, nz = n.z;
        // Rapier builds a's constraint along −n, with friction along parry's orthonormal_basis(−n).
        tangentBasis(-nx, -ny, -nz, t1, t2);
        const ca = cols.get(a)!;
        const tr = ca.translation();
        const ro = ca.rotation();
        cpos[0] = tr.x; cpos[1] = tr.y; cpos[2] = tr.z;
        cq[0] = ro.x; cq[1] = ro.y; cq[2] = ro.z; cq[3] = ro.w;
        const mjA = this.colliderMjBody.get(a) ?? -1;
        const mjB = this.colliderMjBody.get(b) ?? -1;
        for (let i = 0; i < k; i++) {
          const jn = m.contactImpulse(i);
          const jx = m.contactTangentImpulseX(i);
          const jy = m.contactTangentImpulseY(i);
          if (jn === 0 && jx === 0 && jy === 0) continue;
          m.localContactPoint1(i, lp);
          pt[0] = lp.x; pt[1] = lp.y; pt[2] = lp.z;
          quatRotate(pt, 0, cq, 0, pt, 0);
          for (let c = 0; c < 3; c++) pt[c]! += cpos[c]!;
          // Impulse on a: −jn·n (pushed away from b) plus friction; b gets the opposite.
          f[0] = (-jn * nx + jx * t1[0]! + jy * t2[0]!) * inv;
          f[1] = (-jn * ny + jx * t1[1]! + jy * t2[1]!) * inv;
          f[2] = (-jn * nz + jx * t1[2]! + jy * t2[2]!) * inv;
          add(mjA, 1);
          add(mjB, -1);
        }
      });
    };
    if (this.groundCollider >= 0) for (const c of this.groundColliders) visitPair(this.groundCollider, c);
    const self = this.selfColliders;
    for (const c of self) {
      np.contactPairsWith(c, (other) => {
        if (other > c && this.colliderMjBody.has(other)) visitPair(c, other);
      });
    }
  }

  /**
   * Number of active contact points after the last step (within the margin or carrying an
   * impulse). Allocates: for benchmarks and tests only.
   */
  contactCount(): number {
    const np = this.world.narrowPhase;
    let count = 0;
    const margin = this.margin + 1e-9;
    const visit = (m: InstanceType<Rapier["TempContactManifold"]>): void => {
      const k = m.numContacts();
      for (let i = 0; i < k; i++) if (m.contactDist(i) <= margin || m.contactImpulse(i) > 0) count++;
    };
    if (this.groundCollider >= 0) for (const c of this.groundColliders) np.contactPair(this.groundCollider, c, this.world.bodies, visit);
    for (const c of this.selfColliders) {
      np.contactPairsWith(c, (other) => {
        if (other > c && this.colliderMjBody.has(other)) np.contactPair(c, other, this.world.bodies, visit);
      });
    }
    return count;
  }

  /** World pose of MuJoCo body i (`bodyNames[i]`): position (3) and quaternion xyzw (4). */
  bodyPose(i: number, out: Float64Array): void {
    this.readBodies();
    const mb = this.mjBodies[i]!;
    const t = this.tmp;
    quatRotate(t, 0, this.quat, 4 * mb.body, mb.pos, 0);
    out[0] = this.pos[3 * mb.body]! + t[0]!;
    out[1] = this.pos[3 * mb.body + 1]! + t[1]!;
    out[2] = this.pos[3 * mb.body + 2]! + t[2]!;
    quatMul(out, 3, this.quat, 4 * mb.body, mb.quat, 0);
  }

  /**
   * World pose of link i (`linkNames[i]`, the URDF link frame): position (3) then quaternion xyzw
   * (4), written to out[o..o+7]. No allocation.
   */
  linkPose(i: number, out: Float64Array, o = 0): void {
    this.readBodies();
    const b = this.linkBody[i]!;
    const t = this.tmp;
    quatRotate(t, 0, this.quat, 4 * b, this.linkOffsetPos, 3 * i);
    out[o] = this.pos[3 * b]! + t[0]!;
    out[o + 1] = this.pos[3 * b + 1]! + t[1]!;
    out[o + 2] = this.pos[3 * b + 2]! + t[2]!;
    quatMul(out, o + 3, this.quat, 4 * b, this.linkOffsetQuat, 4 * i);
  }

  /**
   * Generalized force of each actuator under the current controls: gear × ctrl (clamped to the
   * ctrl range, NaN → 0), in actuator order. No allocation.
   */
  readActuatorForces(out: Float64Array): void {
    for (let a = 0; a < this.nu; a++) out[a] = this.actGear[a]! * this.ctrl[a]!;
  }

  /**
   * Does one piece of the next reset's work ahead of time (`WorldRestorer.prepare`): for a
   * thread that would otherwise wait. False when nothing is left. Results do not change.
   */
  prepareReset(): boolean {
    return this.restorer.prepare(this.world);
  }

  free(): void {
    this.restorer.free();
    this.world.free();
    this.rawVec.free();
    this.rawGravity.free();
  }

  // --- internals -------------------------------------------------------------------------

  /** One Rapier world step (`stepWorld` in rapier.ts: no allocation, no clock reads). */
  private stepWorld(): void {
    stepWorld(this.world, this.rawGravity);
  }

  private readBodies(): void {
    if (this.stateValid) return;
    readBodyStates(this.world, this.bodyHandles, this.f32, this.pos, this.quat, this.lin, this.ang);
    this.stateValid = true;
  }

  /** Rotations and angular velocities only (what the motors and torques need each step). */
  private readRotationsAndSpins(): void {
    const raw = this.world.bodies.raw;
    const b = this.f32;
    for (let i = 0; i < this.nb; i++) {
      const h = this.bodies[i]!.bodyHandle;
      raw.rbRotation(h, b);
      this.quat[4 * i] = b[0]!; this.quat[4 * i + 1] = b[1]!; this.quat[4 * i + 2] = b[2]!; this.quat[4 * i + 3] = b[3]!;
      raw.rbAngvel(h, b);
      this.ang[3 * i] = b[0]!; this.ang[3 * i + 1] = b[1]!; this.ang[3 * i + 2] = b[2]!;
    }
  }

  /** Hinge rate of body b: (ω_b − ω_parent)·(R_b·axis). */
  private jointRate(b: number): number {
    const B = this.bodies[b]!;
    const t = this.tmp;
    quatRotate(t, 0, this.quat, 4 * b, B.axis, 0);
    const p = B.parent, a = this.ang;
    return (a[3 * b]! - a[3 * p]!) * t[0]! + (a[3 * b + 1]! - a[3 * p + 1]!) * t[1]! + (a[3 * b + 2]! - a[3 * p + 2]!) * t[2]!;
  }

  /** Actuator torques as body torques along the current world hinge axes. */
  private applyTorques(): void {
    const raw = this.world.bodies.raw;
    const tq = this.torque;
    tq.fill(0);
    const t = this.tmp;
    for (let a = 0; a < this.nu; a++) {
      const b = this.actBody[a]!;
      const tau = this.actGear[a]! * this.ctrl[a]!;
      if (tau === 0) continue;
      quatRotate(t, 0, this.quat, 4 * b, this.bodies[b]!.axis, 0);
      const p = this.bodies[b]!.parent;
      for (let c = 0; c < 3; c++) {
        tq[3 * b + c]! += tau * t[c]!;
        tq[3 * p + c]! -= tau * t[c]!;
      }
    }
    const rv = this.rawVec;
    for (let i = 0; i < this.nb; i++) {
      const h = this.bodies[i]!.bodyHandle;
      raw.rbResetTorques(h, false);
      rv.x = tq[3 * i]!; rv.y = tq[3 * i + 1]!; rv.z = tq[3 * i + 2]!;
      if (rv.x !== 0 || rv.y !== 0 || rv.z !== 0) raw.rbAddTorque(h, rv, true);
    }
  }

  /** Refreshes each joint motor: damping, armature, stiffness and soft limit (see the header). */
  private updateJointMotors(): void {
    const h = this.dt;
    const joints = this.world.impulseJoints.raw;
    const t = this.tmp;
    const angX = this.R.JointAxis.AngX as number;
    for (let b = 1; b < this.nb; b++) {
      const B = this.bodies[b]!;
      const v0 = this.jointRate(b);
      let q = 0;
      if (B.stiffness > 0 || B.limitGain > 0) {
        quatMul(t, 4, this.quat, 4 * B.parent, B.originQuat, 0);
        quatConjMul(t, 0, t, 4, this.quat, 4 * b);
        q = twistAngle(t, 0, B.axis, 0);
      }
      const k = B.armature / h;
      let factor = B.damping + k + B.stiffness * h;
      let weighted = k * v0 - B.stiffness * q;
      if (this.torqueModel === "motor") weighted += this.hingeTorque[b]!;
      if (B.limitGain > 0) {
        softLimitMotor(this.limitTerm, 0, q, B.lower, B.upper, v0, h, B.limitGain);
        factor += this.limitTerm[0]!;
        weighted += this.limitTerm[1]!;
      }
      // A motor with zero gain would be a rigid velocity lock: switch it off instead (only for
      // a hinge without damping, armature, stiffness or active limit, and then without torque).
      const off = factor <= 0;
      if ((off ? 1 : 0) !== this.motorOff[b]) {
        joints.jointSetMotorMaxForce(B.jointHandle, angX, off ? 0 : Number.MAX_VALUE);
        this.motorOff[b] = off ? 1 : 0;
      }
      if (!off) joints.jointConfigureMotorVelocity(B.jointHandle, angX, weighted / factor, factor);
    }
  }
}

/**
 * Parry's orthonormal basis of a unit vector (`SimdBasis::orthonormal_basis`, Frisvad /
 * Duff et al.), which Rapier uses for the two friction directions of a contact.
 */
export function tangentBasis(x: number, y: number, z: number, t1: Float64Array, t2: Float64Array): void {
  const sign = z >= 0 ? 1 : -1;
  const a = -1 / (sign + z);
  const b = x * y * a;
  t1[0] = 1 + sign * x * x * a; t1[1] = sign * b; t1[2] = -sign * x;
  t2[0] = b; t2[1] = sign + y * y * a; t2[2] = -y;
}
