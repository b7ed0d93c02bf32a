/**
 * The frozen policy (plain Float32Array forward pass, no tfjs) must agree with the training
 * network (tfjs) to 1e-5 on the same inputs, normalization and action scaling included.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrainConfigSchema } from "../src/launch/train-config.js";
import { initBackend } from "../src/nn/backend.js";
import { loadPolicy } from "../src/policy/artifact.js";
import { ActorCritic } from "../src/rl/actor-critic.js";
import { exportPolicy } from "../src/rl/export.js";
import { ObservationNormalizer } from "../src/rl/running-stats.js";
import { Rng } from "../src/util/rng.js";
import type { TaskDefinition } from "../src/sim/task.js";

const dir = mkdtempSync(join(tmpdir(), "locomote-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ quiet: true });
});

const obsDim = 11;
const actDim = 3;
const task: TaskDefinition = {
  name: "synthetic",
  maxEpisodeSteps: 10,
  state: { nq: 0, nv: 0, qposNames: [], qvelNames: [], links: [], joints: [] },
  createInstance: () => {
    throw new Error("not stepped in this test");
  },
  spec: {
    robot: "synthetic",
    observation: { names: Array.from({ length: obsDim }, (_, i) => `o${i}`), low: Array(obsDim).fill(-Infinity), high: Array(obsDim).fill(Infinity) },
    action: { names: ["a0", "a1", "a2"], low: [-1, -2, 0], high: [1, 2, 0.5] },
    actuators: [
      { joint: "a0", interface: "effort", gear: 200 },
      { joint: "a1", interface: "effort", gear: 200 },
      { joint: "a2", interface: "effort", gear: 200 },
    ],
    dt: 0.008,
    metrics: [],
  },
};

describe("frozen policy vs training network", () => {
  for (const activation of ["tanh", "relu"] as const) {
    it(`agrees to 1e-5 (${activation})`, async () => {
      const rng = new Rng(11);
      const model = new ActorCritic({ obsDim, actDim, hidden: [64, 64], valueHidden: [64, 64], activation, logStdInit: -0.5 }, rng);
      // Make the head weights large enough that outputs are far from 0 (init gain is 0.01).
      for (const p of model.params) for (let i = 0; i < p.length; i++) p[i] = p[i]! + 0.3 * rng.normal();
      model.syncToTf();
      const norm = new ObservationNormalizer(obsDim, 5, true);
      const raw = new Float32Array(200 * obsDim);
      for (let i = 0; i < raw.length; i++) raw[i] = 3 * rng.normal() + 1;
      norm.update(raw, 200);
      const config = TrainConfigSchema.parse({ robot: "synthetic", policy: { hidden: [64, 64], activation } });
      const out = join(dir, activation);
      await exportPolicy(out, { task, config, model, obsNorm: norm, launchFile: "test", envSteps: 0, updates: 0 });
      const frozen = await loadPolicy(out);

      const n = 37;
      const obs = raw.subarray(0, n * obsDim);
      const got = new Float32Array(n * actDim);
      frozen.act(obs, n, got);

      const normed = new Float32Array(n * obsDim);
      norm.normalize(obs, n, normed);
      const expected = tf.tidy(() => {
        const mu = model.policyMean(tf.tensor2d(normed, [n, obsDim]));
        return tf.tanh(mu).dataSync();
      });
      const { low, high } = task.spec.action;
      let maxErr = 0;
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < actDim; j++) {
          const e = low[j]! + ((expected[r * actDim + j]! + 1) / 2) * (high[j]! - low[j]!);
          maxErr = Math.max(maxErr, Math.abs(e - got[r * actDim + j]!));
        }
      }
      expect(maxErr).toBeLessThan(1e-5);
      model.dispose();
    });
  }
});
