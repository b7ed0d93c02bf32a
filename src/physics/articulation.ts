/**
 * Articulation: builds a Rapier world from a RobotDescription and exposes it in MuJoCo's
 * generalized coordinates (qpos/qvel: root coordinates, then 1-DoF joints in tree order).
 *
 * How each MuJoCo feature is reproduced (see TECH-NOTES, Rapier section):
 * - Bodies: one dynamic body per link, its frame = the link frame; mass and inertia exactly as
 *   the URDF says (`setAdditionalMassProperties`, colliders at density 0).
 * - Planar root: a generic impulse joint from a fixed anchor body to the root link that locks
 *   the translation along the plane normal and the two rotations about in-plane axes; the
 *   normal is the root hinge's axis (hopper, walker2d: +y, locking LinY|AngX|AngZ in world
 *   terms; swimmer: +z, locking LinZ|AngX|AngY). Root armature (swimmer: 0.1 on x, y and the
 *   heading) uses the hinges' motor scheme on the joint's three free axes (two in-plane
 *   translations of the root origin, rotation about the normal); both slides must have the
 *   same armature, since Rapier picks the in-plane axes.
 * - Hinges: revolute impulse joints; contacts between the two bodies disabled.
 * - Damping d and armature a (`armatureModel: joint_motor`): one ForceBased velocity motor per
 *   joint whose target and factor are refreshed before every world step (h) from the joint rate
 *   v₀ at the start of the step: factor d + a/h, target (a/h)·v₀/(d + a/h). The motor force
 *   d·(0 − v) + (a/h)·(v₀ − v) is implicit damping plus −a·q̈ on the relative motion: exactly
 *   MuJoCo's M[q,q] += a with damping −d·q̇, once the solver has converged. (The `child_inertia`
 *   model instead adds a to the child's inertia about the hinge axis, which also adds it to the
 *   parent chain's rotation; with the foot on the ground it loses the ankle's armature.)
 * - Limits (`limitModel: soft`, default): MuJoCo's soft limit, through the same motor. While a
 *   joint is beyond a limit by r, MuJoCo solves f = (q̈_ref − q̈)/R with q̈_ref = −b·q̇ − k·imp(r)·r
 *   (solref 0.02 1, solimp 0.9 0.95 0.001: b = 105, k = 2770) and R = (1 − imp)/imp·invweight0,
 *   invweight0 = (M⁻¹)ᵢᵢ at the rest pose (computed here from the description; equal to MuJoCo's
 *   dof_invweight0 for the hopper to 6 digits). That is an implicit damper of gain 1/(h·R)
 *   towards v₀ + h·q̈_ref, added to the motor's factor and target, and only while q̈_ref pushes
 *   out of the violation (MuJoCo's limit force is one-sided). A state beyond a limit is kept, as
 *   in MuJoCo (Hopper-v5's reset noise puts the thigh and leg beyond their limit half the time;
 *   the push back is the kick that starts the zero-action fall). `hard`: Rapier's limits, and a
 *   start beyond a limit is placed on it. The sidecar's `limit_step` chooses how a step advances
 *   the soft limit: `euler` is MuJoCo's own step (q̈_ref from the state at the start of the step,
 *   so a joint that crosses its limit during a step is held only from the next one; walker2d);
 *   `exact` (hopper) targets the rate that the limit's linear reference dynamics reach at the end of the
 *   step, solved exactly, from the predicted crossing time when the joint starts inside
 *   (`softLimitMotor` in joint-math.ts). MuJoCo integrates the hopper with RK4, whose
 *   intermediate stages see a crossing within the step: with 0.004 s steps the Euler variant put
 *   one env step in the air 23% off MuJoCo's, the exact one 5% (8% with Euler at 0.002 s; rows
 *   F and G below).
 * - Motors: torque τ = gear·clamp(ctrl) as +τ·axis on the child and −τ·axis on the parent.
 *   Rapier keeps user torques between steps, so they are written once per `setControl` when
 *   every hinge axis is fixed in the world (planar robots) and every physics step otherwise.
 * - Fluid (sidecar `physics.fluid`, swimmer): MuJoCo's inertia-box forces (src/physics/fluid.ts)
 *   at each body COM, recomputed from the current velocities before every world step; forces
 *   and torques are reset and re-added with the actuator torques each time. Explicit in time
 *   (sidecar `physics.substeps` refreshes them more often; robots/swimmer lists the error
 *   against MuJoCo's RK4 per substep count).
 * - Contacts: capsules (Rapier's lie along local Y, URDF cylinders along Z), a half-space
 *   ground, friction combined with the description's rule (MuJoCo: max), contact skin =
 *   MuJoCo margin, collision groups for ground-only vs. self-collision, sleeping disabled.
 *   Robot-robot contacts are frictionless (MuJoCo's condim 1): each geom has a second,
 *   ground-blind collider with friction 0 that takes the self-contacts. Without a ground and
 *   without self-collision (swimmer) no collider is built at all.
 * - Solver (`MUJOCO_LIKE_SOLVER` in rapier.ts, set by patching the world snapshot, since the JS
 *   API cannot): 1 substep of 30 PGS iterations and no unbiased stabilization pass, soft
 *   contacts 15 Hz / damping ratio 1 on the ground and between bodies, no speculative contacts.
 *   The contact softness is per robot (sidecar `contact.stiffness_hz`, `contact.damping_ratio`;
 *   default 15 Hz / 1, fitted to hopper.xml's solimp 0.8 0.8 0.01): walker2d_v5.xml's stiffer
 *   default solimp (0.9 0.95 0.001) is fitted by 25 Hz / 1.5 (robots/walker2d sidecar).
 * - Reset restores the (patched) snapshot of the freshly built world before placing the bodies,
 *   so an episode never inherits solver warm-start or contact caches from the previous one: the
 *   same reset state gives the same trajectory whatever ran before. The restored world adopts
 *   the old world's physics pipeline (`restoreWorld` in rapier.ts: per-step scratch only, 1/3
 *   of the reset's cost saved, same trajectories).
 *
 * Why (measured against MuJoCo 2.2.2 on Gymnasium's hopper.xml with sims/hopper/mujoco-compare.ts
 * and test/physics-mujoco.test.ts; Rapier's own defaults with 12 PGS iterations were used before):
 * - Rapier solves each substep as a biased PGS pass (12 iterations), the position update, then
 *   ONE unbiased "stabilization" iteration that sets the final velocities. Friction was solved
 *   only there (one Gauss-Seidel sweep per step) and the stiff armature motors (a/h = 500) were
 *   far from converged: standing on its foot the hopper fell at 4.2 1/s where MuJoCo falls at
 *   3.21 (linearized rigid model, foot pinned: 3.32), and zero-action episodes lasted 91 env
 *   steps instead of 153. More PGS iterations or substeps do not help (the last unbiased sweep
 *   still decides); 12+ stabilization iterations or dropping that pass with 30 PGS iterations
 *   do (both 3.21–3.23).
 * - The stabilization pass also makes every contact rigid at the velocity level, and Rapier's
 *   2 cm speculative contacts stop a striking foot exactly at the surface: impacts were
 *   instantaneous where MuJoCo's soft contacts (solref 0.02 1, solimp 0.8 0.8 0.01) take ~30 ms.
 *   Without that pass, soft contacts act as spring-dampers: 15 Hz / 1 matches MuJoCo's rest
 *   height (1.2061 vs 1.2062 m; 5 mm higher before) and landing dip (min 1.1984 vs 1.1981 m).
 * - Hard limits stopped joints instantly (MuJoCo's soft limits overshoot ~0.1 rad); without the
 *   stabilization pass they even bounced (the position correction stays in the velocity).
 *
 *   setting                                      zero-action  per-seed  stand  drop z / angles  open-loop  1-step Δqvel   env steps/s
 *                                                mean (153)   |Δ|       (3.21) RMS              diverges   contact/air   (CPU, quick)
 *   A  Rapier defaults, 12 PGS (before)          91           62        4.19   6.0 mm / 78 mrad  step 11    318% / 83%    16.9k
 *   B  A + 12 stabilization iterations           153          27        3.23   6.1 / 7.8         12         187 / 59      12.1k
 *   C  A, no stabilization pass, 30 PGS          133          39        3.66   5.9 / 14          34         156 / 117     10.9k
 *   D  C + ground 15 Hz/1, prediction 0          118          38        3.23   0.9 / 8.4         34         28 / 117      11.1k
 *   E  D + soft limits, frictionless self-cont.  147          12        3.23   0.9 / 6.4         35         18 / 8        11.3k
 *   F  E + `limit_step: exact` (50 seeds)         151.8        10        3.23   0.9 / 5.6         35         19 / 4        11.6k
 *   G  F with 0.004 s steps, 2 per env step       154.1        8         3.25   0.9 / 3.9         33         18 / 5        21.2k
 *   E was adopted first (`bench:sim` protocol: 11.6–11.8k env steps/s, wall ≈ CPU, vs 17.0k
 *   before; MuJoCo's run.sh gave 17.0k in the same minute). F and G were measured on 2026-11-22
 *   (E over the same 50 seeds then: 149.0, 11, 3.23, 0.9 / 6.4, 35, 18 / 8, 10.7k; MuJoCo's
 *   zero-action mean over 50 seeds is 154.1): G is as faithful as E or more on every measure but
 *   random-action episodes (27.4 env steps vs E's 25.8, MuJoCo 23.7) at 1.9x the speed. G is
 *   the hopper's setting since (robots/hopper sidecar); PPO and TRPO learn on it with an entropy
 *   bonus and a wider trust region respectively (launch/hopper_ppo, launch/hopper_trpo).
 *   No effect on these runs: contact recycling off, the JS `contact_natural_frequency` setter
 *   (it sets only dynamic-dynamic contacts; ground contacts use the separate static softness),
 *   frictionless self-contacts alone. Worse: 2 motor-refreshing substeps (8.5k/s, same errors),
 *   Rapier substeps (solver_iterations 4: 7.2k/s), child_inertia (stand 4.75, random episodes
 *   7.9 steps vs MuJoCo's 23.7), softening the joints instead of the limits (150 Hz joints:
 *   limits like MuJoCo's but anchors stretch 7 mm).
 *
 * Known differences from MuJoCo that remain:
 * - Semi-implicit Euler vs RK4: in free fall the hopper is lower at touchdown by g·h·t/2 (0.8 mm
 *   measured at 0.002 s steps, so 1.6 mm at 0.004 s).
 * - Rapier's soft contact is not MuJoCo's impedance model (and its friction is one pair of
 *   tangent rows per manifold, MuJoCo's a pyramid per point): one env step from MuJoCo's states
 *   in contact differs by 18% of the velocity change (5% in the air, mostly limits).
 * - Random-action episodes last 27.4 env steps vs MuJoCo's 23.7 (same reset noise and actions;
 *   25.8 with E).
 * - The snapshot patching depends on this Rapier build's serialization layout; `rapier.ts`
 *   checks it on first use and throws on any other build.
 */
