/**
 * MuJoCo's soft joint limit as the articulation's motor share (src/physics/joint-math.ts):
 * the exact step (`limit_step: exact`) against a fine numerical integration of the limit's
 * reference dynamics, its activation at the crossing, and its one-sidedness.
 */
import { describe, expect, it } from "vitest";
import { impedance, LIMIT_SOLIMP, LIMIT_SOLREF, limitRate, softLimitMotor } from "../src/physics/joint-math.js";

const B = 2 / (LIMIT_SOLIMP.dmax * LIMIT_SOLREF.timeconst);
const K = 1 / (LIMIT_SOLIMP.dmax * LIMIT_SOLREF.timeconst * LIMIT_SOLREF.dampratio) ** 2;

/** v after time t of v̇ = −B·v − K·imp·r, ṙ = v, by RK4 with 10⁵ steps. */
function integrate(r: number, v: number, t: number, imp: number): number {
  const n = 100000;
  const h = t / n;
  const acc = (rr: number, vv: number): number => -B * vv - K * imp * rr;
  for (let i = 0; i < n; i++) {
    const k1r = v, k1v = acc(r, v);
    const k2r = v + (h / 2) * k1v, k2v = acc(r + (h / 2) * k1r, v + (h / 2) * k1v);
    const k3r = v + (h / 2) * k2v, k3v = acc(r + (h / 2) * k2r, v + (h / 2) * k2v);
    const k4r = v + h * k3v, k4v = acc(r + h * k3r, v + h * k3v);
    r += (h / 6) * (k1r + 2 * k2r + 2 * k3r + k4r);
    v += (h / 6) * (k1v + 2 * k2v + 2 * k3v + k4v);
  }
  return v;
}

describe("soft joint limit, exact step", () => {
  it("solves the limit's reference dynamics exactly", () => {
    for (const [r, v, t, imp] of [
      [0.05, 2, 0.004, 0.95],
      [-0.2, -3, 0.008, 0.95],
      [0.0004, 1, 0.002, impedance(0.0004)],
      [0, 5, 0.0013, 0.9],
    ] as const) {
      const want = integrate(r, v, t, imp);
      expect(limitRate(r, v, t, imp)).toBeCloseTo(want, 9);
    }
  });

  it("is inactive inside the range unless the joint crosses a limit within the step", () => {
    const out = new Float64Array(2);
    softLimitMotor(out, 0, -0.5, -1, 0, 2, 0.004, 100, true); // reaches −0.492
    expect([...out]).toEqual([0, 0]);
    softLimitMotor(out, 0, -0.5, -1, 0, -2, 0.004, 100, true);
    expect([...out]).toEqual([0, 0]);
  });

  it("acts from the crossing time when the joint crosses a limit during the step", () => {
    const out = new Float64Array(2);
    const h = 0.004, gain = 100;
    // 0.002 rad below the upper limit at 2 rad/s: crosses after 1 ms, 3 ms of limit dynamics.
    softLimitMotor(out, 0, -0.002, -1, 0, 2, h, gain, true);
    const imp0 = LIMIT_SOLIMP.dmin;
    const g = (gain * imp0) / (1 - imp0);
    expect(out[0]).toBeCloseTo(g, 9);
    expect(out[1]! / out[0]!).toBeCloseTo(integrate(0, 2, 0.003, imp0), 9);
    // The same from below the lower limit.
    softLimitMotor(out, 0, -0.998, -1, 0, -2, h, gain, true);
    expect(out[1]! / out[0]!).toBeCloseTo(integrate(0, -2, 0.003, imp0), 9);
    // MuJoCo's Euler step does nothing in that step.
    softLimitMotor(out, 0, -0.002, -1, 0, 2, h, gain);
    expect([...out]).toEqual([0, 0]);
  });

  it("pushes out of a violation over the whole step, and only out (the limit force is one-sided)", () => {
    const out = new Float64Array(2);
    const h = 0.004, gain = 100;
    softLimitMotor(out, 0, 0.05, -1, 0, 1, h, gain, true); // 0.05 beyond the upper limit, still moving out
    const imp = impedance(0.05);
    expect(out[0]).toBeCloseTo((gain * imp) / (1 - imp), 9);
    expect(out[1]! / out[0]!).toBeCloseTo(integrate(0.05, 1, h, imp), 9);
    // Moving back fast enough that the reference acceleration points into the violation: off.
    softLimitMotor(out, 0, 0.05, -1, 0, -10, h, gain, true);
    expect([...out]).toEqual([0, 0]);
  });

  it("agrees with MuJoCo's Euler step as the step shrinks", () => {
    const e = new Float64Array(2), x = new Float64Array(2);
    for (const h of [1e-3, 1e-4, 1e-5]) {
      softLimitMotor(e, 0, 0.05, -1, 0, 1, h, 100);
      softLimitMotor(x, 0, 0.05, -1, 0, 1, h, 100, true);
      const euler = e[1]! / e[0]!, exact = x[1]! / x[0]!;
      // Both are v₀ + h·q̈_ref to first order; they differ by O(h²).
      expect(Math.abs(exact - euler)).toBeLessThan(2e4 * h * h);
    }
  });
});
