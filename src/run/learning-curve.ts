/**
 * The learning-curve figure of a run: mean episode return against env steps (large, with a
 * centred moving average over the faint per-update values, and the periodic deterministic
 * evaluations — `eval_return_mean` ± `eval_return_std` — as a line through their points over a
 * shaded band, when the run logged them), then small multiples of the PPO
 * diagnostics (episode length, approx KL, clip fraction, entropy, losses, explained variance,
 * throughput, log std, per-term rewards). Panels whose metric was never logged are left out.
 *
 *   const svg = renderLearningCurve(rows, { title: "hopper_ppo" });
 *   await writeLearningCurve(runDir, rows, { title: "hopper_ppo" });
 *   // → learning_curve.svg and learning_curve.png, each replaced atomically
 *
 * Both files are replaced atomically, so a viewer refreshing them during training never reads a
 * half-written file. The PNG is skipped (with the reason returned) when no SVG renderer is
 * available on the platform.
 */
import { join } from "node:path";
import { atomicWriteFile } from "../util/fs.js";
import { formatCompact, formatDuration } from "./format.js";
import type { MetricsRow } from "./metrics-row.js";
import {
  type Band,
  type Box,
  type PanelSpec,
  PALETTE,
  type Series,
  renderPanel,
  svgDocument,
  svgText,
} from "./svg-plot.js";
import { pngUnavailableReason, svgToPng } from "./svg-to-png.js";

export const LEARNING_CURVE_SVG = "learning_curve.svg";
export const LEARNING_CURVE_PNG = "learning_curve.png";

export interface LearningCurveOptions {
  /** Run name, shown in the figure title. */
  title: string;
  /** Figure width in px. Default 1200. */
  width?: number;
  /** Small-multiple columns. Default 3. */
  columns?: number;
  /** x axis column. Default "env_steps". */
  xKey?: string;
}

/** A small-multiple panel: one metric, or several sharing an axis (`keys`). */
interface PanelDef {
  title: string;
  keys: string[];
  labels?: string[];
  scale?: "linear" | "log" | "auto";
}

const SMALL_PANELS: readonly PanelDef[] = [
  { title: "Episode length (mean)", keys: ["episode_length_mean"] },
  { title: "Approx KL", keys: ["approx_kl"], scale: "auto" },
  { title: "Clip fraction", keys: ["clip_fraction"] },
  { title: "Entropy", keys: ["entropy"] },
  { title: "Policy loss", keys: ["policy_loss"] },
  { title: "Value loss", keys: ["value_loss"], scale: "auto" },
  { title: "Explained variance", keys: ["explained_variance"] },
  { title: "Log std (mean)", keys: ["log_std_mean"] },
  { title: "Env steps / s", keys: ["env_steps_per_second"] },
  { title: "Learning rate", keys: ["learning_rate"] },
];

const REWARD_TERM_PREFIX = "reward_";

/** Columns of the periodic deterministic evaluation (src/rl/trainer.ts; NaN on rows without one). */
const EVAL_RETURN_MEAN = "eval_return_mean";
const EVAL_RETURN_STD = "eval_return_std";
const EVAL_COLOR = "#d62728";

const LAYOUT = {
  header: 72,
  mainHeight: 340,
  smallHeight: 230,
  gap: 10,
  sidePad: 16,
  bottomPad: 12,
} as const;

/** Column `key` of `rows` as numbers (missing → NaN). */
function column(rows: readonly MetricsRow[], key: string): number[] {
  return rows.map((row) => row[key] ?? NaN);
}

function hasData(values: readonly number[]): boolean {
  return values.some((v) => Number.isFinite(v));
}

/**
 * Centred moving average over `2·half + 1` values (fewer at the ends), by prefix sums. Centred
 * rather than exponential so the smoothed line does not lag the raw one.
 */
export function movingAverage(values: readonly number[], half: number): number[] {
  const prefix = new Float64Array(values.length + 1);
  values.forEach((v, i) => {
    prefix[i + 1] = (prefix[i] ?? 0) + v;
  });
  return values.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(values.length, i + half + 1);
    return ((prefix[hi] ?? 0) - (prefix[lo] ?? 0)) / (hi - lo);
  });
}

/** Half-window of about 1/40 of the run, so the trend shows at any run length; 0 = no smoothing. */
function smoothingHalfWindow(count: number): number {
  return count < 20 ? 0 : Math.max(1, Math.floor(count / 40));
}

/**
 * How jagged a series is: mean distance of each point from the midpoint of its neighbours,
 * relative to the series' range. ~0 for schedules and smooth decays, ~0.3 for white noise.
 */
