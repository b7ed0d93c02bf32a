/**
 * The learning-curve SVG: tick maths by hand, well-formed XML with the expected series, and the
 * written files (SVG, PNG when the renderer is installed).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatCompact, formatDuration } from "../src/run/format.js";
import { movingAverage, renderLearningCurve, writeLearningCurve } from "../src/run/learning-curve.js";
import type { MetricsRow } from "../src/run/metrics-row.js";
import { decimate, formatTick, logTicks, niceTicks } from "../src/run/svg-plot.js";

function syntheticRows(n: number): MetricsRow[] {
  return Array.from({ length: n }, (_, i) => {
    const u = i + 1;
    return {
      update: u,
      env_steps: u * 2048,
      wall_seconds: u,
      env_steps_per_second: 2048,
      episode_return_mean: u % 10 === 0 ? NaN : 100 * Math.log(u),
      episode_length_mean: 10 * u,
      episodes: 4,
      policy_loss: -0.01,
      value_loss: 1000 / u,
      entropy: 5 - u / n,
      approx_kl: 0.01,
      clip_fraction: 0.15,
      explained_variance: 1 - 1 / u,
      learning_rate: 3e-4,
      log_std_mean: -u / n,
      reward_forward: u / 10,
      reward_ctrl: -0.1,
    };
  });
}

/** All elements named `tag` anywhere in a fast-xml-parser tree. */
function collect(node: unknown, tag: string, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, tag, out);
  } else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === tag) {
        for (const el of Array.isArray(value) ? value : [value]) {
          if (typeof el === "object" && el !== null) out.push(el as Record<string, unknown>);
        }
      }
      collect(value, tag, out);
    }
  }
  return out;
}

function parseSvg(svg: string): unknown {
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(svg);
}

describe("ticks", () => {
  it("picks 1/2/5×10^k steps inside the range", () => {
    expect(niceTicks(0, 1, 5)).toMatchObject({ step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0, 2_460_000, 3)).toMatchObject({ step: 1_000_000, values: [0, 1_000_000, 2_000_000] });
    expect(niceTicks(-0.013, 0.021, 4).values).toEqual([-0.01, 0, 0.01, 0.02]);
    expect(niceTicks(0.0101, 0.0199, 4).values).toEqual([0.012, 0.014, 0.016, 0.018]);
  });

  it("never returns fewer than two ticks and survives degenerate ranges", () => {
    expect(niceTicks(0.95, 1.04, 2).values.length).toBeGreaterThanOrEqual(2);
    expect(niceTicks(5, 5, 4).values).toContain(5);
    expect(niceTicks(0, 0, 4).values).toContain(0);
    expect(niceTicks(NaN, 3).values.length).toBeGreaterThanOrEqual(2);
    // A constant after float rounding noise (smoothed learning rate): must not loop forever.
    expect(niceTicks(3e-4, 3.0000000000000003e-4, 4).values).toContain(3e-4);
  });

  it("puts log ticks on powers of ten", () => {
    expect(logTicks(0.5, 2000).values).toEqual([1, 10, 100, 1000]);
    expect(logTicks(3, 60).values).toEqual([5, 10, 20, 50]);
  });

  it("formats tick labels compactly", () => {
    expect(formatTick(2_000_000, 1_000_000, 2_500_000)).toBe("2M");
    expect(formatTick(500_000, 500_000, 2_500_000)).toBe("0.5M");
    expect(formatTick(0.4, 0.2, 1)).toBe("0.4");
    expect(formatTick(-0.005, 0.001, 0.01)).toBe("-0.005");
    expect(formatTick(-0.0065, 0.0005, 0.008)).toBe("-0.0065");
    expect(formatTick(2e-4, 1e-4, 3e-4)).toBe("0.0002");
    expect(formatTick(1.5e-4, 5e-5, 2e-4)).toBe("1.5e-4");
    expect(formatTick(100, 0, 1000)).toBe("100");
    expect(formatTick(0, 0.5, 3)).toBe("0");
    expect(formatCompact(2_457_600)).toBe("2.46M");
    expect(formatCompact(999_999)).toBe("1M");
    expect(formatCompact(100)).toBe("100.0");
    expect(formatDuration(75)).toBe("1m15s");
    expect(formatDuration(4000)).toBe("1h06m");
  });
});

