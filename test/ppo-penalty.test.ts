/**
 * PPO-Penalty: the adaptive β rule and the closed-form KL by hand, one update on a synthetic
 * batch, and the learning test on point_mass (which must fail with the gradient sign flipped).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";
import { initBackend } from "../src/nn/backend.js";
import { Adam } from "../src/nn/optim.js";
import { ActorCritic } from "../src/rl/actor-critic.js";
import { adaptBeta, BETA_MAX, BETA_MIN, ppoPenaltyUpdate } from "../src/rl/ppo-penalty.js";
import type { RolloutBatch } from "../src/rl/rollout.js";
import { gaussianKlTf } from "../src/rl/tanh-gaussian.js";
import { train } from "../src/rl/trainer.js";
import { Rng } from "../src/util/rng.js";

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend({ quiet: true });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("adaptBeta", () => {
  it.each([
    [0.02, 2], // > 1.5 · 0.01: doubles
    [0.0151, 2],
    [0.015, 1], // exactly 1.5 · target: unchanged
    [0.01, 1],
    [0.01 / 1.5, 1], // exactly target / 1.5: unchanged
    [0.006, 0.5], // below target / 1.5: halves
    [0, 0.5],
  ])("KL %f with target 0.01 takes β = 1 to %f", (kl, next) => {
    expect(adaptBeta(1, kl, 0.01)).toBe(next);
  });

  it("stays within its bounds", () => {
    expect(adaptBeta(BETA_MAX, 1, 0.01)).toBe(BETA_MAX);
    expect(adaptBeta(BETA_MIN, 0, 0.01)).toBe(BETA_MIN);
  });
});

describe("gaussianKlTf", () => {
  it("matches the closed form by hand", () => {
    // Two rows, two action dims, σ = 1 throughout: row 0 moves μ₀ by 1 (KL ½), row 1 is unchanged (0).
    const kl = tf.tidy(() =>
      gaussianKlTf(tf.tensor2d([[0, 0], [0, 0]]), tf.tensor1d([0, 0]), tf.tensor2d([[1, 0], [0, 0]]), tf.tensor1d([0, 0])).arraySync(),
    );
    expect(kl[0]).toBeCloseTo(0.5, 6);
    expect(kl[1]).toBeCloseTo(0, 6);
    // Dim 0: σ 1 → 2 at equal means, log 2 + 1/8 − ½; dim 1: μ moves by 2 at σ = 1, 2² / 2 = 2.
    const kl2 = tf.tidy(() =>
      gaussianKlTf(tf.tensor2d([[0, 0]]), tf.tensor1d([0, 0]), tf.tensor2d([[0, 2]]), tf.tensor1d([Math.log(2), 0])).arraySync(),
    );
    expect(kl2[0]).toBeCloseTo(Math.log(2) + 1 / 8 - 0.5 + 2, 6);
  });
});

describe("ppoPenaltyUpdate", () => {
  it("logs the exact KL it reached and adapts β from it", () => {
    const rng = new Rng(1);
    const model = new ActorCritic({ obsDim: 3, actDim: 2, hidden: [16], valueHidden: [16], activation: "tanh", logStdInit: 0 }, rng);
    const optimizer = new Adam(model.params.map((p) => p.length), 3e-3, 1e-5);
    const n = 256;
    const rand = (k: number): Float32Array => Float32Array.from({ length: k }, () => rng.normal());
    const obs = rand(n * 3);
    const batch: RolloutBatch = {
      size: n, obs, valueObs: obs, valueObsDim: 3, preTanh: rand(n * 2), logpGauss: new Float32Array(n), logJac: new Float32Array(n), values: rand(n),
      rewards: rand(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n), truncValues: rand(n), lastValues: rand(1),
      advantages: rand(n), returns: rand(n),
    };
    for (let i = 0; i < n; i++) {
      const a = batch.preTanh[2 * i]!;
      const b = batch.preTanh[2 * i + 1]!;
      batch.logpGauss[i] = -0.5 * (a * a + b * b) - Math.log(2 * Math.PI); // N(0, 1) at init (μ ≈ 0, σ = 1)
    }
    const state = { beta: 1 };
    const tensors = tf.memory().numTensors;
    const hp = { nEpochs: 4, numMinibatches: 4, clipRangeVf: null, entCoef: 0, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null, klTarget: 0.01 };
    const s = ppoPenaltyUpdate(model, optimizer, batch, hp, state, new Rng(2));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(s.beta).toBe(1);
    expect(s.kl).toBeGreaterThan(0);
    expect(s.beta_next).toBe(adaptBeta(1, s.kl, 0.01));
    expect(state.beta).toBe(s.beta_next);
    expect(Number.isFinite(s.surrogate)).toBe(true);
    model.dispose();
  });
});

async function learn(flip: boolean): Promise<{ ret: number; betas: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "locomote-ppo-penalty-learn-"));
  dirs.push(dir);
  const launch = await loadLaunch("launch/point_mass_ppo.launch.yaml", { algo: "ppo_penalty", run_dir: dir, total_steps: "30000", seed: "2" });
  const result = await train({ config: launch.config, launchFile: launch.file, progress: "off", plot: false, flipGradientSign: flip });
  expect(result.finalEval).not.toBeNull();
  const rows = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  return { ret: result.finalEval!.mean_return, betas: rows.map((r) => r["beta"]!) };
}

describe("PPO-Penalty learning on point_mass", () => {
  it("learns to hold the mass at the origin, logging the β schedule", async () => {
    const { ret, betas } = await learn(false);
    console.log(`PPO-Penalty point_mass deterministic eval: ${ret.toFixed(2)}; β: ${betas.join(" ")}`);
    expect(ret).toBeGreaterThan(-6);
    expect(betas[0]).toBe(1);
    // β moves only by doubling or halving.
    for (let i = 1; i < betas.length; i++) expect([0.5, 1, 2]).toContain(betas[i]! / betas[i - 1]!);
  });

  it("does not learn with the policy-gradient sign flipped", async () => {
    const { ret } = await learn(true);
    console.log(`PPO-Penalty point_mass deterministic eval, sign flipped: ${ret.toFixed(2)}`);
    expect(ret).toBeLessThan(-20);
  });
});

describe("PPO-Penalty checkpoints", () => {
  it("saves β and resumes with it (not with init_beta)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "locomote-ppo-penalty-resume-"));
    dirs.push(dir);
    const args = { algo: "ppo_penalty", run_dir: dir, total_steps: "30000", seed: "2" };
    const first = await loadLaunch("launch/point_mass_ppo.launch.yaml", args);
    await train({ config: first.config, launchFile: first.file, progress: "off", plot: false, maxUpdates: 5 });
    const rowsOf = (): Record<string, number>[] =>
      readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    const before = rowsOf();
    expect(before).toHaveLength(5);
    const betaNext = before[4]!["beta_next"]!; // 2 for this seed (schedule 0.5 1 0.5 1 2)
    expect(betaNext).not.toBe(first.config.ppo_penalty.init_beta); // β has moved: the test can fail
    const again = await loadLaunch("launch/point_mass_ppo.launch.yaml", args);
    await train({ config: again.config, launchFile: again.file, progress: "off", plot: false, resume: true, maxUpdates: 6 });
    const after = rowsOf();
    expect(after).toHaveLength(6);
    expect(after[5]!["beta"]).toBe(betaNext);
  });
});
