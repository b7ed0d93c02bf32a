/**
 * A frozen policy: manifest + mean network, mapping raw port observations to the deterministic
 * env action. This is what runs on the robot and in evaluation; it knows nothing of training.
 *
 *   z = clamp((obs − mean) / sqrt(var + eps), ±clip)      (skipped when normalization is null)
 *   u = meanNet(z)
 *   a = low + (tanh(u) + 1) / 2 · (high − low)
 */
import type { PortSpec } from "../port/spec.js";
import type { NetworkDescription, PolicyManifest, Provenance } from "./manifest.js";
import { Mlp, type DenseLayer } from "./mlp.js";

export class FrozenPolicy {
  readonly manifest: PolicyManifest;
  readonly obsDim: number;
  readonly actDim: number;
  private readonly mlp: Mlp;
  /** Normalization (null: observations go to the network as they are). */
  private readonly obsMean: Float64Array | null;
  /** 1 / sqrt(var + eps): multiplied, as the training normalizer does, so both give the same bits. */
  private readonly obsInvStd: Float64Array | null;
  private readonly clip: number;
  private readonly actLow: Float64Array;
  private readonly actRange: Float64Array;
  /** [maxBatch × obsDim] normalized observations; regrown only for a larger batch. */
  private normalized: Float32Array;

  /** `layers` are the mean network's dense layers, input to output (shapes per `manifest.network`). */
  constructor(manifest: PolicyManifest, layers: readonly DenseLayer[]) {
    const net = manifest.network;
    const widths = [net.obs_dim, ...net.hidden, net.act_dim];
    if (layers.length !== widths.length - 1) {
      throw new Error(`FrozenPolicy: network.hidden has ${net.hidden.length} layers, so ${widths.length - 1} dense layers are expected, got ${layers.length}`);
    }
    layers.forEach((l, k) => {
      if (l.inDim !== widths[k] || l.outDim !== widths[k + 1]) {
        throw new Error(`FrozenPolicy: layer ${k} is [${l.inDim}, ${l.outDim}], network description says [${widths[k]}, ${widths[k + 1]}]`);
      }
    });
    this.manifest = manifest;
    this.obsDim = net.obs_dim;
    this.actDim = net.act_dim;
    this.mlp = new Mlp(layers, net.activation);
    const norm = manifest.observation_normalization;
    this.obsMean = norm ? Float64Array.from(norm.mean) : null;
    this.obsInvStd = norm ? Float64Array.from(norm.var, (v) => 1 / Math.sqrt(v + norm.epsilon)) : null;
    this.clip = norm ? norm.clip : Infinity;
    const { low, high } = manifest.action_scaling;
    this.actLow = Float64Array.from(low);
    this.actRange = Float64Array.from(high, (h, i) => h - low[i]!);
    this.normalized = new Float32Array(norm ? net.obs_dim : 0);
  }

  get spec(): PortSpec {
    return this.manifest.spec;
  }

  /** Joint commanded by each action element. */
  get joints(): readonly string[] {
    return this.manifest.joints;
  }

  get provenance(): Provenance {
    return this.manifest.provenance;
  }

  get network(): NetworkDescription {
    return this.manifest.network;
  }

  /** Copies of the mean network's weights (for re-saving). */
  getWeights(): DenseLayer[] {
    return this.mlp.getWeights();
  }

  /**
   * Deterministic env action for `batch` observations: writes `[batch × actDim]` into `out`
   * from `[batch × obsDim]` of `obs`. Allocation-free after the first call at a given batch size.
   */
  act(obs: Float32Array, batch: number, out: Float32Array): void {
    this.actNormalized(obs, batch, out);
    const ad = this.actDim;
    const low = this.actLow;
    const range = this.actRange;
    for (let r = 0; r < batch; r++) {
      const o = r * ad;
      for (let j = 0; j < ad; j++) out[o + j] = low[j]! + (out[o + j]! + 1) * 0.5 * range[j]!;
    }
  }

  /** Like `act`, but stops at tanh(u) ∈ [−1, 1] (before scaling to [low, high]). */
  actNormalized(obs: Float32Array, batch: number, out: Float32Array): void {
    const input = this.obsMean === null ? obs : this.normalizeInto(obs, batch);
    this.mlp.forward(input, batch, out);
    const n = batch * this.actDim;
    for (let j = 0; j < n; j++) out[j] = Math.tanh(out[j]!);
  }

  /** Normalized, clipped observations as the network sees them (`[batch × obsDim]`, copied into `out`). */
  normalizeObservation(obs: Float32Array, batch: number, out: Float32Array): void {
    if (this.obsMean === null) {
      out.set(obs.subarray(0, batch * this.obsDim));
      return;
    }
    out.set(this.normalizeInto(obs, batch).subarray(0, batch * this.obsDim));
  }

  private normalizeInto(obs: Float32Array, batch: number): Float32Array {
    const od = this.obsDim;
    if (!(batch >= 1 && Number.isInteger(batch))) throw new Error(`FrozenPolicy: batch must be a positive integer, got ${batch}`);
    if (obs.length < batch * od) {
      throw new Error(`FrozenPolicy: obs has ${obs.length} elements, batch ${batch} × obsDim ${od} needs ${batch * od}`);
    }
    if (this.normalized.length < batch * od) this.normalized = new Float32Array(batch * od);
    const z = this.normalized;
    const mean = this.obsMean!;
    const inv = this.obsInvStd!;
    const hi = this.clip;
    const lo = -hi;
    for (let r = 0; r < batch; r++) {
      const o = r * od;
      for (let i = 0; i < od; i++) {
        // Math.min/max, not a ternary: `hi` comes from a class field (tagged), and a phi of it
        // with the double `v` makes V8 box `v` on every element (measured: a GC per ~6k calls).
        z[o + i] = Math.min(hi, Math.max(lo, (obs[o + i]! - mean[i]!) * inv[i]!));
      }
    }
    return z;
  }
}
