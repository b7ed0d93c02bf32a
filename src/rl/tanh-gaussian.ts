/**
 * Tanh-squashed diagonal Gaussian: u ~ N(μ, σ²), a = tanh(u) ∈ (−1, 1)^d.
 *
 * log π(a) = Σ_j [ log N(u_j; μ_j, σ_j) − log(1 − tanh(u_j)²) ]   (change of variables)
 *
 * The rollout stores the pre-squash sample u, so the Jacobian term depends only on stored data
 * and cancels in the PPO ratio; it matters for the log-prob's value (entropy estimates, logs).
 * 1 − tanh(u)² is computed stably as 4·e^{−2|u|}/(1 + e^{−2|u|})², i.e. the correction is
 * 2·(log 2 − u − softplus(−2u)), which has no ε and never overflows.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../util/rng.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** Inputs to atanh are clamped to ±(1 − ATANH_EPS) when an action has to be inverted. */
export const ATANH_EPS = 1e-6;

/** log(1 − tanh(u)²), numerically stable for any u. */
export function logTanhJacobian(u: number): number {
  const x = Math.abs(u);
  // log(4) − 2x − 2·log(1 + e^{−2x})
  return Math.log(4) - 2 * x - 2 * Math.log1p(Math.exp(-2 * x));
}

/** Gaussian log-density of pre-squash `u` (length d) under mean `mu` and `logStd`. */
export function gaussianLogProb(u: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, offset: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const ls = logStd[j]!;
    const z = (u[offset + j]! - mu[offset + j]!) * Math.exp(-ls);
    s += -0.5 * z * z - ls - LOG_SQRT_2PI;
  }
  return s;
}

/** Exact log-density of the squashed action a = tanh(u) given the pre-squash u. */
export function tanhGaussianLogProbFromPre(u: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>, offset: number, d: number): number {
  let s = gaussianLogProb(u, mu, logStd, offset, d);
  for (let j = 0; j < d; j++) s -= logTanhJacobian(u[offset + j]!);
  return s;
}

/** Log-density of a squashed action `a` (atanh input clamped to ±(1 − ATANH_EPS)). */
export function tanhGaussianLogProb(a: ArrayLike<number>, mu: ArrayLike<number>, logStd: ArrayLike<number>): number {
  const d = a.length;
  const u = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const c = Math.min(1 - ATANH_EPS, Math.max(-1 + ATANH_EPS, a[j]!));
    u[j] = Math.atanh(c);
  }
  return tanhGaussianLogProbFromPre(u, mu, logStd, 0, d);
}

/**
 * Samples a batch: for each row, u = μ + σ·ε, a = tanh(u). Writes u, a and the Gaussian
 * log-prob of u (`logpGauss`) and the Jacobian term Σ log(1 − tanh²u) (`logJac`), so that
 * log π(a) = logpGauss − logJac.
 */
export function sampleTanhGaussian(
  rng: Rng,
  mu: Float32Array,
  logStd: Float32Array,
  rows: number,
  d: number,
  uOut: Float32Array,
  aOut: Float32Array,
  logpGaussOut: Float32Array,
  logJacOut: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    let lp = 0;
    let lj = 0;
    for (let j = 0; j < d; j++) {
      const k = r * d + j;
      const ls = logStd[j]!;
      const eps = rng.normal();
      const u = mu[k]! + Math.exp(ls) * eps;
      uOut[k] = u;
      aOut[k] = Math.tanh(u);
      lp += -0.5 * eps * eps - ls - LOG_SQRT_2PI;
      lj += logTanhJacobian(u);
    }
    logpGaussOut[r] = lp;
    logJacOut[r] = lj;
  }
}

/** tfjs: per-row Gaussian log-prob Σ_j log N(u; μ, σ) → [batch]. */
export function gaussianLogProbTf(u: tf.Tensor2D, mu: tf.Tensor2D, logStd: tf.Tensor1D): tf.Tensor1D {
  const z = tf.mul(tf.sub(u, mu), tf.exp(tf.neg(logStd)));
  const per = tf.sub(tf.add(tf.mul(tf.square(z), -0.5), tf.neg(logStd)), LOG_SQRT_2PI);
  return tf.sum(per, 1) as tf.Tensor1D;
}

/** Entropy of the pre-squash Gaussian, Σ_j (log σ_j + ½ log 2πe). */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < logStd.length; j++) s += logStd[j]! + 0.5 * Math.log(2 * Math.PI * Math.E);
  return s;
}

export function gaussianEntropyTf(logStd: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.add(logStd, 0.5 * Math.log(2 * Math.PI * Math.E)));
}

/**
 * tfjs: per-row KL(N(μ_old, σ_old) ‖ N(μ, σ)) of diagonal Gaussians, summed over action dims →
 * [batch]. Equal to the KL of the tanh-squashed distributions (tanh is a bijection).
 *   KL_j = log σ_j − log σ_old,j + (σ_old,j² + (μ_old,j − μ_j)²) / (2σ_j²) − ½
 */
export function gaussianKlTf(muOld: tf.Tensor2D, logStdOld: tf.Tensor1D, mu: tf.Tensor2D, logStd: tf.Tensor1D): tf.Tensor1D {
  const dLogStd = tf.sub(logStd, logStdOld);
  // Per dim, independent of the state: Δ + ½(e^{−2Δ} − 1).
  const perDim = tf.add(dLogStd, tf.mul(tf.sub(tf.exp(tf.mul(dLogStd, -2)), 1), 0.5));
  const meanTerm = tf.mul(tf.square(tf.sub(mu, muOld)), tf.mul(tf.exp(tf.mul(logStd, -2)), 0.5));
  return tf.add(tf.sum(meanTerm, 1), tf.sum(perDim)) as tf.Tensor1D;
}
