/**
 * The Rapier build locomote simulates with, and its one-time wasm initialization.
 *
 * Pick: `@dimforge/rapier3d-simd-compat` 0.20. Measured on this machine (2-vCPU Xeon VM,
 * Node 20, load ~1.8) with `src/bench/sim.ts` (hopper, random actions held for 4 physics steps,
 * no resets, 3 s warm-up, median of 3 × 12000 env steps, full task step incl. obs/reward):
 *   simd-compat 0.20: 16.0k env steps/s (64k physics steps/s)
 *   compat 0.21:      11.1k env steps/s (44k physics steps/s)
 * i.e. simd is ~44% faster (TECH-NOTES: ~40%). MuJoCo's run.sh gave 16.9k on the same machine.
 * Determinism holds within this build on one machine: same seed and actions give bit-identical
 * trajectories (test/physics-determinism.test.ts), across processes too. The two builds give
 * different trajectories, so results that depend on exact physics record `PHYSICS_BUILD`.
 * Note: the articulation calls the raw physics pipeline of this build directly
 * (`Articulation.stepWorld`); compat 0.21's raw `step` takes an extra soft-body argument.
 *
 * Solver parameters: this build's JS API sets only dt, iterations, prediction distance and the
 * natural frequency of contacts between two dynamic bodies. Everything else the solver reads
 * (ground-contact softness, stabilization iterations, joint softness, ...) is serialized in a
 * world snapshot at fixed offsets; `patchSolverParameters` writes them there and the world is
 * restored from the patched snapshot. The offsets are checked against this build's defaults on
 * first use (any other build throws) and by test/physics-mujoco.test.ts. Read from the
 * snapshot, this build's defaults differ from what its JS docs state: prediction distance
 * 0.02 (docs: 0.002), allowed linear error 0.005 (docs: 0.001), and contacts with a fixed
 * body have their own softness (60 Hz / 10; others 30 Hz / 10).
 */
import RAPIER, { type World } from "@dimforge/rapier3d-simd-compat";

export type Rapier = typeof RAPIER;
type RawVector = ReturnType<Rapier["VectorOps"]["intoRaw"]>;

/** Name of the Rapier package in use (recorded with results that depend on bit-exact physics). */
export const PHYSICS_BUILD = "@dimforge/rapier3d-simd-compat@0.20";

let ready: Promise<void> | undefined;
let initialized = false;

/** Loads the Rapier wasm module once; later calls return the same promise. */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init().then(() => {
    initialized = true;
  });
  return ready;
}

/** The Rapier module; throws unless `initPhysics()` has completed. */
export function rapier(): Rapier {
  if (!initialized) throw new Error("Rapier is not initialized: await initPhysics() first");
  return RAPIER;
}

/**
 * Solver parameters of this Rapier build that its JS API does not expose (or exposes only for
 * some contacts). The engine serializes them in every world snapshot, so they are set by
 * patching a snapshot and restoring the world from it (`patchSolverParameters`).
 *
 * Defaults of this build (read from its snapshots): contacts with a fixed body (the ground)
 * 60 Hz / damping ratio 10, other contacts 30 Hz / 10 (the JS setter
 * `contact_natural_frequency` changes only these), 1 stabilization (unbiased) iteration per
 * substep, friction solved only in that unbiased pass, corrective velocity ≤ 3 m/s, prediction
 * distance 0.02, contact recycling on, joints 10⁶ Hz / 1 (limits and locked axes alike).
 */
export interface SolverParameters {
  /** Contacts with a fixed body: natural frequency (Hz) and damping ratio of the soft constraint. */
  staticContactHz?: number;
  staticContactDampingRatio?: number;
  /** Contacts between two dynamic bodies. */
  contactHz?: number;
  contactDampingRatio?: number;
  warmstartCoefficient?: number;
  /** Maximum velocity (m/s) of the position correction of contacts. */
  maxCorrectiveVelocity?: number;
  /** Distance (m) below which contact points are generated before touching. */
  predictionDistance?: number;
  /** Unbiased PGS iterations after each substep's position update. */
  stabilizationIterations?: number;
  /** Reuse contact points while the pair moved less than `contactRecycleDistance`. */
  contactRecycling?: boolean;
  contactRecycleDistance?: number;
  /** Also solve friction in the biased pass. */
  frictionInBiasPass?: boolean;
  warmstartJoints?: boolean;
  /** Softness of every impulse joint's constraints (locked axes, limits). */
  jointHz?: number;
  jointDampingRatio?: number;
}