describe("series helpers", () => {
  it("moving average is centred and shrinks at the ends", () => {
    expect(movingAverage([1, 2, 3, 4, 5], 1)).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(movingAverage([0, 0, 9, 0, 0], 2)).toEqual([3, 2.25, 1.8, 2.25, 3]);
  });

  it("decimation keeps the extremes of long series", () => {
    const y = Array.from({ length: 10_000 }, (_, i) => (i === 4321 ? 99 : i === 7000 ? -99 : 0));
    const keep = decimate(y, 200);
    expect(keep.length).toBeLessThanOrEqual(400);
    expect(keep).toContain(4321);
    expect(keep).toContain(7000);
    expect([...keep].sort((a, b) => a - b)).toEqual(keep);
  });
});

describe("renderLearningCurve", () => {
  it("is well-formed XML with a panel per metric and the expected series", () => {
    const svg = renderLearningCurve(syntheticRows(200), { title: "hopper <ppo> & co" });
    expect(XMLValidator.validate(svg)).toBe(true);
    const tree = parseSvg(svg);
    const keys = collect(tree, "path")
      .filter((p) => p["@class"] === "series")
      .map((p) => p["@data-key"]);
    for (const key of [
      "episode_return_mean",
      "episode_return_mean_smoothed",
      "episode_length_mean",
      "approx_kl",
      "clip_fraction",
      "entropy",
      "policy_loss",
      "value_loss",
      "reward_forward",
      "reward_ctrl",
    ]) {
      expect(keys).toContain(key);
    }
    const titles = collect(tree, "g").map((g) => g["@data-title"]).filter((t) => t !== undefined);
    expect(titles[0]).toBe("Mean episode return");
    expect(titles).toContain("Reward terms");
    expect(svg).toContain("hopper &lt;ppo&gt; &amp; co — learning curve");
    // Axis labels and tick labels are present.
    expect(svg).toContain(">env steps</text>");
    expect(svg).toContain(">400k</text>");
  });

  it("draws gaps where no episode finished and bridges them in the smoothed line", () => {
    const svg = renderLearningCurve(syntheticRows(100), { title: "t" });
    const paths = collect(parseSvg(svg), "path");
    const d = (key: string): string => String(paths.find((p) => p["@data-key"] === key)?.["@d"]);
    expect(d("episode_return_mean").match(/M/g)?.length).toBe(10); // NaN at updates 10, 20, ... 100
    expect(d("episode_return_mean_smoothed").match(/M/g)?.length).toBe(1);
    expect(d("episode_return_mean")).not.toContain("NaN");
  });

  it("uses a log axis for a value loss spanning decades", () => {
    const svg = renderLearningCurve(syntheticRows(200), { title: "t" });
    expect(svg).toMatch(/>1000<\/text>/);
    expect(svg).toMatch(/>10<\/text>/);
  });

  it("renders an empty run and a single update without NaN coordinates", () => {
    for (const rows of [[], syntheticRows(1)]) {
      const svg = renderLearningCurve(rows, { title: "empty" });
      expect(XMLValidator.validate(svg)).toBe(true);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
    expect(renderLearningCurve([], { title: "empty" })).toContain("no data yet");
  });

  it("leaves out panels of metrics that were never logged", () => {
    const svg = renderLearningCurve([{ update: 1, env_steps: 10, episode_return_mean: 1 }], { title: "t" });
    expect(svg).not.toContain('data-title="Approx KL"');
    expect(svg).not.toContain('data-title="Reward terms"');
  });
});

describe("writeLearningCurve", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "locomote-run-curve-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the SVG and a PNG atomically", async () => {
    const written = await writeLearningCurve(dir, syntheticRows(50), { title: "walker" });
    expect(readFileSync(written.svgPath, "utf8")).toContain("walker — learning curve");
    if (written.pngPath !== undefined) {
      const png = readFileSync(written.pngPath);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.readUInt32BE(16)).toBe(1200); // IHDR width
    } else {
      expect(written.pngSkipped).toBeTruthy();
    }
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("can skip the PNG", async () => {
    const written = await writeLearningCurve(dir, syntheticRows(5), { title: "w", png: false });
    expect(written.pngPath).toBeUndefined();
    expect(readdirSync(dir)).toEqual(["learning_curve.svg"]);
  });
});
