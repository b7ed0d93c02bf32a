/**
 * MuJoCo's inertia-box fluid model (engine_passive.c, `mj_inertiaBoxFluidModel`; used by
 * MuJoCo 2.2.2 and later for every body when `<option density viscosity>` is set and no geom
 * asks for the ellipsoid model), as forces and torques at each body's COM.
 *
 * Each body is replaced by a solid box with its mass and principal moments I: full side lengths
 * b_i = √(6·(I_j + I_k − I_i)/m). With v and ω the COM's linear and the body's angular velocity
 * written in the body's principal inertia frame (no wind), the medium exerts, in that frame:
 *   viscous (Stokes, sphere of diameter d = (b_x + b_y + b_z)/3):
 *     F = −3π·μ·d·v,  τ = −π·μ·d³·ω;
 *   quadratic drag per axis i (j, k the other two):
 *     F_i = −½·ρ·b_j·b_k·|v_i|·v_i,  τ_i = −(ρ/64)·b_i·(b_j⁴ + b_k⁴)·|ω_i|·ω_i.
 * The quadratic terms are not rotation invariant: the principal frame matters. A body whose
 * inertia is given diagonal (URDF `<inertial>` with ixy = ixz = iyz = 0) uses that frame, as
 * MuJoCo uses its geom-derived frame; otherwise the eigenvectors. (With two equal moments any
 * frame with the same unique axis is principal; MuJoCo's and ours then agree for motion in a
 * plane that contains one of the equal axes, as the swimmer's does.)
 *
 * Checked against MuJoCo 2.2.2's qfrc_passive for random swimmer states (test/fluid.test.ts).
 * The articulation recomputes the forces before every physics step from the current
 * velocities (explicit in time; MuJoCo's RK4 re-evaluates them at each stage).
 */
import type { Inertial } from "../robot/description.js";
import { matFromQuat, quatFromMat, quatFromRpy, quatMul, quatRotate, symmetricEigen } from "./spatial.js";

export interface FluidMedium {
  /** ρ (kg/m³): quadratic drag. */
  readonly density: number;
  /** μ (Pa·s): viscous (Stokes) drag. */
  readonly viscosity: number;
}

/** Side lengths of the equivalent inertia box for principal moments `I` and mass `m`. */
export function inertiaBox(mass: number, I: readonly [number, number, number]): [number, number, number] {
  // MuJoCo clamps the numerator at mjMINVAL (1e-15) before the square root.
  const side = (i: number, j: number, k: number): number => Math.sqrt((Math.max(1e-15, I[j]! + I[k]! - I[i]!) / mass) * 6);
  return [side(0, 1, 2), side(1, 0, 2), side(2, 0, 1)];
}

/** Coefficients of one body: viscous linear/angular, then quadratic force ×3 and torque ×3. */
export function fluidCoefficients(medium: FluidMedium, box: readonly [number, number, number]): Float64Array {
  const [bx, by, bz] = box;
  const { density: rho, viscosity: mu } = medium;
  const d = (bx + by + bz) / 3;
  return new Float64Array([
    3 * Math.PI * mu * d,
    Math.PI * mu * d * d * d,
    0.5 * rho * by * bz,
    0.5 * rho * bx * bz,
    0.5 * rho * bx * by,
    (rho / 64) * bx * (by ** 4 + bz ** 4),
    (rho / 64) * by * (bx ** 4 + bz ** 4),
    (rho / 64) * bz * (bx ** 4 + by ** 4),
  ]);
}

/**
 * Local (principal-frame) force and torque from local velocities vw[vo..vo+3] = v,
 * vw[vo+3..vo+6] = ω: out[o..o+3] = F, out[o+3..o+6] = τ. `c` from `fluidCoefficients`, at `co`.
 */
export function fluidLocalForce(c: ArrayLike<number>, co: number, vw: ArrayLike<number>, vo: number, out: Float64Array, o: number): void {
  const lin = c[co]!, ang = c[co + 1]!;
  for (let i = 0; i < 3; i++) {
    const vi = vw[vo + i]!, wi = vw[vo + 3 + i]!;
    out[o + i] = -lin * vi - c[co + 2 + i]! * Math.abs(vi) * vi;
    out[o + 3 + i] = -ang * wi - c[co + 5 + i]! * Math.abs(wi) * wi;
  }
}

/** Principal moments and the principal frame (quaternion xyzw, in the link frame) of an inertial. */
export function principalFrame(inertial: Inertial): { moments: [number, number, number]; frame: [number, number, number, number] } {
  const { ixx, ixy, ixz, iyy, iyz, izz } = inertial.inertia;
  const qi = quatFromRpy(...inertial.origin.rpy);
  if (ixy === 0 && ixz === 0 && iyz === 0) return { moments: [ixx, iyy, izz], frame: qi };
  const ri = matFromQuat(qi);
  const eig = symmetricEigen([ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]);
  // Principal axes in the link frame: R_inertial · eigenvectors.
  const m = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) m[3 * r + c]! += ri[3 * r + k]! * eig.vectors[3 * k + c]!;
  return { moments: eig.values, frame: quatFromMat(m) };
}

/**
 * The fluid forces on a set of rigid bodies. `apply` takes the bodies' world rotations (link
 * frames, xyzw), COM linear velocities and angular velocities (world), and writes each body's
 * force and torque about its COM (world). Allocation-free.
 */
export class InertiaBoxFluid {
  readonly count: number;
  /** 8 coefficients per body (`fluidCoefficients`). */
  private readonly coef: Float64Array;
  /** Principal frame of each body in its link frame (xyzw). */
  private readonly frames: Float64Array;
  private readonly q = new Float64Array(4);
  private readonly s = new Float64Array(12);

  constructor(medium: FluidMedium, inertials: readonly Inertial[]) {
    this.count = inertials.length;
    this.coef = new Float64Array(8 * this.count);
    this.frames = new Float64Array(4 * this.count);
    inertials.forEach((inertial, b) => {
      const { moments, frame } = principalFrame(inertial);
      this.coef.set(fluidCoefficients(medium, inertiaBox(inertial.mass, moments)), 8 * b);
      this.frames.set(frame, 4 * b);
    });
  }

  apply(quat: Float64Array, lin: Float64Array, ang: Float64Array, force: Float64Array, torque: Float64Array): void {
    const q = this.q, s = this.s;
    for (let b = 0; b < this.count; b++) {
      // World rotation of the principal frame; its conjugate maps world vectors into it.
      quatMul(q, 0, quat, 4 * b, this.frames, 4 * b);
      q[0] = -q[0]!; q[1] = -q[1]!; q[2] = -q[2]!;
      quatRotate(s, 0, q, 0, lin, 3 * b);
      quatRotate(s, 3, q, 0, ang, 3 * b);
      fluidLocalForce(this.coef, 8 * b, s, 0, s, 6);
      q[0] = -q[0]!; q[1] = -q[1]!; q[2] = -q[2]!;
      quatRotate(force, 3 * b, q, 0, s, 6);
      quatRotate(torque, 3 * b, q, 0, s, 9);
    }
  }
}
