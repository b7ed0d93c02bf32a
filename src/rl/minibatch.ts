/**
 * Minibatch machinery shared by the first-order surrogate algorithms (PPO-Clip, PPO-Penalty)
 * and TRPO's value fit: uploading a rollout batch, shuffled epochs of minibatches, the
 * per-minibatch advantage normalization, value loss and entropy bonus, approx-KL early stop,
 * and `gradientStep` (tfjs computes the gradients, the JS Adam applies them). An algorithm
 * supplies only its policy loss (`PolicyObjective`).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { explainedVariance, shuffleInPlace } from "./batch-utils.js";
import type { RolloutBatch } from "./rollout.js";
import { gaussianEntropyTf, gaussianKlTf, gaussianLogProbTf } from "./tanh-gaussian.js";

export interface MinibatchHyper {
  nEpochs: number;
  numMinibatches: number;
  clipRangeVf: number | null;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  /** Stop the epochs early when an epoch's mean approx-KL exceeds this; null = never. */
  targetKl: number | null;
  /** Flip the sign of the policy gradient (only for tests proving the learning test can fail). */
  flipGradientSign?: boolean;
}

/** What a policy objective sees of one minibatch (all [mb] or [mb × actDim]). */
export interface MinibatchTensors {
  obs: tf.Tensor2D;
  u: tf.Tensor2D;
  oldLogp: tf.Tensor1D;
  /** Advantages normalized over the minibatch, sign-flipped when `flipGradientSign`. */
  adv: tf.Tensor1D;
  /** Current policy mean. */
  mu: tf.Tensor2D;
  newLogp: tf.Tensor1D;
  logRatio: tf.Tensor1D;
  ratio: tf.Tensor1D;
  /** Current log-std (the variable). */
  logStd: tf.Tensor1D;
  /** Policy mean and log-std before the update (only when the objective sets `needsOldMean`). */
  oldMu: tf.Tensor2D | null;
  oldLogStd: tf.Tensor1D | null;
}

export interface PolicyObjective {
  /** Names of the statistics `policyLoss` returns; their minibatch means come back by name. */
  readonly statNames: readonly string[];
  /** Compute μ_old on the batch before the first step (and the exact KL after the last). */
  readonly needsOldMean: boolean;
  /** The policy loss of one minibatch (to minimize) and one scalar per `statNames` entry. */
  policyLoss(mb: MinibatchTensors): { loss: tf.Scalar; stats: readonly tf.Scalar[] };
}

/** What every minibatch-based update reports (minibatch means, except explained variance). */
export interface MinibatchCoreStats {
  policy_loss: number;
  value_loss: number;
  entropy: number;
  approx_kl: number;
  explained_variance: number;
  grad_norm: number;
  epochs_run: number;
}

export interface MinibatchStats extends MinibatchCoreStats {
  /** Minibatch means of the objective's statistics, by name. */
  objective: Record<string, number>;
  /** Exact mean KL(π_old ‖ π_new) over the whole batch after the update (when `needsOldMean`). */
  kl: number | null;
}

/** The rollout batch as tensors (free with `tf.dispose(Object.values(t))`). */
export interface BatchTensors {
  obs: tf.Tensor2D;
  /** The value network's inputs (a tensor of their own only when they are not `obs`). */
  valueObs: tf.Tensor2D;
  u: tf.Tensor2D;
  logp: tf.Tensor1D;
  adv: tf.Tensor1D;
  ret: tf.Tensor1D;
  val: tf.Tensor1D;
}

