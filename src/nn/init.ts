/**
 * Orthogonal initialization (Saxe et al.; the PPO default): a Gaussian matrix orthonormalized
 * by modified Gram–Schmidt, times `gain`. Deterministic for a given Rng stream.
 */
import type { Rng } from "../util/rng.js";

/** Returns a row-major [rows × cols] matrix with orthonormal rows or columns (whichever fewer), scaled by `gain`. */
export function orthogonal(rng: Rng, rows: number, cols: number, gain: number): Float32Array {
  // Orthonormalize the k = min(rows, cols) vectors of length m = max(rows, cols).
  const transpose = rows < cols;
  const k = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  const v = new Float64Array(k * m);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let t = 0; t < m; t++) dot += v[a * m + t]! * v[b * m + t]!;
      for (let t = 0; t < m; t++) v[a * m + t]! -= dot * v[b * m + t]!;
    }
    let norm = 0;
    for (let t = 0; t < m; t++) norm += v[a * m + t]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let t = 0; t < m; t++) v[a * m + t]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // vectors are columns of the result when rows >= cols, rows of it otherwise
      out[r * cols + c] = gain * (transpose ? v[r * m + c]! : v[c * m + r]!);
    }
  }
  return out;
}
