/**
 * Allocation-free forward pass of a dense MLP on flat Float32Arrays: the mean-action network
 * of a policy, run by the training rollout (batch = numEnvs) and by the robot's control loop
 * (batch 1). Weights use the tfjs dense layout, kernel row-major [in][out], so a trained
 * model's `getWeights()` data can be copied in as is.
 *
 * Activations accumulate in float64 scratch (JS arithmetic is double anyway) and each sum runs
 * in the naive order (bias, then input 0, 1, …), so the only difference from a float64
 * reference is the final rounding of each output to float32, and a row's result never depends
 * on the batch it came in.
 */

export type MlpActivation = "tanh" | "relu";

/** One dense layer: y = x · kernel + bias. */
export interface DenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  /** Row-major [inDim][outDim], as a tfjs dense kernel. */
  readonly kernel: Float32Array;
  /** [outDim]. */
  readonly bias: Float32Array;
}

export class Mlp {
  readonly inDim: number;
  readonly outDim: number;
  readonly hiddenActivation: MlpActivation;
  // Held as float64 (exact copies of the float32 weights): saves a conversion per multiply-add.
  private readonly kernels: Float64Array[];
  private readonly biases: Float64Array[];
  private readonly inDims: Int32Array;
  private readonly outDims: Int32Array;
  /** Widest layer input or output. */
  private readonly maxWidth: number;
  /** Ping-pong activation buffers, [maxBatch × maxWidth] each; regrown only for a larger batch. */
  private bufA: Float64Array;
  private bufB: Float64Array;
  private maxBatch: number;

  /** Copies the weights (later changes to the caller's arrays do not leak in; use `setWeights`). */
  constructor(layers: readonly DenseLayer[], hiddenActivation: MlpActivation) {
    if (layers.length === 0) throw new Error("Mlp: expected at least one layer, got 0");
    if (hiddenActivation !== "tanh" && hiddenActivation !== "relu") {
      throw new Error(`Mlp: hiddenActivation: expected "tanh" or "relu", got ${JSON.stringify(hiddenActivation)}`);
    }
    checkLayers(layers);
    this.hiddenActivation = hiddenActivation;
    this.kernels = layers.map((l) => Float64Array.from(l.kernel));
    this.biases = layers.map((l) => Float64Array.from(l.bias));
    this.inDims = Int32Array.from(layers, (l) => l.inDim);
    this.outDims = Int32Array.from(layers, (l) => l.outDim);
    this.inDim = layers[0]!.inDim;
    this.outDim = layers[layers.length - 1]!.outDim;
    let maxWidth = 0;
    for (const l of layers) maxWidth = Math.max(maxWidth, l.inDim, l.outDim);
    this.maxWidth = maxWidth;
    this.maxBatch = 1;
    this.bufA = new Float64Array(maxWidth);
    this.bufB = new Float64Array(maxWidth);
  }

  get numLayers(): number {
    return this.kernels.length;
  }

  /** Overwrites the weights in place (same shapes), e.g. after each training update. */
  setWeights(layers: readonly DenseLayer[]): void {
    if (layers.length !== this.kernels.length) {
      throw new Error(`Mlp.setWeights: expected ${this.kernels.length} layers, got ${layers.length}`);
    }
    checkLayers(layers);
    for (let k = 0; k < layers.length; k++) {
      const l = layers[k]!;
      if (l.inDim !== this.inDims[k] || l.outDim !== this.outDims[k]) {
        throw new Error(`Mlp.setWeights: layer ${k}: expected [${this.inDims[k]}, ${this.outDims[k]}], got [${l.inDim}, ${l.outDim}]`);
      }
      this.kernels[k]!.set(l.kernel);
      this.biases[k]!.set(l.bias);
    }
  }

  /** Copies of the weights, in constructor layout. */
  getWeights(): DenseLayer[] {
    return this.kernels.map((kernel, k) => ({
      inDim: this.inDims[k]!,
      outDim: this.outDims[k]!,
      kernel: Float32Array.from(kernel),
      bias: Float32Array.from(this.biases[k]!),
    }));
  }

  /**
   * Writes `[batch × outDim]` into `out` from `[batch × inDim]` of `input` (extra trailing
   * elements of either array are ignored). Allocates only when `batch` exceeds every earlier batch.
   */
  forward(input: Float32Array, batch: number, out: Float32Array): void {
    if (!(batch >= 1 && Number.isInteger(batch))) throw new Error(`Mlp.forward: batch must be a positive integer, got ${batch}`);
    if (input.length < batch * this.inDim) {
      throw new Error(`Mlp.forward: input has ${input.length} elements, batch ${batch} × inDim ${this.inDim} needs ${batch * this.inDim}`);
    }
    if (out.length < batch * this.outDim) {
      throw new Error(`Mlp.forward: out has ${out.length} elements, batch ${batch} × outDim ${this.outDim} needs ${batch * this.outDim}`);
    }
    if (batch > this.maxBatch) this.grow(batch);

    // Every layer runs float64 → float64 through one kernel (one monomorphic call site).
    let src = this.bufA;
    let dst = this.bufB;
    const nx = batch * this.inDim;
    for (let j = 0; j < nx; j++) src[j] = input[j]!;
    const last = this.kernels.length - 1;
    const relu = this.hiddenActivation === "relu";
    for (let k = 0; k <= last; k++) {
      const nIn = this.inDims[k]!;
      const nOut = this.outDims[k]!;
      dense(src, this.kernels[k]!, this.biases[k]!, nIn, nOut, batch, dst);
      if (k < last) {
        const n = batch * nOut;
        if (relu) {
          for (let j = 0; j < n; j++) if (dst[j]! < 0) dst[j] = 0;
        } else {
          for (let j = 0; j < n; j++) dst[j] = Math.tanh(dst[j]!);
        }
      }
      const t = src;
      src = dst;
      dst = t;
    }
    const ny = batch * this.outDim;
    for (let j = 0; j < ny; j++) out[j] = src[j]!;
  }

