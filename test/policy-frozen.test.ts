import { describe, expect, it } from "vitest";
import { FrozenPolicy } from "../src/policy/frozen.js";
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyManifest, type PolicyManifestBody } from "../src/policy/manifest.js";
import type { DenseLayer } from "../src/policy/mlp.js";
import { makeBody, makeSpec, probeAllocations, randomInput, randomLayers } from "./policy-fixtures.js";

function manifestOf(body: PolicyManifestBody): PolicyManifest {
  // FrozenPolicy never reads the weights section; a placeholder keeps the type honest.
  return {
    format: POLICY_FORMAT,
    format_version: POLICY_FORMAT_VERSION,
    ...body,
    weights: { file: "weights.bin", dtype: "float32", byte_length: 0, sha256: "0".repeat(64), tensors: [] },
  };
}

/**
 * Linear policy u = z (identity kernel, zero bias) on 2 observations → 2 actions, so every
 * number below follows by hand from the three formulas:
 *   z = clamp((x − mean) / sqrt(var + eps), ±clip)   mean [1, −2], var [4, 0.25], eps 0, clip 5
 *   a = low + (tanh(z) + 1)/2 · (high − low)          low [−1, 0], high [1, 10]
 */
function handPolicy(normalize: boolean): FrozenPolicy {
  const spec = makeSpec(2, 2);
  const body = makeBody(2, [], 2, {
    spec,
    observation_normalization: normalize ? { mean: [1, -2], var: [4, 0.25], clip: 5, epsilon: 0 } : null,
    action_scaling: { squash: "tanh", low: [-1, 0], high: [1, 10] },
  });
  const identity: DenseLayer = { inDim: 2, outDim: 2, kernel: new Float32Array([1, 0, 0, 1]), bias: new Float32Array(2) };
  return new FrozenPolicy(manifestOf(body), [identity]);
}

describe("FrozenPolicy", () => {
  it("normalizes, clips, squashes and scales as hand-computed", () => {
    const policy = handPolicy(true);
    // Row 0: x = [3, −2]  → z = [(3−1)/2, 0] = [1, 0]
    // Row 1: x = [100, −10] → z = [49.5, −16] clipped to [5, −5]
    // Row 2: x = [−1, −1.75] → z = [−1, 0.5]
    const obs = new Float32Array([3, -2, 100, -10, -1, -1.75]);
    const z = new Float32Array(6);
    policy.normalizeObservation(obs, 3, z);
    expect(Array.from(z)).toEqual([1, 0, 5, -5, -1, 0.5]);

    const out = new Float32Array(6);
    policy.act(obs, 3, out);
    const expected = [
      0.7615941559557649, // −1 + (tanh 1 + 1)/2·2 = tanh 1
      5, // 0 + (tanh 0 + 1)/2·10
      0.9999092042625951, // tanh 5
      0.000453978687024, // (1 − tanh 5)/2·10
      -0.7615941559557649, // tanh(−1)
      7.310585786300049, // (tanh 0.5 + 1)/2·10 = 5 + 5·0.46211715726000974
    ];
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));

    policy.actNormalized(obs, 3, out);
    [0.7615941559557649, 0, 0.9999092042625951, -0.9999092042625951, -0.7615941559557649, 0.46211715726000974].forEach((v, i) =>
      expect(out[i]).toBeCloseTo(v, 6),
    );
  });

  it("feeds raw observations to the network when normalization is null", () => {
    const policy = handPolicy(false);
    const out = new Float32Array(2);
    policy.act(new Float32Array([0.5, -20]), 1, out);
    expect(out[0]).toBeCloseTo(Math.tanh(0.5), 6); // −1 + (tanh 0.5 + 1)/2·2
    expect(out[1]).toBeCloseTo(((Math.tanh(-20) + 1) / 2) * 10, 6);
  });

  it("exposes spec, joints, provenance and network", () => {
    const policy = handPolicy(true);
    expect(policy.joints).toEqual(["joint_0", "joint_1"]);
    expect(policy.spec.robot).toBe("testbot");
    expect(policy.provenance.algo).toBe("ppo");
    expect(policy.network.hidden).toEqual([]);
    expect(policy.obsDim).toBe(2);
    expect(policy.actDim).toBe(2);
  });

  it("rejects layers that do not match the network description", () => {
    const body = makeBody(5, [8], 2);
    expect(() => new FrozenPolicy(manifestOf(body), randomLayers([5, 2], 1))).toThrow(/2 dense layers are expected, got 1/);
    expect(() => new FrozenPolicy(manifestOf(body), randomLayers([5, 7, 2], 1))).toThrow(/layer 0 is \[5, 7\]/);
  });

  it("acts without allocating (100k calls at batch 1)", async () => {
    const body = makeBody(11, [64, 64], 3);
    const policy = new FrozenPolicy(manifestOf(body), randomLayers([11, 64, 64, 3], 2));
    const obs = randomInput(11, 1);
    const out = new Float32Array(3);
    const loop = (n: number): void => {
      for (let i = 0; i < n; i++) policy.act(obs, 1, out);
    };
    const { gcs, heapGrowth } = await probeAllocations(loop);
    expect(gcs).toBeLessThanOrEqual(1); // see policy-mlp.test.ts
    expect(heapGrowth).toBeLessThan(256 * 1024);
  });
});
