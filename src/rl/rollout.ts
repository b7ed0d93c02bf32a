/**
 * Rollout collection shared by every on-policy algorithm (PPO, TRPO, PPO-Penalty).
 *
 * Steps a `ControlPort` wrapped in `AutoReset` for `nSteps` steps across its `numEnvs` envs,
 * acting with a tanh-squashed Gaussian whose mean and value come from allocation-free JS
 * MLPs (mirrors of the tfjs networks), and fills a flat time-major buffer. Observations are
 * normalized (and the running stats updated) here; rewards are scaled here. Truncated steps
 * record V(final observation) for bootstrapping in GAE.
 *
 * Time feature (`timeFeature`): the value network also sees τ = 1 − t/T, the share of the
 * episode's time limit T still ahead after t steps (RL Zoo's TimeFeatureWrapper, given here to
 * the critic only: the policy, and so the exported artifact, stays time-independent). With a
 * long horizon (Swimmer's γ 0.9999) a time-blind critic cannot tell 10 from 990 steps to go,
 * and its advantages are mostly noise. The time limit is then part of the task: an episode cut
 * at T is terminal (V = 0, no bootstrap); a cut for another reason (not at T) still bootstraps,
 * with τ of the final observation.
 */
import type { EpisodicPort } from "../port/wrappers/auto-reset.js";
import type { Mlp } from "../policy/mlp.js";
import type { Rng } from "../util/rng.js";
import { computeGae } from "./gae.js";
import type { ObservationNormalizer, RewardScaler } from "./running-stats.js";
import { sampleTanhGaussian } from "./tanh-gaussian.js";

export interface RolloutBatch {
  /** Number of samples (nSteps × numEnvs), time-major. */
  size: number;
  obs: Float32Array;
  /** [size × valueObsDim] value-network inputs: `obs` itself, or obs rows + the time feature. */
  valueObs: Float32Array;
  valueObsDim: number;
  preTanh: Float32Array;
  logpGauss: Float32Array;
  logJac: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  truncValues: Float32Array;
  lastValues: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export interface EpisodeRecord {
  return: number;
  length: number;
  /** Per-episode sums of each `reward_*` metric. */
  terms: Record<string, number>;
}

export interface RolloutOptions {
  nSteps: number;
  gamma: number;
  gaeLambda: number;
  /** Give the critic the time feature (see the module comment), for this time limit. */
  timeFeature?: { maxSteps: number };
}

/** Value-network inputs per observation for these options. */
export function valueInputDim(obsDim: number, options: Pick<RolloutOptions, "timeFeature">): number {
  return obsDim + (options.timeFeature ? 1 : 0);
}

export class RolloutCollector {
  readonly batch: RolloutBatch;
  readonly numEnvs: number;
  private readonly obsDim: number;
  private readonly actDim: number;
  private readonly mu: Float32Array;
  private readonly act: Float32Array;
  private readonly rowObs: Float32Array;
  /** Normalized observations after the last step, for the bootstrap values. */
  private readonly lastObs: Float32Array;
  private readonly rowVal = new Float32Array(1);
  /** Value inputs of `lastObs` (time feature) or `lastObs` itself. */
  private readonly lastValueObs: Float32Array;
  /** Value inputs of one final observation (truncation bootstrap). */
  private readonly rowValueObs: Float32Array;
  private readonly valueObsDim: number;
  /** T of the time feature, 0 without it. */
  private readonly timeLimit: number;
  private readonly episodeReturn: Float64Array;
  private readonly episodeLength: Int32Array;
  private readonly termNames: string[];
  private readonly termArrays: Float32Array[];
  private readonly episodeTerms: Float64Array;
  private readonly low: Float32Array;
  private readonly span: Float32Array;
  private readonly done: Uint8Array;
  private readonly scaled: Float32Array;
  /** Episodes completed since the last `drainEpisodes()`. */
  private completed: EpisodeRecord[] = [];
  private started = false;

  constructor(
    private readonly port: EpisodicPort,
    private readonly obsNorm: ObservationNormalizer,
    private readonly rewardScaler: RewardScaler,
    private readonly options: RolloutOptions,
    private readonly rng: Rng,
  ) {
    const n = port.numEnvs;
    const T = options.nSteps;
    this.numEnvs = n;
    this.obsDim = port.spec.observation.names.length;
    this.actDim = port.spec.action.names.length;
    const N = n * T;
    const obs = new Float32Array(N * this.obsDim);
    this.timeLimit = options.timeFeature?.maxSteps ?? 0;
    if (options.timeFeature && !(Number.isInteger(this.timeLimit) && this.timeLimit >= 1)) {
      throw new Error(`RolloutCollector: timeFeature.maxSteps must be a positive integer, got ${this.timeLimit}`);
    }
    this.valueObsDim = valueInputDim(this.obsDim, options);
    const vd = this.valueObsDim;
    this.batch = {
      size: N,
      obs,
      valueObs: this.timeLimit > 0 ? new Float32Array(N * vd) : obs,
      valueObsDim: vd,
      preTanh: new Float32Array(N * this.actDim),
      logpGauss: new Float32Array(N),
      logJac: new Float32Array(N),
      values: new Float32Array(N),
      rewards: new Float32Array(N),
      terminated: new Uint8Array(N),
      truncated: new Uint8Array(N),
      truncValues: new Float32Array(N),
      lastValues: new Float32Array(n),
      advantages: new Float32Array(N),
      returns: new Float32Array(N),
    };
    this.mu = new Float32Array(n * this.actDim);
    this.act = new Float32Array(n * this.actDim);
    this.rowObs = new Float32Array(this.obsDim);
    this.lastObs = new Float32Array(n * this.obsDim);
    this.lastValueObs = this.timeLimit > 0 ? new Float32Array(n * vd) : this.lastObs;
    this.rowValueObs = this.timeLimit > 0 ? new Float32Array(vd) : this.rowObs;
    this.episodeReturn = new Float64Array(n);
    this.episodeLength = new Int32Array(n);
    this.termNames = port.spec.metrics.filter((m) => m.startsWith("reward_"));
    this.termArrays = this.termNames.map((m) => port.buffers.metrics[m]!);
    this.episodeTerms = new Float64Array(n * this.termNames.length);
    const { low, high } = port.spec.action;
    this.low = Float32Array.from(low);
    this.span = Float32Array.from(high, (h, j) => h - low[j]!);
    this.done = new Uint8Array(n);
    this.scaled = new Float32Array(n);
  }