import type { RigidBody, World } from "@dimforge/rapier3d-simd-compat";
import type { Joint, Link, RobotDescription, RootCoordinate } from "../robot/description.js";
import { InertiaBoxFluid } from "./fluid.js";
import { hingeColumn, inverseDiagonal, mul3, placeHingeChild, softLimitMotor, transpose3 } from "./joint-math.js";
import { rapier, type Rapier, type SolverParameters, stepWorld, WorldRestorer } from "./rapier.js";
import {
  matFromQuat,
  quatConjMul,
  quatFromAxisAngle,
  quatFromMat,
  quatFromRpy,
  quatMul,
  quatRotate,
  symmetricEigen,
  twistAngle,
} from "./spatial.js";
import { addGround, colliderDesc, frictionCombineRule, GROUND_BIT, readBodyStates, ROBOT_BIT, solverSnapshotWorld } from "./world-parts.js";

type RawVector = ReturnType<Rapier["VectorOps"]["intoRaw"]>;

/** Robot colliders that only meet other robot colliders (frictionless self-contacts). */
const SELF_BIT = 0x0004;

/** One movable link: its body, and the joint from its parent. */
interface LinkModel {
  readonly name: string;
  /** Index of the parent in `links`, −1 for the root link. */
  readonly parent: number;
  /** Joint origin in the parent frame (position, quaternion). */
  readonly originPos: Float64Array;
  readonly originQuat: Float64Array;
  /** Joint axis in the child (joint) frame. */
  readonly axis: Float64Array;
  /** COM in the link frame. */
  readonly com: Float64Array;
  /** qpos/qvel index of this link's hinge, −1 for the root. */
  readonly dof: number;
  readonly damping: number;
  readonly armature: number;
  /** Hinge limits (±Infinity when unlimited). */
  readonly lower: number;
  readonly upper: number;
  /**
   * Soft limits: the limit's share of the joint motor, 1/(h·R) per unit impedance ratio, with
   * R = MuJoCo's regularizer diagonal invweight0 (M⁻¹ at the rest pose); 0 without soft limits.
   */
  limitGain: number;
  readonly bodyHandle: number;
  readonly jointHandle: number;
}

export interface ArticulationOptions {
  /** Overrides the description's solver iterations (substeps). */
  solverIterations?: number;
  /** Overrides the description's PGS iterations per substep. */
  pgsIterations?: number;
  /** Overrides the description's armature model. */
  armatureModel?: "joint_motor" | "child_inertia";
  /**
   * Rapier world steps per physics step (timestep / substeps each); the armature motor and the
   * fluid forces are refreshed before each. Default: the description's (sidecar
   * `physics.substeps`, 1 unless given).
   */
  substeps?: number;
  /**
   * Solver parameters the JS API does not expose (see `SolverParameters`); each one given
   * overrides `MUJOCO_LIKE_SOLVER`. `RAPIER_DEFAULT_SOLVER` restores Rapier's own.
   */
  solver?: SolverParameters;
  /** Contact skin (m) of every collider; default the description's margin. */
  contactSkin?: number;
  /**
   * Friction on robot-robot contacts (default false: zero friction, like MuJoCo's condim 1,
   * through a second, ground-blind collider per geom). true gives them the combined geom friction.
   */
  selfContactFriction?: boolean;
  /**
   * Joint limits: `soft` (default: MuJoCo's soft limit with its default solref 0.02 1 and solimp
   * 0.9 0.95 0.001, reproduced through the joint motor; see the header) or `hard` (Rapier's
   * limits; a start beyond a limit is placed on it).
   */
  limitModel?: "hard" | "soft";
  /** Overrides the description's soft-limit step (`PhysicsSettings.limitStep`). */
  limitStep?: "euler" | "exact";
}

