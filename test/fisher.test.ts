/**
 * The analytic Fisher-vector product (tfjs, float32) against a finite-difference
 * Hessian-vector product of the mean KL, computed here in float64 by an independent forward
 * pass (no code shared with fisher.ts beyond the parameter layout).
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/nn/backend.js";
import type { DenseLayer } from "../src/policy/mlp.js";
import { flattenParams, GaussianPolicyFisher, type HiddenActivation, policyParamCount } from "../src/rl/fisher.js";
import { Rng } from "../src/util/rng.js";

interface Net {
  dims: number[];
  activation: HiddenActivation;
}

function randomLayers(rng: Rng, dims: readonly number[], scale: number): DenseLayer[] {
  const layers: DenseLayer[] = [];
  for (let k = 0; k + 1 < dims.length; k++) {
    const i = dims[k]!;
    const o = dims[k + 1]!;
    layers.push({
      inDim: i,
      outDim: o,
      kernel: Float32Array.from({ length: i * o }, () => (rng.normal() * scale) / Math.sqrt(i)),
      bias: Float32Array.from({ length: o }, () => rng.normal() * 0.1),
    });
  }
  return layers;
}

/** Means μ(s) for the flat parameter vector θ (layout of fisher.ts), float64. */
function means(net: Net, theta: Float64Array, obs: Float64Array, batch: number): Float64Array {
  let h = obs;
  let off = 0;
  const L = net.dims.length - 1;
  for (let k = 0; k < L; k++) {
    const nIn = net.dims[k]!;
    const nOut = net.dims[k + 1]!;
    const y = new Float64Array(batch * nOut);
    for (let r = 0; r < batch; r++) {
      for (let o = 0; o < nOut; o++) {
        let s = theta[off + nIn * nOut + o]!;
        for (let i = 0; i < nIn; i++) s += h[r * nIn + i]! * theta[off + i * nOut + o]!;
        y[r * nOut + o] = k + 1 < L ? (net.activation === "tanh" ? Math.tanh(s) : Math.max(0, s)) : s;
      }
    }
    off += nIn * nOut + nOut;
    h = y;
  }
  return h;
}

/** Mean over the batch of KL(N(μ_old, σ_old) ‖ N(μ_θ, σ_θ)), summed over action dims. */
function meanKl(net: Net, theta0: Float64Array, theta: Float64Array, obs: Float64Array, batch: number): number {
  const d = net.dims[net.dims.length - 1]!;
  const ls = theta0.length - d;
  const m0 = means(net, theta0, obs, batch);
  const m1 = means(net, theta, obs, batch);
  let kl = 0;
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < d; j++) {
      const l0 = theta0[ls + j]!;
      const l1 = theta[ls + j]!;
      const diff = m0[r * d + j]! - m1[r * d + j]!;
      kl += l1 - l0 + (Math.exp(2 * l0) + diff * diff) / (2 * Math.exp(2 * l1)) - 0.5;
    }
  }
  return kl / batch;
}

/** (H·v)_k ≈ [K(θ+εv+δe_k) − K(θ+εv−δe_k) − K(θ−εv+δe_k) + K(θ−εv−δe_k)] / (4εδ). */
function finiteDifferenceHvp(f: (theta: Float64Array) => number, theta0: Float64Array, v: Float64Array, eps: number): Float64Array {
  const n = theta0.length;
  const out = new Float64Array(n);
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let acc = 0;
    for (const [a, b, sign] of [
      [1, 1, 1],
      [1, -1, -1],
      [-1, 1, -1],
      [-1, -1, 1],
    ] as const) {
      for (let i = 0; i < n; i++) t[i] = theta0[i]! + a * eps * v[i]!;
      t[k] = t[k]! + b * eps;
      acc += sign * f(t);
    }
    out[k] = acc / (4 * eps * eps);
  }
  return out;
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

function setup(net: Net, batch: number, seed: number) {
  const rng = new Rng(seed);
  const layers = randomLayers(rng, net.dims, 1.5);
  const actDim = net.dims[net.dims.length - 1]!;
  const logStd = Float32Array.from({ length: actDim }, () => -0.5 + 0.3 * rng.normal());
  const obs = Float32Array.from({ length: batch * net.dims[0]! }, () => rng.normal());
  const theta0 = flattenParams([...layers.flatMap((l) => [l.kernel, l.bias]), logStd]);
  const v = Float64Array.from({ length: theta0.length }, () => rng.normal());
  return { layers, logStd, obs, theta0, v, obs64: Float64Array.from(obs) };
}

