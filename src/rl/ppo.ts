/**
 * PPO-Clip update (Schulman et al. 2017) with the continuous-control details of Huang et al.
 * (2022): per-minibatch advantage normalization, clipped surrogate, optional clipped value
 * loss, global grad-norm clip, approx-KL (r − 1 − log r) and clip fraction, optional
 * target-KL early stop. Rollout, GAE, normalization and the distribution are shared modules;
 * this file is only the update step.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { explainedVariance, shuffleInPlace } from "./batch-utils.js";
import type { RolloutBatch } from "./rollout.js";
import { gaussianEntropyTf, gaussianLogProbTf } from "./tanh-gaussian.js";

export interface PpoHyper {
  nEpochs: number;
  numMinibatches: number;
  clipRange: number;
  clipRangeVf: number | null;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  targetKl: number | null;
  /** Flip the sign of the policy gradient (only for tests proving the learning test can fail). */
  flipGradientSign?: boolean;
}

export interface PpoStats {
  policy_loss: number;
  value_loss: number;
  entropy: number;
  approx_kl: number;
  clip_fraction: number;
  explained_variance: number;
  grad_norm: number;
  epochs_run: number;
}

export function ppoUpdate(model: ActorCritic, optimizer: Adam, batch: RolloutBatch, hp: PpoHyper, rng: Rng): PpoStats {
  const n = batch.size;
  const mbSize = Math.floor(n / hp.numMinibatches);
  const { obsDim, actDim } = model.shape;
  const vars = model.variables();
  const all = {
    obs: tf.tensor2d(batch.obs.subarray(0, n * obsDim), [n, obsDim]),
    u: tf.tensor2d(batch.preTanh.subarray(0, n * actDim), [n, actDim]),
    logp: tf.tensor1d(batch.logpGauss.subarray(0, n)),
    adv: tf.tensor1d(batch.advantages.subarray(0, n)),
    ret: tf.tensor1d(batch.returns.subarray(0, n)),
    val: tf.tensor1d(batch.values.subarray(0, n)),
  };
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const sums = { pg: 0, v: 0, ent: 0, kl: 0, cf: 0, gn: 0, count: 0 };
  let epochsRun = 0;
  let lastEpochKl = 0;
  const sign = hp.flipGradientSign ? -1 : 1;

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
          const adv = tf.div(tf.sub(rawAdv, moments.mean), tf.add(tf.sqrt(moments.variance), 1e-8));
          const mu = model.policyMean(obs);
          const newLogp = gaussianLogProbTf(u, mu, model.logStd);
          const logRatio = tf.sub(newLogp, oldLogp);
          const ratio = tf.exp(logRatio);
          const signedAdv = sign === 1 ? adv : tf.neg(adv);
          const pg1 = tf.mul(tf.neg(signedAdv), ratio);
          const pg2 = tf.mul(tf.neg(signedAdv), tf.clipByValue(ratio, 1 - hp.clipRange, 1 + hp.clipRange));
          const pgLoss = tf.mean(tf.maximum(pg1, pg2));

          const v = model.value(obs);
          let vLoss: tf.Scalar;
          if (hp.clipRangeVf !== null) {
            const vClipped = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -hp.clipRangeVf, hp.clipRangeVf));
            vLoss = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(v, ret)), tf.square(tf.sub(vClipped, ret))))) as tf.Scalar;
          } else {
            vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(v, ret)))) as tf.Scalar;
          }
          const entropy = gaussianEntropyTf(model.logStd);
          const loss = tf.add(tf.sub(pgLoss, tf.mul(hp.entCoef, entropy)), tf.mul(hp.vfCoef, vLoss)) as tf.Scalar;

          const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
          const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), hp.clipRange), "float32"));
          const aux = tf.stack([pgLoss, vLoss, entropy, approxKl, clipFrac]) as tf.Tensor1D;
          return { loss, aux };
        }),
      );
      idx.dispose();
      sums.pg += aux[0]!;
      sums.v += aux[1]!;
      sums.ent += aux[2]!;
      sums.kl += aux[3]!;
      sums.cf += aux[4]!;
      sums.gn += gradNorm;
      sums.count++;
      epochKl += aux[3]!;
      epochMb++;
    }
    epochsRun++;
    lastEpochKl = epochKl / Math.max(1, epochMb);
    if (hp.targetKl !== null && lastEpochKl > hp.targetKl) break;
  }
  tf.dispose(Object.values(all));
  const c = Math.max(1, sums.count);
  return {
    policy_loss: sums.pg / c,
    value_loss: sums.v / c,
    entropy: sums.ent / c,
    approx_kl: sums.kl / c,
    clip_fraction: sums.cf / c,
    explained_variance: explainedVariance(batch.values, batch.returns, n),
    grad_norm: sums.gn / c,
    epochs_run: epochsRun,
  };
}

/** Loss gradients in tfjs, then clip + Adam in JS (see nn/optim.ts for why), then sync back. */
export function gradientStep(
  model: ActorCritic,
  optimizer: Adam,
  vars: tf.Variable[],
  maxNorm: number,
  lossFn: () => { loss: tf.Scalar; aux: tf.Tensor1D },
): { gradNorm: number; aux: Float32Array } {
  let aux: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = lossFn();
    aux = tf.keep(out.aux);
    return out.loss;
  }, vars);
  const gradArrays = vars.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for ${v.name}`);
    return g.dataSync() as Float32Array;
  });
  const gradNorm = optimizer.step(model.params, gradArrays, maxNorm);
  model.syncToTf();
  const auxTensor = aux as tf.Tensor1D | null;
  const auxValues = auxTensor ? (auxTensor.dataSync() as Float32Array) : new Float32Array(0);
  tf.dispose([value, ...Object.values(grads)]);
  auxTensor?.dispose();
  return { gradNorm, aux: auxValues };
}
