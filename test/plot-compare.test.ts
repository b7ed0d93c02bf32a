import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlot } from "../src/cli/plot.js";
import { PlotInputError, groupCurve, loadRunGroup, renderComparison } from "../src/run/compare-plot.js";
import { findPackageRoot } from "../src/util/package-root.js";

/** A run dir whose return is `f(env_steps)` at updates of 1000 steps. */
function makeRun(dir: string, f: (steps: number) => number, updates = 10, finalEval?: number): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (let u = 1; u <= updates; u++) lines.push(JSON.stringify({ update: u, env_steps: u * 1000, episode_return_mean: f(u * 1000) }));
  writeFileSync(join(dir, "metrics.jsonl"), `${lines.join("\n")}\n`);
  if (finalEval !== undefined) {
    writeFileSync(join(dir, "summary.json"), JSON.stringify({ env_steps: updates * 1000, wall_seconds: 1, env_steps_per_second: 1000, final_eval: { mean_return: finalEval, std_return: 1, mean_length: 100, episodes: 10 } }));
  }
}

describe("plot: learning curves of several runs", () => {
  const root = mkdtempSync(join(tmpdir(), "locomote-plot-"));
  makeRun(join(root, "a", "seed1"), (s) => s / 10, 10, 1100);
  makeRun(join(root, "a", "seed2"), (s) => s / 10 + 200, 10, 1300);
  makeRun(join(root, "b"), (s) => 50, 8);

  it("groups the runs in a folder and averages them with the population std", () => {
    const group = loadRunGroup(join(root, "a"));
    expect(group.runs.map((r) => r.dir.endsWith("seed1") || r.dir.endsWith("seed2"))).toEqual([true, true]);
    const curve = groupCurve(group, { smooth: 0, gridPoints: 10 });
    expect(curve.runs).toBe(2);
    expect(curve.x[0]).toBe(1000);
    expect(curve.x[9]).toBe(10000);
    // seeds: s/10 and s/10 + 200 → mean s/10 + 100, std 100 at every grid point (linear → exact).
    curve.x.forEach((x, i) => {
      expect(curve.mean[i]).toBeCloseTo(x / 10 + 100, 9);
      expect(curve.std[i]).toBeCloseTo(100, 9);
    });
  });

  it("stops a group's curve at its shortest run", () => {
    makeRun(join(root, "c", "seed1"), (s) => s, 10);
    makeRun(join(root, "c", "seed2"), (s) => s, 6);
    const curve = groupCurve(loadRunGroup(join(root, "c")), { smooth: 0 });
    expect(curve.x[curve.x.length - 1]).toBe(6000);
  });

  it("draws one mean line per group, a std band for multi-run groups and the final evals", () => {
    const svg = renderComparison([loadRunGroup(join(root, "a"), "A"), loadRunGroup(join(root, "b"), "B")], { title: "t" });
    expect(svg).toContain('data-key="A/mean"');
    expect(svg).toContain('data-key="B/mean"');
    expect(svg).toContain('class="band" data-key="A/std"');
    expect(svg).not.toContain('data-key="B/std"');
    expect(svg).toContain("final deterministic eval 1100 / 1300 (mean 1200 ± 100)");
  });

  it("gives a single run's final eval without a mean ± std over one run", () => {
    makeRun(join(root, "single"), (s) => s / 10, 10, 1234);
    const svg = renderComparison([loadRunGroup(join(root, "single"), "S")], { title: "t" });
    expect(svg).toContain("S: final deterministic eval 1234<");
    expect(svg).not.toContain("1234 (mean");
  });

  it("writes SVG and PNG through the CLI function", async () => {
    const out = join(root, "out", "cmp");
    const written = await runPlot([join(root, "a"), join(root, "b")], { out });
    expect(written[0]).toBe(`${out}.svg`);
    expect(readFileSync(`${out}.svg`, "utf8")).toContain("<svg");
    if (written[1]) expect(readFileSync(written[1]).subarray(1, 4).toString()).toBe("PNG");
  });

  it("names the folder and what was expected when there is no run", () => {
    mkdirSync(join(root, "empty"));
    expect(() => loadRunGroup(join(root, "empty"))).toThrow(PlotInputError);
    expect(() => loadRunGroup(join(root, "empty"))).toThrow(/holds no run \(no metrics\.jsonl/);
    expect(() => loadRunGroup(join(root, "missing"))).toThrow(/no such directory/);
  });

  it("locomote plot: writes both files and prints their paths; a bad folder is one line, exit 2", () => {
    const bin = join(findPackageRoot(), "dist/src/cli/bin.js");
    const out = join(root, "cli", "fig");
    const ok = spawnSync(process.execPath, [bin, "plot", join(root, "a"), join(root, "b"), "-o", out, "--label", "A", "B"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split("\n")[0]).toBe(`${out}.svg`);
    expect(existsSync(`${out}.svg`)).toBe(true);
    const bad = spawnSync(process.execPath, [bin, "plot", join(root, "nope")], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`locomote: plot: ${join(root, "nope")}: no such directory`);
  });
});
