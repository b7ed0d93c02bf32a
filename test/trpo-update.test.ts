/**
 * TRPO's update: the backtracking line search (synthetic cases, then a real policy given a step
 * that breaks the KL bound), the policy problem's gradient, and one full update.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/nn/backend.js";
import { Adam } from "../src/nn/optim.js";
import { Mlp } from "../src/policy/mlp.js";
import { ActorCritic } from "../src/rl/actor-critic.js";
import { conjugateGradient } from "../src/rl/cg.js";
import type { RolloutBatch } from "../src/rl/rollout.js";
import { sampleTanhGaussian } from "../src/rl/tanh-gaussian.js";
import { backtrackingLineSearch, type TrpoHyper, TrpoPolicyProblem, trpoUpdate } from "../src/rl/trpo.js";
import { Rng } from "../src/util/rng.js";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const HP: TrpoHyper = { maxKl: 0.01, damping: 0.1, cgIters: 10, lineSearchSteps: 10, lineSearchShrink: 0.5, vfLearningRate: 1e-3, vfEpochs: 2, vfNumMinibatches: 4 };

function makeModel(seed: number): ActorCritic {
  return new ActorCritic({ obsDim: 4, actDim: 2, hidden: [16, 16], valueHidden: [16, 16], activation: "tanh", logStdInit: -0.5 }, new Rng(seed));
}

/** A batch drawn from the model's own policy; advantages reward pushing u₀ up. */
function makeBatch(model: ActorCritic, n: number, seed: number): RolloutBatch {
  const rng = new Rng(seed);
  const { obsDim, actDim } = model.shape;
  const obs = Float32Array.from({ length: n * obsDim }, () => rng.normal());
  const mu = new Float32Array(n * actDim);
  new Mlp(model.exportLayers("pi"), "tanh").forward(obs, n, mu);
  const u = new Float32Array(n * actDim);
  const logp = new Float32Array(n);
  const logJac = new Float32Array(n);
  sampleTanhGaussian(rng, mu, model.exportLogStd(), n, actDim, u, new Float32Array(n * actDim), logp, logJac);
  const adv = Float32Array.from({ length: n }, (_, i) => u[i * actDim]! - mu[i * actDim]! + 0.1 * rng.normal());
  return {
    size: n,
    obs,
    valueObs: obs,
    valueObsDim: obs.length / n,
    preTanh: u,
    logpGauss: logp,
    logJac,
    values: new Float32Array(n),
    rewards: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    truncValues: new Float32Array(n),
    lastValues: new Float32Array(1),
    advantages: adv,
    returns: Float32Array.from({ length: n }, (_, i) => obs[i * obsDim]!),
  };
}

describe("backtrackingLineSearch (synthetic objective)", () => {
  it("shrinks the step by the given factor between candidates", () => {
    const seen: number[] = [];
    const r = backtrackingLineSearch((t) => (seen.push(t[0]!), { surrogate: t[0]! < 0.6 ? 1 : -1, kl: 0 }), [0], [1], { maxKl: 0.01, maxSteps: 10, baseline: 0, shrink: 0.8 });
    expect(seen.map((v) => +v.toFixed(6))).toEqual([1, 0.8, 0.64, 0.512]);
    expect(r.steps).toBe(4);
    expect(r.fraction).toBeCloseTo(0.512, 12);
  });

  // θ is 1-D: candidate fraction f gives θ = f; KL = 0.04·f² (quadratic), surrogate = f.
  const quadratic = (theta: Float32Array) => ({ surrogate: theta[0]!, kl: 0.04 * theta[0]! ** 2 });

  it("halves a step whose KL breaks the bound and accepts the first that satisfies it", () => {
    const seen: number[] = [];
    const r = backtrackingLineSearch((t) => (seen.push(t[0]!), quadratic(t)), [0], [1], { maxKl: 0.01, maxSteps: 10, baseline: 0 });
    expect(seen).toEqual([1, 0.5]); // KL(1) = 0.04 > 0.01 rejected; KL(0.5) = 0.01 accepted (≤)
    expect(r).toMatchObject({ steps: 2, fraction: 0.5, surrogate: 0.5, kl: 0.01 });
    expect(Array.from(r.theta!)).toEqual([0.5]);
  });

  it("rejects a step inside the trust region that does not improve the surrogate", () => {
    // Surrogate only improves below f = 0.3: f = 1, 0.5 fail (no improvement), 0.25 passes.
    const r = backtrackingLineSearch((t) => ({ surrogate: t[0]! < 0.3 ? 1 : -1, kl: 0 }), [0], [1], { maxKl: 0.01, maxSteps: 10, baseline: 0 });
    expect([r.steps, r.fraction]).toEqual([3, 0.25]);
  });

  it("keeps the old parameters (null) when no candidate passes, and rejects NaN", () => {
    const r = backtrackingLineSearch(quadratic, [0], [1], { maxKl: 0.001, maxSteps: 2, baseline: 0 });
    expect(r).toMatchObject({ theta: null, steps: 2, fraction: 0, surrogate: 0, kl: 0 });
    const n = backtrackingLineSearch(() => ({ surrogate: Number.NaN, kl: Number.NaN }), [0], [1], { maxKl: 1, maxSteps: 3, baseline: 0 });
    expect(n.theta).toBeNull();
  });
});