  private grow(batch: number): void {
    this.maxBatch = batch;
    this.bufA = new Float64Array(batch * this.maxWidth);
    this.bufB = new Float64Array(batch * this.maxWidth);
  }
}

function checkLayers(layers: readonly DenseLayer[]): void {
  for (let k = 0; k < layers.length; k++) {
    const l = layers[k]!;
    if (!(Number.isInteger(l.inDim) && l.inDim >= 1 && Number.isInteger(l.outDim) && l.outDim >= 1)) {
      throw new Error(`Mlp: layer ${k}: dims must be positive integers, got [${l.inDim}, ${l.outDim}]`);
    }
    if (l.kernel.length !== l.inDim * l.outDim) {
      throw new Error(`Mlp: layer ${k}: kernel has ${l.kernel.length} elements, expected ${l.inDim}×${l.outDim} = ${l.inDim * l.outDim}`);
    }
    if (l.bias.length !== l.outDim) throw new Error(`Mlp: layer ${k}: bias has ${l.bias.length} elements, expected ${l.outDim}`);
    const prev = layers[k - 1];
    if (prev && prev.outDim !== l.inDim) {
      throw new Error(`Mlp: layer ${k}: inDim ${l.inDim} does not match outDim ${prev.outDim} of layer ${k - 1}`);
    }
  }
}

/**
 * y[r] = x[r] · w + b for each row r, as the sequential sum b + x0·w0 + x1·w1 + … (JS never
 * reassociates, so every blocking below gives the same bits as the naive loop, whatever the
 * batch size or a row's position in it). The inner loops run contiguously over the outputs and
 * fold several kernel rows per pass, so each accumulator is loaded and stored once per 4–8
 * multiply-adds; rows go in pairs so each kernel element loaded serves two rows.
 */
function dense(
  x: Float64Array, w: Float64Array, b: Float64Array, nIn: number, nOut: number, batch: number, y: Float64Array,
): void {
  const n1 = nOut, n2 = 2 * nOut, n3 = 3 * nOut;
  let r = 0;
  for (; r + 1 < batch; r += 2) {
    const xa = r * nIn;
    const xb = xa + nIn;
    const ya = r * nOut;
    const yb = ya + nOut;
    for (let o = 0; o < nOut; o++) {
      y[ya + o] = b[o]!;
      y[yb + o] = b[o]!;
    }
    let i = 0;
    for (; i + 3 < nIn; i += 4) {
      const a0 = x[xa + i]!, a1 = x[xa + i + 1]!, a2 = x[xa + i + 2]!, a3 = x[xa + i + 3]!;
      const b0 = x[xb + i]!, b1 = x[xb + i + 1]!, b2 = x[xb + i + 2]!, b3 = x[xb + i + 3]!;
      let wi = i * nOut;
      for (let o = 0; o < nOut; o++, wi++) {
        const w0 = w[wi]!, w1 = w[wi + n1]!, w2 = w[wi + n2]!, w3 = w[wi + n3]!;
        y[ya + o] = y[ya + o]! + a0 * w0 + a1 * w1 + a2 * w2 + a3 * w3;
        y[yb + o] = y[yb + o]! + b0 * w0 + b1 * w1 + b2 * w2 + b3 * w3;
      }
    }
    for (; i < nIn; i++) {
      const ai = x[xa + i]!;
      const bi = x[xb + i]!;
      let wi = i * nOut;
      for (let o = 0; o < nOut; o++, wi++) {
        const wv = w[wi]!;
        y[ya + o] = y[ya + o]! + ai * wv;
        y[yb + o] = y[yb + o]! + bi * wv;
      }
    }
  }
  if (r < batch) denseRow(x, r * nIn, w, b, nIn, nOut, y, r * nOut);
}

/** One row (batch 1, the control loop): 8 kernel rows per pass. */
function denseRow(
  x: Float64Array, xo: number, w: Float64Array, b: Float64Array, nIn: number, nOut: number, y: Float64Array, yo: number,
): void {
  const n1 = nOut, n2 = 2 * nOut, n3 = 3 * nOut, n4 = 4 * nOut, n5 = 5 * nOut, n6 = 6 * nOut, n7 = 7 * nOut;
  for (let o = 0; o < nOut; o++) y[yo + o] = b[o]!;
  let i = 0;
  for (; i + 7 < nIn; i += 8) {
    const x0 = x[xo + i]!, x1 = x[xo + i + 1]!, x2 = x[xo + i + 2]!, x3 = x[xo + i + 3]!;
    const x4 = x[xo + i + 4]!, x5 = x[xo + i + 5]!, x6 = x[xo + i + 6]!, x7 = x[xo + i + 7]!;
    let wi = i * nOut;
    for (let o = yo, end = yo + nOut; o < end; o++, wi++) {
      y[o] = y[o]! + x0 * w[wi]! + x1 * w[wi + n1]! + x2 * w[wi + n2]! + x3 * w[wi + n3]!
        + x4 * w[wi + n4]! + x5 * w[wi + n5]! + x6 * w[wi + n6]! + x7 * w[wi + n7]!;
    }
  }
  for (; i < nIn; i++) {
    const xi = x[xo + i]!;
    let wi = i * nOut;
    for (let o = yo, end = yo + nOut; o < end; o++, wi++) y[o] = y[o]! + xi * w[wi]!;
  }
}
