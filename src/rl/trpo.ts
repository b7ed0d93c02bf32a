/**
 * TRPO update (Schulman et al. 2015): a natural-gradient policy step inside a KL trust region,
 * then a separate value-function fit. Rollout, GAE, normalization and the tanh-Gaussian policy
 * are shared modules; this file is only the update.
 *
 *   g  = ∇θ E[r·Â] at θ_old               (Â normalized over the whole batch)
 *   s  ≈ (F + λI)⁻¹ g                      (conjugate gradient, cg.ts; F·v analytic, fisher.ts)
 *   Δ  = √(2δ / sᵀ(F + λI)s) · s           (the quadratic KL model reaches δ)
 *   θ  = θ_old + 2⁻ʲ·Δ, j = 0, 1, …        (first j where the surrogate improves AND
 *                                          mean KL(π_old ‖ π_θ) ≤ δ; none: θ_old kept)
 *   V  : its own Adam steps (`vf_lr`), `vf_epochs` epochs of `vf_num_minibatches` minibatches
 *
 * The policy side runs in tfjs without a gradient tape: g is one reverse pass through the
 * mean network (fisher.ts), F·v a tangent plus a reverse pass, and each line-search candidate
 * one forward pass. The CG vectors are float64 in JS.
 *
 * The value fit reuses the trainer's Adam (so checkpoints keep its state) on the value
 * parameters only: the policy parameters get zero gradients there, and with their Adam
 * moments zeroed (TRPO never feeds them) Adam leaves them exactly where the line search put
 * them.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { explainedVariance, shuffleInPlace } from "./batch-utils.js";
import { conjugateGradient, dot } from "./cg.js";
import { type DenseTensors, flattenParams, GaussianPolicyFisher, meanForward } from "./fisher.js";
import { gradientStep, valueLoss } from "./minibatch.js";
import type { RolloutBatch } from "./rollout.js";
import { gaussianEntropy, gaussianKlTf, gaussianLogProbTf } from "./tanh-gaussian.js";

export interface TrpoHyper {
  /** Trust region δ on the mean KL(π_old ‖ π_new). */
  maxKl: number;
  /** λ in (F + λI). */
  damping: number;
  cgIters: number;
  /** Candidates tried (full step, then halves) before the step is rejected. */
  lineSearchSteps: number;
  /** Step fraction factor between line-search candidates (0 < shrink < 1). */
  lineSearchShrink: number;
  vfLearningRate: number;
  vfEpochs: number;
  vfNumMinibatches: number;
  /**
   * Entropy bonus c (default 0): the step maximizes E[r·Â] + c·H(π_θ) under the KL bound
   * (OpenAI Baselines' `entcoeff`). H is the entropy of the Gaussian before the tanh, as in
   * PPO's bonus; with a state-independent log-std it is Σ log σ + const, so the bonus adds c to
   * the gradient of each log σ and c·Σ log σ to every candidate's surrogate.
   */
  entCoef?: number;
  /** Flip the sign of the policy gradient (only for tests proving the learning test can fail). */
  flipGradientSign?: boolean;
}

export interface TrpoStats {
  /** −(surrogate after the step − surrogate before): negative when the policy improved. */
  policy_loss: number;
  value_loss: number;
  entropy: number;
  /** Exact mean KL(π_old ‖ π_new) over the batch (0 when the step was rejected). */
  kl: number;
  explained_variance: number;
  /** ‖g‖. */
  grad_norm: number;
  /** Line-search candidates evaluated (1 = the full step was accepted). */
  line_search_steps: number;
  /** 1 if a step was accepted, 0 if the old policy was kept. */
  line_search_accepted: number;
  /** Surrogate E[r·Â] after − before (0 when rejected). */
  surrogate_improvement: number;
  /** gᵀΔ·2⁻ʲ: the improvement the linear model predicted for the accepted step. */
  expected_improvement: number;
  /** ‖g − (F + λI)s‖ / ‖g‖ of the conjugate-gradient solution. */
  cg_residual: number;
  cg_iterations: number;
  /** Value-function epochs run. */
  vf_epochs: number;
}