/** Runs `fn` with a Fisher linearized on `obs` (uploaded here) and frees everything after. */
function withFisher<T>(layers: DenseLayer[], logStd: Float32Array, activation: HiddenActivation, obs: Float32Array, batch: number, fn: (f: GaussianPolicyFisher) => T): T {
  const x = tf.tensor2d(obs, [batch, layers[0]!.inDim]);
  const fisher = new GaussianPolicyFisher(layers, logStd, activation, x);
  x.dispose();
  try {
    return fn(fisher);
  } finally {
    fisher.dispose();
  }
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe("GaussianPolicyFisher", () => {
  it.each([
    [{ dims: [3, 5, 4, 2], activation: "tanh" }, 16],
    [{ dims: [6, 16, 16, 3], activation: "tanh" }, 32],
    [{ dims: [4, 8, 2], activation: "relu" }, 16],
  ] as const)("F·v matches a finite-difference Hessian-vector product of the mean KL (%j, batch %d)", (netIn, batch) => {
    const net: Net = { dims: [...netIn.dims], activation: netIn.activation };
    const { layers, logStd, obs, theta0, v, obs64 } = setup(net, batch, 7);
    const before = tf.memory().numTensors;
    const [fv, fv2] = withFisher(layers, logStd, net.activation, obs, batch, (fisher) => {
      expect(fisher.numParams).toBe(theta0.length);
      const a = new Float64Array(fisher.numParams);
      const b = new Float64Array(fisher.numParams);
      fisher.fvp(v, a);
      // A second product reuses the cached activations: it must not depend on the first.
      fisher.fvp(v, b);
      return [a, b];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(policyParamCount(layers)).toBe(theta0.length);
    const hv = finiteDifferenceHvp((t) => meanKl(net, theta0, t, obs64, batch), theta0, v, 1e-3);
    const err = relativeError(fv, hv);
    console.log(`FVP vs finite differences, ${JSON.stringify(net)} batch ${batch}: relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-3);
    expect(Array.from(fv2)).toEqual(Array.from(fv));
  });

  it("F is symmetric positive semi-definite: uᵀF·v = vᵀF·u and vᵀF·v ≥ 0", () => {
    const net: Net = { dims: [5, 12, 3], activation: "tanh" };
    const { layers, logStd, obs, v } = setup(net, 24, 3);
    const rng = new Rng(11);
    const u = Float64Array.from({ length: v.length }, () => rng.normal());
    const fu = new Float64Array(v.length);
    const fv = new Float64Array(v.length);
    withFisher(layers, logStd, "tanh", obs, 24, (fisher) => {
      fisher.fvp(u, fu);
      fisher.fvp(v, fv);
    });
    let uFv = 0;
    let vFu = 0;
    let vFv = 0;
    for (let i = 0; i < v.length; i++) {
      uFv += u[i]! * fv[i]!;
      vFu += v[i]! * fu[i]!;
      vFv += v[i]! * fv[i]!;
    }
    // float32 products: symmetric to rounding.
    expect(Math.abs(uFv - vFu)).toBeLessThan(1e-5 * Math.abs(vFv));
    expect(vFv).toBeGreaterThan(0);
  });

  it("backprop is the vector-Jacobian product of the mean network (finite differences)", () => {
    const net: Net = { dims: [4, 7, 6, 2], activation: "tanh" };
    const batch = 10;
    const { layers, logStd, obs, theta0, obs64 } = setup(net, batch, 5);
    const rng = new Rng(9);
    const c = Float64Array.from({ length: batch * 2 }, () => rng.normal());
    const g = new Float64Array(theta0.length);
    const mean = withFisher(layers, logStd, "tanh", obs, batch, (fisher) => {
      const dMean = tf.tensor2d(Float32Array.from(c), [batch, 2]);
      fisher.backprop(dMean, g);
      dMean.dispose();
      return fisher.mean.dataSync().slice();
    });
    const logStdOffset = theta0.length - 2;
    const f = (t: Float64Array): number => {
      const m = means(net, t, obs64, batch);
      let s = 0;
      for (let i = 0; i < m.length; i++) s += m[i]! * c[i]!;
      return s;
    };
    const t = Float64Array.from(theta0);
    const h = 1e-6;
    const fd = new Float64Array(logStdOffset);
    for (let k = 0; k < logStdOffset; k++) {
      t[k] = theta0[k]! + h;
      const up = f(t);
      t[k] = theta0[k]! - h;
      const down = f(t);
      t[k] = theta0[k]!;
      fd[k] = (up - down) / (2 * h);
    }
    expect(relativeError(g.subarray(0, logStdOffset), fd)).toBeLessThan(1e-5);
    // Its mean μ matches the independent forward pass (to float32 rounding).
    const m = means(net, theta0, obs64, batch);
    for (let i = 0; i < m.length; i++) expect(mean[i]).toBeCloseTo(m[i]!, 5);
  });
});
