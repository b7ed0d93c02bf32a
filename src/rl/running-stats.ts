/**
 * Running mean/variance (parallel Welford / Chan et al.), as SB3's RunningMeanStd: the
 * observation normalizer and the reward scaler are built on it, and their state is saved in
 * checkpoints and exported (observation stats) inside the frozen policy.
 */
export interface RunningStatsState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** Starts at a tiny epsilon (as SB3) so the first update is well defined. */
  count = 1e-4;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.batchMean = new Float64Array(dim);
    this.batchVar = new Float64Array(dim);
  }

  /** Updates with `rows` samples laid out row-major in `data` ([rows × dim]). */
  update(data: ArrayLike<number>, rows: number): void {
    if (rows <= 0) return;
    const d = this.dim;
    const bm = this.batchMean.fill(0);
    const bv = this.batchVar.fill(0);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) bm[j]! += data[r * d + j]!;
    for (let j = 0; j < d; j++) bm[j]! /= rows;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        const x = data[r * d + j]! - bm[j]!;
        bv[j]! += x * x;
      }
    }
    for (let j = 0; j < d; j++) bv[j]! /= rows;
    const total = this.count + rows;
    for (let j = 0; j < d; j++) {
      const delta = bm[j]! - this.mean[j]!;
      const m2 = this.var[j]! * this.count + bv[j]! * rows + (delta * delta * this.count * rows) / total;
      this.mean[j] = this.mean[j]! + (delta * rows) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  state(): RunningStatsState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  load(state: RunningStatsState): void {
    if (state.mean.length !== this.dim || state.var.length !== this.dim) {
      throw new Error(`running stats have dim ${state.mean.length}, expected ${this.dim}`);
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}

/** Normalizes observations in place: clip((x − mean) / sqrt(var + eps), ±clip). */
export class ObservationNormalizer {
  readonly stats: RunningMeanStd;
  readonly epsilon = 1e-8;

  constructor(readonly dim: number, readonly clip: number, readonly enabled: boolean) {
    this.stats = new RunningMeanStd(dim);
  }

  /** Updates the stats with `rows` raw observations (training only). */
  update(raw: Float32Array, rows: number): void {
    if (this.enabled) this.stats.update(raw, rows);
  }

  /** Writes normalized `raw` into `out` (may alias). */
  normalize(raw: Float32Array, rows: number, out: Float32Array): void {
    const d = this.dim;
    if (!this.enabled) {
      if (out !== raw) out.set(raw.subarray(0, rows * d));
      return;
    }
    const { mean, var: variance } = this.stats;
    const c = this.clip;
    for (let j = 0; j < d; j++) {
      const m = mean[j]!;
      const inv = 1 / Math.sqrt(variance[j]! + this.epsilon);
      for (let r = 0; r < rows; r++) {
        const k = r * d + j;
        const v = (raw[k]! - m) * inv;
        out[k] = v > c ? c : v < -c ? -c : v;
      }
    }
  }
}

/**
 * Reward scaling by the running std of the discounted return (SB3 VecNormalize, Engstrom et
 * al.): r / sqrt(Var[R] + eps), clipped ±clip. The return accumulator restarts at episode ends.
 */
export class RewardScaler {
  readonly stats = new RunningMeanStd(1);
  readonly epsilon = 1e-8;
  private readonly returns: Float64Array;
  private readonly one = new Float64Array(1);

  constructor(readonly numEnvs: number, readonly gamma: number, readonly clip: number, readonly enabled: boolean) {
    this.returns = new Float64Array(numEnvs);
  }

  /** Scales `reward` ([numEnvs]) into `out`, updating the return statistics; `done` ends returns. */
  scale(reward: Float32Array, done: Uint8Array, out: Float32Array): void {
    const n = this.numEnvs;
    if (!this.enabled) {
      out.set(reward.subarray(0, n));
      return;
    }
    for (let i = 0; i < n; i++) {
      this.returns[i] = this.returns[i]! * this.gamma + reward[i]!;
      this.one[0] = this.returns[i]!;
      this.stats.update(this.one, 1);
    }
    const inv = 1 / Math.sqrt(this.stats.var[0]! + this.epsilon);
    const c = this.clip;
    for (let i = 0; i < n; i++) {
      const v = reward[i]! * inv;
      out[i] = v > c ? c : v < -c ? -c : v;
      if (done[i]) this.returns[i] = 0;
    }
  }

  /** Saved with checkpoints so a resumed run scales exactly as before. */
  state(): { stats: RunningStatsState; returns: number[] } {
    return { stats: this.stats.state(), returns: Array.from(this.returns) };
  }

  load(state: { stats: RunningStatsState; returns: number[] }): void {
    this.stats.load(state.stats);
    if (state.returns.length === this.numEnvs) this.returns.set(state.returns);
  }
}