/** A candidate's surrogate E[r·Â] and mean KL(π_old ‖ π_θ) on the batch. */
export interface SurrogateAndKl {
  surrogate: number;
  kl: number;
}

export interface LineSearchResult {
  /** Accepted parameters (float32, as evaluated), or null when every candidate failed. */
  theta: Float32Array | null;
  /** Candidates evaluated. */
  steps: number;
  /** Fraction of the full step taken (0 when rejected). */
  fraction: number;
  surrogate: number;
  kl: number;
}

/**
 * Tries θ_old + shrinkʲ·fullStep for j = 0 … maxSteps−1 (shrink 0.5 unless given: halving, as
 * Schulman's TRPO; sb3-contrib uses 0.8) and accepts the first whose surrogate beats
 * `baseline` and whose KL is ≤ maxKl. Candidates are rounded to float32 before evaluation,
 * so the accepted vector is exactly the one that passed.
 */
export function backtrackingLineSearch(
  evaluate: (theta: Float32Array) => SurrogateAndKl,
  thetaOld: ArrayLike<number>,
  fullStep: ArrayLike<number>,
  options: { maxKl: number; maxSteps: number; baseline: number; shrink?: number },
): LineSearchResult {
  const theta = new Float32Array(thetaOld.length);
  const shrink = options.shrink ?? 0.5;
  let fraction = 1;
  for (let step = 1; step <= options.maxSteps; step++, fraction *= shrink) {
    for (let i = 0; i < theta.length; i++) theta[i] = thetaOld[i]! + fraction * fullStep[i]!;
    const { surrogate, kl } = evaluate(theta);
    // NaN fails both comparisons: a diverged candidate is rejected like any other.
    if (surrogate > options.baseline && kl <= options.maxKl) return { theta, steps: step, fraction, surrogate, kl };
  }
  return { theta: null, steps: options.maxSteps, fraction: 0, surrogate: options.baseline, kl: 0 };
}

/**
 * The policy side of one TRPO update on one batch, linearized at the model's current policy:
 * its gradient, Fisher-vector products and the surrogate/KL of candidate parameters.
 * Owns tensors: `dispose()` when done.
 */
export class TrpoPolicyProblem {
  /** The policy parameters at θ_old, flat (kernel₀, bias₀, …, log_std). */
  readonly thetaOld: Float32Array;
  readonly fisher: GaussianPolicyFisher;
  private readonly dims: { inDim: number; outDim: number }[];
  private readonly activation: ActorCritic["shape"]["activation"];
  private readonly obs: tf.Tensor2D;
  private readonly u: tf.Tensor2D;
  private readonly adv: tf.Tensor1D;
  private readonly logStdOld: tf.Tensor1D;
  private readonly logpOld: tf.Tensor1D;

  private readonly entCoef: number;