export class Articulation {
  /** Number of generalized coordinates (= velocities for planar robots). */
  readonly nq: number;
  readonly nv: number;
  /** Number of actuators (control inputs). */
  readonly nu: number;
  readonly coordinateNames: readonly string[];
  readonly timestep: number;
  private world: World;
  private readonly R: Rapier;
  /** Builds each reset's world from the patched snapshot (ahead of time when `prepareReset` runs). */
  private readonly restorer: WorldRestorer;
  private readonly links: LinkModel[] = [];
  /** Bodies in link order, used while building only (the world is replaced on reset). */
  private readonly bodies: RigidBody[] = [];
  /** Root: anchor (world position of the planar joint origin) and its rotation. */
  private readonly rootOriginPos = new Float64Array(3);
  private readonly rootOriginQuat = new Float64Array(4);
  /** Root coordinates: 2 slide axes then the hinge axis, in world; hinge axis in the joint frame. */
  private readonly rootAxes = new Float64Array(9);
  private readonly rootKinds: Uint8Array;
  private readonly rootHingeLocal = new Float64Array(3);
  /**
   * Root armature (joint_motor model): motors on the planar joint's free axes (frame Y, Z: in
   * the plane; X: the normal). Per axis LinY, LinZ, AngX: armature and world direction.
   */
  private readonly rootArmature = new Float64Array(3);
  private readonly rootMotorDirs = new Float64Array(9);
  /** The root joint's motor axes for the two slides and the hinge (joint frame). */
  private readonly rootMotorAxes: readonly number[];
  private hasRootArmature = false;
  private rootJointHandle = -1;
  /** MuJoCo's inertia-box fluid forces (null: vacuum), recomputed before every world step. */
  private readonly fluid: InertiaBoxFluid | null;
  private readonly fluidForce: Float64Array;
  private readonly fluidTorque: Float64Array;
  /** Per actuator: link index of the driven joint, gear, ctrl range. */
  private readonly actLink: Int32Array;
  private readonly actGear: Float64Array;
  private readonly actLow: Float64Array;
  private readonly actHigh: Float64Array;
  private readonly ctrl: Float64Array;
  /** True when every hinge axis stays fixed in the world (planar robot, axes ∥ plane normal). */
  private readonly axesFixed: boolean;
  private readonly useArmatureMotor: boolean;
  private readonly softLimits: boolean;
  /** Soft limits solved exactly from the crossing (`limit_step: exact`) instead of by MuJoCo's Euler step. */
  private readonly exactLimits: boolean;
  /** Rapier world steps per physics step and their length. */
  private readonly substeps: number;
  private readonly subDt: number;
  private readonly groundCollider: number;
  private readonly robotColliders: number[] = [];
  private readonly margin: number;
  // Per-link world state scratch (pos, quat, linvel at COM, angvel), filled by `readBodies`.
  private readonly pos: Float64Array;
  private readonly quat: Float64Array;
  private readonly lin: Float64Array;
  private readonly ang: Float64Array;
  private readonly torque: Float64Array;
  private readonly tmp = new Float64Array(8);
  /** Buffer the raw Rapier getters write into. */
  private readonly f32 = new Float32Array(4);
  /** Rapier body handle of each link, in link order (`readBodyStates`). */
  private readonly bodyHandles: number[];
  private readonly rawVec: RawVector;
  private readonly rawGravity: RawVector;
  private stateValid = false;