export function uploadBatch(batch: RolloutBatch, obsDim: number, actDim: number): BatchTensors {
  const n = batch.size;
  const obs = tf.tensor2d(batch.obs.subarray(0, n * obsDim), [n, obsDim]);
  const vd = batch.valueObsDim;
  return {
    obs,
    valueObs: batch.valueObs === batch.obs ? obs : tf.tensor2d(batch.valueObs.subarray(0, n * vd), [n, vd]),
    u: tf.tensor2d(batch.preTanh.subarray(0, n * actDim), [n, actDim]),
    logp: tf.tensor1d(batch.logpGauss.subarray(0, n)),
    adv: tf.tensor1d(batch.advantages.subarray(0, n)),
    ret: tf.tensor1d(batch.returns.subarray(0, n)),
    val: tf.tensor1d(batch.values.subarray(0, n)),
  };
}

/** 0.5·mean((v − ret)²), or its clipped variant around the rollout's values `clip.oldV`. */
export function valueLoss(v: tf.Tensor1D, ret: tf.Tensor1D, clip: { oldV: tf.Tensor1D; range: number } | null): tf.Scalar {
  if (clip === null) return tf.mul(0.5, tf.mean(tf.square(tf.sub(v, ret)))) as tf.Scalar;
  const vClipped = tf.add(clip.oldV, tf.clipByValue(tf.sub(v, clip.oldV), -clip.range, clip.range));
  return tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(v, ret)), tf.square(tf.sub(vClipped, ret))))) as tf.Scalar;
}

/** Shuffled epochs of minibatch steps on policy + value, with `objective` as the policy loss. */
export function runMinibatchEpochs(
  model: ActorCritic,
  optimizer: Adam,
  batch: RolloutBatch,
  hp: MinibatchHyper,
  objective: PolicyObjective,
  rng: Rng,
): MinibatchStats {
  const n = batch.size;
  const mbSize = Math.floor(n / hp.numMinibatches);
  const { obsDim, actDim } = model.shape;
  const vars = model.variables();
  const all = uploadBatch(batch, obsDim, actDim);
  const oldMuAll = objective.needsOldMean ? tf.tidy(() => model.policyMean(all.obs)) : null;
  const oldLogStd = objective.needsOldMean ? tf.tensor1d(model.exportLogStd()) : null;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const numStats = objective.statNames.length;
  const sums = { pg: 0, v: 0, ent: 0, kl: 0, gn: 0, count: 0, stats: new Float64Array(numStats) };
  let epochsRun = 0;
  const flip = hp.flipGradientSign ?? false;

  for (let epoch = 0; epoch < hp.nEpochs; epoch++) {
    shuffleInPlace(order, rng);
    let epochKl = 0;
    let epochMb = 0;
    for (let start = 0; start + mbSize <= n; start += mbSize) {
      const idx = tf.tensor1d(order.subarray(start, start + mbSize), "int32");
      const { gradNorm, aux } = gradientStep(model, optimizer, vars, hp.maxGradNorm, () =>
        tf.tidy(() => {
          const obs = tf.gather(all.obs, idx) as tf.Tensor2D;
          const u = tf.gather(all.u, idx) as tf.Tensor2D;
          const oldLogp = tf.gather(all.logp, idx) as tf.Tensor1D;
          const rawAdv = tf.gather(all.adv, idx) as tf.Tensor1D;
          const ret = tf.gather(all.ret, idx) as tf.Tensor1D;
          const oldV = tf.gather(all.val, idx) as tf.Tensor1D;

          const moments = tf.moments(rawAdv);
          const normAdv = tf.div(tf.sub(rawAdv, moments.mean), tf.add(tf.sqrt(moments.variance), 1e-8)) as tf.Tensor1D;
          const adv = flip ? tf.neg(normAdv) : normAdv;
          const mu = model.policyMean(obs);
          const newLogp = gaussianLogProbTf(u, mu, model.logStd);
          const logRatio = tf.sub(newLogp, oldLogp) as tf.Tensor1D;
          const ratio = tf.exp(logRatio) as tf.Tensor1D;
          const oldMu = oldMuAll ? (tf.gather(oldMuAll, idx) as tf.Tensor2D) : null;
          const pol = objective.policyLoss({ obs, u, oldLogp, adv, mu, newLogp, logRatio, ratio, logStd: model.logStd, oldMu, oldLogStd });

          const vClip = hp.clipRangeVf === null ? null : { oldV, range: hp.clipRangeVf };
          const valueObs = all.valueObs === all.obs ? obs : (tf.gather(all.valueObs, idx) as tf.Tensor2D);
          const vLoss = valueLoss(model.value(valueObs), ret, vClip);
          const entropy = gaussianEntropyTf(model.logStd);
          const loss = tf.add(tf.sub(pol.loss, tf.mul(hp.entCoef, entropy)), tf.mul(hp.vfCoef, vLoss)) as tf.Scalar;
          const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
          const aux = tf.stack([pol.loss, vLoss, entropy, approxKl, ...pol.stats]) as tf.Tensor1D;
          return { loss, aux };
        }),
      );
      idx.dispose();
      sums.pg += aux[0]!;
      sums.v += aux[1]!;
      sums.ent += aux[2]!;
      sums.kl += aux[3]!;
      for (let s = 0; s < numStats; s++) sums.stats[s]! += aux[4 + s]!;
      sums.gn += gradNorm;
      sums.count++;
      epochKl += aux[3]!;
      epochMb++;
    }
    epochsRun++;
    if (hp.targetKl !== null && epochKl / Math.max(1, epochMb) > hp.targetKl) break;
  }

  let kl: number | null = null;
  if (oldMuAll && oldLogStd) {
    const klT = tf.tidy(() => tf.mean(gaussianKlTf(oldMuAll, oldLogStd, model.policyMean(all.obs), model.logStd)));
    kl = klT.dataSync()[0]!;
    tf.dispose([klT, oldMuAll, oldLogStd]);
  }
  tf.dispose(Object.values(all));
  const c = Math.max(1, sums.count);
  const stats: Record<string, number> = {};
  objective.statNames.forEach((name, s) => (stats[name] = sums.stats[s]! / c));
  return {
    policy_loss: sums.pg / c,
    value_loss: sums.v / c,
    entropy: sums.ent / c,
    approx_kl: sums.kl / c,
    explained_variance: explainedVariance(batch.values, batch.returns, n),
    grad_norm: sums.gn / c,
    epochs_run: epochsRun,
    objective: stats,
    kl,
  };
}

