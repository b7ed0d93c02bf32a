/**
 * Learning curves of several runs on one figure (`locomote plot <run-dir>...`): each argument is
 * a group — one run directory, or a folder holding several (seeds) — drawn as the mean across
 * its runs with a ±1 std band, against env steps. Final deterministic evaluations (summary.json)
 * are drawn as dots at each run's last step.
 *
 *   const groups = [loadRunGroup("runs/walker2d_ppo"), loadRunGroup("runs/walker2d_trpo")];
 *   const svg = renderComparison(groups, { title: "walker2d" });
 *
 * Curves are smoothed per run (centred moving average, as the per-run figure), resampled on a
 * common grid of env steps by linear interpolation, and averaged where every run of the group
 * has data (a group's curve stops at its shortest run, so the mean never mixes seed counts).
 * The std is the population std (ddof 0), as the evaluation's.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { movingAverage } from "./learning-curve.js";
import { METRICS_CSV, METRICS_JSONL, type MetricsRow } from "./metrics-row.js";
import { readMetricsCsv, readMetricsJsonl } from "./read-metrics.js";
import { SUMMARY_JSON, readSummary } from "./summary.js";
import { type Band, PALETTE, type Series, renderPanel, svgDocument, svgText } from "./svg-plot.js";

export class PlotInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlotInputError";
  }
}

export interface RunCurve {
  dir: string;
  rows: MetricsRow[];
  /** Final deterministic evaluation, when the run finished. */
  finalEval?: { mean_return: number; std_return: number; env_steps: number };
}

export interface RunGroup {
  label: string;
  runs: RunCurve[];
}

function isRunDir(dir: string): boolean {
  return existsSync(join(dir, METRICS_JSONL)) || existsSync(join(dir, METRICS_CSV));
}

function readRun(dir: string): RunCurve {
  const jsonl = join(dir, METRICS_JSONL);
  const { rows } = existsSync(jsonl) ? readMetricsJsonl(jsonl) : readMetricsCsv(join(dir, METRICS_CSV));
  const run: RunCurve = { dir, rows };
  const summaryPath = join(dir, SUMMARY_JSON);
  if (existsSync(summaryPath)) {
    try {
      const s = readSummary(summaryPath);
      if (s.final_eval) run.finalEval = { mean_return: s.final_eval.mean_return, std_return: s.final_eval.std_return, env_steps: s.env_steps };
    } catch {
      // A malformed summary only loses the final-eval dot; the curve comes from the metrics.
    }
  }
  return run;
}

/** Run directories at or below `dir` (depth ≤ 3), sorted by path. */
function findRunDirs(dir: string, depth = 0): string[] {
  if (isRunDir(dir)) return [dir];
  if (depth >= 3) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const child = join(dir, name);
    if (statSync(child).isDirectory()) out.push(...findRunDirs(child, depth + 1));
  }
  return out;
}

/** The runs of one plot argument: a run directory or a folder of them. */
export function loadRunGroup(path: string, label?: string): RunGroup {
  const dir = resolve(path);
  if (!existsSync(dir)) throw new PlotInputError(`plot: ${path}: no such directory`);
  if (!statSync(dir).isDirectory()) throw new PlotInputError(`plot: ${path}: expected a run directory (with ${METRICS_JSONL}) or a folder of runs, got a file`);
  const dirs = findRunDirs(dir);
  if (dirs.length === 0) throw new PlotInputError(`plot: ${path}: holds no run (no ${METRICS_JSONL} or ${METRICS_CSV} in it or its subfolders)`);
  return { label: label ?? basename(dir), runs: dirs.map(readRun) };
}

export interface ComparisonOptions {
  title: string;
  /** Metric column on the y axis. Default "episode_return_mean". */
  metric?: string;
  /** Centred moving-average half-window per run, in updates; default about 1/40 of the run. */
  smooth?: number;
  width?: number;
  height?: number;
  /** Grid points of the common env-step axis. Default 300. */
  gridPoints?: number;
}

export interface GroupCurve {
  label: string;
  runs: number;
  x: number[];
  mean: number[];
  std: number[];
}

/** Linear interpolation of (xs, ys) at x; NaN outside [xs[0], xs[last]]. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  if (n === 0 || x < (xs[0] ?? NaN) || x > (xs[n - 1] ?? NaN)) return NaN;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? NaN) <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo] ?? NaN;
  const x1 = xs[hi] ?? NaN;
  const y0 = ys[lo] ?? NaN;
  const y1 = ys[hi] ?? NaN;
  return x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** A run's (env steps, smoothed metric) points, NaN rows dropped. */
