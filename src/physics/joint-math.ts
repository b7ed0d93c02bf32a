/**
 * Joint-space helpers shared by the Rapier articulations (src/physics/articulation.ts and
 * src/physics/floating-articulation.ts): MuJoCo's default
 * joint-limit softness, its impedance function, joint-space inertia columns, and small dense
 * 3×3 / n×n algebra. Allocation is fine here: these run while a world is built.
 */
import { quatFromAxisAngle, quatMul, quatRotate } from "./spatial.js";

/**
 * MuJoCo's default joint-limit softness (jnt_solref / jnt_solimp, which Gymnasium's robots keep):
 * reference acceleration −b·v − k·imp(r)·r with b = 2/(dmax·timeconst), k = 1/(dmax·timeconst·dampratio)²,
 * impedance imp rising from dmin at r = 0 to dmax at |r| ≥ width (midpoint 0.5, power 2).
 */
export const LIMIT_SOLREF = { timeconst: 0.02, dampratio: 1 } as const;
export const LIMIT_SOLIMP = { dmin: 0.9, dmax: 0.95, width: 0.001, midpoint: 0.5, power: 2 } as const;

/** MuJoCo's constraint impedance for a violation of |r| (engine_core_constraint.c, getimpedance). */
export function impedance(r: number): number {
  const { dmin, dmax, width, midpoint, power } = LIMIT_SOLIMP;
  const x = Math.abs(r) / width;
  if (x >= 1) return dmax;
  const y = x <= midpoint ? x ** power / midpoint ** (power - 1) : 1 - (1 - x) ** power / (1 - midpoint) ** (power - 1);
  return dmin + y * (dmax - dmin);
}

const LIMIT_B = 2 / (LIMIT_SOLIMP.dmax * LIMIT_SOLREF.timeconst);
const LIMIT_K = 1 / (LIMIT_SOLIMP.dmax * LIMIT_SOLIMP.dmax * LIMIT_SOLREF.timeconst * LIMIT_SOLREF.timeconst * LIMIT_SOLREF.dampratio * LIMIT_SOLREF.dampratio);

/**
 * MuJoCo's soft joint limit as a share of a hinge's velocity motor (see the articulations'
 * headers). While the hinge at angle q is beyond [lower, upper] by r (rate v₀ at the start of the
 * step), MuJoCo solves f = (q̈_ref − q̈)/R with q̈_ref = −b·v₀ − k·imp(r)·r and
 * R = (1 − imp)/imp·invweight0: an implicit damper of gain g = limitGain·imp/(1 − imp)
 * (limitGain = 1/(h·invweight0)), only while q̈_ref pushes out of the violation (the limit force
 * is one-sided). Its target:
 * - `exact` false: v₀ + h·q̈_ref, MuJoCo's own Euler step (a joint that crosses its limit
 *   during a step is held only from the next one);
 * - `exact` true: the rate that v̇ = −b·v − k·imp·r, ṙ = v reaches at the end of the step
 *   (`limitRate`), from (r, v₀), or, when the joint is inside but q + h·v₀ is beyond, from (0, v₀)
 *   at the predicted crossing time. At a 0.004 s step MuJoCo's Euler step lags RK4 by a physics
 *   step where a joint meets its limit, which is where most of the hopper's in-air error against
 *   MuJoCo came from (src/physics/articulation.ts).
 * Writes out[o] = g and out[o + 1] = g·target (both 0 when inactive): add them to the motor's
 * factor and weighted target.
 */
export function softLimitMotor(
  out: Float64Array, o: number, q: number, lower: number, upper: number, v0: number, h: number, limitGain: number, exact = false,
): void {
  out[o] = 0;
  out[o + 1] = 0;
  const r = q > upper ? q - upper : q < lower ? q - lower : 0;
  let t = h;
  let side = Math.sign(r);
  if (r === 0) {
    if (!exact) return;
    // Inside: does the joint cross a limit within this step?
    const qe = q + h * v0;
    if (qe > upper) t = h - (upper - q) / v0, side = 1;
    else if (qe < lower) t = h - (lower - q) / v0, side = -1;
    else return;
  }
  const imp = impedance(r);
  const accRef = -LIMIT_B * v0 - LIMIT_K * imp * r;
  if (side > 0 ? accRef < 0 : accRef > 0) {
    const g = (limitGain * imp) / (1 - imp);
    out[o] = g;
    out[o + 1] = g * (exact ? limitRate(r, v0, t, imp) : v0 + h * accRef);
  }
}

/**
 * Rate after time t of v̇ = −b·v − k·imp·r, ṙ = v from (r, v₀), exactly: the second row of
 * e^{At}·(r, v₀) for A = [[0, 1], [−k·imp, −b]] by Putzer's formula. With MuJoCo's default
 * solref (dampratio 1) b² − 4·k·imp = b²·(1 − imp) > 0 for every impedance (< 1), so the two
 * eigenvalues are real and distinct: the limit is overdamped.
 */
export function limitRate(r: number, v0: number, t: number, imp: number): number {
  const b = LIMIT_B;
  const k = LIMIT_K * imp;
  const s = Math.sqrt(b * b - 4 * k);
  const l1 = (-b + s) / 2;
  const l2 = (-b - s) / 2;
  const e1 = Math.exp(l1 * t);
  return e1 * v0 + ((e1 - Math.exp(l2 * t)) / (l1 - l2)) * (-k * r + (-b - l1) * v0);
}

