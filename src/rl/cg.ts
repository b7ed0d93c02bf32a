/**
 * Conjugate gradient for A·x = b with A symmetric positive definite, given only the product
 * v ↦ A·v (TRPO solves (F + λI)·s = g this way without ever forming the Fisher matrix F).
 * Float64 throughout: the products are accumulated in double, and CG's orthogonality decays
 * quickly in float32.
 */

export interface CgOptions {
  /** Maximum number of iterations (one matrix-vector product each). */
  iters: number;
  /** Stop once ‖r‖² ≤ tolerance² · ‖b‖² (relative residual). */
  tolerance?: number;
}

export interface CgResult {
  /** The approximate solution. */
  x: Float64Array;
  /** ‖b − A·x‖ / ‖b‖ as tracked by the recurrence (0 when b = 0). */
  relativeResidual: number;
  /** Matrix-vector products performed. */
  iterations: number;
}

/** Solves A·x = b from x₀ = 0. `multiply(v, out)` must write A·v into `out`. */
export function conjugateGradient(
  multiply: (v: Float64Array, out: Float64Array) => void,
  b: ArrayLike<number>,
  options: CgOptions,
): CgResult {
  const n = b.length;
  const tol = options.tolerance ?? 1e-10;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const ap = new Float64Array(n);
  const bb = dot(r, r);
  let rr = bb;
  let iterations = 0;
  while (iterations < options.iters && rr > tol * tol * bb) {
    multiply(p, ap);
    iterations++;
    const pap = dot(p, ap);
    // A is SPD in exact arithmetic; a non-positive curvature means the product is broken
    // (or A is singular along p): stop with what we have rather than divide by ≤ 0.
    if (!(pap > 0)) break;
    const alpha = rr / pap;
    for (let i = 0; i < n; i++) {
      x[i] = x[i]! + alpha * p[i]!;
      r[i] = r[i]! - alpha * ap[i]!;
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
  }
  return { x, relativeResidual: bb > 0 ? Math.sqrt(rr / bb) : 0, iterations };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
