import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
/**
 * Shared test fixtures for the policy and evaluation tests: seeded random networks, a small
 * manifest body, and a 1-D point-mass task (plain TS, no physics engine).
 */
import type { PolicyManifestBody } from "../src/policy/manifest.js";
import type { DenseLayer } from "../src/policy/mlp.js";
import type { PortSpec } from "../src/port/spec.js";
import type { TaskDefinition, TaskInstance } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";

/** Dense layers for widths `dims` (input first) with uniform weights of scale 1/sqrt(in). */
export function randomLayers(dims: readonly number[], seed: number): DenseLayer[] {
  const rng = new Rng(seed);
  const layers: DenseLayer[] = [];
  for (let k = 0; k + 1 < dims.length; k++) {
    const inDim = dims[k]!;
    const outDim = dims[k + 1]!;
    const s = 1.5 / Math.sqrt(inDim);
    layers.push({
      inDim,
      outDim,
      kernel: Float32Array.from({ length: inDim * outDim }, () => rng.range(-s, s)),
      bias: Float32Array.from({ length: outDim }, () => rng.range(-0.2, 0.2)),
    });
  }
  return layers;
}

export function randomInput(n: number, seed: number, scale = 2): Float32Array {
  const rng = new Rng(seed, 7);
  return Float32Array.from({ length: n }, () => rng.range(-scale, scale));
}

/** A spec with `obsDim` observations (some unbounded) and `actDim` actions in [-1, 1]. */
export function makeSpec(obsDim: number, actDim: number, robot = "testbot"): PortSpec {
  return {
    robot,
    observation: {
      names: Array.from({ length: obsDim }, (_, i) => `obs_${i}`),
      low: Array.from({ length: obsDim }, (_, i) => (i % 2 === 0 ? -Infinity : -10)),
      high: Array.from({ length: obsDim }, (_, i) => (i % 2 === 0 ? Infinity : 10)),
    },
    action: {
      names: Array.from({ length: actDim }, (_, i) => `joint_${i}.effort`),
      low: Array.from({ length: actDim }, () => -1),
      high: Array.from({ length: actDim }, () => 1),
    },
    actuators: Array.from({ length: actDim }, (_, i) => ({ joint: `joint_${i}`, interface: "effort" as const, gear: 50 + i })),
    dt: 0.008,
    metrics: ["reward_forward", "x_position"],
  };
}

export function makeBody(obsDim: number, hidden: number[], actDim: number, overrides: Partial<PolicyManifestBody> = {}): PolicyManifestBody {
  const spec = overrides.spec ?? makeSpec(obsDim, actDim);
  return {
    robot: spec.robot,
    sim: "testsim",
    joints: spec.actuators.map((a) => a.joint),
    spec,
    observation_normalization: {
      mean: Array.from({ length: obsDim }, (_, i) => 0.1 * i - 0.3),
      var: Array.from({ length: obsDim }, (_, i) => 0.5 + 0.25 * i),
      clip: 10,
      epsilon: 1e-8,
    },
    action_scaling: { squash: "tanh", low: spec.action.low.slice(), high: spec.action.high.slice() },
    network: { obs_dim: obsDim, act_dim: actDim, hidden, activation: "tanh", log_std: Array.from({ length: actDim }, () => -0.5) },
    provenance: {
      algo: "ppo",
      launch_file: "launch/test.launch.yaml",
      seed: 3,
      env_steps: 1_000_000,
      updates: 488,
      git_commit: null,
      created: "2025-01-31T12:00:00.000Z",
      locomote_version: "0.1.0",
    },
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Point mass on a rail: obs [x, last action], action = velocity command in [-1, 1],
// x += action · 0.25 per step, reward = x after the step, terminated when x ≥ 1.
// From x0 = 0 at constant action 0.5: x = 0.125·k, so the episode ends at step 8 with return
// 0.125·(1 + … + 8) = 4.5 (all exact in float32).
// ---------------------------------------------------------------------------------------------

export const POINT_MASS_SPEC: PortSpec = {
  robot: "point_mass",
  observation: { names: ["slider.position", "slider.command"], low: [-Infinity, -1], high: [Infinity, 1] },
  action: { names: ["slider.velocity"], low: [-1], high: [1] },
  actuators: [{ joint: "slider", interface: "velocity", gear: 1 }],
  dt: 0.25,
  metrics: ["x_position"],
};

class PointMass implements TaskInstance {
  private x = 0;
  private a = 0;
  terminated = false;

  constructor(private readonly resetNoise: number) {}

  reset(rng: Rng, obs: Float32Array): void {
    this.x = this.resetNoise > 0 ? rng.range(-this.resetNoise, this.resetNoise) : 0;
    this.a = 0;
    this.terminated = false;
    obs[0] = this.x;
    obs[1] = 0;
  }

  setState(qpos: ArrayLike<number>, _qvel: ArrayLike<number>, obs: Float32Array): void {
    this.x = qpos[0]!;
    this.a = 0;
    this.terminated = false;
    obs[0] = this.x;
    obs[1] = 0;
  }

  readState(qpos: Float64Array, qvel: Float64Array): void {
    qpos[0] = this.x;
    qvel[0] = this.a;
  }

  readLinkPoses(out: Float64Array): void {
    out.fill(0, 0, 7);
    out[0] = this.x;
    out[6] = 1;
  }

  readEfforts(out: Float64Array): void {
    out[0] = this.a;
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const a = Math.max(-1, Math.min(1, action[0]!));
    this.a = a;
    this.x += a * 0.25;
    this.terminated = this.x >= 1;
    obs[0] = this.x;
    obs[1] = a;
    metrics[0] = this.x;
    return this.x;
  }

  free(): void {}
}

export function pointMassTask(options: { resetNoise?: number; spec?: PortSpec; maxEpisodeSteps?: number } = {}): TaskDefinition {
  const noise = options.resetNoise ?? 0;
  return {
    name: "point_mass",
    spec: options.spec ?? POINT_MASS_SPEC,
    maxEpisodeSteps: options.maxEpisodeSteps ?? 100,
    state: { nq: 1, nv: 1, qposNames: ["slider"], qvelNames: ["slider"], links: ["mass"], joints: [{ name: "slider", qposIndex: 0, qvelIndex: 0 }] },
    createInstance: () => new PointMass(noise),
  };
}

/**
 * Runs `loop(100_000)` after warming the loop itself up (its optimized code, OSR included, is
 * heap memory too) and reports the GCs that started during it and the heap growth. An
 * allocating call (e.g. 100 bytes per call = 10 MB) either triggers scavenges or grows the heap.
 */
export async function probeAllocations(loop: (n: number) => void): Promise<{ gcs: number; heapGrowth: number }> {
  loop(20_000);
  loop(20_000);
  const gcs: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const t0 = performance.now();
  const heap0 = process.memoryUsage().heapUsed;
  loop(100_000);
  const heap1 = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return { gcs: gcs.filter((e) => e.startTime >= t0 && e.startTime <= t1).length, heapGrowth: heap1 - heap0 };
}