function roughness(values: readonly number[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (let i = 1; i + 1 < values.length; i++) {
    const v = values[i] ?? 0;
    sum += Math.abs(v - ((values[i - 1] ?? 0) + (values[i + 1] ?? 0)) / 2);
  }
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi > lo && values.length > 2 ? sum / (values.length - 2) / (hi - lo) : 0;
}

/**
 * The series as drawn. Short or smooth series are drawn alone; long jagged ones (and, with
 * `always`, any long one) are drawn faint (raw values, NaN as gaps) under a moving average that
 * bridges NaN. The smoothed line is keyed `<key>_smoothed` and takes the legend entry, unless
 * `labelRaw` keeps an entry for each.
 */
function withSmoothing(series: Series, options: { labelRaw?: boolean; always?: boolean } = {}): Series[] {
  const finite = series.y.flatMap((v, i) => (Number.isFinite(v) ? [i] : []));
  const finiteY = finite.map((i) => series.y[i] ?? NaN);
  const half = smoothingHalfWindow(finite.length);
  if (half === 0 || (options.always !== true && roughness(finiteY) < 0.02)) return [series];
  const labelRaw = options.labelRaw === true;
  return [
    { ...series, strokeWidth: 1.2, opacity: 0.3, hideInLegend: !labelRaw },
    {
      key: `${series.key}_smoothed`,
      label: labelRaw ? `moving average (${2 * half + 1} updates)` : series.label,
      x: finite.map((i) => series.x[i] ?? NaN),
      y: movingAverage(finiteY, half),
      color: series.color,
      strokeWidth: labelRaw ? 2.4 : 1.8,
    },
  ];
}

/** Log axis when a positive metric spans more than two decades (value loss, KL). */
function chooseScale(def: PanelDef, values: readonly number[]): "linear" | "log" {
  if (def.scale === "log") return "log";
  if (def.scale !== "auto") return "linear";
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2 || finite.some((v) => v <= 0)) return "linear";
  return Math.max(...finite) / Math.min(...finite) > 100 ? "log" : "linear";
}

function lastFinite(values: readonly number[]): number {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i] ?? NaN;
    if (Number.isFinite(v)) return v;
  }
  return NaN;
}

/** One-line run status under the title. */
function subtitle(rows: readonly MetricsRow[]): string {
  const last = rows[rows.length - 1];
  if (last === undefined) return "no updates logged yet";
  const parts = [
    `update ${last["update"] ?? "?"}`,
    `${formatCompact(last["env_steps"] ?? NaN)} env steps`,
    `wall ${formatDuration(last["wall_seconds"] ?? NaN)}`,
    `${formatCompact(last["env_steps_per_second"] ?? NaN)} steps/s`,
    `last mean return ${formatCompact(lastFinite(column(rows, "episode_return_mean")))}`,
    `best ${formatCompact(Math.max(...column(rows, "episode_return_mean").filter((v) => Number.isFinite(v))))}`,
  ];
  const lastEval = lastFinite(column(rows, EVAL_RETURN_MEAN));
  if (Number.isFinite(lastEval)) parts.push(`last eval ${formatCompact(lastEval)}`);
  return parts.join("  ·  ");
}