  constructor(model: ActorCritic, batch: RolloutBatch, options: { flipGradientSign?: boolean; entCoef?: number } = {}) {
    this.entCoef = options.entCoef ?? 0;
    const { obsDim, actDim, activation } = model.shape;
    const n = batch.size;
    const layers = model.exportLayers("pi");
    const logStd = model.exportLogStd();
    this.dims = layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim }));
    this.activation = activation;
    this.thetaOld = Float32Array.from(flattenParams([...layers.flatMap((l) => [l.kernel, l.bias]), logStd]));
    this.obs = tf.tensor2d(batch.obs.subarray(0, n * obsDim), [n, obsDim]);
    this.u = tf.tensor2d(batch.preTanh.subarray(0, n * actDim), [n, actDim]);
    this.adv = tf.tensor1d(normalizedAdvantages(batch.advantages, n, options.flipGradientSign ? -1 : 1));
    this.logStdOld = tf.tensor1d(logStd);
    this.fisher = new GaussianPolicyFisher(layers, logStd, activation, this.obs);
    // Recomputed rather than the rollout's logpGauss, so that r(θ_old) = 1 with the same ops
    // as every candidate's.
    this.logpOld = tf.tidy(() => gaussianLogProbTf(this.u, this.fisher.mean, this.logStdOld));
  }

  get numParams(): number {
    return this.thetaOld.length;
  }

  /** g = ∇θ E[r·Â] at θ_old = E[Â·∇log π]: (u−μ)/σ² through the mean network, z²−1 for log σ. */
  gradient(): Float64Array {
    const g = new Float64Array(this.numParams);
    const n = this.fisher.batch;
    const { dMean, dLogStd } = tf.tidy(() => {
      const invStd = tf.exp(tf.neg(this.logStdOld));
      const z = tf.mul(tf.sub(this.u, this.fisher.mean), invStd);
      const a = tf.reshape(this.adv, [-1, 1]);
      return {
        dMean: tf.div(tf.mul(tf.mul(z, invStd), a), n) as tf.Tensor2D,
        dLogStd: tf.mean(tf.mul(tf.sub(tf.square(z), 1), a), 0),
      };
    });
    this.fisher.backprop(dMean, g);
    const ls = dLogStd.dataSync();
    for (let j = 0; j < ls.length; j++) g[this.fisher.logStdOffset + j] = ls[j]! + this.entCoef;
    tf.dispose([dMean, dLogStd]);
    return g;
  }

  /** out = (F + damping·I)·v. */
  fvp(v: Float64Array, out: Float64Array, damping: number): void {
    this.fisher.fvp(v, out);
    if (damping !== 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! + damping * v[i]!;
  }

  /** Surrogate E[r·Â] and mean KL(π_old ‖ π_θ) for flat parameters θ. */
  evaluate(theta: Float32Array): SurrogateAndKl {
    const out = tf.tidy(() => {
      const layers: DenseTensors[] = [];
      let off = 0;
      for (const { inDim, outDim } of this.dims) {
        const w = tf.tensor2d(theta.subarray(off, off + inDim * outDim), [inDim, outDim]);
        const b = tf.tensor1d(theta.subarray(off + inDim * outDim, off + inDim * outDim + outDim));
        layers.push({ w, b });
        off += inDim * outDim + outDim;
      }
      const logStd = tf.tensor1d(theta.subarray(off));
      const mu = meanForward(layers, this.obs, this.activation);
      const ratio = tf.exp(tf.sub(gaussianLogProbTf(this.u, mu, logStd), this.logpOld));
      const surrogate = tf.mean(tf.mul(ratio, this.adv));
      const kl = tf.mean(gaussianKlTf(this.fisher.mean, this.logStdOld, mu, logStd));
      return tf.stack([surrogate, kl]);
    });
    const [surrogate, kl] = out.dataSync();
    out.dispose();
    let sumLogStd = 0;
    if (this.entCoef !== 0) for (let j = this.fisher.logStdOffset; j < theta.length; j++) sumLogStd += theta[j]!;
    return { surrogate: surrogate! + this.entCoef * sumLogStd, kl: kl! };
  }

  dispose(): void {
    this.fisher.dispose();
    tf.dispose([this.obs, this.u, this.adv, this.logStdOld, this.logpOld]);
  }
}

