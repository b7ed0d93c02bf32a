import { describe, expect, it } from "vitest";
import { Mlp, type DenseLayer, type MlpActivation } from "../src/policy/mlp.js";
import { probeAllocations, randomInput, randomLayers } from "./policy-fixtures.js";

/** Textbook forward pass in float64: y_o = b_o + Σ_i x_i·W[i][o], activation on hidden layers. */
function reference(layers: readonly DenseLayer[], act: MlpActivation, x: Float32Array, batch: number): Float64Array {
  const outDim = layers[layers.length - 1]!.outDim;
  const result = new Float64Array(batch * outDim);
  for (let r = 0; r < batch; r++) {
    let h: number[] = Array.from(x.subarray(r * layers[0]!.inDim, (r + 1) * layers[0]!.inDim));
    layers.forEach((l, k) => {
      const y: number[] = [];
      for (let o = 0; o < l.outDim; o++) {
        let s = l.bias[o]!;
        for (let i = 0; i < l.inDim; i++) s += h[i]! * l.kernel[i * l.outDim + o]!;
        if (k < layers.length - 1) s = act === "tanh" ? Math.tanh(s) : Math.max(0, s);
        y.push(s);
      }
      h = y;
    });
    result.set(h, r * outDim);
  }
  return result;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const SHAPES: number[][] = [
  [3, 5], // linear policy
  [11, 64, 64, 3], // hopper-sized
  [7, 13, 1],
  [17, 9, 33, 4],
  [24, 256, 256, 6],
];

describe("Mlp", () => {
  for (const dims of SHAPES) {
    for (const act of ["tanh", "relu"] as const) {
      it(`matches the reference for ${dims.join("-")} (${act}) at batch 1 and 37`, () => {
        const layers = randomLayers(dims, dims.length * 100 + dims[0]!);
        const mlp = new Mlp(layers, act);
        for (const batch of [1, 37]) {
          const x = randomInput(batch * dims[0]!, batch);
          const out = new Float32Array(batch * dims[dims.length - 1]!);
          mlp.forward(x, batch, out);
          expect(maxAbsDiff(out, reference(layers, act, x, batch))).toBeLessThan(1e-6);
        }
      });
    }
  }

  it("gives each row the same bits whatever the batch size or the row's position", () => {
    const dims = [11, 64, 64, 3];
    const mlp = new Mlp(randomLayers(dims, 5), "tanh");
    const batch = 37;
    const x = randomInput(batch * 11, 9);
    const all = new Float32Array(batch * 3);
    mlp.forward(x, batch, all);
    const one = new Float32Array(3);
    for (let r = 0; r < batch; r++) {
      mlp.forward(x.subarray(r * 11, (r + 1) * 11), 1, one);
      expect(Array.from(one)).toEqual(Array.from(all.subarray(r * 3, (r + 1) * 3)));
    }
  });

  it("handles batches that grow and shrink, and leaves extra output untouched", () => {
    const layers = randomLayers([6, 10, 2], 1);
    const mlp = new Mlp(layers, "relu");
    for (const batch of [1, 9, 3, 40, 2]) {
      const x = randomInput(batch * 6, batch + 100);
      const out = new Float32Array(batch * 2 + 1).fill(42);
      mlp.forward(x, batch, out);
      expect(maxAbsDiff(out.subarray(0, batch * 2), reference(layers, "relu", x, batch))).toBeLessThan(1e-6);
      expect(out[batch * 2]).toBe(42);
    }
  });

  it("copies weights in, updates them with setWeights, and hands out copies", () => {
    const a = randomLayers([4, 8, 2], 1);
    const b = randomLayers([4, 8, 2], 2);
    const mlp = new Mlp(a, "tanh");
    a[0]!.kernel.fill(0); // must not leak into the Mlp
    const x = randomInput(4, 3);
    const out = new Float32Array(2);
    mlp.forward(x, 1, out);
    expect(maxAbsDiff(out, reference(randomLayers([4, 8, 2], 1), "tanh", x, 1))).toBeLessThan(1e-6);
    mlp.setWeights(b);
    mlp.forward(x, 1, out);
    expect(maxAbsDiff(out, reference(b, "tanh", x, 1))).toBeLessThan(1e-6);
    const copy = mlp.getWeights();
    expect(Array.from(copy[1]!.bias)).toEqual(Array.from(b[1]!.bias));
    copy[1]!.bias.fill(0);
    mlp.forward(x, 1, out);
    expect(maxAbsDiff(out, reference(b, "tanh", x, 1))).toBeLessThan(1e-6);
  });

  it("rejects inconsistent layers and short buffers", () => {
    const [l0, l1] = randomLayers([4, 8, 2], 1) as [DenseLayer, DenseLayer];
    expect(() => new Mlp([], "tanh")).toThrow(/at least one layer/);
    expect(() => new Mlp([l0, { ...l1, inDim: 7, kernel: new Float32Array(14) }], "tanh")).toThrow(/layer 1: inDim 7 does not match outDim 8/);
    expect(() => new Mlp([{ ...l0, kernel: new Float32Array(5) }, l1], "tanh")).toThrow(/layer 0: kernel has 5 elements/);
    const mlp = new Mlp([l0, l1], "tanh");
    expect(() => mlp.forward(new Float32Array(7), 2, new Float32Array(4))).toThrow(/input has 7 elements/);
    expect(() => mlp.forward(new Float32Array(8), 2, new Float32Array(3))).toThrow(/out has 3 elements/);
    expect(() => mlp.forward(new Float32Array(8), 0, new Float32Array(4))).toThrow(/batch must be a positive integer/);
    expect(() => mlp.setWeights(randomLayers([4, 9, 2], 1))).toThrow(/expected \[4, 8\]/);
  });

  it("allocates nothing per call (100k calls at batch 1 and 8: no GC, heap flat)", async () => {
    const dims = [11, 64, 64, 3];
    const mlp = new Mlp(randomLayers(dims, 3), "tanh");
    const x = randomInput(8 * 11, 4);
    const out = new Float32Array(8 * 3);
    const loop = (n: number): void => {
      for (let i = 0; i < n; i++) mlp.forward(x, i % 2 === 0 ? 1 : 8, out);
    };
    const { gcs, heapGrowth } = await probeAllocations(loop);
    // At most one collection: V8 may finish incremental marking started before the loop.
    expect(gcs).toBeLessThanOrEqual(1);
    expect(heapGrowth).toBeLessThan(256 * 1024);
  });
});