function buildPanels(rows: readonly MetricsRow[], xKey: string): { main: PanelSpec; small: PanelSpec[] } {
  const x = column(rows, xKey);
  const xLabel = xKey === "env_steps" ? "env steps" : xKey;
  const returns = column(rows, "episode_return_mean");
  const mainSeries = withSmoothing(
    { key: "episode_return_mean", label: "per update", x, y: returns, color: PALETTE[0], strokeWidth: 2 },
    { labelRaw: true, always: true },
  );
  // Periodic deterministic evaluations: only the rows that hold one, joined point to point.
  const evalRows = rows.filter((row) => Number.isFinite(row[EVAL_RETURN_MEAN] ?? NaN));
  const bands: Band[] = [];
  if (evalRows.length > 0) {
    const ex = column(evalRows, xKey);
    const mean = column(evalRows, EVAL_RETURN_MEAN);
    const std = column(evalRows, EVAL_RETURN_STD).map((v) => (Number.isFinite(v) ? v : 0));
    mainSeries.push({ key: EVAL_RETURN_MEAN, label: "deterministic eval (mean ± std)", x: ex, y: mean, color: EVAL_COLOR, strokeWidth: 2.2 });
    bands.push({ key: "eval_return_band", x: ex, lo: mean.map((m, i) => m - (std[i] ?? 0)), hi: mean.map((m, i) => m + (std[i] ?? 0)), color: EVAL_COLOR });
  }
  const main: PanelSpec = {
    title: "Mean episode return",
    xLabel,
    yLabel: "return",
    series: mainSeries,
    ...(bands.length > 0 ? { bands } : {}),
    xInclude: 0,
  };

  const small: PanelSpec[] = [];
  for (const def of SMALL_PANELS) {
    const color = PALETTE[(small.length + 1) % PALETTE.length] ?? "#333333";
    const series = def.keys.flatMap((key, i) =>
      withSmoothing({ key, label: def.labels?.[i] ?? key, x, y: column(rows, key), color }),
    );
    if (!series.some((s) => hasData(s.y))) continue;
    small.push({
      title: def.title,
      xLabel,
      series,
      yScale: chooseScale(def, series.flatMap((s) => s.y)),
      xInclude: 0,
    });
  }

  const rewardKeys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (key.startsWith(REWARD_TERM_PREFIX)) rewardKeys.add(key);
  const rewardSeries: Series[] = [...rewardKeys].flatMap((key, i) =>
    withSmoothing({
      key,
      label: key.slice(REWARD_TERM_PREFIX.length),
      x,
      y: column(rows, key),
      color: PALETTE[i % PALETTE.length] ?? "#333333",
    }),
  );
  if (rewardSeries.some((s) => hasData(s.y))) {
    small.push({ title: "Reward terms", xLabel, series: rewardSeries, legend: true, xInclude: 0 });
  }
  return { main, small };
}

/** The learning-curve figure of `rows` as SVG text. */
export function renderLearningCurve(rows: readonly MetricsRow[], options: LearningCurveOptions): string {
  const width = options.width ?? 1200;
  const columns = Math.max(1, options.columns ?? 3);
  const { main, small } = buildPanels(rows, options.xKey ?? "env_steps");
  const smallRows = Math.ceil(small.length / columns);
  const height =
    LAYOUT.header + LAYOUT.mainHeight + smallRows * (LAYOUT.smallHeight + LAYOUT.gap) + LAYOUT.bottomPad;
  const title = `${options.title} — learning curve`;

  const body: string[] = [];
  body.push(svgText(LAYOUT.sidePad, 30, title, { size: 20, weight: "bold" }));
  body.push(svgText(LAYOUT.sidePad, 54, subtitle(rows), { size: 13, fill: "#555555" }));

  const innerWidth = width - 2 * LAYOUT.sidePad;
  const mainBox: Box = { x: LAYOUT.sidePad, y: LAYOUT.header, width: innerWidth, height: LAYOUT.mainHeight };
  body.push(renderPanel(main, mainBox, "main"));

  const cellWidth = (innerWidth - (columns - 1) * LAYOUT.gap) / columns;
  small.forEach((spec, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const box: Box = {
      x: LAYOUT.sidePad + col * (cellWidth + LAYOUT.gap),
      y: LAYOUT.header + LAYOUT.mainHeight + LAYOUT.gap + row * (LAYOUT.smallHeight + LAYOUT.gap),
      width: cellWidth,
      height: LAYOUT.smallHeight,
    };
    body.push(renderPanel(spec, box, `p${i}`));
  });
  return svgDocument({ width, height, title }, body.join("\n"));
}

export interface WrittenLearningCurve {
  svgPath: string;
  /** Undefined when PNG output is unavailable (see `pngSkipped`) or disabled. */
  pngPath?: string;
  pngSkipped?: string;
}

export interface WriteLearningCurveOptions extends LearningCurveOptions {
  /** Also write a PNG. Default true. */
  png?: boolean;
}

/** Writes `learning_curve.svg` (and `.png`) into `dir`, each atomically. */
export async function writeLearningCurve(
  dir: string,
  rows: readonly MetricsRow[],
  options: WriteLearningCurveOptions,
): Promise<WrittenLearningCurve> {
  const svg = renderLearningCurve(rows, options);
  const svgPath = join(dir, LEARNING_CURVE_SVG);
  await atomicWriteFile(svgPath, svg);
  if (options.png === false) return { svgPath, pngSkipped: "disabled" };
  const png = await svgToPng(svg);
  if (png === undefined) return { svgPath, pngSkipped: pngUnavailableReason() ?? "no PNG renderer" };
  const pngPath = join(dir, LEARNING_CURVE_PNG);
  await atomicWriteFile(pngPath, png);
  return { svgPath, pngPath };
}
