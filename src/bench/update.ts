/**
 * Micro-benchmark: wall time of one update of each algorithm on the same 2048-sample batch
 * (hopper dims by default, 11 → 64 → 64 → 3), and the pieces of TRPO's update: the policy
 * gradient, one Fisher-vector product, one line-search evaluation (tfjs, as trpo.ts does it,
 * against the plain-JS `Mlp` forward pass plus the surrogate and KL in JS), the value fit.
 *
 *   node dist/src/bench/update.js            # OBS=11 ACT=3 HIDDEN=64,64 N=2048 REPS=5
 */
import { initBackend } from "../nn/backend.js";
import { Adam } from "../nn/optim.js";
import { Mlp } from "../policy/mlp.js";
import { ActorCritic } from "../rl/actor-critic.js";
import { ppoPenaltyUpdate } from "../rl/ppo-penalty.js";
import { ppoUpdate } from "../rl/ppo.js";
import type { RolloutBatch } from "../rl/rollout.js";
import { sampleTanhGaussian } from "../rl/tanh-gaussian.js";
import { TrpoPolicyProblem, trpoUpdate, type TrpoHyper } from "../rl/trpo.js";
import { Rng } from "../util/rng.js";

const obsDim = Number(process.env["OBS"] ?? 11);
const actDim = Number(process.env["ACT"] ?? 3);
const hidden = (process.env["HIDDEN"] ?? "64,64").split(",").map(Number);
const N = Number(process.env["N"] ?? 2048);
const REPS = Number(process.env["REPS"] ?? 5);