const zeroGradients = new Map<number, Float32Array>();

/**
 * Loss gradients in tfjs, then clip + Adam in JS (see nn/optim.ts for why), then sync back.
 * `vars` may be a subset of `model.variables()` (TRPO's value fit): the others get a zero
 * gradient, which leaves a parameter whose Adam moments are zero exactly where it was.
 */
export function gradientStep(
  model: ActorCritic,
  optimizer: Adam,
  vars: readonly tf.Variable[],
  maxNorm: number | null,
  lossFn: () => { loss: tf.Scalar; aux: tf.Tensor1D },
): { gradNorm: number; aux: Float32Array } {
  let aux: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = lossFn();
    aux = tf.keep(out.aux);
    return out.loss;
  }, [...vars]);
  const wanted = new Set(vars.map((v) => v.name));
  const gradArrays = model.variables().map((v) => {
    const g = grads[v.name];
    if (g) return g.dataSync() as Float32Array;
    if (wanted.has(v.name)) throw new Error(`no gradient for ${v.name}`);
    let zeros = zeroGradients.get(v.size);
    if (!zeros) zeroGradients.set(v.size, (zeros = new Float32Array(v.size)));
    return zeros;
  });
  const gradNorm = optimizer.step(model.params, gradArrays, maxNorm);
  model.syncToTf();
  const auxTensor = aux as tf.Tensor1D | null;
  const auxValues = auxTensor ? (auxTensor.dataSync() as Float32Array) : new Float32Array(0);
  tf.dispose([value, ...Object.values(grads)]);
  auxTensor?.dispose();
  return { gradNorm, aux: auxValues };
}
