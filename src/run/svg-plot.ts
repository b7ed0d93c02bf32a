/**
 * A small SVG line-plot renderer: nice axis ticks, gridlines, polyline series with gaps, legends,
 * linear or log y axes, laid out as panels of a figure. No DOM or browser; output is plain SVG
 * text that resvg, browsers and XML parsers accept.
 *
 *   const body = renderPanel(
 *     { title: "Episode return", xLabel: "env steps", series: [{ key: "ret", label: "mean", x, y, color: PALETTE[0] }] },
 *     { x: 0, y: 0, width: 600, height: 300 },
 *     "p0",
 *   );
 *   const svg = svgDocument({ width: 600, height: 300, title: "demo" }, body);
 *
 * Each series becomes `<path class="series" data-key="...">`, so tests and tools can find it.
 * NaN (and, on a log axis, values ≤ 0) break a line instead of being drawn. Long series are
 * decimated to at most about two points per horizontal pixel, keeping each bucket's min and max
 * so spikes stay visible.
 */
import { trimZeros } from "./format.js";

/** Tableau 10: distinguishable, colour-blind tolerant line colours. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
] as const;

export const FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif";

export interface Series {
  /** Stable identifier, emitted as `data-key`. */
  key: string;
  /** Legend text. */
  label: string;
  x: readonly number[];
  y: readonly number[];
  color: string;
  /** Line width in px. Default 1.8. */
  strokeWidth?: number;
  /** Line opacity 0..1. Default 1. */
  opacity?: number;
  /** Omit from the legend (e.g. the raw line under a smoothed one). */
  hideInLegend?: boolean;
}

/** A shaded region between `lo` and `hi` (e.g. mean ± std across seeds); NaN breaks it. */
export interface Band {
  key: string;
  x: readonly number[];
  lo: readonly number[];
  hi: readonly number[];
  color: string;
  /** Fill opacity 0..1. Default 0.18. */
  opacity?: number;
}

export interface PanelSpec {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: Series[];
  /** Shaded regions drawn under the series. */
  bands?: Band[];
  /** Default "linear". A log axis drops values ≤ 0. */
  yScale?: "linear" | "log";
  /** Force the x range to include this value (e.g. 0 env steps). */
  xInclude?: number;
  /** Draw a legend box. Default: when more than one series is visible in it. */
  legend?: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Ticks {
  /** Axis range (covers the data; for linear axes, a multiple of `step`). */
  min: number;
  max: number;
  /** Tick spacing (linear) or 0 for log axes. */
  step: number;
  values: number[];
}

// ---------------------------------------------------------------------------------------------
// Ticks and number formatting

/** 1, 2 or 5 times a power of ten, nearest to `x` on a log scale. */
function niceStep(x: number): number {
  const exponent = Math.floor(Math.log10(x));
  const fraction = x / 10 ** exponent;
  const nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** The next smaller 1/2/5×10^k step. */
function smallerStep(step: number): number {
  const exponent = Math.floor(Math.log10(step) + 1e-9);
  const lead = Math.round(step / 10 ** exponent);
  return lead === 1 ? 0.5 * 10 ** exponent : lead === 2 ? 10 ** exponent : 2 * 10 ** exponent;
}

/**
 * Linear ticks at 1/2/5×10^k spacing inside the axis range [min, max], about `target` of them
 * and never fewer than two. The range is the caller's (data plus margin), as in matplotlib, so
 * no space is wasted rounding the axis out to the next tick.
 */
export function niceTicks(min: number, max: number, target = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceTicks(0, 1, target);
  if (min > max) [min, max] = [max, min];
  if (isFlat(min, max)) {
    const mid = (min + max) / 2;
    const pad = mid === 0 ? 1 : Math.abs(mid) * 0.05;
    min = mid - pad;
    max = mid + pad;
  }
  let step = niceStep((max - min) / Math.max(1, target));
  let values = ticksInside(min, max, step);
  while (values.length < 2 && step > 0) {
    step = smallerStep(step);
    values = ticksInside(min, max, step);
  }
  return { min, max, step, values };
}

/**
 * True when [min, max] is too narrow to subdivide in float64 (e.g. a constant learning rate
 * after EMA rounding noise): tick indices near 2^53 would stop incrementing.
 */
function isFlat(min: number, max: number): boolean {
  return max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max), Number.MIN_VALUE);
}