/** Median wall time in ms over REPS runs after one warm-up run (`fn` may return its own timing). */
function time(fn: () => number | void, reps = REPS): number {
  fn();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const own = fn();
    ms.push(typeof own === "number" ? own : performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

/** A batch sampled from the model's own policy (consistent u, log-probs), random advantages. */
function makeBatch(model: ActorCritic, rng: Rng): RolloutBatch {
  const rand = (k: number): Float32Array => Float32Array.from({ length: k }, () => rng.normal());
  const obs = rand(N * obsDim);
  const mu = new Float32Array(N * actDim);
  new Mlp(model.exportLayers("pi"), model.shape.activation).forward(obs, N, mu);
  const u = new Float32Array(N * actDim);
  const logp = new Float32Array(N);
  const logJac = new Float32Array(N);
  sampleTanhGaussian(rng, mu, model.exportLogStd(), N, actDim, u, new Float32Array(N * actDim), logp, logJac);
  return {
    size: N, obs, valueObs: obs, valueObsDim: obsDim, preTanh: u, logpGauss: logp, logJac, values: rand(N), rewards: rand(N),
    terminated: new Uint8Array(N), truncated: new Uint8Array(N), truncValues: rand(N), lastValues: rand(1), advantages: rand(N), returns: rand(N),
  };
}

/** The line-search evaluation in plain JS: Mlp forward at θ, then surrogate and KL in float64. */
function jsEvaluator(model: ActorCritic, batch: RolloutBatch): (theta: Float32Array) => { surrogate: number; kl: number } {
  const layers = model.exportLayers("pi");
  const mlp = new Mlp(layers, model.shape.activation);
  const muOld = new Float32Array(N * actDim);
  mlp.forward(batch.obs, N, muOld);
  const lsOld = model.exportLogStd();
  const mu = new Float32Array(N * actDim);
  let mean = 0;
  for (let i = 0; i < N; i++) mean += batch.advantages[i]!;
  mean /= N;
  let variance = 0;
  for (let i = 0; i < N; i++) variance += (batch.advantages[i]! - mean) ** 2;
  const advScale = 1 / (Math.sqrt(variance / N) + 1e-8);
  return (theta) => {
    let off = 0;
    const w = layers.map((l) => {
      const k = theta.subarray(off, off + l.inDim * l.outDim);
      const b = theta.subarray(off + l.inDim * l.outDim, off + l.inDim * l.outDim + l.outDim);
      off += l.inDim * l.outDim + l.outDim;
      return { inDim: l.inDim, outDim: l.outDim, kernel: k, bias: b };
    });
    const ls = theta.subarray(off);
    mlp.setWeights(w);
    mlp.forward(batch.obs, N, mu);
    let surrogate = 0;
    let kl = 0;
    for (let i = 0; i < N; i++) {
      let dlogp = 0;
      for (let j = 0; j < actDim; j++) {
        const k = i * actDim + j;
        const u = batch.preTanh[k]!;
        const z1 = (u - mu[k]!) * Math.exp(-ls[j]!);
        const z0 = (u - muOld[k]!) * Math.exp(-lsOld[j]!);
        dlogp += -0.5 * z1 * z1 - ls[j]! + 0.5 * z0 * z0 + lsOld[j]!;
        const d = mu[k]! - muOld[k]!;
        kl += ls[j]! - lsOld[j]! + (Math.exp(2 * lsOld[j]!) + d * d) / (2 * Math.exp(2 * ls[j]!)) - 0.5;
      }
      surrogate += Math.exp(dlogp) * (batch.advantages[i]! - mean) * advScale;
    }
    return { surrogate: surrogate / N, kl: kl / N };
  };
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const rng = new Rng(1);
  const shape = { obsDim, actDim, hidden, valueHidden: hidden, activation: "tanh" as const, logStdInit: -0.5 };
  const fresh = (): { model: ActorCritic; opt: Adam } => {
    const model = new ActorCritic(shape, new Rng(1));
    return { model, opt: new Adam(model.params.map((p) => p.length), 3e-4, 1e-5) };
  };
  const probe = fresh();
  const batch = makeBatch(probe.model, rng);
  const minibatch = { nEpochs: 10, numMinibatches: 8, clipRangeVf: null, entCoef: 0, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null };
  const trpoHp: TrpoHyper = { maxKl: 0.01, damping: 0.1, cgIters: 10, lineSearchSteps: 10, lineSearchShrink: 0.5, vfLearningRate: 1e-3, vfEpochs: 5, vfNumMinibatches: 32 };
  console.log(`backend ${backend}, batch ${N}, ${obsDim}→${hidden.join("→")}→${actDim}, median of ${REPS}`);

  // Each update starts from the same model (a fresh copy): the timings compare like with like.
  const ms = (name: string, fn: (m: ActorCritic, o: Adam) => void): void => {
    const t = time(() => {
      const { model, opt } = fresh();
      const t0 = performance.now();
      fn(model, opt);
      const dt = performance.now() - t0;
      model.dispose();
      return dt;
    });
    console.log(`${name.padEnd(58)} ${t.toFixed(1)} ms`);
  };
  ms("PPO update (10 epochs x 8 minibatches of 256)", (m, o) => ppoUpdate(m, o, batch, { ...minibatch, clipRange: 0.2 }, new Rng(2)));
  ms("PPO-Penalty update (10 epochs x 8 minibatches of 256)", (m, o) => ppoPenaltyUpdate(m, o, batch, { ...minibatch, klTarget: 0.01 }, { beta: 1 }, new Rng(2)));
  ms("TRPO update (CG 10, value 5 epochs x 32 minibatches)", (m, o) => trpoUpdate(m, o, batch, trpoHp, new Rng(2)));
  ms("TRPO update (CG 10, value 5 epochs x 8 minibatches)", (m, o) => trpoUpdate(m, o, batch, { ...trpoHp, vfNumMinibatches: 8 }, new Rng(2)));
  ms("TRPO policy step only (CG 10, no value fit)", (m, o) => trpoUpdate(m, o, batch, { ...trpoHp, vfEpochs: 0 }, new Rng(2)));

  const problem = new TrpoPolicyProblem(probe.model, batch);
  const v = Float64Array.from({ length: problem.numParams }, () => rng.normal());
  const out = new Float64Array(problem.numParams);
  const theta = Float32Array.from(problem.thetaOld, (x, i) => x + 1e-3 * v[i]!);
  const js = jsEvaluator(probe.model, batch);
  console.log(`${"  TRPO setup (upload, activations, transposes)".padEnd(58)} ${time(() => new TrpoPolicyProblem(probe.model, batch).dispose()).toFixed(1)} ms`);
  console.log(`${"  policy gradient g (one reverse pass)".padEnd(58)} ${time(() => void problem.gradient()).toFixed(1)} ms`);
  console.log(`${"  Fisher-vector product (tfjs, tangent + reverse pass)".padEnd(58)} ${time(() => problem.fvp(v, out, 0.1)).toFixed(1)} ms`);
  console.log(`${"  line-search evaluation, tfjs (trpo.ts)".padEnd(58)} ${time(() => void problem.evaluate(theta)).toFixed(1)} ms`);
  console.log(`${"  line-search evaluation, plain JS (Mlp forward + JS)".padEnd(58)} ${time(() => void js(theta)).toFixed(1)} ms`);
  const a = problem.evaluate(theta);
  const b = js(theta);
  console.log(`  (agreement: surrogate ${a.surrogate.toExponential(3)} vs ${b.surrogate.toExponential(3)}, KL ${a.kl.toExponential(3)} vs ${b.kl.toExponential(3)})`);
  problem.dispose();
  probe.model.dispose();
}
void main();
