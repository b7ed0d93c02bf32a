/**
 * `locomote plot <run-dir>... [--out FILE] [--label NAME ...] [--metric COLUMN] [--title TEXT]`:
 * learning curves of several runs (or folders of seeds) on one figure, as SVG and PNG.
 */
import { mkdirSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { PlotInputError, loadRunGroup, renderComparison } from "../run/compare-plot.js";
import { svgToPng, pngUnavailableReason } from "../run/svg-to-png.js";
import { atomicWriteFile } from "../util/fs.js";

export interface PlotOptions {
  out: string;
  label?: string[];
  metric?: string;
  title?: string;
  smooth?: number;
}

/** Writes `<out>.svg` and `<out>.png`; returns the paths written. */
export async function runPlot(paths: readonly string[], opts: PlotOptions): Promise<string[]> {
  if (opts.label && opts.label.length !== paths.length) {
    throw new PlotInputError(`plot: ${opts.label.length} --label value(s) for ${paths.length} run folder(s); give one per folder, in order`);
  }
  const groups = paths.map((p, i) => loadRunGroup(p, opts.label?.[i]));
  const title = opts.title ?? `Learning curves: ${groups.map((g) => g.label).join(" vs ")}`;
  const svg = renderComparison(groups, {
    title,
    ...(opts.metric !== undefined ? { metric: opts.metric } : {}),
    ...(opts.smooth !== undefined ? { smooth: opts.smooth } : {}),
  });
  const base = resolve(opts.out);
  const stem = [".svg", ".png"].includes(extname(base)) ? base.slice(0, -4) : base;
  mkdirSync(dirname(stem), { recursive: true });
  const written = [`${stem}.svg`];
  await atomicWriteFile(`${stem}.svg`, svg);
  const png = await svgToPng(svg, { zoom: 1.5 });
  if (png) {
    await atomicWriteFile(`${stem}.png`, png);
    written.push(`${stem}.png`);
  } else {
    process.stderr.write(`plot: PNG skipped (${pngUnavailableReason() ?? "no renderer"}); wrote SVG only\n`);
  }
  for (const g of groups) {
    for (const r of g.runs) if (r.rows.length === 0) process.stderr.write(`plot: ${r.dir}: no metrics rows yet\n`);
  }
  return written;
}