  /** Collects one rollout and computes advantages/returns. */
  collect(pi: Mlp, vf: Mlp, logStd: Float32Array): RolloutBatch {
    const { port, batch, obsNorm, numEnvs: n, obsDim: od, actDim: ad, valueObsDim: vd } = this;
    const { obs: portObs, action, reward, terminated, truncated } = port.buffers;
    if (!this.started) {
      port.resetAll();
      this.started = true;
    }
    const T = this.options.nSteps;
    for (let t = 0; t < T; t++) {
      const base = t * n;
      const obsRow = batch.obs.subarray(base * od, (base + n) * od);
      obsNorm.update(portObs, n);
      obsNorm.normalize(portObs, n, obsRow);
      pi.forward(obsRow, n, this.mu);
      const valueRow = this.timeLimit > 0 ? this.withTime(obsRow, n, 0, batch.valueObs.subarray(base * vd, (base + n) * vd)) : obsRow;
      vf.forward(valueRow, n, batch.values.subarray(base, base + n));
      sampleTanhGaussian(
        this.rng,
        this.mu,
        logStd,
        n,
        ad,
        batch.preTanh.subarray(base * ad, (base + n) * ad),
        this.act,
        batch.logpGauss.subarray(base, base + n),
        batch.logJac.subarray(base, base + n),
      );
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < ad; j++) {
          const k = i * ad + j;
          action[k] = this.low[j]! + 0.5 * (this.act[k]! + 1) * this.span[j]!;
        }
      }
      port.step();
      for (let i = 0; i < n; i++) {
        const k = base + i;
        const term = terminated[i]!;
        const trunc = truncated[i]!;
        batch.terminated[k] = term;
        batch.truncated[k] = trunc;
        this.done[i] = term | trunc;
        this.episodeReturn[i]! += reward[i]!;
        this.episodeLength[i]!++;
        for (let m = 0; m < this.termArrays.length; m++) this.episodeTerms[i * this.termArrays.length + m]! += this.termArrays[m]![i]!;
        if (trunc && !term && !(this.timeLimit > 0 && this.episodeLength[i]! >= this.timeLimit)) {
          obsNorm.normalize(port.finalObs.subarray(i * od, (i + 1) * od), 1, this.rowObs);
          if (this.timeLimit > 0) this.withTime(this.rowObs, 1, i, this.rowValueObs);
          vf.forward(this.rowValueObs, 1, this.rowVal);
          batch.truncValues[k] = this.rowVal[0]!;
        } else {
          batch.truncValues[k] = 0;
        }
        if (this.done[i]) this.finishEpisode(i);
      }
      this.rewardScaler.scale(reward, this.done, this.scaled);
      batch.rewards.set(this.scaled, base);
    }
    obsNorm.normalize(portObs, n, this.lastObs);
    if (this.timeLimit > 0) this.withTime(this.lastObs, n, 0, this.lastValueObs);
    vf.forward(this.lastValueObs, n, batch.lastValues);
    computeGae(
      {
        numEnvs: n,
        nSteps: T,
        gamma: this.options.gamma,
        lambda: this.options.gaeLambda,
        rewards: batch.rewards,
        values: batch.values,
        terminated: batch.terminated,
        truncated: batch.truncated,
        truncValues: batch.truncValues,
        lastValues: batch.lastValues,
      },
      batch.advantages,
      batch.returns,
    );
    return batch;
  }

  /**
   * Writes `rows` normalized observations of envs first, first+1, … into `out` with each env's
   * time feature appended: τ = 1 − (steps taken in its episode)/T, clamped at 0.
   */
  private withTime(obs: Float32Array, rows: number, first: number, out: Float32Array): Float32Array {
    const od = this.obsDim;
    const vd = this.valueObsDim;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < od; j++) out[r * vd + j] = obs[r * od + j]!;
      out[r * vd + od] = Math.max(0, 1 - this.episodeLength[first + r]! / this.timeLimit);
    }
    return out;
  }

  /** Returns and forgets the episodes completed since the last call. */
  drainEpisodes(): EpisodeRecord[] {
    const out = this.completed;
    this.completed = [];
    return out;
  }

  private finishEpisode(i: number): void {
    const terms: Record<string, number> = {};
    const nt = this.termNames.length;
    for (let m = 0; m < nt; m++) {
      terms[this.termNames[m]!] = this.episodeTerms[i * nt + m]!;
      this.episodeTerms[i * nt + m] = 0;
    }
    this.completed.push({ return: this.episodeReturn[i]!, length: this.episodeLength[i]!, terms });
    this.episodeReturn[i] = 0;
    this.episodeLength[i] = 0;
  }
}
