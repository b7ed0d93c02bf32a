/** Conjugate gradient on hand-computable and random SPD systems. */
import { describe, expect, it } from "vitest";
import { conjugateGradient } from "../src/rl/cg.js";
import { Rng } from "../src/util/rng.js";

/** Row-major dense matrix as a product function. */
function product(a: Float64Array, n: number): (v: Float64Array, out: Float64Array) => void {
  return (v, out) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * v[j]!;
      out[i] = s;
    }
  };
}

/** A = MᵀM + shift·I for a random M: symmetric positive definite. */
function randomSpd(n: number, shift: number, rng: Rng): Float64Array {
  const m = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? shift : 0;
      for (let k = 0; k < n; k++) s += m[k * n + i]! * m[k * n + j]!;
      a[i * n + j] = s;
    }
  }
  return a;
}

function residual(a: Float64Array, n: number, x: Float64Array, b: Float64Array): number {
  const ax = new Float64Array(n);
  product(a, n)(x, ax);
  let r = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    r += (b[i]! - ax[i]!) ** 2;
    bb += b[i]! ** 2;
  }
  return Math.sqrt(r / bb);
}

describe("conjugateGradient", () => {
  it("solves [[4, 1], [1, 3]]·x = [1, 2] exactly in two iterations: x = [1/11, 7/11]", () => {
    const { x, iterations, relativeResidual } = conjugateGradient(product(Float64Array.of(4, 1, 1, 3), 2), [1, 2], { iters: 10 });
    expect(iterations).toBe(2);
    expect(x[0]).toBeCloseTo(1 / 11, 14);
    expect(x[1]).toBeCloseTo(7 / 11, 14);
    expect(relativeResidual).toBeLessThan(1e-12);
  });

  it("solves a random 30×30 SPD system (n iterations in exact arithmetic; a few more in floating point)", () => {
    const rng = new Rng(4);
    const n = 30;
    const a = randomSpd(n, 1, rng);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const { x, iterations, relativeResidual } = conjugateGradient(product(a, n), b, { iters: 3 * n });
    expect(iterations).toBeLessThan(2 * n);
    expect(residual(a, n, x, b)).toBeLessThan(1e-8);
    expect(relativeResidual).toBeLessThan(1e-8);
  });

  it("with fewer iterations than needed, reports the true residual of its partial solution", () => {
    const rng = new Rng(5);
    const n = 30;
    const a = randomSpd(n, 0.1, rng);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const { x, iterations, relativeResidual } = conjugateGradient(product(a, n), b, { iters: 5 });
    expect(iterations).toBe(5);
    const actual = residual(a, n, x, b);
    expect(actual).toBeGreaterThan(1e-3);
    expect(relativeResidual).toBeCloseTo(actual, 8);
  });

  it("returns x = 0 for b = 0 without a product", () => {
    let calls = 0;
    const { x, iterations, relativeResidual } = conjugateGradient(
      (v, out) => {
        calls++;
        out.set(v);
      },
      [0, 0, 0],
      { iters: 10 },
    );
    expect(Array.from(x)).toEqual([0, 0, 0]);
    expect([iterations, relativeResidual, calls]).toEqual([0, 0, 0]);
  });
});