/** This build's own defaults for the parameters above (what a world gets without patching). */
export const RAPIER_DEFAULT_SOLVER: Readonly<SolverParameters> = {
  staticContactHz: 60,
  staticContactDampingRatio: 10,
  contactHz: 30,
  contactDampingRatio: 10,
  warmstartCoefficient: 1,
  maxCorrectiveVelocity: 3,
  predictionDistance: 0.02,
  stabilizationIterations: 1,
  contactRecycling: true,
  contactRecycleDistance: 0.05,
  frictionInBiasPass: false,
  warmstartJoints: false,
};

/**
 * MuJoCo-like contacts (what the articulation uses unless told otherwise), chosen against
 * MuJoCo 2.2.2 on Gymnasium's hopper.xml (contact solref 0.02 1, solimp 0.8 0.8 0.01; see
 * src/physics/articulation.ts and sims/hopper/mujoco-compare.ts): no unbiased stabilization
 * pass (it makes every contact rigid at the velocity level, so impacts were instantaneous, and
 * its single iteration was the only one that solved friction), soft contacts at 15 Hz with
 * damping ratio 1 (the hopper sinks 4 mm into the floor at rest, as in MuJoCo), and no
 * speculative contacts (a contact acts from touching on, as MuJoCo's do; with Rapier's 2 cm
 * prediction a foot striking the floor was stopped rigidly at the surface).
 */
export const MUJOCO_LIKE_SOLVER: Readonly<SolverParameters> = {
  stabilizationIterations: 0,
  staticContactHz: 15,
  staticContactDampingRatio: 1,
  contactHz: 15,
  contactDampingRatio: 1,
  predictionDistance: 0,
};

/** Byte offsets of IntegrationParameters in a world snapshot of this build (bincode, LE). */
const IP = {
  dt: 12,
  contactHz: 20,
  contactDampingRatio: 24,
  staticContactHz: 28,
  staticContactDampingRatio: 32,
  warmstartCoefficient: 36,
  lengthUnit: 40,
  allowedLinearError: 44,
  maxCorrectiveVelocity: 48,
  predictionDistance: 52,
  maxLinearVelocity: 56,
  solverIterations: 60, // u64
  pgsIterations: 68, // u64
  stabilizationIterations: 76, // u64
  ccdSubsteps: 84, // u64
  contactClustering: 92, // bool
  contactRecycling: 93, // bool
  contactRecycleDistance: 94,
  frictionInBiasPass: 98, // bool
  warmstartJoints: 99, // bool
} as const;

/** Joint softness defaults (f32 1e6, f32 1) as they appear once per impulse joint. */
const JOINT_SOFTNESS = [0x00, 0x24, 0x74, 0x49, 0x00, 0x00, 0x80, 0x3f];

let layoutChecked = false;

/** Checks once that a default world's snapshot holds this build's defaults at the offsets above. */
function checkSnapshotLayout(): void {
  if (layoutChecked) return;
  const R = rapier();
  const w = new R.World({ x: 0, y: 0, z: -9.81 });
  const snap = w.takeSnapshot();
  w.free();
  const dv = new DataView(snap.buffer, snap.byteOffset, snap.byteLength);
  const f32 = (o: number): number => dv.getFloat32(o, true);
  const expect: [number, number][] = [
    [f32(8), Math.fround(-9.81)], [f32(IP.dt), Math.fround(1 / 60)], [f32(IP.contactHz), 30], [f32(IP.contactDampingRatio), 10],
    [f32(IP.staticContactHz), 60], [f32(IP.staticContactDampingRatio), 10], [f32(IP.warmstartCoefficient), 1],
    [f32(IP.lengthUnit), 1], [f32(IP.allowedLinearError), Math.fround(0.005)], [f32(IP.maxCorrectiveVelocity), 3],
    [f32(IP.predictionDistance), Math.fround(0.02)], [f32(IP.maxLinearVelocity), 400],
    [Number(dv.getBigUint64(IP.solverIterations, true)), 4], [Number(dv.getBigUint64(IP.pgsIterations, true)), 1],
    [Number(dv.getBigUint64(IP.stabilizationIterations, true)), 1], [Number(dv.getBigUint64(IP.ccdSubsteps, true)), 1],
    [snap[IP.contactClustering]!, 1], [snap[IP.contactRecycling]!, 1], [f32(IP.contactRecycleDistance), Math.fround(0.05)],
    [snap[IP.frictionInBiasPass]!, 0], [snap[IP.warmstartJoints]!, 0],
  ];
  if (expect.some(([got, want]) => got !== want)) {
    throw new Error(`${PHYSICS_BUILD}: unexpected world snapshot layout; solver parameters cannot be patched`);
  }
  layoutChecked = true;
}