function ticksInside(min: number, max: number, step: number): number[] {
  const eps = step * 1e-9;
  const first = Math.ceil((min - eps) / step);
  const last = Math.floor((max + eps) / step);
  const values: number[] = [];
  // The cap only guards against a pathological range; real axes have a handful of ticks.
  for (let i = first; i <= last && values.length < 1000; i++) values.push(cleanFloat(i * step, step));
  return values;
}

/**
 * Log ticks inside [min, max] (both > 0): powers of ten, thinned to at most seven; with fewer
 * than two powers inside, 1/2/5 × 10^k; failing that, every integer multiple.
 */
export function logTicks(min: number, max: number): Ticks {
  if (!(min > 0) || !(max > min)) return logTicks(1, 10);
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const inside = (mantissas: readonly number[]): number[] => {
    const out: number[] = [];
    for (let e = lo; e <= hi; e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  let values = inside([1]);
  if (values.length > 7) {
    const stride = Math.ceil(values.length / 7);
    values = values.filter((_, i) => i % stride === 0);
  }
  if (values.length < 2) values = inside([1, 2, 5]);
  if (values.length < 2) values = inside([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return { min, max, step: 0, values };
}

/** Removes float noise such as 0.30000000000000004 relative to the tick step. */
function cleanFloat(value: number, step: number): number {
  const decimals = Math.max(0, Math.min(15, -Math.floor(Math.log10(step)) + 1));
  return Number(value.toFixed(decimals));
}

const SI = [
  { value: 1e9, suffix: "G" },
  { value: 1e6, suffix: "M" },
  { value: 1e3, suffix: "k" },
] as const;

/** Tick label for `value` on an axis whose ticks are `step` apart and reach `maxAbs`. */
export function formatTick(value: number, step: number, maxAbs: number): string {
  if (value === 0) return "0";
  if (step === 0) return formatLogTick(value);
  if (maxAbs >= 1e4) {
    const unit = SI.find((u) => maxAbs >= u.value) ?? SI[SI.length - 1];
    if (unit !== undefined) {
      const decimals = Math.max(0, -Math.floor(Math.log10(step / unit.value) + 1e-9));
      return `${trimZeros((value / unit.value).toFixed(decimals))}${unit.suffix}`;
    }
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  // Up to 0.0001 reads fine; below that, "1.5e-5" beats "0.000015".
  if (decimals > 4) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(value)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
    return compactExponent(value.toExponential(Math.min(digits, 6)));
  }
  return value.toFixed(decimals);
}

function formatLogTick(value: number): string {
  const exponent = Math.log10(value);
  if (exponent >= -3 && exponent < 5) return trimZeros(value.toFixed(Math.max(0, -Math.floor(exponent + 1e-9))));
  return compactExponent(value.toExponential(0));
}

/** "2.50e-4" → "2.5e-4", "1e+6" → "1e6". */
function compactExponent(text: string): string {
  const [mantissa = text, exponent = ""] = text.split("e");
  return `${trimZeros(mantissa)}e${exponent.replace("+", "")}`;
}

// ---------------------------------------------------------------------------------------------
// SVG text

export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** Coordinates to one decimal: sub-pixel precision with short output. */
function c(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Rough text width for layout (DejaVu Sans averages ~0.6 em per character). */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

interface TextOptions {
  size: number;
  anchor?: "start" | "middle" | "end";
  weight?: "normal" | "bold";
  fill?: string;
  rotate?: number;
  baseline?: "middle" | "auto";
}

export function svgText(x: number, y: number, text: string, options: TextOptions): string {
  const attrs = [`x="${c(x)}"`, `y="${c(y)}"`, `font-size="${options.size}"`];
  if (options.anchor !== undefined && options.anchor !== "start") attrs.push(`text-anchor="${options.anchor}"`);
  if (options.weight === "bold") attrs.push(`font-weight="bold"`);
  if (options.fill !== undefined) attrs.push(`fill="${options.fill}"`);
  // dy rather than dominant-baseline: every renderer (resvg included) honours it.
  if (options.baseline === "middle") attrs.push(`dy="0.35em"`);
  if (options.rotate !== undefined) attrs.push(`transform="rotate(${options.rotate} ${c(x)} ${c(y)})"`);
  return `<text ${attrs.join(" ")}>${escapeXml(text)}</text>`;
}

export interface DocumentOptions {
  width: number;
  height: number;
  /** Document title (`<title>`), shown by viewers as a tooltip/tab name. */
  title: string;
}

export function svgDocument(options: DocumentOptions, body: string): string {
  const { width, height } = options;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
      ` font-family="${escapeXml(FONT_FAMILY)}" fill="#222">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    body,
    `</svg>`,
    ``,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Panels

const PANEL_MARGIN = { left: 62, right: 14, top: 28, bottom: 42 } as const;
const TICK_FONT = 11;
const LABEL_FONT = 12;
const PANEL_TITLE_FONT = 14;

/** Finite extent of `values` (for the y axis of a log panel, positive values only). */
function extent(values: Iterable<number>, positiveOnly: boolean): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function* finiteValues(series: readonly Series[], axis: "x" | "y"): Generator<number> {
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    const arr = axis === "x" ? s.x : s.y;
    for (let i = 0; i < n; i++) {
      const x = s.x[i] ?? NaN;
      const y = s.y[i] ?? NaN;
      if (Number.isFinite(x) && Number.isFinite(y)) yield arr[i] ?? NaN;
    }
  }
}

/**
 * Indices to draw for a series of `n` points on `pixels` horizontal pixels: all of them when
 * few, else per bucket the first, min, max and last index (in order), so the shape and the
 * extremes survive.
 */
export function decimate(y: readonly number[], pixels: number): number[] {
  const n = y.length;
  const maxBuckets = Math.max(1, Math.floor(pixels / 2));
  if (n <= maxBuckets * 4) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let b = 0; b < maxBuckets; b++) {
    const start = Math.floor((b * n) / maxBuckets);
    const end = Math.floor(((b + 1) * n) / maxBuckets);
    if (end <= start) continue;
    let minI = start;
    let maxI = start;
    for (let i = start; i < end; i++) {
      const v = y[i] ?? NaN;
      if (!Number.isFinite(v)) continue;
      if (!Number.isFinite(y[minI] ?? NaN) || v < (y[minI] ?? NaN)) minI = i;
      if (!Number.isFinite(y[maxI] ?? NaN) || v > (y[maxI] ?? NaN)) maxI = i;
    }
    const picks = [start, minI, maxI, end - 1].sort((a, b2) => a - b2);
    for (const i of picks) if (out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** Widens [lo, hi] by 5% per side (in log space for log axes) so lines do not touch the frame. */
function padRange(lo: number, hi: number, log: boolean): [number, number] {
  if (log) {
    if (lo === hi) return [lo / 2, hi * 2];
    const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (isFlat(lo, hi)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Draws one panel (frame, grid, ticks, labels, series, legend) inside `box`. */
export function renderPanel(spec: PanelSpec, box: Box, id: string): string {
  const log = spec.yScale === "log";
  const plot: Box = {
    x: box.x + PANEL_MARGIN.left,
    y: box.y + PANEL_MARGIN.top,
    width: Math.max(10, box.width - PANEL_MARGIN.left - PANEL_MARGIN.right),
    height: Math.max(10, box.height - PANEL_MARGIN.top - PANEL_MARGIN.bottom),
  };
  const out: string[] = [`<g class="panel" data-title="${escapeXml(spec.title)}">`];
  out.push(svgText(plot.x, box.y + 18, spec.title, { size: PANEL_TITLE_FONT, weight: "bold" }));

  const bandSeries = (spec.bands ?? []).flatMap((b): Series[] => [
    { key: b.key, label: "", x: b.x, y: b.lo, color: b.color },
    { key: b.key, label: "", x: b.x, y: b.hi, color: b.color },
  ]);
  const xs = extent(finiteValues([...spec.series, ...bandSeries], "x"), false);
  const ys = extent(finiteValues([...spec.series, ...bandSeries], "y"), log);
  if (xs === undefined || ys === undefined) {
    out.push(`<rect x="${c(plot.x)}" y="${c(plot.y)}" width="${c(plot.width)}" height="${c(plot.height)}"` +
      ` fill="#fafafa" stroke="#bbbbbb"/>`);
    out.push(svgText(plot.x + plot.width / 2, plot.y + plot.height / 2, "no data yet", {
      size: LABEL_FONT, anchor: "middle", fill: "#888888", baseline: "middle",
    }));
    out.push(`</g>`);
    return out.join("\n");
  }
  const xLo = spec.xInclude !== undefined ? Math.min(xs[0], spec.xInclude) : xs[0];
  const xHi = spec.xInclude !== undefined ? Math.max(xs[1], spec.xInclude) : xs[1];
  const xTicks = niceTicks(xLo, xHi, Math.max(2, Math.round(plot.width / 110)));
  const [yLo, yHi] = padRange(ys[0], ys[1], log);
  const yTicks = log ? logTicks(yLo, yHi) : niceTicks(yLo, yHi, Math.max(2, Math.round(plot.height / 45)));

  const sx = (x: number): number => plot.x + ((x - xTicks.min) / (xTicks.max - xTicks.min)) * plot.width;
  const sy = log
    ? (y: number): number =>
        plot.y + plot.height -
        ((Math.log10(y) - Math.log10(yTicks.min)) / (Math.log10(yTicks.max) - Math.log10(yTicks.min))) * plot.height
    : (y: number): number => plot.y + plot.height - ((y - yTicks.min) / (yTicks.max - yTicks.min)) * plot.height;

  // Background, grid and tick labels.
  out.push(`<rect x="${c(plot.x)}" y="${c(plot.y)}" width="${c(plot.width)}" height="${c(plot.height)}" fill="#fafafa"/>`);
  const grid: string[] = [];
  const labels: string[] = [];
  const xMaxAbs = Math.max(Math.abs(xTicks.min), Math.abs(xTicks.max));
  for (const t of xTicks.values) {
    const px = sx(t);
    grid.push(`M${c(px)} ${c(plot.y)}V${c(plot.y + plot.height)}`);
    labels.push(svgText(px, plot.y + plot.height + 15, formatTick(t, xTicks.step, xMaxAbs), {
      size: TICK_FONT, anchor: "middle", fill: "#444444",
    }));
  }
  const yMaxAbs = Math.max(Math.abs(yTicks.min), Math.abs(yTicks.max));
  for (const t of yTicks.values) {
    const py = sy(t);
    grid.push(`M${c(plot.x)} ${c(py)}H${c(plot.x + plot.width)}`);
    labels.push(svgText(plot.x - 6, py, formatTick(t, yTicks.step, yMaxAbs), {
      size: TICK_FONT, anchor: "end", fill: "#444444", baseline: "middle",
    }));
  }
  out.push(`<path class="grid" d="${grid.join("")}" stroke="#dddddd" stroke-width="1" fill="none"/>`);
  if (!log && yTicks.min < 0 && yTicks.max > 0) {
    out.push(`<path class="zero" d="M${c(plot.x)} ${c(sy(0))}H${c(plot.x + plot.width)}" stroke="#999999"` +
      ` stroke-width="1" fill="none"/>`);
  }
  out.push(...labels);
  out.push(`<rect x="${c(plot.x)}" y="${c(plot.y)}" width="${c(plot.width)}" height="${c(plot.height)}"` +
    ` fill="none" stroke="#888888" stroke-width="1"/>`);

  // Axis labels.
  out.push(svgText(plot.x + plot.width / 2, plot.y + plot.height + 33, spec.xLabel, {
    size: LABEL_FONT, anchor: "middle", fill: "#333333",
  }));
  if (spec.yLabel !== undefined) {
    out.push(svgText(box.x + 13, plot.y + plot.height / 2, spec.yLabel, {
      size: LABEL_FONT, anchor: "middle", fill: "#333333", rotate: -90,
    }));
  }

  // Series, clipped to the plot area.
  out.push(`<clipPath id="${id}-clip"><rect x="${c(plot.x)}" y="${c(plot.y)}" width="${c(plot.width)}"` +
    ` height="${c(plot.height)}"/></clipPath>`);
  out.push(`<g clip-path="url(#${id}-clip)">`);
  const drawn: number[] = []; // pixel x, y pairs of every drawn point, for legend placement
  for (const b of spec.bands ?? []) {
    const d = bandPath(b, sx, sy, log);
    if (d === "") continue;
    out.push(`<path class="band" data-key="${escapeXml(b.key)}" d="${d}" fill="${b.color}"` +
      ` fill-opacity="${b.opacity ?? 0.18}" stroke="none"/>`);
  }
  for (const s of spec.series) {
    const d = seriesPath(s, sx, sy, log, plot.width, drawn);
    const width = s.strokeWidth ?? 1.8;
    const opacity = s.opacity !== undefined && s.opacity < 1 ? ` stroke-opacity="${s.opacity}"` : "";
    out.push(`<path class="series" data-key="${escapeXml(s.key)}" d="${d}" stroke="${s.color}"` +
      ` stroke-width="${width}"${opacity} fill="none" stroke-linejoin="round" stroke-linecap="round"/>`);
  }
  out.push(`</g>`);

  const legendSeries = spec.series.filter((s) => s.hideInLegend !== true);
  if (spec.legend ?? legendSeries.length > 1) out.push(renderLegend(legendSeries, plot, drawn));
  out.push(`</g>`);
  return out.join("\n");
}

/** Path data for a series: `M` starts a segment after each gap; a lone point becomes a dot. */
function seriesPath(
  s: Series,
  sx: (x: number) => number,
  sy: (y: number) => number,
  log: boolean,
  pixels: number,
  drawn: number[],
): string {
  const parts: string[] = [];
  let penDown = false;
  let segmentLength = 0;
  for (const i of decimate(s.y, pixels)) {
    const x = s.x[i] ?? NaN;
    const y = s.y[i] ?? NaN;
    if (!Number.isFinite(x) || !Number.isFinite(y) || (log && y <= 0)) {
      if (segmentLength === 1) parts.push("h0.01");
      penDown = false;
      segmentLength = 0;
      continue;
    }
    const px = sx(x);
    const py = sy(y);
    drawn.push(px, py);
    parts.push(`${penDown ? "L" : "M"}${c(px)} ${c(py)}`);
    penDown = true;
    segmentLength += 1;
  }
  if (segmentLength === 1) parts.push("h0.01");
  return parts.join("");
}

/** Closed outline(s) of a band: along `hi`, back along `lo`, one per run of finite points. */
function bandPath(b: Band, sx: (x: number) => number, sy: (y: number) => number, log: boolean): string {
  const n = Math.min(b.x.length, b.lo.length, b.hi.length);
  const parts: string[] = [];
  let segment: number[] = [];
  const flush = (): void => {
    if (segment.length >= 2) {
      const top = segment.map((i, k) => `${k === 0 ? "M" : "L"}${c(sx(b.x[i] ?? 0))} ${c(sy(b.hi[i] ?? 0))}`);
      const bottom = [...segment].reverse().map((i) => `L${c(sx(b.x[i] ?? 0))} ${c(sy(b.lo[i] ?? 0))}`);
      parts.push(`${top.join("")}${bottom.join("")}Z`);
    }
    segment = [];
  };
  for (let i = 0; i < n; i++) {
    const x = b.x[i] ?? NaN;
    const lo = b.lo[i] ?? NaN;
    const hi = b.hi[i] ?? NaN;
    if (!Number.isFinite(x) || !Number.isFinite(lo) || !Number.isFinite(hi) || (log && lo <= 0)) flush();
    else segment.push(i);
  }
  flush();
  return parts.join("");
}

/** Legend box in the plot corner that covers the fewest drawn points (ties: top right). */
function renderLegend(series: readonly Series[], plot: Box, drawn: readonly number[]): string {
  if (series.length === 0) return "";
  const rowHeight = 16;
  const width = Math.max(...series.map((s) => textWidth(s.label, TICK_FONT))) + 36;
  const height = series.length * rowHeight + 8;
  const inset = 6;
  const corners: Array<[number, number]> = [
    [plot.x + plot.width - width - inset, plot.y + inset],
    [plot.x + inset, plot.y + inset],
    [plot.x + plot.width - width - inset, plot.y + plot.height - height - inset],
    [plot.x + inset, plot.y + plot.height - height - inset],
  ];
  let best: [number, number] = corners[0] ?? [plot.x, plot.y];
  let bestCovered = Infinity;
  for (const corner of corners) {
    const [cx, cy] = corner;
    let covered = 0;
    for (let i = 0; i + 1 < drawn.length; i += 2) {
      const px = drawn[i] ?? 0;
      const py = drawn[i + 1] ?? 0;
      if (px >= cx - 4 && px <= cx + width + 4 && py >= cy - 4 && py <= cy + height + 4) covered++;
    }
    if (covered < bestCovered) {
      bestCovered = covered;
      best = corner;
    }
  }
  const [x, y] = best;
  const out = [`<g class="legend">`];
  out.push(`<rect x="${c(x)}" y="${c(y)}" width="${c(width)}" height="${c(height)}" fill="#ffffff"` +
    ` fill-opacity="0.85" stroke="#cccccc"/>`);
  series.forEach((s, i) => {
    const cy = y + 4 + rowHeight * i + rowHeight / 2;
    const opacity = s.opacity !== undefined && s.opacity < 1 ? ` stroke-opacity="${Math.max(s.opacity, 0.3)}"` : "";
    out.push(`<path d="M${c(x + 6)} ${c(cy)}h18" stroke="${s.color}" stroke-width="2.5"${opacity}/>`);
    out.push(svgText(x + 30, cy, s.label, { size: TICK_FONT, baseline: "middle" }));
  });
  out.push(`</g>`);
  return out.join("\n");
}
