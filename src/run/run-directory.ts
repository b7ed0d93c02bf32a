/**
 * `RunDirectory`: the folder a training run leaves on disk.
 *
 *   run_dir/
 *     metrics.jsonl        one JSON object per PPO update (every key)      ← MetricsLog
 *     metrics.csv          same rows, columns fixed by the first row       ← MetricsLog
 *     learning_curve.svg   return vs env steps + PPO diagnostics           ← writeLearningCurve
 *     learning_curve.png   the same, rendered (when a renderer is present)
 *     summary.json         env steps, wall time, throughput, final eval    ← writeSummary
 *     checkpoints/         owned by the checkpoint code (path only here)
 *
 *   const run = await RunDirectory.create("runs/hopper", { resume: false });
 *   const metrics = run.openMetrics();
 *   metrics.append(row);
 *   await run.refreshLearningCurve(metrics.rows());           // throttled, for use every update
 *   await run.writeLearningCurve(metrics.rows());             // unconditionally, e.g. at the end
 *   await run.writeSummary({ env_steps, wall_seconds, final_eval });
 *   metrics.close();
 *
 *   // resume from a checkpoint taken after update 40
 *   const run = await RunDirectory.create("runs/hopper", { resume: true });
 *   const metrics = run.openMetrics({ fromUpdate: 40 });
 *
 * Every file other than the metrics logs is replaced atomically (`util/fs.ts`), so a crash or a
 * viewer reading mid-refresh never sees half a file. `create` removes temporary files that a
 * killed process left in the run directory (not in subfolders).
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { atomicWriteJson, removeStaleTmpFiles } from "../util/fs.js";
import {
  LEARNING_CURVE_PNG,
  LEARNING_CURVE_SVG,
  type WriteLearningCurveOptions,
  type WrittenLearningCurve,
  writeLearningCurve,
} from "./learning-curve.js";
import { MetricsLog } from "./metrics-log.js";
import { METRICS_CSV, METRICS_JSONL, type MetricsRow } from "./metrics-row.js";
import { type RunSummary, type RunSummaryInput, SUMMARY_JSON, makeSummary, readSummary } from "./summary.js";

export const CHECKPOINTS_DIR = "checkpoints";

/** Files this module writes; `overwrite` removes exactly these. */
const OWN_FILES = [METRICS_JSONL, METRICS_CSV, SUMMARY_JSON, LEARNING_CURVE_SVG, LEARNING_CURVE_PNG] as const;

export interface RunDirectoryOptions {
  /** Continue the run already in `dir` (true) or start a new one (false). */
  resume: boolean;
  /**
   * Starting a new run in a directory that holds one: remove its metrics, summary and plots
   * instead of failing. `checkpoints/` is left to the checkpoint code. Default false.
   */
  overwrite?: boolean;
  /** Run name in plot titles. Default: the directory's basename. */
  name?: string;
  /** Minimum seconds between `refreshLearningCurve` writes. Default 30. */
  plotIntervalSeconds?: number;
  /** Render `learning_curve.png` besides the SVG. Default true. */
  png?: boolean;
}

export interface OpenMetricsOptions {
  /** On resume: drop logged rows after this update (the restored checkpoint's update). */
  fromUpdate?: number;
  /** fsync each row. Default true. */
  fsync?: boolean;
}

export class RunDirectoryError extends Error {
  override readonly name = "RunDirectoryError";
}

export class RunDirectory {
  /** Absolute path of the run directory. */
  readonly dir: string;
  /** Run name used in titles. */
  readonly name: string;
  readonly resumed: boolean;
  private readonly plotIntervalMs: number;
  private readonly png: boolean;
  private lastPlot = -Infinity;
  private plotting: Promise<WrittenLearningCurve> | undefined;

  private constructor(dir: string, options: RunDirectoryOptions) {
    this.dir = dir;
    this.name = options.name ?? basename(dir);
    this.resumed = options.resume;
    this.plotIntervalMs = (options.plotIntervalSeconds ?? 30) * 1000;
    this.png = options.png ?? true;
  }

