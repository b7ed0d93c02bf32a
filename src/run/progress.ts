/**
 * `TrainingProgress`: what a training run shows in the terminal.
 *
 * On a terminal, a cli-progress bar:
 *   ████████░░░░░░ 41% | 410k/1M steps | 3.9k steps/s | upd 50 | return 812 (20 ep) | 1m45s | ETA 2m31s
 * Elsewhere (CI, pipes, log files: stream not a TTY, or CI set), one plain line at most every
 * `plainIntervalSeconds`, with no ANSI codes:
 *   [hopper] update 50 | steps 409,600/1,000,000 (41.0%) | 3,902 steps/s | return 812.3 (20 ep) | elapsed 1m45s | ETA 2m31s
 *
 *   const progress = new TrainingProgress({ totalSteps: 1_000_000, label: "hopper" });
 *   progress.start();
 *   // per rollout step batch:
 *   progress.recordEpisode(ret);           // for every finished episode
 *   progress.tick(envSteps);
 *   // after each PPO update:
 *   progress.completeUpdate(update, envSteps);
 *   progress.log("checkpoint saved");     // a message line that does not break the bar
 *   progress.stop();                       // idempotent; also from the SIGINT handler
 *
 * Per-call cost: `tick` and `recordEpisode` store a few numbers and read the clock; drawing
 * happens at most every `redrawIntervalMs` (bar) or `plainIntervalSeconds` (plain). The bar is
 * redrawn from these calls, so it stays live while a synchronous training loop starves the event
 * loop. cli-progress also keeps a redraw timer while the bar runs: call `stop()` in a `finally`
 * (and on SIGINT), or the timer keeps the process alive.
 *
 * Steps/s and ETA use the last few seconds of ticks (a window of samples), not the whole run, so
 * they follow slowdowns and do not count time spent before a resume.
 */
import { Presets, SingleBar } from "cli-progress";
import { formatCompact, formatDuration } from "./format.js";

/** The parts of a stream this class uses; `process.stdout` fits. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = "auto" | "bar" | "plain" | "off";

export interface TrainingProgressOptions {
  /** Env steps at which training ends. */
  totalSteps: number;
  /** Env steps already done (resume). Default 0. */
  startSteps?: number;
  /** Last completed update (resume). Default 0. */
  startUpdate?: number;
  /** Prefix of plain lines (run name). */
  label?: string;
  /** Default `process.stdout`. */
  stream?: ProgressStream;
  /** "auto" (default): bar if the stream is a TTY and CI is unset, else plain lines. */
  mode?: ProgressMode;
  /** Seconds between plain lines (the first comes one interval after start); 0 prints at every tick and update. Default 10. */
  plainIntervalSeconds?: number;
  /** Minimum milliseconds between bar redraws. Default 200. */
  redrawIntervalMs?: number;
  /** Episodes in the recent mean return. Default 20. */
  returnWindow?: number;
  /** Monotonic clock in milliseconds (tests). Default `performance.now`. */
  now?: () => number;
}

/** Throughput samples kept; with ≥250 ms between samples that is the last ~8 s or more. */
const RATE_SAMPLES = 32;
const RATE_SAMPLE_MS = 250;

export class TrainingProgress {
  private readonly options: Required<Omit<TrainingProgressOptions, "label" | "stream">> & {
    label: string | undefined;
  };
  private readonly stream: ProgressStream;
  private readonly mode: "bar" | "plain" | "off";
  private bar: SingleBar | undefined;
  private started = false;
  private stopped = false;

  private steps: number;
  private update: number;
  private startTime = 0;
  private lastDraw = -Infinity;

  private readonly returns: Float64Array;
  private returnCount = 0;
  private returnNext = 0;

  private readonly sampleTime = new Float64Array(RATE_SAMPLES);
  private readonly sampleSteps = new Float64Array(RATE_SAMPLES);
  private sampleCount = 0;
  private sampleNext = 0;

