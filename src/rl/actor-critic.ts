/**
 * Separate policy (mean) and value MLPs, plus a state-independent log-std.
 * Orthogonal init: √2 on hidden layers, 0.01 on the policy head, 1 on the value head.
 *
 * The parameters live in plain Float32Arrays (`params`, the source of truth, updated by the
 * JS Adam) mirrored into tfjs variables (`syncToTf`) for the loss and its gradients. The
 * rollout's and the frozen policy's JS MLPs read the same arrays; the kernel layout
 * ([in][out], row-major) matches tfjs.
 */
import * as tf from "@tensorflow/tfjs-core";
import { activate, dense } from "../nn/dense.js";
import { orthogonal } from "../nn/init.js";
import type { Rng } from "../util/rng.js";

export type Activation = "tanh" | "relu";

export interface LayerWeights {
  inDim: number;
  outDim: number;
  kernel: Float32Array;
  bias: Float32Array;
}

export interface ActorCriticShape {
  obsDim: number;
  actDim: number;
  hidden: readonly number[];
  valueHidden: readonly number[];
  activation: Activation;
  logStdInit: number;
  /**
   * Inputs of the value network (default `obsDim`): more when the critic also sees features the
   * policy does not (the time feature, `RolloutOptions.timeFeature`), appended after the obs.
   */
  valueInputDim?: number;
}

interface DenseVars {
  w: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
  inDim: number;
  outDim: number;
}

export class ActorCritic {
  readonly pi: DenseVars[];
  readonly vf: DenseVars[];
  readonly logStd: tf.Variable<tf.Rank.R1>;
  /** JS copies of `variables()`, same order. */
  readonly params: Float32Array[];

  constructor(readonly shape: ActorCriticShape, rng: Rng) {
    // tfjs variable names are global to the process: suffix them so several models can coexist.
    const tag = `#${nextInstance++}`;
    this.pi = buildMlp("pi", shape.obsDim, shape.hidden, shape.actDim, 0.01, rng, tag);
    this.vf = buildMlp("vf", shape.valueInputDim ?? shape.obsDim, shape.valueHidden, 1, 1, rng, tag);
    this.logStd = tf.variable(tf.fill([shape.actDim], shape.logStdInit) as tf.Tensor1D, true, `pi/log_std${tag}`);
    this.params = this.variables().map((v) => Float32Array.from(v.dataSync()));
  }

  /** Logical names of `variables()`, e.g. "pi/l0/kernel" (tfjs names carry an instance suffix). */
  variableNames(): string[] {
    return this.variables().map((v) => v.name.replace(/#\d+$/, ""));
  }

  /** Pushes `params` into the tfjs variables (after an optimizer step or a checkpoint load). */
  syncToTf(): void {
    const vars = this.variables();
    for (let k = 0; k < vars.length; k++) {
      const v = vars[k]!;
      const t = tf.tensor(this.params[k]!, v.shape);
      v.assign(t);
      t.dispose();
    }
  }

  /** All trainable variables in a fixed order (optimizer state and checkpoints rely on it). */
  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const l of this.pi) out.push(l.w, l.b);
    out.push(this.logStd);
    for (const l of this.vf) out.push(l.w, l.b);
    return out;
  }

  valueVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const l of this.vf) out.push(l.w, l.b);
    return out;
  }

  /** Mean of the pre-squash Gaussian, [batch × actDim]. */
  policyMean(obs: tf.Tensor2D): tf.Tensor2D {
    return forward(this.pi, obs, this.shape.activation);
  }

  /** State value, [batch], from the value inputs (`RolloutBatch.valueObs` rows). */
  value(obs: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(forward(this.vf, obs, this.shape.activation), [-1]) as tf.Tensor1D;
  }

  /** Copies the current weights out as plain arrays (for the JS forward pass and artifacts). */
  exportLayers(which: "pi" | "vf"): LayerWeights[] {
    const layers = which === "pi" ? this.pi : this.vf;
    const offset = which === "pi" ? 0 : 2 * this.pi.length + 1;
    return layers.map((l, k) => ({
      inDim: l.inDim,
      outDim: l.outDim,
      kernel: this.params[offset + 2 * k]!.slice(),
      bias: this.params[offset + 2 * k + 1]!.slice(),
    }));
  }

  exportLogStd(): Float32Array {
    return this.params[2 * this.pi.length]!.slice();
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

let nextInstance = 0;

function buildMlp(prefix: string, inDim: number, hidden: readonly number[], outDim: number, headGain: number, rng: Rng, tag: string): DenseVars[] {
  const dims = [inDim, ...hidden, outDim];
  const layers: DenseVars[] = [];
  for (let k = 0; k + 1 < dims.length; k++) {
    const i = dims[k]!;
    const o = dims[k + 1]!;
    const gain = k + 2 === dims.length ? headGain : Math.SQRT2;
    const w = tf.variable(tf.tensor2d(orthogonal(rng, i, o, gain), [i, o]), true, `${prefix}/l${k}/kernel${tag}`);
    const b = tf.variable(tf.zeros([o]) as tf.Tensor1D, true, `${prefix}/l${k}/bias${tag}`);
    layers.push({ w, b, inDim: i, outDim: o });
  }
  return layers;
}

function forward(layers: DenseVars[], x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  let h = x;
  for (let k = 0; k < layers.length; k++) {
    const l = layers[k]!;
    h = dense(h, l.w, l.b);
    if (k + 1 < layers.length) h = activate(h, activation) as tf.Tensor2D;
  }
  return h;
}