export function trpoUpdate(model: ActorCritic, optimizer: Adam, batch: RolloutBatch, hp: TrpoHyper, rng: Rng): TrpoStats {
  const problem = new TrpoPolicyProblem(model, batch, { flipGradientSign: hp.flipGradientSign ?? false, entCoef: hp.entCoef ?? 0 });
  let gradNorm = 0;
  let cgResidual = 0;
  let cgIterations = 0;
  let expected = 0;
  let search: LineSearchResult = { theta: null, steps: 0, fraction: 0, surrogate: 0, kl: 0 };
  try {
    // ALGO LOGIC: natural gradient direction
    const g = problem.gradient();
    gradNorm = Math.sqrt(dot(g, g));
    const cg = conjugateGradient((v, out) => problem.fvp(v, out, hp.damping), g, { iters: hp.cgIters });
    cgResidual = cg.relativeResidual;
    cgIterations = cg.iterations;
    const s = cg.x;
    const hs = new Float64Array(s.length);
    problem.fvp(s, hs, hp.damping);
    const sHs = dot(s, hs);

    // ALGO LOGIC: step to the trust-region boundary, then backtrack
    const baseline = problem.evaluate(problem.thetaOld).surrogate;
    search = { theta: null, steps: 0, fraction: 0, surrogate: baseline, kl: 0 };
    if (sHs > 0 && Number.isFinite(sHs)) {
      const scale = Math.sqrt((2 * hp.maxKl) / sHs);
      const fullStep = s.map((x) => scale * x);
      search = backtrackingLineSearch((theta) => problem.evaluate(theta), problem.thetaOld, fullStep, {
        maxKl: hp.maxKl,
        maxSteps: hp.lineSearchSteps,
        shrink: hp.lineSearchShrink,
        baseline,
      });
      if (search.theta) {
        expected = search.fraction * dot(g, fullStep);
        writePolicy(model, search.theta);
      }
    }
    search.surrogate -= baseline;
  } finally {
    problem.dispose();
  }

  // ALGO LOGIC: value function, fitted on its own
  const vfLoss = fitValue(model, optimizer, batch, hp, rng);
  return {
    policy_loss: -search.surrogate,
    value_loss: vfLoss,
    entropy: gaussianEntropy(model.exportLogStd()),
    kl: search.kl,
    explained_variance: explainedVariance(batch.values, batch.returns, batch.size),
    grad_norm: gradNorm,
    line_search_steps: search.steps,
    line_search_accepted: search.theta ? 1 : 0,
    surrogate_improvement: search.surrogate,
    expected_improvement: expected,
    cg_residual: cgResidual,
    cg_iterations: cgIterations,
    vf_epochs: hp.vfEpochs,
  };
}

/** Advantages standardized over the whole batch (float64 moments), times `sign`. */
function normalizedAdvantages(advantages: Float32Array, n: number, sign: number): Float32Array {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += advantages[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (advantages[i]! - mean) ** 2;
  const scale = sign / (Math.sqrt(variance / n) + 1e-8);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (advantages[i]! - mean) * scale;
  return out;
}

/** Copies flat policy parameters into the model's policy arrays and the tfjs variables. */
function writePolicy(model: ActorCritic, theta: Float32Array): void {
  const numPolicy = 2 * model.pi.length + 1;
  let off = 0;
  for (let k = 0; k < numPolicy; k++) {
    const p = model.params[k]!;
    p.set(theta.subarray(off, off + p.length));
    off += p.length;
  }
  if (off !== theta.length) throw new Error(`TRPO: policy vector has ${theta.length} entries, the model's policy ${off}`);
  model.syncToTf();
}

/** `vfEpochs` shuffled epochs of Adam steps on 0.5·mean((V − returns)²); returns the mean loss. */
function fitValue(model: ActorCritic, optimizer: Adam, batch: RolloutBatch, hp: TrpoHyper, rng: Rng): number {
  optimizer.learningRate = hp.vfLearningRate;
  // Zero already, unless the checkpoint this run resumed from was trained by another algorithm.
  for (let k = 0; k < 2 * model.pi.length + 1; k++) {
    optimizer.state.m[k]!.fill(0);
    optimizer.state.v[k]!.fill(0);
  }
  const n = batch.size;
  const vd = batch.valueObsDim;
  const mbSize = Math.floor(n / hp.vfNumMinibatches);
  const obs = tf.tensor2d(batch.valueObs.subarray(0, n * vd), [n, vd]);
  const ret = tf.tensor1d(batch.returns.subarray(0, n));
  const vars = model.valueVariables();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sum = 0;
  let count = 0;
  for (let epoch = 0; epoch < hp.vfEpochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let start = 0; start + mbSize <= n; start += mbSize) {
      const idx = tf.tensor1d(order.subarray(start, start + mbSize), "int32");
      const { aux } = gradientStep(model, optimizer, vars, null, () =>
        tf.tidy(() => {
          const loss = valueLoss(model.value(tf.gather(obs, idx) as tf.Tensor2D), tf.gather(ret, idx) as tf.Tensor1D, null);
          return { loss, aux: tf.stack([loss]) as tf.Tensor1D };
        }),
      );
      idx.dispose();
      sum += aux[0]!;
      count++;
    }
  }
  tf.dispose([obs, ret]);
  return count > 0 ? sum / count : 0;
}
