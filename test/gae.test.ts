import { describe, expect, it } from "vitest";
import { computeGae } from "../src/rl/gae.js";

describe("computeGae", () => {
  // Two envs, four steps (time-major rows: [env0, env1]).
  // env0: steps 0,1 then TRUNCATED at t=1 (bootstrap with V(final)=5), new episode t=2,3 (runs on).
  // env1: TERMINATED at t=2 (no bootstrap), new episode at t=3 (runs on).
  const gamma = 0.9;
  const lambda = 0.8;
  const rewards = Float32Array.from([1, 2, 1, 2, 1, 2, 1, 2]);
  const values = Float32Array.from([0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1]);
  const terminated = Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0]);
  const truncated = Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 0]);
  const truncValues = Float32Array.from([0, 0, 5, 0, 0, 0, 0, 0]);
  const lastValues = Float32Array.from([3, 4]);

  it("matches hand-computed advantages with a truncation and a termination", () => {
    const adv = new Float32Array(8);
    const ret = new Float32Array(8);
    computeGae({ numEnvs: 2, nSteps: 4, gamma, lambda, rewards, values, terminated, truncated, truncValues, lastValues }, adv, ret);
    // env0 (rewards 1 each, values 0.5 each):
    //  t=3: δ = 1 + 0.9·3 − 0.5 = 3.2; A = 3.2
    //  t=2: δ = 1 + 0.9·0.5 − 0.5 = 0.95; A = 0.95 + 0.72·3.2 = 3.254
    //  t=1 (truncated, V(final)=5): δ = 1 + 0.9·5 − 0.5 = 5.0; A = 5.0 (chain cut)
    //  t=0: δ = 1 + 0.9·0.5 − 0.5 = 0.95; A = 0.95 + 0.72·5.0 = 4.55
    // env1 (rewards 2, values 1):
    //  t=3: δ = 2 + 0.9·4 − 1 = 4.6; A = 4.6
    //  t=2 (terminated): δ = 2 − 1 = 1; A = 1 (chain cut, no bootstrap)
    //  t=1: δ = 2 + 0.9·1 − 1 = 1.9; A = 1.9 + 0.72·1 = 2.62
    //  t=0: δ = 1.9; A = 1.9 + 0.72·2.62 = 3.7864
    const expected = [4.55, 3.7864, 5.0, 2.62, 3.254, 1, 3.2, 4.6];
    for (let k = 0; k < 8; k++) expect(adv[k]).toBeCloseTo(expected[k]!, 5);
    for (let k = 0; k < 8; k++) expect(ret[k]).toBeCloseTo(expected[k]! + values[k]!, 5);
  });

  it("treats truncation differently from termination", () => {
    const adv = new Float32Array(8);
    const ret = new Float32Array(8);
    const asTerminated = Uint8Array.from([0, 0, 1, 0, 0, 1, 0, 0]);
    computeGae({ numEnvs: 2, nSteps: 4, gamma, lambda, rewards, values, terminated: asTerminated, truncated: new Uint8Array(8), truncValues, lastValues }, adv, ret);
    // Without the bootstrap the truncated step's advantage drops by γ·V(final) = 4.5.
    expect(adv[2]).toBeCloseTo(0.5, 5);
  });
});
