/**
 * Timing statistics of the control loop, collected into preallocated arrays (nothing allocated
 * per tick): period jitter |t_k − t_(k−1) − T| and policy inference time at batch 1.
 */

/** A fixed-capacity sample buffer; past capacity it keeps a ring of the latest samples. */
export class Samples {
  private readonly data: Float64Array;
  count = 0;

  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  push(v: number): void {
    this.data[this.count % this.data.length] = v;
    this.count++;
  }

  /** Sorted copy of the kept samples. */
  sorted(): Float64Array {
    return this.data.slice(0, Math.min(this.count, this.data.length)).sort();
  }
}

/** Nearest-rank percentile of sorted samples (p in [0, 100]); NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LoopTiming {
  readonly ticks: number;
  readonly overruns: number;
  readonly inference_us: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number };
  readonly loop_jitter_ms: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number };
}

export class LoopStats {
  readonly jitterMs: Samples;
  readonly inferenceUs: Samples;
  private lastTick = NaN;

  constructor(
    capacity: number,
    private readonly periodMs: number,
  ) {
    this.jitterMs = new Samples(capacity);
    this.inferenceUs = new Samples(capacity);
  }

  /** Records a tick's actual start time; the first only sets the reference. */
  tick(now: number): void {
    if (!Number.isNaN(this.lastTick)) this.jitterMs.push(Math.abs(now - this.lastTick - this.periodMs));
    this.lastTick = now;
  }

  summary(ticks: number, overruns: number): LoopTiming {
    const j = this.jitterMs.sorted();
    const inf = this.inferenceUs.sorted();
    return {
      ticks,
      overruns,
      inference_us: { p50: percentile(inf, 50), p99: percentile(inf, 99), max: percentile(inf, 100), count: this.inferenceUs.count },
      loop_jitter_ms: { p50: percentile(j, 50), p99: percentile(j, 99), max: percentile(j, 100), count: this.jitterMs.count },
    };
  }
}
