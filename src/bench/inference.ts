/**
 * Deployment inference benchmark: µs per `FrozenPolicy.act` call at batch 1 (the robot's
 * control loop), for a hopper-sized 64-64 net and a humanoid-sized 256-256 net, plus the GCs
 * seen during the timed calls (expected: none).
 *
 *   npm run build && node dist/src/bench/inference.js [calls=100000]
 */
import { PerformanceObserver } from "node:perf_hooks";
import { FrozenPolicy } from "../policy/frozen.js";
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyManifest } from "../policy/manifest.js";
import type { DenseLayer } from "../policy/mlp.js";
import type { PortSpec } from "../port/spec.js";
import { Rng } from "../util/rng.js";

interface Case {
  label: string;
  obsDim: number;
  hidden: number[];
  actDim: number;
}

const CASES: Case[] = [
  { label: "64-64   (11 → 64 → 64 → 3, hopper)", obsDim: 11, hidden: [64, 64], actDim: 3 },
  { label: "256-256 (376 → 256 → 256 → 17, humanoid)", obsDim: 376, hidden: [256, 256], actDim: 17 },
];

function randomPolicy(c: Case, rng: Rng): FrozenPolicy {
  const widths = [c.obsDim, ...c.hidden, c.actDim];
  const layers: DenseLayer[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    const inDim = widths[k]!;
    const outDim = widths[k + 1]!;
    const s = 1 / Math.sqrt(inDim);
    layers.push({
      inDim,
      outDim,
      kernel: Float32Array.from({ length: inDim * outDim }, () => rng.range(-s, s)),
      bias: Float32Array.from({ length: outDim }, () => rng.range(-0.1, 0.1)),
    });
  }
  const box = (prefix: string, n: number, bound: number) => ({
    names: Array.from({ length: n }, (_, i) => `${prefix}_${i}`),
    low: new Array<number>(n).fill(-bound),
    high: new Array<number>(n).fill(bound),
  });
  const spec: PortSpec = {
    robot: "bench",
    observation: box("obs", c.obsDim, Infinity),
    action: box("act", c.actDim, 1),
    actuators: Array.from({ length: c.actDim }, (_, i) => ({ joint: `act_${i}`, interface: "effort" as const, gear: 1 })),
    dt: 0.008,
    metrics: [],
  };
  const manifest: PolicyManifest = {
    format: POLICY_FORMAT,
    format_version: POLICY_FORMAT_VERSION,
    robot: "bench",
    sim: "bench",
    joints: spec.actuators.map((a) => a.joint),
    spec,
    observation_normalization: {
      mean: Array.from({ length: c.obsDim }, () => rng.range(-1, 1)),
      var: Array.from({ length: c.obsDim }, () => rng.range(0.1, 4)),
      clip: 10,
      epsilon: 1e-8,
    },
    action_scaling: { squash: "tanh", low: spec.action.low, high: spec.action.high },
    network: { obs_dim: c.obsDim, act_dim: c.actDim, hidden: c.hidden, activation: "tanh", log_std: new Array<number>(c.actDim).fill(-0.5) },
    weights: { file: "weights.bin", dtype: "float32", byte_length: 0, sha256: "0".repeat(64), tensors: [] },
    provenance: {
      algo: "none", launch_file: "", seed: 0, env_steps: 0, updates: 0, git_commit: null,
      created: new Date().toISOString(), locomote_version: "bench",
    },
  };
  return new FrozenPolicy(manifest, layers);
}

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 100_000);
  const rng = new Rng(1);
  let gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.startTime);
  });
  observer.observe({ entryTypes: ["gc"] });
  process.stdout.write(`FrozenPolicy.act, batch 1, ${calls} calls (after ${calls / 10} warm-up calls)\n`);
  for (const c of CASES) {
    const policy = randomPolicy(c, rng);
    const obs = Float32Array.from({ length: c.obsDim }, () => rng.range(-2, 2));
    const out = new Float32Array(c.actDim);
    for (let i = 0; i < calls / 10; i++) policy.act(obs, 1, out);
    gcs = [];
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      obs[i % c.obsDim] = out[0]!; // vary the input so nothing can be hoisted
      policy.act(obs, 1, out);
    }
    const t1 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let GC entries arrive
    const during = gcs.filter((t) => t >= t0 && t <= t1).length;
    process.stdout.write(`  ${c.label}: ${(((t1 - t0) / calls) * 1000).toFixed(2)} µs/call, ${during} GCs during the timed calls\n`);
  }
  observer.disconnect();
}

await main();