  constructor(readonly desc: RobotDescription, options: ArticulationOptions = {}) {
    const R = rapier();
    this.R = R;
    this.rootMotorAxes = [R.JointAxis.LinY, R.JointAxis.LinZ, R.JointAxis.AngX];
    const phys = desc.physics;
    this.timestep = phys.timestep;
    this.substeps = Math.max(1, Math.round(options.substeps ?? phys.substeps ?? 1));
    this.subDt = phys.timestep / this.substeps;
    const armatureModel = options.armatureModel ?? phys.armatureModel;
    this.useArmatureMotor = armatureModel === "joint_motor";
    this.softLimits = (options.limitModel ?? "soft") === "soft";
    this.exactLimits = (options.limitStep ?? phys.limitStep ?? "euler") === "exact";
    this.margin = desc.contact.margin;
    const skin = options.contactSkin ?? this.margin;
    const selfFriction = options.selfContactFriction ?? false;
    this.rawVec = R.VectorOps.intoRaw({ x: 0, y: 0, z: 0 });
    this.rawGravity = R.VectorOps.intoRaw({ x: phys.gravity[0], y: phys.gravity[1], z: phys.gravity[2] });

    const world = new R.World({ x: phys.gravity[0], y: phys.gravity[1], z: phys.gravity[2] });
    world.timestep = this.subDt;
    world.numSolverIterations = options.solverIterations ?? phys.solverIterations;
    world.numInternalPgsIterations = options.pgsIterations ?? phys.pgsIterations;
    this.world = world;

    const combine = frictionCombineRule(R, desc.contact.frictionCombine);
    const selfCollide = desc.contact.selfCollision === "non_adjacent";
    // Robot colliders meet the ground and (non-adjacent) each other; with frictionless
    // self-contacts, a second collider per geom (SELF_BIT, friction 0) takes the latter.
    const splitSelf = selfCollide && !selfFriction;
    const robotGroups = (ROBOT_BIT << 16) | GROUND_BIT | (selfCollide && !splitSelf ? ROBOT_BIT : 0);
    const selfGroups = (SELF_BIT << 16) | SELF_BIT;

    this.groundCollider = addGround(R, world, desc.contact, skin, combine);

    // Root joint and coordinates.
    const rootJoint = desc.joints.find((j) => j.name === desc.root.joint);
    if (!rootJoint) throw new Error(`root joint "${desc.root.joint}" missing`);
    this.rootOriginPos.set(rootJoint.origin.xyz);
    this.rootOriginQuat.set(quatFromRpy(...rootJoint.origin.rpy));
    const coords = desc.root.coordinates;
    const slides = coords.filter((c) => c.type === "slide");
    const hinge = coords.find((c) => c.type === "hinge");
    if (slides.length !== 2 || !hinge) throw new Error("planar root needs two slides and one hinge");
    this.rootKinds = new Uint8Array(coords.map((c) => (c.type === "slide" ? 0 : 1)));
    coords.forEach((c, i) => this.rootAxes.set(c.axis, 3 * i));
    // Hinge axis in the joint frame, for reading the root angle.
    this.tmp.set(hinge.axis, 0);
    const conj = new Float64Array([-this.rootOriginQuat[0]!, -this.rootOriginQuat[1]!, -this.rootOriginQuat[2]!, this.rootOriginQuat[3]!]);
    quatRotate(this.rootHingeLocal, 0, conj, 0, this.tmp, 0);

    // Links in tree order, starting at the root link.
    const linkByName = new Map(desc.links.map((l) => [l.name, l]));
    const order: { link: Link; joint: Joint; parent: number }[] = [];
    const rootLink = linkByName.get(desc.root.link)!;
    order.push({ link: rootLink, joint: rootJoint, parent: -1 });
    for (let i = 0; i < order.length; i++) {
      const cur = order[i]!;
      for (const j of desc.joints) {
        if (j.parent !== cur.link.name) continue;
        if (j.type !== "revolute" && j.type !== "continuous") {
          throw new Error(`joint "${j.name}": ${j.type} joints are not supported by the Rapier articulation yet`);
        }
        // Rapier builds each revolute frame from its axis alone; with a rotated joint origin the
        // two frames could differ by a twist at q = 0 and offset the limits. Not needed yet.
        if (j.origin.rpy.some((a) => a !== 0)) {
          throw new Error(`joint "${j.name}": rotated joint origins (rpy ${j.origin.rpy.join(" ")}) are not supported by the Rapier articulation yet`);
        }
        order.push({ link: linkByName.get(j.child)!, joint: j, parent: i });
      }
    }
    // MuJoCo DoF order is depth-first (desc.dofJoints); this BFS order only needs parents first.
    const dofIndex = new Map(desc.dofJoints.map((n, i) => [n, coords.length + i]));

    const n = order.length;
    this.pos = new Float64Array(3 * n);
    this.quat = new Float64Array(4 * n);
    this.lin = new Float64Array(3 * n);
    this.ang = new Float64Array(3 * n);
    this.torque = new Float64Array(3 * n);
    const anchor = world.createRigidBody(R.RigidBodyDesc.fixed());

    for (const { link, joint, parent } of order) {
      const inertial = link.inertial;
      if (!inertial) throw new Error(`link "${link.name}" has no inertial`);
      const isRoot = parent < 0;
      const axis = new Float64Array(joint.axis);
      const armature = isRoot ? 0 : joint.armature;
      // Inertia in the link frame: R_i I R_iᵀ (+ armature along the hinge axis for child_inertia).
      const ri = matFromQuat(quatFromRpy(...inertial.origin.rpy));
      const { ixx, ixy, ixz, iyy, iyz, izz } = inertial.inertia;
      const I = [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz];
      const linkI = mul3(mul3(ri, I), transpose3(ri));
      if (!isRoot && !this.useArmatureMotor && armature > 0) {
        for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) linkI[3 * r + c]! += armature * axis[r]! * axis[c]!;
      }
      const eig = symmetricEigen(linkI);
      const frame = quatFromMat(eig.vectors);
      const com = new Float64Array(inertial.origin.xyz);

      const bodyDesc = R.RigidBodyDesc.dynamic()
        .setCanSleep(false)
        .setAdditionalMassProperties(
          inertial.mass,
          { x: com[0]!, y: com[1]!, z: com[2]! },
          { x: eig.values[0], y: eig.values[1], z: eig.values[2] },
          { x: frame[0], y: frame[1], z: frame[2], w: frame[3] },
        );
      const body = world.createRigidBody(bodyDesc);
      // No ground and no self-collision (swimmer): nothing can touch, so no colliders at all.
      const collisions = desc.contact.ground || selfCollide ? link.collisions : [];
      for (const col of collisions) for (const selfOnly of splitSelf ? [false, true] : [false]) {
        const cd = colliderDesc(R, col.geometry);
        const q = quatFromRpy(...col.origin.rpy);
        // Rapier capsules/cylinders lie along local Y, URDF's along Z: rotate +90° about X first.
        const alongY = col.geometry.type === "capsule" || col.geometry.type === "cylinder";
        const qc = new Float64Array(4);
        const qx = new Float64Array([Math.SQRT1_2, 0, 0, Math.SQRT1_2]);
        if (alongY) quatMul(qc, 0, new Float64Array(q), 0, qx, 0);
        else qc.set(q);
        cd.setTranslation(col.origin.xyz[0], col.origin.xyz[1], col.origin.xyz[2])
          .setRotation({ x: qc[0]!, y: qc[1]!, z: qc[2]!, w: qc[3]! })
          .setDensity(0)
          .setFriction(selfOnly ? 0 : col.friction)
          .setFrictionCombineRule(combine)
          .setRestitution(0)
          .setContactSkin(skin)
          .setCollisionGroups(selfOnly ? selfGroups : robotGroups);
        this.robotColliders.push(world.createCollider(cd, body).handle);
      }

      let jointHandle = -1;
      if (isRoot) {
        // Planar: lock translation along the normal (joint-frame X = normal) and rotations
        // about the two in-plane axes.
        const normal = hinge.axis;
        const data = R.JointData.generic(
          { x: this.rootOriginPos[0]!, y: this.rootOriginPos[1]!, z: this.rootOriginPos[2]! },
          { x: 0, y: 0, z: 0 },
          { x: normal[0], y: normal[1], z: normal[2] },
          R.JointAxesMask.LinX | R.JointAxesMask.AngY | R.JointAxesMask.AngZ,
        );
        const j = world.createImpulseJoint(data, anchor, body, true);
        j.setContactsEnabled(false);
        jointHandle = j.handle;
        this.rootJointHandle = j.handle;
        if (this.useArmatureMotor && coords.some((c) => (c.armature ?? 0) > 0)) this.setupRootArmature(coords, j.handle);
      } else {
        const o = joint.origin;
        const parentBody = this.bodies[parent]!;
        const qo = quatFromRpy(...o.rpy);
        // Axis in the parent frame: R_origin · axis.
        const ap = new Float64Array(3);
        quatRotate(ap, 0, new Float64Array(qo), 0, axis, 0);
        const data = R.JointData.revoluteWithAxes(
          { x: o.xyz[0], y: o.xyz[1], z: o.xyz[2] },
          { x: 0, y: 0, z: 0 },
          { x: ap[0]!, y: ap[1]!, z: ap[2]! },
          { x: axis[0]!, y: axis[1]!, z: axis[2]! },
        );
        const j = world.createImpulseJoint(data, parentBody, body, true);
        j.setContactsEnabled(false);
        const uj = j as InstanceType<Rapier["RevoluteImpulseJoint"]>;
        // JointData's limit fields are ignored for revolute joints: set them on the joint.
        // Rapier's angle has MuJoCo's sign (right hand about the child-frame axis).
        const limited = joint.type === "revolute" && !!joint.limit;
        if (limited && !this.softLimits) uj.setLimits(joint.limit!.lower, joint.limit!.upper);
        if (joint.damping > 0 || (this.useArmatureMotor && armature > 0) || (limited && this.softLimits)) {
          uj.configureMotorModel(R.MotorModel.ForceBased);
          uj.configureMotorVelocity(0, joint.damping);
        }
        jointHandle = j.handle;
      }
      this.bodies.push(body);
      this.links.push({
        name: link.name,
        parent,
        originPos: new Float64Array(isRoot ? [0, 0, 0] : joint.origin.xyz),
        originQuat: new Float64Array(isRoot ? [0, 0, 0, 1] : quatFromRpy(...joint.origin.rpy)),
        axis,
        com,
        dof: isRoot ? -1 : dofIndex.get(joint.name)!,
        damping: isRoot ? 0 : joint.damping,
        armature,
        lower: !isRoot && joint.type === "revolute" && joint.limit ? joint.limit.lower : -Infinity,
        upper: !isRoot && joint.type === "revolute" && joint.limit ? joint.limit.upper : Infinity,
        limitGain: 0,
        bodyHandle: body.handle,
        jointHandle,
      });
    }

