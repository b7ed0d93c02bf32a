/**
 * The Rapier build locomote simulates with, and its one-time wasm initialization.
 *
 * Pick: `@dimforge/rapier3d-simd-compat` 0.20. Measured on this machine (2-core Xeon VM,
 * Node 20, hopper with the articulation of ./articulation.ts, random actions held for 4 physics
 * steps, no resets, after a 3 s warm-up; src/bench/sim.ts):
 *   simd-compat 0.20: 21.6k env steps/s (86k physics steps/s)
 *   compat 0.21:      15.8k env steps/s (63k physics steps/s)
 * i.e. simd is ~37% faster, as TECH-NOTES found. Determinism holds within one build on one
 * machine (same seed and actions give bit-identical trajectories, across processes too);
 * the two builds give different trajectories, so checkpoints/replays name the build
 * (`PHYSICS_BUILD`).
 */
import RAPIER from "@dimforge/rapier3d-simd-compat";

export type Rapier = typeof RAPIER;

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
