import { describe, expect, it } from "vitest";
import { ObservationNormalizer, RewardScaler, RunningMeanStd } from "../src/rl/running-stats.js";
import { Rng } from "../src/util/rng.js";

describe("RunningMeanStd", () => {
  it("matches the batch mean and variance after several updates", () => {
    const rng = new Rng(3);
    const dim = 3;
    const all: number[][] = [];
    const rms = new RunningMeanStd(dim);
    for (const rows of [5, 17, 1, 40]) {
      const data = new Float32Array(rows * dim);
      for (let r = 0; r < rows; r++) {
        const row = [rng.normal() * 2 + 1, rng.normal() * 0.1 - 3, rng.uniform() * 10];
        all.push(row);
        data.set(row, r * dim);
      }
      rms.update(data, rows);
    }
    for (let j = 0; j < dim; j++) {
      const xs = all.map((r) => r[j]!);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
      expect(rms.mean[j]).toBeCloseTo(mean, 3);
      expect(rms.var[j]).toBeCloseTo(variance, 2);
    }
    expect(rms.count).toBeCloseTo(63, 3);
  });

  it("normalizer clips and scales", () => {
    const n = new ObservationNormalizer(1, 2, true);
    n.stats.load({ mean: [1], var: [4], count: 10 });
    const out = new Float32Array(3);
    n.normalize(Float32Array.from([1, 3, 100]), 3, out);
    expect(out[0]).toBeCloseTo(0, 6);
    expect(out[1]).toBeCloseTo(1, 5);
    expect(out[2]).toBe(2);
  });

  it("reward scaler divides by the std of the discounted return and resets on done", () => {
    const s = new RewardScaler(1, 0.5, 10, true);
    const out = new Float32Array(1);
    s.scale(Float32Array.from([2]), Uint8Array.from([0]), out);
    s.scale(Float32Array.from([2]), Uint8Array.from([1]), out);
    // returns seen: 2, 3 → var over {2, 3} (plus epsilon count) ≈ 0.25
    expect(out[0]).toBeCloseTo(2 / Math.sqrt(s.stats.var[0]! + 1e-8), 5);
    expect(s.state().returns[0]).toBe(0);
  });
});