    const fluid = phys.fluid;
    this.fluid = fluid && (fluid.density > 0 || fluid.viscosity > 0) ? new InertiaBoxFluid(fluid, order.map((o) => o.link.inertial!)) : null;
    this.fluidForce = new Float64Array(3 * n);
    this.fluidTorque = new Float64Array(3 * n);

    this.nq = coords.length + desc.dofJoints.length;
    this.nv = this.nq;
    this.coordinateNames = [...coords.map((c) => c.name), ...desc.dofJoints];

    // Actuators.
    const linkOfJoint = new Map(order.map((o, i) => [o.joint.name, i]));
    this.nu = desc.actuators.length;
    this.actLink = new Int32Array(desc.actuators.map((a) => linkOfJoint.get(a.joint) ?? -1));
    if (this.actLink.some((i) => i <= 0)) throw new Error("every actuator must drive a hinge below the root");
    this.actGear = new Float64Array(desc.actuators.map((a) => a.gear));
    this.actLow = new Float64Array(desc.actuators.map((a) => a.ctrlRange[0]));
    this.actHigh = new Float64Array(desc.actuators.map((a) => a.ctrlRange[1]));
    this.ctrl = new Float64Array(this.nu);

    // Hinge axes stay fixed in the world when all are parallel to the plane normal.
    this.axesFixed = this.links.every((l, i) => {
      if (i === 0) return true;
      // World axis at the rest pose: R_parent(rest)·R_origin·axis; all rest rotations are
      // products of origin rotations, which keep a normal-parallel axis parallel iff they
      // rotate about the normal. Check the rest-pose world axis against the normal.
      const q = this.restWorldQuat(i);
      const a = new Float64Array(3);
      quatRotate(a, 0, q, 0, l.axis, 0);
      const d = a[0]! * hinge.axis[0] + a[1]! * hinge.axis[1] + a[2]! * hinge.axis[2];
      return Math.abs(Math.abs(d) - 1) < 1e-9;
    });