/**
 * Returns a copy of a world snapshot with the given solver parameters set. `numJoints` is the
 * number of impulse joints in the world (their softness is patched when requested; each must
 * still hold the default 10⁶ Hz / 1).
 */
export function patchSolverParameters(snapshot: Uint8Array, p: SolverParameters, numJoints: number): Uint8Array {
  checkSnapshotLayout();
  const out = new Uint8Array(snapshot);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const setF = (o: number, v: number | undefined): void => {
    if (v !== undefined) dv.setFloat32(o, v, true);
  };
  const setB = (o: number, v: boolean | undefined): void => {
    if (v !== undefined) out[o] = v ? 1 : 0;
  };
  setF(IP.staticContactHz, p.staticContactHz);
  setF(IP.staticContactDampingRatio, p.staticContactDampingRatio);
  setF(IP.contactHz, p.contactHz);
  setF(IP.contactDampingRatio, p.contactDampingRatio);
  setF(IP.warmstartCoefficient, p.warmstartCoefficient);
  setF(IP.maxCorrectiveVelocity, p.maxCorrectiveVelocity);
  setF(IP.predictionDistance, p.predictionDistance);
  setF(IP.contactRecycleDistance, p.contactRecycleDistance);
  if (p.stabilizationIterations !== undefined) dv.setBigUint64(IP.stabilizationIterations, BigInt(p.stabilizationIterations), true);
  setB(IP.contactRecycling, p.contactRecycling);
  setB(IP.frictionInBiasPass, p.frictionInBiasPass);
  setB(IP.warmstartJoints, p.warmstartJoints);
  if (p.jointHz !== undefined || p.jointDampingRatio !== undefined) {
    const hits: number[] = [];
    for (let o = 100; o + 8 <= out.length; o++) {
      let k = 0;
      while (k < 8 && out[o + k] === JOINT_SOFTNESS[k]) k++;
      if (k === 8) hits.push(o);
    }
    if (hits.length !== numJoints) throw new Error(`${PHYSICS_BUILD}: found ${hits.length} joint softness records, expected ${numJoints}`);
    for (const o of hits) {
      setF(o, p.jointHz);
      setF(o + 4, p.jointDampingRatio);
    }
  }
  return out;
}

let deserializer: InstanceType<Rapier["SerializationPipeline"]> | undefined;

/**
 * `World.restoreSnapshot(snapshot)` for a world that replaces `previous`, which is freed: the
 * same world, for about 2/3 of the cost (hopper reset 66 → 45 µs, interleaved with steps).
 * `restoreSnapshot` builds a whole new `World` around the deserialized sets, including a new
 * physics pipeline, CCD solver, serialization and debug-render pipeline (wasm objects with JS
 * wrappers registered for finalization), and `free` destroys them again. Here the sets come
 * from one shared deserializer and the new world adopts `previous`'s pipelines. The physics
 * pipeline holds only per-step scratch (counters, island solver buffers, refilled every step):
 * trajectories after a reset are bit-identical to `restoreSnapshot`'s (test/physics-reset.test.ts).
 */
export function restoreWorld(R: Rapier, snapshot: Uint8Array, previous: World): World {
  const world = worldFromParts(R, deserializeWorld(R, snapshot), previous);
  freeWorldParts(previous);
  return world;
}

type RawDeserializedWorld = NonNullable<ReturnType<InstanceType<Rapier["SerializationPipeline"]>["raw"]["deserializeAll"]>>;

/** The world's parts deserialized from `snapshot`, to build a world from (`worldFromParts`) or free. */
function deserializeWorld(R: Rapier, snapshot: Uint8Array): RawDeserializedWorld {
  deserializer ??= new R.SerializationPipeline();
  const d = deserializer.raw.deserializeAll(snapshot);
  if (d === undefined) throw new Error(`${PHYSICS_BUILD}: the world snapshot did not deserialize`);
  return d;
}

/**
 * A new world of the deserialized parts `d` (freed here) that shares `pipelinesOf`'s
 * pipelines (physics pipeline, CCD solver, serialization and debug-render pipelines): only one
 * of the two may be stepped from then on, and only one may be released with `World.free`
 * (the other with `freeWorldParts`).
 */
function worldFromParts(R: Rapier, d: RawDeserializedWorld, pipelinesOf: World): World {
  try {
    d.takeGravity()?.free();
    return new R.World(
      pipelinesOf.gravity,
      d.takeIntegrationParameters(),
      d.takeIslandManager(),
      d.takeBroadPhase(),
      d.takeNarrowPhase(),
      d.takeBodies(),
      d.takeColliders(),
      d.takeImpulseJoints(),
      d.takeMultibodyJoints(),
      pipelinesOf.ccdSolver.raw,
      pipelinesOf.physicsPipeline.raw,
      pipelinesOf.serializationPipeline.raw,
      pipelinesOf.debugRenderPipeline.raw,
    );
  } finally {
    d.free();
  }
}