function runPoints(run: RunCurve, metric: string, smooth: number | undefined): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const row of run.rows) {
    const sx = row["env_steps"] ?? NaN;
    const sy = row[metric] ?? NaN;
    if (Number.isFinite(sx) && Number.isFinite(sy)) {
      x.push(sx);
      y.push(sy);
    }
  }
  const half = smooth ?? (y.length < 20 ? 0 : Math.max(1, Math.floor(y.length / 40)));
  return { x, y: half > 0 ? movingAverage(y, half) : y };
}

/** Mean and std across a group's runs on a grid from 0 to the shortest run's last step. */
export function groupCurve(group: RunGroup, options: { metric?: string; smooth?: number; gridPoints?: number } = {}): GroupCurve {
  const metric = options.metric ?? "episode_return_mean";
  const points = group.runs.map((r) => runPoints(r, metric, options.smooth)).filter((p) => p.x.length > 0);
  const empty: GroupCurve = { label: group.label, runs: points.length, x: [], mean: [], std: [] };
  if (points.length === 0) return empty;
  const start = Math.max(...points.map((p) => p.x[0] ?? Infinity));
  const end = Math.min(...points.map((p) => p.x[p.x.length - 1] ?? -Infinity));
  if (!(end >= start)) return empty;
  const n = Math.max(2, options.gridPoints ?? 300);
  const curve: GroupCurve = { ...empty };
  for (let k = 0; k < n; k++) {
    const x = start + ((end - start) * k) / (n - 1);
    const values = points.map((p) => interpolate(p.x, p.y, x));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    curve.x.push(x);
    curve.mean.push(mean);
    curve.std.push(Math.sqrt(variance));
  }
  return curve;
}

/** SVG text of the comparison figure. */
export function renderComparison(groups: readonly RunGroup[], options: ComparisonOptions): string {
  const width = options.width ?? 1000;
  const height = options.height ?? 560;
  const metric = options.metric ?? "episode_return_mean";
  const series: Series[] = [];
  const bands: Band[] = [];
  const lines: { text: string; color: string }[] = [];
  groups.forEach((group, g) => {
    const color = PALETTE[g % PALETTE.length] ?? "#333333";
    const curve = groupCurve(group, { metric, ...(options.smooth !== undefined ? { smooth: options.smooth } : {}), ...(options.gridPoints !== undefined ? { gridPoints: options.gridPoints } : {}) });
    const evals = group.runs.flatMap((r) => (r.finalEval ? [r.finalEval] : []));
    const seeds = `${curve.runs} run${curve.runs === 1 ? "" : "s"}`;
    series.push({ key: `${group.label}/mean`, label: `${group.label} (${seeds})`, x: curve.x, y: curve.mean, color, strokeWidth: 2.2 });
    if (curve.runs > 1) {
      bands.push({ key: `${group.label}/std`, x: curve.x, lo: curve.mean.map((m, i) => m - (curve.std[i] ?? 0)), hi: curve.mean.map((m, i) => m + (curve.std[i] ?? 0)), color });
    }
    if (metric === "episode_return_mean" && evals.length > 0) {
      // Dots: one point per run, NaN between them so each is drawn alone.
      const ex: number[] = [];
      const ey: number[] = [];
      for (const e of evals) ex.push(e.env_steps, NaN), ey.push(e.mean_return, NaN);
      series.push({ key: `${group.label}/final_eval`, label: "", x: ex, y: ey, color, strokeWidth: 7, hideInLegend: true });
      const mean = evals.reduce((a, e) => a + e.mean_return, 0) / evals.length;
      const std = Math.sqrt(evals.reduce((a, e) => a + (e.mean_return - mean) ** 2, 0) / evals.length);
      const each = evals.map((e) => e.mean_return.toFixed(0)).join(" / ");
      const summary = evals.length > 1 ? ` (mean ${mean.toFixed(0)} ± ${std.toFixed(0)})` : "";
      lines.push({ text: `${group.label}: final deterministic eval ${each}${summary}`, color });
    }
  });
  const header = 56 + lines.length * 18;
  const body: string[] = [svgText(16, 30, options.title, { size: 20, weight: "bold" })];
  const note = metric === "episode_return_mean"
    ? "training episode return, mean ± std across runs (band); dots: final deterministic evaluation per run"
    : `${metric}, mean ± std across runs (band)`;
  body.push(svgText(16, 50, note, { size: 12, fill: "#555555" }));
  lines.forEach((line, i) => body.push(svgText(16, 68 + i * 18, line.text, { size: 12, fill: line.color })));
  body.push(renderPanel(
    { title: metric === "episode_return_mean" ? "Episode return" : metric, xLabel: "env steps", yLabel: metric === "episode_return_mean" ? "return" : metric, series, bands, xInclude: 0, legend: true },
    { x: 16, y: header, width: width - 32, height: height - header - 12 },
    "cmp",
  ));
  return svgDocument({ width, height, title: options.title }, body.join("\n"));
}