    // Solver parameters the JS API cannot set: patched into the snapshot every reset restores from.
    const built = solverSnapshotWorld(R, world, desc.contact, options.solver, this.links.length);
    this.world = built.world;
    this.restorer = new WorldRestorer(R, built.snapshot);
    this.bodyHandles = this.links.map((l) => l.bodyHandle);
    this.motorOff = new Uint8Array(this.links.length);
    if (this.softLimits) {
      const invWeight = this.restInverseWeights(rootJoint, order.map((o) => o.link));
      for (const l of this.links) {
        if (l.dof >= 0 && Number.isFinite(l.lower)) l.limitGain = 1 / (invWeight[l.dof]! * this.subDt);
      }
    }
    const q0 = new Float64Array(desc.qpos0);
    this.setState(q0, new Float64Array(this.nv));
  }

  /** Current Rapier world (replaced on every `setState`; do not keep references). */
  get rapierWorld(): World {
    return this.world;
  }

  /** Rest-pose world rotation of link i (all joint angles 0, root angle 0). */
  private restWorldQuat(i: number): Float64Array {
    const q = new Float64Array(this.rootOriginQuat);
    const chain: number[] = [];
    for (let k = i; k > 0; k = this.links[k]!.parent) chain.push(k);
    for (let c = chain.length - 1; c >= 0; c--) quatMul(q, 0, q, 0, this.links[chain[c]!]!.originQuat, 0);
    return q;
  }

  /** Sets the actuator controls (clamped to ctrl range) for the following physics steps. */
  setControl(ctrl: ArrayLike<number>): void {
    for (let a = 0; a < this.nu; a++) {
      const c = ctrl[a]!;
      const lo = this.actLow[a]!;
      const hi = this.actHigh[a]!;
      this.ctrl[a] = c > lo ? (c < hi ? c : hi) : c <= lo ? lo : 0; // NaN → 0
    }
    if (this.axesFixed) this.applyTorques(false);
  }

  /** Advances `n` physics steps with the current controls. */
  step(n = 1): void {
    const k = n * this.substeps;
    for (let s = 0; s < k; s++) {
      if (!this.axesFixed) this.applyTorques(true);
      // With fluid forces every body's full state is needed: read it once for both.
      const haveState = this.fluid !== null;
      if (haveState) {
        this.stateValid = false;
        this.readBodies();
      }
      if (this.useArmatureMotor || this.softLimits) this.updateJointMotors(haveState);
      if (this.fluid) this.applyFluid();
      this.stepWorld();
    }
    this.stateValid = false;
  }

  /** Writes qpos (MuJoCo order and signs) into `out`. */
  readQpos(out: Float64Array | Float32Array): void {
    this.readBodies();
    const p = this.pos;
    const q = this.quat;
    const t = this.tmp;
    // Root: slides measure the origin's displacement from the joint origin along their axes;
    // the hinge is the twist of the root rotation (relative to the joint frame) about its axis.
    const dx = p[0]! - this.rootOriginPos[0]!;
    const dy = p[1]! - this.rootOriginPos[1]!;
    const dz = p[2]! - this.rootOriginPos[2]!;
    const ax = this.rootAxes;
    for (let c = 0; c < 3; c++) {
      if (this.rootKinds[c] === 0) out[c] = dx * ax[3 * c]! + dy * ax[3 * c + 1]! + dz * ax[3 * c + 2]!;
      else {
        quatConjMul(t, 0, this.rootOriginQuat, 0, q, 0);
        out[c] = twistAngle(t, 0, this.rootHingeLocal, 0);
      }
    }
    for (let i = 1; i < this.links.length; i++) {
      const l = this.links[i]!;
      // q_rel = (q_parent ⊗ q_origin)⁻¹ ⊗ q_child: a rotation about the joint axis.
      quatMul(t, 4, q, 4 * l.parent, l.originQuat, 0);
      quatConjMul(t, 0, t, 4, q, 4 * i);
      out[l.dof] = twistAngle(t, 0, l.axis, 0);
    }
  }

  /** Writes qvel (MuJoCo order and signs) into `out`. */
  readQvel(out: Float64Array | Float32Array): void {
    this.readBodies();
    const t = this.tmp;
    // Root origin velocity = v_com + ω × (origin − com).
    this.worldCom(0, t, 0);
    const rx = this.pos[0]! - t[0]!, ry = this.pos[1]! - t[1]!, rz = this.pos[2]! - t[2]!;
    const w = this.ang;
    const vx = this.lin[0]! + w[1]! * rz - w[2]! * ry;
    const vy = this.lin[1]! + w[2]! * rx - w[0]! * rz;
    const vz = this.lin[2]! + w[0]! * ry - w[1]! * rx;
    const ax = this.rootAxes;
    for (let c = 0; c < 3; c++) {
      const a0 = ax[3 * c]!, a1 = ax[3 * c + 1]!, a2 = ax[3 * c + 2]!;
      out[c] = this.rootKinds[c] === 0 ? vx * a0 + vy * a1 + vz * a2 : w[0]! * a0 + w[1]! * a1 + w[2]! * a2;
    }
    for (let i = 1; i < this.links.length; i++) {
      const l = this.links[i]!;
      out[l.dof] = this.jointRate(i);
    }
  }

  /**
   * Places every body by forward kinematics from (qpos, qvel), with consistent velocities,
   * on a fresh copy of the initial world (no warm-start or contact history), torques cleared.
   */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    const R = this.R;
    this.world = this.restorer.restore(this.world);
    this.motorOff.fill(0); // the snapshot's motors have their default (unbounded) force

    const p = this.pos, q = this.quat, lin = this.lin, ang = this.ang, t = this.tmp;
    // Root pose and origin velocity.
    p.set(this.rootOriginPos, 0);
    lin.fill(0, 0, 3);
    ang.fill(0, 0, 3);
    const ax = this.rootAxes;
    for (let c = 0; c < 3; c++) {
      const a0 = ax[3 * c]!, a1 = ax[3 * c + 1]!, a2 = ax[3 * c + 2]!;
      if (this.rootKinds[c] === 0) {
        p[0]! += qpos[c]! * a0; p[1]! += qpos[c]! * a1; p[2]! += qpos[c]! * a2;
        lin[0]! += qvel[c]! * a0; lin[1]! += qvel[c]! * a1; lin[2]! += qvel[c]! * a2;
      } else {
        quatFromAxisAngle(t, 0, this.rootHingeLocal, 0, qpos[c]!);
        quatMul(q, 0, this.rootOriginQuat, 0, t, 0);
        ang[0] = qvel[c]! * a0; ang[1] = qvel[c]! * a1; ang[2] = qvel[c]! * a2;
      }
    }
    // Children: R_c = R_p·R_o·Rot(axis, q); p_c = p_p + R_p·o; ω_c = ω_p + q̇·(R_c·axis);
    // v_c(origin) = v_p(origin) + ω_p × (p_c − p_p).
    for (let i = 1; i < this.links.length; i++) {
      const l = this.links[i]!;
      const pi = l.parent;
      // Soft limits start beyond a limit as MuJoCo does and push back over ~20 ms. Rapier's
      // hard limits would push out within a step and fling the robot: start on the limit.
      const qi = qpos[l.dof]!;
      const qc = this.softLimits ? qi : qi < l.lower ? l.lower : qi > l.upper ? l.upper : qi;
      placeHingeChild(p, q, lin, ang, t, i, pi, l.originPos, l.originQuat, l.axis, qc, qvel[l.dof]!);
    }
    // Write bodies: Rapier's translation is the body (link) origin, its linvel the COM's.
    const raw = this.world.bodies.raw;
    const rv = this.rawVec;
    for (let i = 0; i < this.links.length; i++) {
      const l = this.links[i]!;
      const h = l.bodyHandle;
      raw.rbSetTranslation(h, p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!, true);
      raw.rbSetRotation(h, q[4 * i]!, q[4 * i + 1]!, q[4 * i + 2]!, q[4 * i + 3]!, true);
      quatRotate(t, 0, q, 4 * i, l.com, 0);
      const wx = ang[3 * i]!, wy = ang[3 * i + 1]!, wz = ang[3 * i + 2]!;
      rv.x = lin[3 * i]! + wy * t[2]! - wz * t[1]!;
      rv.y = lin[3 * i + 1]! + wz * t[0]! - wx * t[2]!;
      rv.z = lin[3 * i + 2]! + wx * t[1]! - wy * t[0]!;
      raw.rbSetLinvel(h, rv, true);
      rv.x = wx; rv.y = wy; rv.z = wz;
      raw.rbSetAngvel(h, rv, true);
    }
    // Colliders follow their bodies at the next step; contacts are computed from there.
    this.stateValid = false;
    this.applyTorques(true);
  }

  /**
   * Number of active contact points after the last step: points within the margin or that
   * carried an impulse (Rapier also lists points that are still apart within the contact
   * skins). Allocates: for benchmarks and tests only.
   */
  contactCount(): number {
    const np = this.world.narrowPhase;
    let count = 0;
    const margin = this.margin + 1e-9;
    const visit = (m: InstanceType<Rapier["TempContactManifold"]>): void => {
      const k = m.numContacts();
      for (let i = 0; i < k; i++) if (m.contactDist(i) <= margin || m.contactImpulse(i) > 0) count++;
    };
    const cols = this.robotColliders;
    for (let a = 0; a < cols.length; a++) {
      if (this.groundCollider >= 0) np.contactPair(this.groundCollider, cols[a]!, this.world.bodies, visit);
      for (let b = a + 1; b < cols.length; b++) np.contactPair(cols[a]!, cols[b]!, this.world.bodies, visit);
    }
    return count;
  }

  /**
   * World pose of link i (`linkNames[i]`, the link frame): position (3) then quaternion xyzw (4),
   * written to out[o..o+7]. No allocation.
   */
  linkPose(i: number, out: Float64Array, o = 0): void {
    this.readBodies();
    const p = this.pos, q = this.quat;
    out[o] = p[3 * i]!; out[o + 1] = p[3 * i + 1]!; out[o + 2] = p[3 * i + 2]!;
    out[o + 3] = q[4 * i]!; out[o + 4] = q[4 * i + 1]!; out[o + 5] = q[4 * i + 2]!; out[o + 6] = q[4 * i + 3]!;
  }

  /**
   * Generalized force of each actuator under the current controls: gear × ctrl (clamped to the
   * ctrl range, NaN → 0), in actuator order. No allocation.
   */
  readActuatorForces(out: Float64Array): void {
    for (let a = 0; a < this.nu; a++) out[a] = this.actGear[a]! * this.ctrl[a]!;
  }

  /** Rapier handle of link i's body (valid across `setState`, which rebuilds the world). */
  linkBodyHandle(i: number): number {
    return this.links[i]!.bodyHandle;
  }

  get linkNames(): string[] {
    return this.links.map((l) => l.name);
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

  /** Reads every body's pose and velocities into the scratch arrays (once per state). */
  private readBodies(): void {
    if (this.stateValid) return;
    readBodyStates(this.world, this.bodyHandles, this.f32, this.pos, this.quat, this.lin, this.ang);
    this.stateValid = true;
  }

  /** out[o..] = world COM of link i (from the scratch pose). */
  private worldCom(i: number, out: Float64Array, o: number): void {
    quatRotate(out, o, this.quat, 4 * i, this.links[i]!.com, 0);
    out[o]! += this.pos[3 * i]!;
    out[o + 1]! += this.pos[3 * i + 1]!;
    out[o + 2]! += this.pos[3 * i + 2]!;
  }

  /** Joint rate of link i: (ω_child − ω_parent)·(R_child·axis), from the scratch state. */
  private jointRate(i: number): number {
    const l = this.links[i]!;
    const t = this.tmp;
    quatRotate(t, 0, this.quat, 4 * i, l.axis, 0);
    const pi = l.parent, a = this.ang;
    return (a[3 * i]! - a[3 * pi]!) * t[0]! + (a[3 * i + 1]! - a[3 * pi + 1]!) * t[1]! + (a[3 * i + 2]! - a[3 * pi + 2]!) * t[2]!;
  }

  /** Refreshes each joint motor from the current joint rate (armature + damping, see header). */
  private updateJointMotors(haveState: boolean): void {
    const h = this.subDt;
    const raw = this.world.bodies.raw;
    const joints = this.world.impulseJoints.raw;
    const b = this.f32;
    // Only rotations (for joint angles or moving axes) and angular velocities are needed,
    // unless `readBodies` just filled the scratch arrays with the current state.
    const needRot = !this.axesFixed || this.softLimits;
    for (let i = 0; i < (haveState ? 0 : this.links.length); i++) {
      const handle = this.links[i]!.bodyHandle;
      raw.rbAngvel(handle, b);
      this.ang[3 * i] = b[0]!; this.ang[3 * i + 1] = b[1]!; this.ang[3 * i + 2] = b[2]!;
      if (needRot) {
        raw.rbRotation(handle, b);
        this.quat[4 * i] = b[0]!; this.quat[4 * i + 1] = b[1]!; this.quat[4 * i + 2] = b[2]!; this.quat[4 * i + 3] = b[3]!;
      }
    }
    if (this.axesFixed) this.ensureRestAxes();
    const t = this.tmp;
    const useArm = this.useArmatureMotor;
    for (let i = 1; i < this.links.length; i++) {
      const l = this.links[i]!;
      const arm = useArm ? l.armature : 0;
      if (arm <= 0 && l.damping <= 0 && l.limitGain === 0) continue;
      const v0 = this.axesFixed ? this.fixedJointRate(i) : this.jointRate(i);
      // Motor force d·(0 − v) + (a/h)·(v₀ − v) [+ limit]: factor D, target (Σ gain·target)/D.
      const k = arm / h;
      let factor = l.damping + k;
      let weighted = k * v0;
      if (l.limitGain > 0) {
        quatMul(t, 4, this.quat, 4 * l.parent, l.originQuat, 0);
        quatConjMul(t, 0, t, 4, this.quat, 4 * i);
        const q = twistAngle(t, 0, l.axis, 0);
        // MuJoCo's soft limit as an implicit damper (joint-math.ts `softLimitMotor`).
        softLimitMotor(t, 0, q, l.lower, l.upper, v0, h, l.limitGain, this.exactLimits);
        factor += t[0]!;
        weighted += t[1]!;
      }
      // A motor with zero gain would be a rigid velocity lock in Rapier: switch it off instead
      // (a limit-only joint away from its limits).
      const off = factor <= 0;
      if ((off ? 1 : 0) !== this.motorOff[i]) {
        joints.jointSetMotorMaxForce(l.jointHandle, this.R.JointAxis.AngX as number, off ? 0 : Number.MAX_VALUE);
        this.motorOff[i] = off ? 1 : 0;
      }
      if (!off) joints.jointConfigureMotorVelocity(l.jointHandle, this.R.JointAxis.AngX as number, weighted / factor, factor);
    }
    if (useArm && this.hasRootArmature) this.updateRootMotors(haveState);
  }

  /**
   * Root armature as for the hinges: a ForceBased velocity motor per free axis of the planar
   * joint, factor a/h and target the axis rate v₀ at the start of the step, i.e. −a·q̈ on that
   * root DoF. The joint frame's in-plane axes are Rapier's choice, so the two slides must have
   * the same armature (then any in-plane pair of axes gives the same force).
   */
  private setupRootArmature(coords: readonly RootCoordinate[], handle: number): void {
    const slides = coords.filter((c) => c.type === "slide");
    const aSlide = slides[0]!.armature ?? 0;
    if (slides.some((c) => (c.armature ?? 0) !== aSlide)) throw new Error("root slides with different armatures are not supported");
    const aHinge = coords.find((c) => c.type === "hinge")!.armature ?? 0;
    const joints = this.world.impulseJoints.raw;
    joints.jointFrameX1(handle, this.f32);
    const fq = new Float64Array(this.f32);
    const axes = this.rootMotorAxes;
    [aSlide, aSlide, aHinge].forEach((a, k) => {
      this.rootArmature[k] = a;
      if (a > 0) this.hasRootArmature = true;
      // Frame 1 sits on the fixed anchor body at identity: its columns are world directions.
      const e = new Float64Array(3);
      e[k === 0 ? 1 : k === 1 ? 2 : 0] = 1;
      quatRotate(this.rootMotorDirs, 3 * k, fq, 0, e, 0);
      if (a > 0) {
        joints.jointConfigureMotorModel(handle, axes[k]! as number, this.R.MotorModel.ForceBased as number);
        joints.jointConfigureMotorVelocity(handle, axes[k]! as number, 0, a / this.subDt);
      }
    });
  }

  private updateRootMotors(haveState: boolean): void {
    const b = this.f32, t = this.tmp;
    if (haveState) {
      t[4] = this.quat[0]!; t[5] = this.quat[1]!; t[6] = this.quat[2]!; t[7] = this.quat[3]!;
      b[0] = this.lin[0]!; b[1] = this.lin[1]!; b[2] = this.lin[2]!;
    } else {
      const raw = this.world.bodies.raw;
      const h = this.links[0]!.bodyHandle;
      raw.rbRotation(h, b);
      t[4] = b[0]!; t[5] = b[1]!; t[6] = b[2]!; t[7] = b[3]!;
      raw.rbLinvel(h, b);
    }
    const w = this.ang; // read by updateJointMotors
    // Root origin velocity: v_com + ω × (origin − com) = v_com − ω × (R·com).
    quatRotate(t, 0, t, 4, this.links[0]!.com, 0);
    const v0 = b[0]! - (w[1]! * t[2]! - w[2]! * t[1]!);
    const v1 = b[1]! - (w[2]! * t[0]! - w[0]! * t[2]!);
    const v2 = b[2]! - (w[0]! * t[1]! - w[1]! * t[0]!);
    const joints = this.world.impulseJoints.raw;
    const axes = this.rootMotorAxes;
    const d = this.rootMotorDirs;
    for (let k = 0; k < 3; k++) {
      const a = this.rootArmature[k]!;
      if (a <= 0) continue;
      const x = d[3 * k]!, y = d[3 * k + 1]!, z = d[3 * k + 2]!;
      const rate = k < 2 ? v0 * x + v1 * y + v2 * z : w[0]! * x + w[1]! * y + w[2]! * z;
      joints.jointConfigureMotorVelocity(this.rootJointHandle, axes[k]! as number, rate, a / this.subDt);
    }
  }

  /**
   * Fluid forces and torques from the current velocities, written with the actuator torques
   * (Rapier keeps user forces between steps: both are reset and re-added before every step).
   */
  private applyFluid(): void {
    // The scratch state is current (read by `step` before the motors).
    const F = this.fluidForce, T = this.fluidTorque, tq = this.torque;
    this.fluid!.apply(this.quat, this.lin, this.ang, F, T);
    const raw = this.world.bodies.raw;
    const rv = this.rawVec;
    for (let i = 0; i < this.links.length; i++) {
      const h = this.links[i]!.bodyHandle;
      raw.rbResetForces(h, false);
      raw.rbResetTorques(h, false);
      rv.x = F[3 * i]!; rv.y = F[3 * i + 1]!; rv.z = F[3 * i + 2]!;
      raw.rbAddForce(h, rv, true);
      rv.x = T[3 * i]! + tq[3 * i]!; rv.y = T[3 * i + 1]! + tq[3 * i + 1]!; rv.z = T[3 * i + 2]! + tq[3 * i + 2]!;
      raw.rbAddTorque(h, rv, true);
    }
  }

  /**
   * MuJoCo's dof_invweight0 for the hinges: the diagonal of the inverse joint-space inertia
   * (armature included) at the rest pose, from the description alone (composite Jacobians).
   */
  private restInverseWeights(rootJoint: Joint, linkList: Link[]): Float64Array {
    const n = this.links.length;
    const nv = this.nv;
    // Rest pose: root at its joint origin with zero coordinates, every hinge at 0.
    const pos = new Float64Array(3 * n);
    const rot = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const l = this.links[i]!;
      if (i === 0) {
        pos.set(rootJoint.origin.xyz, 0);
        rot.set(this.rootOriginQuat, 0);
      } else {
        quatRotate(pos, 3 * i, rot, 4 * l.parent, l.originPos, 0);
        for (let c = 0; c < 3; c++) pos[3 * i + c]! += pos[3 * l.parent + c]!;
        quatMul(rot, 4 * i, rot, 4 * l.parent, l.originQuat, 0);
      }
    }
    // Generalized velocity → (v_com, ω) Jacobian columns per body.
    const inSubtree = (b: number, root: number): boolean => {
      for (let k = b; k >= 0; k = this.links[k]!.parent) if (k === root) return true;
      return false;
    };
    const M = new Float64Array(nv * nv);
    const jv = new Float64Array(3 * nv);
    const jw = new Float64Array(3 * nv);
    const c = new Float64Array(3);
    const w = new Float64Array(3);
    for (let b = 0; b < n; b++) {
      const lb = this.links[b]!;
      const inertial = linkList[b]!.inertial!;
      quatRotate(c, 0, rot, 4 * b, lb.com, 0);
      for (let k = 0; k < 3; k++) c[k]! += pos[3 * b + k]!;
      jv.fill(0);
      jw.fill(0);
      for (let d = 0; d < 3; d++) {
        const ax = this.rootAxes.subarray(3 * d, 3 * d + 3);
        if (this.rootKinds[d] === 0) jv.set(ax, 3 * d);
        else hingeColumn(jv, jw, d, ax, pos.subarray(0, 3), c);
      }
      for (let i = 1; i < n; i++) {
        if (!inSubtree(b, i)) continue;
        const li = this.links[i]!;
        quatRotate(w, 0, rot, 4 * i, li.axis, 0);
        hingeColumn(jv, jw, li.dof, w, pos.subarray(3 * i, 3 * i + 3), c);
      }
      // World inertia about the COM: R_b · R_inertial · diag · (…)ᵀ.
      const rb = matFromQuat([...rot.subarray(4 * b, 4 * b + 4)]);
      const ri = matFromQuat(quatFromRpy(...inertial.origin.rpy));
      const { ixx, ixy, ixz, iyy, iyz, izz } = inertial.inertia;
      const rr = mul3(rb, ri);
      const Iw = mul3(mul3(rr, [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]), transpose3(rr));
      for (let p = 0; p < nv; p++) {
        for (let q = 0; q < nv; q++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += inertial.mass * jv[3 * p + k]! * jv[3 * q + k]!;
          for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) s += jw[3 * p + r]! * Iw[3 * r + k]! * jw[3 * q + k]!;
          M[p * nv + q]! += s;
        }
      }
    }
    for (let i = 1; i < n; i++) M[this.links[i]!.dof * (nv + 1)]! += this.links[i]!.armature;
    if (this.useArmatureMotor) this.desc.root.coordinates.forEach((c, d) => (M[d * (nv + 1)]! += c.armature ?? 0));
    return inverseDiagonal(M, nv);
  }

  private restAxes: Float64Array | null = null;
  /** Per link: 1 while its motor is switched off (max force 0), as in the current world. */
  private motorOff: Uint8Array;

  private ensureRestAxes(): void {
    if (this.restAxes) return;
    const ra = new Float64Array(3 * this.links.length);
    for (let i = 1; i < this.links.length; i++) {
      const a = new Float64Array(3);
      quatRotate(a, 0, this.restWorldQuat(i), 0, this.links[i]!.axis, 0);
      ra.set(a, 3 * i);
    }
    this.restAxes = ra;
  }

  private fixedJointRate(i: number): number {
    const ra = this.restAxes!;
    const pi = this.links[i]!.parent, a = this.ang;
    return (a[3 * i]! - a[3 * pi]!) * ra[3 * i]! + (a[3 * i + 1]! - a[3 * pi + 1]!) * ra[3 * i + 1]! + (a[3 * i + 2]! - a[3 * pi + 2]!) * ra[3 * i + 2]!;
  }

  /** Writes the actuator torques as body torques (+τ·axis on the child, −τ·axis on the parent). */
  private applyTorques(readRotations: boolean): void {
    const raw = this.world.bodies.raw;
    const tq = this.torque;
    tq.fill(0);
    const t = this.tmp;
    if (this.axesFixed) this.ensureRestAxes();
    else if (readRotations) {
      const b = this.f32;
      for (let i = 0; i < this.links.length; i++) {
        raw.rbRotation(this.links[i]!.bodyHandle, b);
        this.quat[4 * i] = b[0]!; this.quat[4 * i + 1] = b[1]!; this.quat[4 * i + 2] = b[2]!; this.quat[4 * i + 3] = b[3]!;
      }
    }
    for (let a = 0; a < this.nu; a++) {
      const i = this.actLink[a]!;
      const tau = this.actGear[a]! * this.ctrl[a]!;
      if (this.axesFixed) {
        const ra = this.restAxes!;
        t[0] = ra[3 * i]!; t[1] = ra[3 * i + 1]!; t[2] = ra[3 * i + 2]!;
      } else quatRotate(t, 0, this.quat, 4 * i, this.links[i]!.axis, 0);
      const pi = this.links[i]!.parent;
      for (let c = 0; c < 3; c++) {
        tq[3 * i + c]! += tau * t[c]!;
        tq[3 * pi + c]! -= tau * t[c]!;
      }
    }
    const rv = this.rawVec;
    for (let i = 0; i < this.links.length; i++) {
      const h = this.links[i]!.bodyHandle;
      raw.rbResetTorques(h, false);
      rv.x = tq[3 * i]!; rv.y = tq[3 * i + 1]!; rv.z = tq[3 * i + 2]!;
      if (rv.x !== 0 || rv.y !== 0 || rv.z !== 0) raw.rbAddTorque(h, rv, true);
    }
  }
}