/** Frees everything of `world` but the pipelines it shares with another world (`World.free` would free those too). */
export function freeWorldParts(world: World): void {
  world.integrationParameters.free();
  world.islands.free();
  world.broadPhase.free();
  world.narrowPhase.free();
  world.bodies.free();
  world.colliders.free();
  world.impulseJoints.free();
  world.multibodyJoints.free();
}

/**
 * The worlds of one articulation's resets: every reset replaces the world by a fresh one from
 * the same snapshot (`restore`). The work of that replacement does not depend on the reset's
 * state, so it can be done ahead, when the thread would otherwise wait (`prepare`: a worker
 * thread between commands, the caller while its workers finish). Of a hopper reset's ~26 µs,
 * ~22 are the world's restore (deserialization ~9, building and freeing the rest), measured
 * 2026-11-22. A prepared world is the one `restore` would build (same snapshot), so
 * trajectories do not depend on whether or when `prepare` ran (test/physics-reset.test.ts).
 */
export class WorldRestorer {
  /** The next reset's world, built ahead (shares the current world's pipelines), or null. */
  private spare: World | null = null;
  /** Its parts, deserialized ahead but not yet built into a world, or null. */
  private parts: RawDeserializedWorld | null = null;
  /** The world the last prepared reset replaced, whose parts are freed by the next `prepare`. */
  private retired: World | null = null;

  constructor(
    private readonly R: Rapier,
    readonly snapshot: Uint8Array,
  ) {}

  /** The snapshot's world to replace `current` with; `current` is freed now, or by the next `prepare` when a prepared world is used. */
  restore(current: World): World {
    this.freeRetired();
    let next = this.spare;
    this.spare = null;
    if (next === null && this.parts !== null) {
      next = worldFromParts(this.R, this.parts, current);
      this.parts = null;
    }
    if (next === null) return restoreWorld(this.R, this.snapshot, current);
    this.retired = current;
    return next;
  }

  /**
   * One piece of the next reset's work, if any is left: free the world the last reset
   * replaced, deserialize the next world's parts, or build them into the next world (each
   * ~5–10 µs for the hopper, so a caller that checks for other work between pieces is not
   * held up long). False when nothing is left.
   */
  prepare(current: World): boolean {
    if (this.freeRetired()) return true;
    if (this.spare !== null) return false;
    if (this.parts === null) {
      this.parts = deserializeWorld(this.R, this.snapshot);
    } else {
      this.spare = worldFromParts(this.R, this.parts, current);
      this.parts = null;
    }
    return true;
  }

  /** Frees what was prepared and the retired world (not the current one, which owns the shared pipelines). */
  free(): void {
    this.freeRetired();
    if (this.spare !== null) freeWorldParts(this.spare);
    this.spare = null;
    this.parts?.free();
    this.parts = null;
  }

  private freeRetired(): boolean {
    if (this.retired === null) return false;
    freeWorldParts(this.retired);
    this.retired = null;
    return true;
  }
}

/** Stands in for `performance.now` while Rapier steps (see `stepWorld`). */
const frozenClock = (): number => 0;

/**
 * `world.step()` for this build, without its two costs that do no physics:
 * - it wraps the gravity vector in a new wasm object every step: the raw pipeline call takes a
 *   cached one (`gravity`, from `VectorOps.intoRaw`);
 * - the wasm pipeline reads the clock through JS `performance.now()` 32 times per step for its
 *   internal timers, even with the profiler off (the `timing*` getters read 0 then). Measured
 *   with `--cpu-prof`: 12% of a swimmer env step; stubbing the clock while the step runs gave
 *   40.7 → 33.3 µs of CPU per swimmer env step and 50.6 → 47.5 µs per hopper env step. Nothing
 *   else runs on this thread during the call, and the real clock is back when it returns.
 */
export function stepWorld(w: World, gravity: RawVector): void {
  const perf = performance;
  const now = perf.now;
  perf.now = frozenClock;
  try {
    w.physicsPipeline.raw.step(
      gravity,
      w.integrationParameters.raw,
      w.islands.raw,
      w.broadPhase.raw,
      w.narrowPhase.raw,
      w.bodies.raw,
      w.colliders.raw,
      w.impulseJoints.raw,
      w.multibodyJoints.raw,
      w.ccdSolver.raw,
    );
  } finally {
    perf.now = now;
  }
}