/**
 * Places child link i of a hinge tree from its parent pi by forward kinematics (the same
 * arrays for every link: positions p (3 per link, link origin), rotations q (4, xyzw), origin
 * velocities lin (3) and angular velocities ang (3)): R_i = R_pi·R_origin·Rot(axis, angle),
 * p_i = p_pi + R_pi·origin, ω_i = ω_pi + rate·(R_i·axis), v_i = v_pi + ω_pi × (p_i − p_pi).
 * `t` is scratch of 8.
 */
export function placeHingeChild(
  p: Float64Array, q: Float64Array, lin: Float64Array, ang: Float64Array, t: Float64Array,
  i: number, pi: number, originPos: Float64Array, originQuat: Float64Array, axis: Float64Array, angle: number, rate: number,
): void {
  quatFromAxisAngle(t, 0, axis, 0, angle);
  quatMul(t, 4, q, 4 * pi, originQuat, 0);
  quatMul(q, 4 * i, t, 4, t, 0);
  quatRotate(p, 3 * i, q, 4 * pi, originPos, 0);
  const rx = p[3 * i]!, ry = p[3 * i + 1]!, rz = p[3 * i + 2]!;
  p[3 * i] = rx + p[3 * pi]!; p[3 * i + 1] = ry + p[3 * pi + 1]!; p[3 * i + 2] = rz + p[3 * pi + 2]!;
  const wx = ang[3 * pi]!, wy = ang[3 * pi + 1]!, wz = ang[3 * pi + 2]!;
  lin[3 * i] = lin[3 * pi]! + wy * rz - wz * ry;
  lin[3 * i + 1] = lin[3 * pi + 1]! + wz * rx - wx * rz;
  lin[3 * i + 2] = lin[3 * pi + 2]! + wx * ry - wy * rx;
  quatRotate(t, 0, q, 4 * i, axis, 0);
  ang[3 * i] = wx + rate * t[0]!; ang[3 * i + 1] = wy + rate * t[1]!; ang[3 * i + 2] = wz + rate * t[2]!;
}

/** Column d of a hinge about `axis` through `origin`: v_com = axis × (com − origin), ω = axis. */
export function hingeColumn(jv: Float64Array, jw: Float64Array, d: number, axis: ArrayLike<number>, origin: ArrayLike<number>, com: ArrayLike<number>): void {
  const rx = com[0]! - origin[0]!, ry = com[1]! - origin[1]!, rz = com[2]! - origin[2]!;
  const ax = axis[0]!, ay = axis[1]!, az = axis[2]!;
  jv[3 * d] = ay * rz - az * ry;
  jv[3 * d + 1] = az * rx - ax * rz;
  jv[3 * d + 2] = ax * ry - ay * rx;
  jw[3 * d] = ax;
  jw[3 * d + 1] = ay;
  jw[3 * d + 2] = az;
}

/** Diagonal of the inverse of a symmetric positive-definite n×n matrix (Gauss-Jordan). */
export function inverseDiagonal(m: Float64Array, n: number): Float64Array {
  const a = new Float64Array(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * (n + 1)] = 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[piv * n + col]!)) piv = r;
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        [a[col * n + k], a[piv * n + k]] = [a[piv * n + k]!, a[col * n + k]!];
        [inv[col * n + k], inv[piv * n + k]] = [inv[piv * n + k]!, inv[col * n + k]!];
      }
    }
    const d = a[col * n + col]!;
    for (let k = 0; k < n; k++) {
      a[col * n + k]! /= d;
      inv[col * n + k]! /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]!;
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k]! -= f * a[col * n + k]!;
        inv[r * n + k]! -= f * inv[col * n + k]!;
      }
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = inv[i * (n + 1)]!;
  return out;
}

/** Row-major 3×3 product a·b. */
export function mul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
  return out;
}

export function transpose3(a: readonly number[]): number[] {
  return [a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!];
}

/** R·A·Rᵀ for row-major 3×3 matrices. */
export function rotateTensor(r: readonly number[], a: readonly number[]): number[] {
  return mul3(mul3(r, a), transpose3(r));
}

/** Parallel-axis term m·(|c|²·1 − c·cᵀ) (inertia of a point mass m at c about the origin). */
export function pointInertia(m: number, c: ArrayLike<number>): number[] {
  const x = c[0]!, y = c[1]!, z = c[2]!;
  const s = x * x + y * y + z * z;
  return [m * (s - x * x), -m * x * y, -m * x * z, -m * x * y, m * (s - y * y), -m * y * z, -m * x * z, -m * y * z, m * (s - z * z)];
}

/** a + k·b, element-wise (3×3). */
export function addScaled3(a: readonly number[], b: readonly number[], k: number): number[] {
  return a.map((v, i) => v + k * b[i]!);
}

/** 1 − a·aᵀ for a unit vector a: the inertia of a unit "ring" about a (zero moment about a). */
export function perpendicularProjector(a: ArrayLike<number>): number[] {
  const x = a[0]!, y = a[1]!, z = a[2]!;
  return [1 - x * x, -x * y, -x * z, -x * y, 1 - y * y, -y * z, -x * z, -y * z, 1 - z * z];
}

/** a·aᵀ (row-major 3×3). */
export function outer(a: ArrayLike<number>): number[] {
  const x = a[0]!, y = a[1]!, z = a[2]!;
  return [x * x, x * y, x * z, y * x, y * y, y * z, z * x, z * y, z * z];
}
