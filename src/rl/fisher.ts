/**
 * Analytic Fisher-vector product of a state-independent diagonal Gaussian policy whose mean is
 * an MLP: the Hessian of the mean KL(π_old ‖ π_θ) at θ = θ_old, which TRPO's conjugate
 * gradient needs.
 *
 *   F·v = (1/B) Σ_i J_iᵀ diag(1/σ²) J_i v_mean   ⊕   2·v_logstd
 *
 * where J_i = ∂μ(s_i)/∂θ_mean. The log-std block is exact and decoupled: the KL of diagonal
 * Gaussians has zero mixed mean/log-std curvature at θ_old, and ∂²KL/∂(log σ_j)² = 2. The
 * policy is tanh-squashed, but tanh is a bijection applied after sampling, so the KL of the
 * squashed distributions equals the KL of the pre-squash Gaussians: this is the right F.
 *
 * Why by hand: tfjs's nested gradients are silently wrong (TECH-NOTES), so F·v is one
 * forward-mode tangent (J·v pushed through each dense + activation layer) and one reverse
 * pass, both written as explicit tfjs ops with no gradient tape. The activations, their
 * slopes and the transposed matrices are computed once at construction and reused by every CG
 * iteration. Why tfjs and not plain JS: on a 2048 batch of 11→64→64→3 a float64 JS version
 * took ~50 ms per product, these ops ~8 ms (wasm matMul; transposes done explicitly, as in
 * nn/dense.ts, because transposed matMul kernels are slow on wasm).
 *
 * Flat parameter layout (the policy block of `ActorCritic.params`, same order):
 *   [kernel₀ (in×out, row-major), bias₀, kernel₁, bias₁, …, kernel_{L−1}, bias_{L−1}, log_std].
 */
import * as tf from "@tensorflow/tfjs-core";
import { activate } from "../nn/dense.js";
import type { DenseLayer } from "../policy/mlp.js";

export type HiddenActivation = "tanh" | "relu";

/** Kernel and bias tensors of one dense layer. */
export interface DenseTensors {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** Number of entries of the flat policy vector for these mean-network layers. */
export function policyParamCount(layers: readonly DenseLayer[]): number {
  let n = 0;
  for (const l of layers) n += l.inDim * l.outDim + l.outDim;
  return n + layers[layers.length - 1]!.outDim;
}

/** Concatenates arrays (e.g. kernel₀, bias₀, …, log_std) into one float64 vector. */
export function flattenParams(arrays: readonly ArrayLike<number>[], out?: Float64Array): Float64Array {
  let n = 0;
  for (const a of arrays) n += a.length;
  const flat = out ?? new Float64Array(n);
  let o = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) flat[o + i] = a[i]!;
    o += a.length;
  }
  return flat;
}

/** μ(obs) of an MLP given as tensors: the ops of `ActorCritic.policyMean`, without a tape. */
export function meanForward(layers: readonly DenseTensors[], obs: tf.Tensor2D, activation: HiddenActivation): tf.Tensor2D {
  return tf.tidy(() => {
    let h = obs;
    for (let k = 0; k < layers.length; k++) {
      const l = layers[k]!;
      h = tf.add(tf.matMul(h, l.w), l.b);
      if (k + 1 < layers.length) h = activate(h, activation) as tf.Tensor2D;
    }
    return h;
  });
}

/** Uploads `layers` (the JS weights) as tensors; dispose them with `tf.dispose`. */
export function layerTensors(layers: readonly DenseLayer[]): DenseTensors[] {
  return layers.map((l) => ({ w: tf.tensor2d(l.kernel, [l.inDim, l.outDim]), b: tf.tensor1d(l.bias) }));
}

export class GaussianPolicyFisher {
  readonly batch: number;
  readonly actDim: number;
  /** Length of the flat policy vector (mean-network parameters, then log-std). */
  readonly numParams: number;
  /** Offset of the log-std block in the flat vector. */
  readonly logStdOffset: number;
  /** μ(s_i) at the linearization point, [batch × actDim] (owned: freed by `dispose`). */
  readonly mean: tf.Tensor2D;

  private readonly dims: { inDim: number; outDim: number }[];
  private readonly w: tf.Tensor2D[];
  private readonly wT: tf.Tensor2D[];
  /** Each layer's input, transposed ([inDim × batch]; the first is the observations'). */
  private readonly inputs: tf.Tensor2D[];
  private readonly inputsT: tf.Tensor2D[];
  /** activation'(pre-activation) of each hidden layer, [batch × outDim]. */
  private readonly slopes: tf.Tensor2D[];
  /** diag(1/σ²)/B as a row to broadcast over the batch. */
  private readonly weight: tf.Tensor1D;
  /** Float32 staging for v. */
  private readonly staging: Float32Array;

