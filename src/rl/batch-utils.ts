import type { Rng } from "../util/rng.js";

/** Fisher–Yates shuffle driven by the run's Rng (reproducible minibatches). */
export function shuffleInPlace(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** 1 − Var[returns − values] / Var[returns]; NaN when returns are constant. */
export function explainedVariance(values: Float32Array, returns: Float32Array, n: number): number {
  let mr = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i]!;
    md += returns[i]! - values[i]!;
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vr += (returns[i]! - mr) ** 2;
    vd += (returns[i]! - values[i]! - md) ** 2;
  }
  return vr === 0 ? Number.NaN : 1 - vd / vr;
}
