/**
 * AutoReset: after a step that ends an episode (terminated or truncated), keeps the final
 * observation in `finalObs` and resets that env, so `obs` already holds the next episode's
 * first observation (Gymnasium vector "same-step" autoreset). `reward`, `terminated`,
 * `truncated` and `metrics` still describe the step that ended the episode.
 */
import type { ControlPort, PortBuffers } from "../port.js";
import type { PortSpec } from "../spec.js";

/** A port that resets ended episodes itself and keeps their last observation (`AutoReset`'s contract). */
export interface EpisodicPort extends ControlPort {
  /** [numEnvs × obsDim] last observation of the episode that ended at the last step (rows of envs that did not end are stale). */
  readonly finalObs: Float32Array;
}

export interface AutoResetOptions {
  /** Storage for `finalObs` (e.g. a row range of a shared batch buffer); default: allocated. */
  finalObs?: Float32Array;
}

export class AutoReset implements EpisodicPort {
  readonly spec: PortSpec;
  readonly numEnvs: number;
  readonly buffers: PortBuffers;
  /** [numEnvs × obsDim] last observation of the episode that ended at the last step (rows of envs that did not end are stale). */
  readonly finalObs: Float32Array;
  private readonly obsDim: number;
  /** Saved flags: the inner reset clears them, but callers must see how the episode ended. */
  private readonly savedTerminated: Uint8Array;
  private readonly savedTruncated: Uint8Array;
  private readonly savedReward: Float32Array;
  private readonly metricArrays: Float32Array[];
  /** [numEnvs × metrics] metrics of the ending step, per env. */
  private readonly savedMetrics: Float32Array;
  /** [numEnvs] envs that ended at the last step (reset together, in one `resetEnvs`). */
  private readonly ended: Uint8Array;

  constructor(private readonly inner: ControlPort, options: AutoResetOptions = {}) {
    this.spec = inner.spec;
    this.numEnvs = inner.numEnvs;
    this.buffers = inner.buffers;
    this.obsDim = inner.spec.observation.names.length;
    const rows = inner.numEnvs * this.obsDim;
    if (options.finalObs && options.finalObs.length !== rows) throw new Error(`AutoReset: finalObs must hold ${rows} values, got ${options.finalObs.length}`);
    this.finalObs = options.finalObs ?? new Float32Array(rows);
    this.savedTerminated = new Uint8Array(inner.numEnvs);
    this.savedTruncated = new Uint8Array(inner.numEnvs);
    this.savedReward = new Float32Array(inner.numEnvs);
    this.metricArrays = inner.spec.metrics.map((m) => inner.buffers.metrics[m]!);
    this.savedMetrics = new Float32Array(inner.numEnvs * this.metricArrays.length);
    this.ended = new Uint8Array(inner.numEnvs);
  }

  seed(seed: number): void {
    this.inner.seed(seed);
  }

  resetAll(): void {
    this.inner.resetAll();
  }

  resetEnv(i: number): void {
    this.inner.resetEnv(i);
  }

  resetEnvs(mask: Uint8Array): void {
    this.inner.resetEnvs(mask);
  }

  step(): void {
    this.inner.step();
    const { obs, terminated, truncated, reward } = this.buffers;
    const d = this.obsDim;
    const nm = this.metricArrays.length;
    const ended = this.ended;
    let any = false;
    for (let i = 0; i < this.numEnvs; i++) {
      const end = terminated[i] !== 0 || truncated[i] !== 0;
      ended[i] = end ? 1 : 0;
      if (!end) continue;
      any = true;
      this.finalObs.set(obs.subarray(i * d, (i + 1) * d), i * d);
      this.savedTerminated[i] = terminated[i]!;
      this.savedTruncated[i] = truncated[i]!;
      this.savedReward[i] = reward[i]!;
      for (let m = 0; m < nm; m++) this.savedMetrics[i * nm + m] = this.metricArrays[m]![i]!;
    }
    if (!any) return;
    this.inner.resetEnvs(ended);
    for (let i = 0; i < this.numEnvs; i++) {
      if (ended[i] === 0) continue;
      terminated[i] = this.savedTerminated[i]!;
      truncated[i] = this.savedTruncated[i]!;
      reward[i] = this.savedReward[i]!;
      for (let m = 0; m < nm; m++) this.metricArrays[m]![i] = this.savedMetrics[i * nm + m]!;
    }
  }

  close(): void {
    this.inner.close();
  }
}