  constructor(options: TrainingProgressOptions) {
    if (!(options.totalSteps > 0)) {
      throw new RangeError(`totalSteps must be a positive number, got ${options.totalSteps}`);
    }
    this.options = {
      totalSteps: options.totalSteps,
      startSteps: options.startSteps ?? 0,
      startUpdate: options.startUpdate ?? 0,
      label: options.label,
      mode: options.mode ?? "auto",
      plainIntervalSeconds: options.plainIntervalSeconds ?? 10,
      redrawIntervalMs: options.redrawIntervalMs ?? 200,
      returnWindow: Math.max(1, Math.floor(options.returnWindow ?? 20)),
      now: options.now ?? (() => performance.now()),
    };
    this.stream = options.stream ?? process.stdout;
    this.mode = resolveMode(this.options.mode, this.stream);
    this.steps = this.options.startSteps;
    this.update = this.options.startUpdate;
    this.returns = new Float64Array(this.options.returnWindow);
  }

  /** "bar", "plain" or "off": what `auto` resolved to. */
  get outputMode(): "bar" | "plain" | "off" {
    return this.mode;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startTime = this.options.now();
    this.lastDraw = this.startTime;
    this.addSample(this.startTime, this.steps);
    if (this.mode === "bar") {
      this.bar = new SingleBar({
        stream: this.stream as NodeJS.WritableStream,
        // Payload names must not shadow cli-progress tokens ({eta}, {duration}, {total}, {value}).
        format: "{bar} {percentage}% | {steps}/{totalSteps} steps | {rate} steps/s | upd {update} | return {ret} | {elapsed} | ETA {remaining}",
        barsize: 24,
        // No cursor hiding and no terminal line-wrap escape: a run killed with SIGKILL must not
        // leave the user's terminal in a changed state. Lines are truncated to the width instead.
        hideCursor: false,
        clearOnComplete: false,
        linewrap: true,
        gracefulExit: false,
        // Rendering is driven by tick(); cli-progress's own timer would not fire while the
        // training loop is busy anyway.
        fps: 5,
      }, Presets.shades_classic);
      this.bar.start(this.options.totalSteps, this.steps, this.payload(this.startTime));
    }
  }

  /** Adds one finished episode's return to the recent-return window. */
  recordEpisode(episodeReturn: number): void {
    if (!Number.isFinite(episodeReturn)) return;
    this.returns[this.returnNext] = episodeReturn;
    this.returnNext = (this.returnNext + 1) % this.returns.length;
    if (this.returnCount < this.returns.length) this.returnCount++;
  }

  /** Reports env steps done so far (call once per rollout step batch or less often). */
  tick(envSteps: number): void {
    this.steps = envSteps;
    this.maybeDraw(false);
  }

  /** Reports a completed PPO update. */
  completeUpdate(update: number, envSteps: number): void {
    this.update = update;
    this.steps = envSteps;
    this.maybeDraw(true);
  }

