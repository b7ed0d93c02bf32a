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
