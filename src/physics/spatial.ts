/**
 * Small allocation-free rigid-body math on flat Float64Arrays: vectors are 3 numbers and
 * quaternions 4 numbers (x, y, z, w) at an offset. Used by the articulation's forward
 * kinematics and state readers, which run every step.
 */

export type Buf = Float64Array;

/** out[o..o+4] = a[ao..] ⊗ b[bo..] (Hamilton product; `out` may alias an input). */
export function quatMul(out: Buf, o: number, a: Buf, ao: number, b: Buf, bo: number): void {
  const ax = a[ao]!, ay = a[ao + 1]!, az = a[ao + 2]!, aw = a[ao + 3]!;
  const bx = b[bo]!, by = b[bo + 1]!, bz = b[bo + 2]!, bw = b[bo + 3]!;
  out[o] = aw * bx + ax * bw + ay * bz - az * by;
  out[o + 1] = aw * by - ax * bz + ay * bw + az * bx;
  out[o + 2] = aw * bz + ax * by - ay * bx + az * bw;
  out[o + 3] = aw * bw - ax * bx - ay * by - az * bz;
}

/** out[o..] = conj(a) ⊗ b: b expressed in a's frame (unit quaternions). */
export function quatConjMul(out: Buf, o: number, a: Buf, ao: number, b: Buf, bo: number): void {
  const ax = -a[ao]!, ay = -a[ao + 1]!, az = -a[ao + 2]!, aw = a[ao + 3]!;
  const bx = b[bo]!, by = b[bo + 1]!, bz = b[bo + 2]!, bw = b[bo + 3]!;
  out[o] = aw * bx + ax * bw + ay * bz - az * by;
  out[o + 1] = aw * by - ax * bz + ay * bw + az * bx;
  out[o + 2] = aw * bz + ax * by - ay * bx + az * bw;
  out[o + 3] = aw * bw - ax * bx - ay * by - az * bz;
}

/** out[o..o+3] = rotate vector v[vo..] by quaternion q[qo..] (`out` may alias `v`). */
export function quatRotate(out: Buf, o: number, q: Buf, qo: number, v: Buf, vo: number): void {
  const qx = q[qo]!, qy = q[qo + 1]!, qz = q[qo + 2]!, qw = q[qo + 3]!;
  const vx = v[vo]!, vy = v[vo + 1]!, vz = v[vo + 2]!;
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (qy * vz - qz * vy);
  const ty = 2 * (qz * vx - qx * vz);
  const tz = 2 * (qx * vy - qy * vx);
  out[o] = vx + qw * tx + (qy * tz - qz * ty);
  out[o + 1] = vy + qw * ty + (qz * tx - qx * tz);
  out[o + 2] = vz + qw * tz + (qx * ty - qy * tx);
}

/** out[o..] = quaternion of a rotation by `angle` about unit axis a[ao..]. */
export function quatFromAxisAngle(out: Buf, o: number, a: Buf, ao: number, angle: number): void {
  const s = Math.sin(angle / 2);
  out[o] = a[ao]! * s;
  out[o + 1] = a[ao + 1]! * s;
  out[o + 2] = a[ao + 2]! * s;
  out[o + 3] = Math.cos(angle / 2);
}

/**
 * Angle of quaternion q (assumed a rotation about unit `axis`) about that axis, in [−π, π].
 * Exact for pure rotations about the axis; for others it is the twist about the axis.
 */
export function twistAngle(q: Buf, qo: number, axis: Buf, ao: number): number {
  let s = q[qo]! * axis[ao]! + q[qo + 1]! * axis[ao + 1]! + q[qo + 2]! * axis[ao + 2]!;
  let w = q[qo + 3]!;
  if (w < 0) {
    s = -s;
    w = -w;
  }
  return 2 * Math.atan2(s, w);
}

/** Quaternion (x, y, z, w) of URDF roll-pitch-yaw: R = Rz(yaw)·Ry(pitch)·Rx(roll). */
export function quatFromRpy(roll: number, pitch: number, yaw: number): [number, number, number, number] {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2);
  return [
    sr * cp * cy - cr * sp * sy,
    cr * sp * cy + sr * cp * sy,
    cr * cp * sy - sr * sp * cy,
    cr * cp * cy + sr * sp * sy,
  ];
}

/** 3×3 row-major matrix of a unit quaternion. */
export function matFromQuat(q: readonly number[]): number[] {
  const [x, y, z, w] = q as [number, number, number, number];
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** Unit quaternion of a proper rotation matrix (row-major 3×3). */
export function quatFromMat(m: readonly number[]): [number, number, number, number] {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m as [number, number, number, number, number, number, number, number, number];
  const tr = m00 + m11 + m22;
  let x: number, y: number, z: number, w: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = s / 4;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    w = (m21 - m12) / s;
    x = s / 4;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = s / 4;
    z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = s / 4;
  }
  const n = Math.hypot(x, y, z, w);
  return [x / n, y / n, z / n, w / n];
}

/**
 * Eigen-decomposition of a symmetric 3×3 matrix (row-major) by cyclic Jacobi rotations.
 * Returns the eigenvalues and the eigenvectors as the columns of a proper rotation (det +1).
 */
export function symmetricEigen(a: readonly number[]): { values: [number, number, number]; vectors: number[] } {
  const m = [...a];
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(m[1]!) + Math.abs(m[2]!) + Math.abs(m[5]!);
    if (off < 1e-300) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = m[3 * p + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const app = m[3 * p + p]!;
      const aqq = m[3 * q + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // m ← Jᵀ m J with J the rotation in the (p, q) plane.
      for (let k = 0; k < 3; k++) {
        const mkp = m[3 * k + p]!, mkq = m[3 * k + q]!;
        m[3 * k + p] = c * mkp - s * mkq;
        m[3 * k + q] = s * mkp + c * mkq;
      }
      for (let k = 0; k < 3; k++) {
        const mpk = m[3 * p + k]!, mqk = m[3 * q + k]!;
        m[3 * p + k] = c * mpk - s * mqk;
        m[3 * q + k] = s * mpk + c * mqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p]!, vkq = v[3 * k + q]!;
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  const det =
    v[0]! * (v[4]! * v[8]! - v[5]! * v[7]!) - v[1]! * (v[3]! * v[8]! - v[5]! * v[6]!) + v[2]! * (v[3]! * v[7]! - v[4]! * v[6]!);
  if (det < 0) for (let k = 0; k < 3; k++) v[3 * k + 2] = -v[3 * k + 2]!;
  return { values: [m[0]!, m[4]!, m[8]!], vectors: v };
}
