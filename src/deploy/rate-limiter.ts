/**
 * Fixed-rate scheduling for the control loop in Node, where a timer alone fires ~1 ms late with
 * ms-scale jitter. Deadlines lie on an absolute grid t0 + k·T (no drift). Waiting for one is a
 * hybrid:
 *   1. far from it (> `timerLeadMs`): a timer, so the event loop stays free;
 *   2. closer: `Atomics.wait` with a timeout, a futex sleep precise to tens of µs, until
 *      `yieldLeadMs` before the deadline;
 *   3. one turn of the event loop (`setImmediate`), so that messages and signals that arrived
 *      meanwhile are handled before the tick — they are seen fresh, and Ctrl-C works;
 *   4. an optional `prepare` (the controller warms the policy's weights into the cache when a
 *      policy step is due: the process may have slept while others ran on this core), then a
 *      busy spin on `performance.now()` for the last fraction of a millisecond.
 * A tick that starts a period or more late skips the missed deadlines (counted as overruns)
 * instead of bursting to catch up: the tick's scheduled time is always within a period of now.
 */
import type { Clock } from "./robot-port.js";

export interface RateLimiterOptions {
  /** Above this much time to the deadline, wait with a timer (ms). */
  readonly timerLeadMs?: number;
  /** Stop sleeping this long before the deadline: yield to the event loop, then spin (ms). */
  readonly yieldLeadMs?: number;
}

/** Called once per tick just before the final spin, with the coming deadline (e.g. to warm caches). */
export type PrepareFn = (deadline: number) => void;

/** Called at each tick with the actual clock time and the scheduled deadline; false stops the loop. */
export type TickFn = (now: number, scheduled: number) => boolean;

export class RateLimiter {
  readonly periodMs: number;
  /** Ticks run so far, and deadlines skipped because a tick was more than a period late. */
  ticks = 0;
  overruns = 0;
  private readonly timerLeadMs: number;
  private readonly yieldLeadMs: number;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  private deadline = 0;
  private yielded = false;
  private tick: TickFn = () => false;
  private prepare: PrepareFn | null = null;
  private resolve: () => void = () => {};
  private reject: (err: unknown) => void = () => {};
  private readonly step = (): void => this.run();

  constructor(rateHz: number, private readonly clock: Clock, options: RateLimiterOptions = {}) {
    this.periodMs = 1000 / rateHz;
    this.timerLeadMs = options.timerLeadMs ?? 2.5;
    this.yieldLeadMs = options.yieldLeadMs ?? Math.min(0.25, this.periodMs / 4);
  }

  /** Runs `tick` at every deadline from `startAt` (default: now) until it returns false. */
  loop(tick: TickFn, startAt = this.clock.now(), prepare: PrepareFn | null = null): Promise<void> {
    this.tick = tick;
    this.prepare = prepare;
    this.deadline = startAt;
    this.yielded = false;
    return new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      setImmediate(this.step);
    });
  }

  private run(): void {
    try {
      for (;;) {
        const remaining = this.deadline - this.clock.now();
        if (remaining > this.timerLeadMs) {
          setTimeout(this.step, remaining - this.timerLeadMs);
          return;
        }
        if (remaining > this.yieldLeadMs && !this.yielded) {
          Atomics.wait(this.sleeper, 0, 0, remaining - this.yieldLeadMs);
        }
        if (!this.yielded) {
          this.yielded = true;
          setImmediate(this.step);
          return;
        }
        this.prepare?.(this.deadline);
        let now = this.clock.now();
        while (now < this.deadline) now = this.clock.now();
        if (now - this.deadline >= this.periodMs) {
          // Late by a period or more: skip to the latest deadline that has passed.
          const missed = Math.floor((now - this.deadline) / this.periodMs);
          this.overruns += missed;
          this.deadline += missed * this.periodMs;
        }
        const scheduled = this.deadline;
        this.yielded = false;
        this.ticks++;
        this.deadline += this.periodMs;
        if (!this.tick(now, scheduled)) {
          this.resolve();
          return;
        }
      }
    } catch (err) {
      this.reject(err);
    }
  }
}