describe("TrpoPolicyProblem", () => {
  it("its gradient matches finite differences of its own surrogate", () => {
    const model = makeModel(1);
    const problem = new TrpoPolicyProblem(model, makeBatch(model, 256, 2));
    const g = problem.gradient();
    const rng = new Rng(3);
    // Directional derivatives along random directions (float32 evaluation: a coarse h).
    for (let trial = 0; trial < 3; trial++) {
      const d = Float64Array.from({ length: problem.numParams }, () => rng.normal());
      let norm = 0;
      for (const x of d) norm += x * x;
      const h = 1e-2 / Math.sqrt(norm);
      const at = (s: number) => problem.evaluate(Float32Array.from(problem.thetaOld, (x, i) => x + s * h * d[i]!)).surrogate;
      const fd = (at(1) - at(-1)) / (2 * h);
      let gd = 0;
      for (let i = 0; i < d.length; i++) gd += g[i]! * d[i]!;
      expect(Math.abs(fd - gd)).toBeLessThan(2e-2 * Math.abs(gd) + 1e-4);
    }
    expect(problem.evaluate(problem.thetaOld)).toEqual({ surrogate: expect.closeTo(0, 6), kl: expect.closeTo(0, 7) });
    problem.dispose();
    model.dispose();
  });

  it("adds the entropy bonus c·Σ log σ to the surrogate and c to each log σ's gradient", () => {
    const model = makeModel(1);
    const batch = makeBatch(model, 256, 2);
    const plain = new TrpoPolicyProblem(model, batch);
    const bonus = new TrpoPolicyProblem(model, batch, { entCoef: 0.05 });
    const g0 = plain.gradient();
    const g1 = bonus.gradient();
    const logStdOffset = plain.fisher.logStdOffset;
    for (let i = 0; i < g0.length; i++) expect(g1[i]! - g0[i]!).toBeCloseTo(i >= logStdOffset ? 0.05 : 0, 6);
    // Any θ: the surrogates differ by c·Σ log σ(θ), and the KL is unchanged.
    const theta = Float32Array.from(plain.thetaOld, (x, i) => (i >= logStdOffset ? x + 0.3 : x));
    let sumLogStd = 0;
    for (let i = logStdOffset; i < theta.length; i++) sumLogStd += theta[i]!;
    const a = plain.evaluate(theta), b = bonus.evaluate(theta);
    expect(b.surrogate - a.surrogate).toBeCloseTo(0.05 * sumLogStd, 5);
    expect(b.kl).toBe(a.kl);
    // The bonus's gradient is its surrogate's, as for the plain problem (finite differences).
    const rng = new Rng(4);
    const d = Float64Array.from({ length: bonus.numParams }, () => rng.normal());
    let norm = 0;
    for (const x of d) norm += x * x;
    const h = 1e-2 / Math.sqrt(norm);
    const at = (sgn: number) => bonus.evaluate(Float32Array.from(bonus.thetaOld, (x, i) => x + sgn * h * d[i]!)).surrogate;
    let gd = 0;
    for (let i = 0; i < d.length; i++) gd += g1[i]! * d[i]!;
    expect(Math.abs((at(1) - at(-1)) / (2 * h) - gd)).toBeLessThan(2e-2 * Math.abs(gd) + 1e-4);
    plain.dispose();
    bonus.dispose();
    model.dispose();
  });

  it("the line search on the real policy rejects a step that breaks the KL bound", () => {
    const model = makeModel(4);
    const problem = new TrpoPolicyProblem(model, makeBatch(model, 512, 5));
    const g = problem.gradient();
    const { x: s } = conjugateGradient((v, out) => problem.fvp(v, out, 0.1), g, { iters: 10 });
    const hs = new Float64Array(s.length);
    problem.fvp(s, hs, 0.1);
    let sHs = 0;
    for (let i = 0; i < s.length; i++) sHs += s[i]! * hs[i]!;
    // 8× the trust-region step: its KL is ~64·δ by the quadratic model, so the full step and
    // the next halvings must be rejected until the KL is back under δ.
    const maxKl = 0.01;
    const scale = 8 * Math.sqrt((2 * maxKl) / sHs);
    const step = s.map((x) => scale * x);
    const baseline = problem.evaluate(problem.thetaOld).surrogate;
    const tried: { fraction: number; kl: number; surrogate: number }[] = [];
    let fraction = 1;
    const r = backtrackingLineSearch(
      (theta) => {
        const e = problem.evaluate(theta);
        tried.push({ fraction, ...e });
        fraction /= 2;
        return e;
      },
      problem.thetaOld,
      step,
      { maxKl, maxSteps: 10, baseline },
    );
    expect(tried[0]!.kl).toBeGreaterThan(maxKl);
    expect(r.theta).not.toBeNull();
    expect(r.steps).toBeGreaterThan(1);
    for (const t of tried.slice(0, -1)) expect(t.kl > maxKl || t.surrogate <= baseline).toBe(true);
    expect(r.kl).toBeLessThanOrEqual(maxKl);
    expect(r.surrogate).toBeGreaterThan(baseline);
    // With too few halvings every candidate breaks the bound: the old parameters are kept.
    const none = backtrackingLineSearch((theta) => problem.evaluate(theta), problem.thetaOld, step, { maxKl, maxSteps: 2, baseline });
    expect(none.theta).toBeNull();
    problem.dispose();
    model.dispose();
  });
});

