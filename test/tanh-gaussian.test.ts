import { describe, expect, it } from "vitest";
import { Rng } from "../src/util/rng.js";
import {
  gaussianLogProb,
  logTanhJacobian,
  sampleTanhGaussian,
  tanhGaussianLogProb,
  tanhGaussianLogProbFromPre,
} from "../src/rl/tanh-gaussian.js";

describe("tanh-squashed Gaussian", () => {
  it("log-density integrates to 1 over (−1, 1) (1-D, numerical integration)", () => {
    for (const [mu, logStd] of [
      [0, 0],
      [0.7, -0.5],
      [-1.5, 0.3],
      [2.5, -1.2],
    ] as const) {
      // Integrate in u-space-free form: density of a on a fine grid, midpoint rule in a.
      const n = 200_000;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const a = -1 + (2 * (i + 0.5)) / n;
        total += Math.exp(tanhGaussianLogProb([a], [mu], [logStd])) * (2 / n);
      }
      expect(total).toBeCloseTo(1, 3);
    }
  });

  it("matches the change-of-variables density at a point (2-D)", () => {
    const mu = [0.3, -0.2];
    const ls = [-0.4, 0.1];
    const a = [0.5, -0.9];
    // p(a) = N(atanh a) / Π (1 − a²)
    let expected = 0;
    for (let j = 0; j < 2; j++) {
      const u = Math.atanh(a[j]!);
      const s = Math.exp(ls[j]!);
      expected += -0.5 * ((u - mu[j]!) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - a[j]! ** 2);
    }
    expect(tanhGaussianLogProb(a, mu, ls)).toBeCloseTo(expected, 6);
  });

  it("stable Jacobian term equals log(1 − tanh²u) and stays finite for large |u|", () => {
    for (const u of [-3, -0.5, 0, 0.2, 4]) expect(logTanhJacobian(u)).toBeCloseTo(Math.log(1 - Math.tanh(u) ** 2), 8);
    expect(Number.isFinite(logTanhJacobian(40))).toBe(true);
    expect(logTanhJacobian(40)).toBeCloseTo(Math.log(4) - 80, 6);
  });

  it("sampling writes consistent pre-squash samples, actions and log-probs", () => {
    const rng = new Rng(7);
    const rows = 64;
    const d = 3;
    const mu = Float32Array.from({ length: rows * d }, (_, k) => Math.sin(k));
    const logStd = Float32Array.from([-0.5, 0, 0.4]);
    const u = new Float32Array(rows * d);
    const a = new Float32Array(rows * d);
    const lp = new Float32Array(rows);
    const lj = new Float32Array(rows);
    sampleTanhGaussian(rng, mu, logStd, rows, d, u, a, lp, lj);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) expect(a[r * d + j]).toBeCloseTo(Math.tanh(u[r * d + j]!), 6);
      expect(lp[r]).toBeCloseTo(gaussianLogProb(u, mu, logStd, r * d, d), 4);
      expect(lp[r]! - lj[r]!).toBeCloseTo(tanhGaussianLogProbFromPre(u, mu, logStd, r * d, d), 4);
    }
  });
});