  /** Prints a message on its own line; the bar is redrawn below it. */
  log(message: string): void {
    if (this.mode === "off") return;
    if (this.bar !== undefined && !this.stopped) {
      // Clear the bar's line, print the message, and re-save the cursor (ESC 7) at the bar's new
      // line: cli-progress restores the saved position in stop(), and the old one is now the
      // message's line.
      this.stream.write(`\r\x1b[2K${message}\n\x1b7`);
      this.bar.render();
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  /** Mean of the last `returnWindow` episode returns, or NaN before any episode ended. */
  recentMeanReturn(): number {
    if (this.returnCount === 0) return NaN;
    let sum = 0;
    for (let i = 0; i < this.returnCount; i++) sum += this.returns[i] ?? 0;
    return sum / this.returnCount;
  }

  /** Recent env steps per second (NaN until measurable). */
  stepsPerSecond(): number {
    if (this.sampleCount < 2) return NaN;
    const newest = (this.sampleNext - 1 + RATE_SAMPLES) % RATE_SAMPLES;
    const oldest = this.sampleCount < RATE_SAMPLES ? 0 : this.sampleNext;
    const dt = ((this.sampleTime[newest] ?? 0) - (this.sampleTime[oldest] ?? 0)) / 1000;
    const ds = (this.sampleSteps[newest] ?? 0) - (this.sampleSteps[oldest] ?? 0);
    return dt > 0 ? ds / dt : NaN;
  }

  /** The plain status line for the current state (also what plain mode prints). */
  statusLine(): string {
    const now = this.options.now();
    const total = this.options.totalSteps;
    const pct = Math.min(100, (100 * this.steps) / total);
    const ret = this.recentMeanReturn();
    const parts = [
      `update ${this.update}`,
      `steps ${formatInt(this.steps)}/${formatInt(total)} (${pct.toFixed(1)}%)`,
      `${formatRate(this.stepsPerSecond())} steps/s`,
      `return ${Number.isFinite(ret) ? ret.toFixed(1) : "–"} (${this.returnCount} ep)`,
      `elapsed ${formatDuration((now - this.startTime) / 1000)}`,
      `ETA ${formatDuration(this.etaSeconds())}`,
    ];
    const line = parts.join(" | ");
    return this.options.label !== undefined ? `[${this.options.label}] ${line}` : line;
  }

  /** Stops the bar (restoring the cursor) or prints a final plain line. Idempotent. */
  stop(): void {
    if (this.stopped || !this.started) {
      this.stopped = true;
      return;
    }
    this.stopped = true;
    const now = this.options.now();
    this.addSample(now, this.steps);
    if (this.bar !== undefined) {
      this.bar.update(this.steps, this.payload(now));
      this.bar.render();
      this.bar.stop();
      this.bar = undefined;
    } else if (this.mode === "plain") {
      this.stream.write(`${this.statusLine()}\n`);
    }
  }

  private maybeDraw(updateDone: boolean): void {
    if (!this.started || this.stopped) return;
    const now = this.options.now();
    const last = this.sampleTime[(this.sampleNext - 1 + RATE_SAMPLES) % RATE_SAMPLES] ?? 0;
    if (now - last >= RATE_SAMPLE_MS) this.addSample(now, this.steps);
    if (this.mode === "bar" && this.bar !== undefined) {
      if (!updateDone && now - this.lastDraw < this.options.redrawIntervalMs) return;
      this.lastDraw = now;
      this.bar.update(this.steps, this.payload(now));
      this.bar.render();
    } else if (this.mode === "plain") {
      if (now - this.lastDraw < this.options.plainIntervalSeconds * 1000) return;
      this.lastDraw = now;
      this.stream.write(`${this.statusLine()}\n`);
    }
  }

  private addSample(time: number, steps: number): void {
    this.sampleTime[this.sampleNext] = time;
    this.sampleSteps[this.sampleNext] = steps;
    this.sampleNext = (this.sampleNext + 1) % RATE_SAMPLES;
    if (this.sampleCount < RATE_SAMPLES) this.sampleCount++;
  }

  private etaSeconds(): number {
    const rate = this.stepsPerSecond();
    const remaining = Math.max(0, this.options.totalSteps - this.steps);
    if (remaining === 0) return 0;
    return rate > 0 ? remaining / rate : NaN;
  }

  private payload(now: number): Record<string, string> {
    const ret = this.recentMeanReturn();
    return {
      steps: formatCompact(this.steps),
      totalSteps: formatCompact(this.options.totalSteps),
      rate: formatRate(this.stepsPerSecond()),
      update: String(this.update),
      ret: Number.isFinite(ret) ? `${ret.toFixed(1)} (${this.returnCount} ep)` : "–",
      elapsed: formatDuration((now - this.startTime) / 1000),
      remaining: formatDuration(this.etaSeconds()),
    };
  }
}

function resolveMode(mode: ProgressMode, stream: ProgressStream): "bar" | "plain" | "off" {
  if (mode !== "auto") return mode;
  const ci = process.env["CI"];
  const inCi = ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
  return stream.isTTY === true && !inCi ? "bar" : "plain";
}

function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return "–";
  return rate >= 10_000 ? formatCompact(rate) : Math.round(rate).toLocaleString("en-US");
}