  /**
   * Linearizes at the given weights on the rows of `obs` ([batch × inDim], normalized as the
   * policy sees them; not retained — the caller keeps ownership).
   */
  constructor(layers: readonly DenseLayer[], logStd: ArrayLike<number>, activation: HiddenActivation, obs: tf.Tensor2D) {
    if (layers.length === 0) throw new Error("GaussianPolicyFisher: expected at least one layer, got 0");
    const last = layers[layers.length - 1]!;
    if (logStd.length !== last.outDim) {
      throw new Error(`GaussianPolicyFisher: log_std has ${logStd.length} entries, expected the action dimension ${last.outDim}`);
    }
    const [batch, inDim] = obs.shape;
    if (inDim !== layers[0]!.inDim) throw new Error(`GaussianPolicyFisher: obs has ${inDim} columns, expected ${layers[0]!.inDim}`);
    this.batch = batch;
    this.actDim = last.outDim;
    this.dims = layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim }));
    this.numParams = policyParamCount(layers);
    this.logStdOffset = this.numParams - this.actDim;
    this.staging = new Float32Array(this.numParams);

    const tensors = tf.tidy(() => {
      const w = layers.map((l) => tf.tensor2d(l.kernel, [l.inDim, l.outDim]));
      const wT = w.map((m) => tf.transpose(m));
      const inputs: tf.Tensor2D[] = [obs.clone()];
      const slopes: tf.Tensor2D[] = [];
      let h: tf.Tensor2D = obs;
      for (let k = 0; k < layers.length; k++) {
        const pre = tf.add(tf.matMul(h, w[k]!), tf.tensor1d(layers[k]!.bias)) as tf.Tensor2D;
        if (k + 1 === layers.length) {
          h = pre;
          break;
        }
        h = activate(pre, activation) as tf.Tensor2D;
        slopes.push((activation === "tanh" ? tf.sub(1, tf.square(h)) : tf.cast(tf.greater(pre, 0), "float32")) as tf.Tensor2D);
        inputs.push(h);
      }
      const inputsT = inputs.map((x) => tf.transpose(x));
      const weight = tf.tensor1d(Float32Array.from(logStd, (ls) => Math.exp(-2 * ls) / batch));
      return { w, wT, inputs, inputsT, slopes, mean: h, weight };
    });
    this.w = tensors.w;
    this.wT = tensors.wT;
    this.inputs = tensors.inputs;
    this.inputsT = tensors.inputsT;
    this.slopes = tensors.slopes;
    this.mean = tensors.mean;
    this.weight = tensors.weight;
  }

  /** out = F·v (no damping; add λ·v for F + λI). `v` and `out` have length `numParams`. */
  fvp(v: Float64Array, out: Float64Array): void {
    const s = this.staging;
    for (let i = 0; i < this.numParams; i++) s[i] = v[i]!;
    const result = tf.tidy(() => {
      // Forward mode: tangent t_{k+1} = slope_k ⊙ (h_k·dW_k + db_k + t_k·W_k), t_0 = 0.
      let t: tf.Tensor2D | null = null;
      let off = 0;
      for (let k = 0; k < this.w.length; k++) {
        const { inDim, outDim } = this.dims[k]!;
        const dW = tf.tensor2d(s.subarray(off, off + inDim * outDim), [inDim, outDim]);
        const db = tf.tensor1d(s.subarray(off + inDim * outDim, off + inDim * outDim + outDim));
        off += inDim * outDim + outDim;
        let y = tf.add(tf.matMul(this.inputs[k]!, dW), db) as tf.Tensor2D;
        if (t) y = tf.add(y, tf.matMul(t, this.w[k]!));
        if (k < this.slopes.length) y = tf.mul(y, this.slopes[k]!);
        t = y;
      }
      // t = J·v: weight by diag(1/σ²)/B, then pull back.
      return this.reverse(tf.mul(t!, this.weight));
    });
    const data = result.dataSync();
    result.dispose();
    for (let i = 0; i < this.logStdOffset; i++) out[i] = data[i]!;
    for (let j = this.logStdOffset; j < this.numParams; j++) out[j] = 2 * v[j]!;
  }

  /**
   * Vector-Jacobian product of the mean network: writes Σ_i J_iᵀ·dMean_i into the mean block of
   * `out` (the log-std block is left untouched). `dMean` is [batch × actDim].
   */
  backprop(dMean: tf.Tensor2D, out: Float64Array): void {
    const result = tf.tidy(() => this.reverse(dMean));
    const data = result.dataSync();
    result.dispose();
    for (let i = 0; i < this.logStdOffset; i++) out[i] = data[i]!;
  }

  dispose(): void {
    tf.dispose([...this.w, ...this.wT, ...this.inputs, ...this.inputsT, ...this.slopes, this.mean, this.weight]);
  }

  /** Reverse pass from ∂/∂μ: the flat mean-network gradient [kernel₀, bias₀, …] as one tensor. */
  private reverse(dMean: tf.Tensor2D): tf.Tensor1D {
    const parts: tf.Tensor1D[] = [];
    let d = dMean;
    for (let k = this.w.length - 1; k >= 0; k--) {
      parts.push(tf.sum(d, 0) as tf.Tensor1D);
      parts.push(tf.reshape(tf.matMul(this.inputsT[k]!, d), [-1]) as tf.Tensor1D);
      if (k > 0) d = tf.mul(tf.matMul(d, this.wT[k]!), this.slopes[k - 1]!) as tf.Tensor2D;
    }
    parts.reverse();
    return tf.concat(parts) as tf.Tensor1D;
  }
}