describe("trpoUpdate", () => {
  it("takes a step within the trust region that improves the surrogate, and fits the value function", () => {
    const model = makeModel(6);
    const optimizer = new Adam(model.params.map((p) => p.length), 3e-4, 1e-5);
    const batch = makeBatch(model, 512, 7);
    const before = model.params.map((p) => p.slice());
    const tensors = tf.memory().numTensors;
    const s = trpoUpdate(model, optimizer, batch, HP, new Rng(8));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(s.line_search_accepted).toBe(1);
    expect(s.kl).toBeGreaterThan(0);
    expect(s.kl).toBeLessThanOrEqual(HP.maxKl);
    expect(s.surrogate_improvement).toBeGreaterThan(0);
    expect(s.policy_loss).toBe(-s.surrogate_improvement);
    expect(s.cg_residual).toBeLessThan(0.1);
    expect(s.cg_iterations).toBeLessThanOrEqual(HP.cgIters);
    // The realized improvement is close to the linear model's prediction for a step this small.
    expect(s.surrogate_improvement / s.expected_improvement).toBeGreaterThan(0.5);
    const numPolicy = 2 * model.pi.length + 1;
    const changed = model.params.map((p, k) => p.some((x, i) => x !== before[k]![i]));
    expect(changed.slice(0, numPolicy).some(Boolean)).toBe(true);
    expect(changed.slice(numPolicy).every(Boolean)).toBe(true);
    // The policy never went through Adam: its moments are still zero.
    for (let k = 0; k < numPolicy; k++) expect(optimizer.state.m[k]!.every((x) => x === 0)).toBe(true);
    expect(optimizer.learningRate).toBe(HP.vfLearningRate);
    // The tfjs variables hold the new parameters.
    model.variables().forEach((v, k) => expect(Array.from(v.dataSync())).toEqual(Array.from(model.params[k]!)));
    model.dispose();
  });

  it("keeps the policy when there is no direction to improve (all advantages equal)", () => {
    const model = makeModel(9);
    const optimizer = new Adam(model.params.map((p) => p.length), 3e-4, 1e-5);
    const batch = makeBatch(model, 256, 10);
    batch.advantages.fill(1.5);
    const before = model.params.map((p) => p.slice());
    const s = trpoUpdate(model, optimizer, batch, HP, new Rng(11));
    expect([s.line_search_accepted, s.kl, s.surrogate_improvement, s.grad_norm]).toEqual([0, 0, 0, 0]);
    const numPolicy = 2 * model.pi.length + 1;
    for (let k = 0; k < numPolicy; k++) expect(model.params[k]).toEqual(before[k]);
    model.dispose();
  });
});