  /**
   * Creates (or, with `resume`, opens) the run directory. A new run refuses a directory that
   * already holds run files unless `overwrite`; a resumed run requires the directory to exist.
   */
  static async create(dir: string, options: RunDirectoryOptions): Promise<RunDirectory> {
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) {
      throw new RunDirectoryError(`run directory ${abs} exists and is not a directory`);
    }
    if (options.resume) {
      if (!existsSync(abs)) {
        throw new RunDirectoryError(`cannot resume: run directory ${abs} does not exist`);
      }
    } else {
      const existing = OWN_FILES.filter((name) => existsSync(join(abs, name)));
      if (existing.length > 0) {
        if (options.overwrite !== true) {
          throw new RunDirectoryError(
            `run directory ${abs} already holds a run (${existing.join(", ")}); ` +
              `expected an empty or new directory — continue it with --resume, start over with --overwrite, or pick another run_dir:=…`,
          );
        }
        for (const name of existing) rmSync(join(abs, name), { force: true });
      }
    }
    mkdirSync(abs, { recursive: true });
    removeStaleTmpFiles(abs);
    return new RunDirectory(abs, options);
  }

  /** Path of `names` inside the run directory. */
  path(...names: string[]): string {
    return join(this.dir, ...names);
  }

  /** Where checkpoints go (not created here). */
  get checkpointsDir(): string {
    return this.path(CHECKPOINTS_DIR);
  }

  /** Opens the metrics log: appending to the existing one on resume, a new one otherwise. */
  openMetrics(options: OpenMetricsOptions = {}): MetricsLog {
    return new MetricsLog(this.dir, {
      resume: this.resumed,
      overwrite: true, // `create` already refused or cleared an existing run
      ...(options.fromUpdate !== undefined ? { fromUpdate: options.fromUpdate } : {}),
      ...(options.fsync !== undefined ? { fsync: options.fsync } : {}),
    });
  }

  /** Validates and atomically writes `summary.json`; returns what was written. */
  async writeSummary(input: RunSummaryInput): Promise<RunSummary> {
    const summary = makeSummary(input);
    await atomicWriteJson(this.path(SUMMARY_JSON), summary);
    return summary;
  }

  /** The run's `summary.json`, or undefined if none was written yet. */
  readSummary(): RunSummary | undefined {
    const path = this.path(SUMMARY_JSON);
    return existsSync(path) ? readSummary(path) : undefined;
  }

  /** Atomically writes any JSON file into the run directory (e.g. the resolved config). */
  async writeJson(name: string, value: unknown): Promise<void> {
    await atomicWriteJson(this.path(name), value);
  }

  /** Writes `learning_curve.svg` (and `.png`) now; waits for a refresh already in progress. */
  async writeLearningCurve(
    rows: readonly MetricsRow[],
    options: Partial<WriteLearningCurveOptions> = {},
  ): Promise<WrittenLearningCurve> {
    if (this.plotting !== undefined) await this.plotting.catch(() => undefined);
    const task = writeLearningCurve(this.dir, rows, { title: this.name, png: this.png, ...options });
    this.plotting = task;
    try {
      return await task;
    } finally {
      if (this.plotting === task) this.plotting = undefined;
      this.lastPlot = performance.now();
    }
  }

  /**
   * Writes the learning curve if `plotIntervalSeconds` passed since the last write and no write
   * is in progress; otherwise does nothing and resolves to undefined. Cheap to call every update.
   */
  async refreshLearningCurve(rows: readonly MetricsRow[]): Promise<WrittenLearningCurve | undefined> {
    if (this.plotting !== undefined) return undefined;
    if (performance.now() - this.lastPlot < this.plotIntervalMs) return undefined;
    return this.writeLearningCurve(rows);
  }
}
