/** Micro-benchmark: wall time of one PPO update on random data, per minibatch size. */
import { initBackend } from "../nn/backend.js";
import { Adam } from "../nn/optim.js";
import { ActorCritic } from "../rl/actor-critic.js";
import { ppoUpdate } from "../rl/ppo.js";
import type { RolloutBatch } from "../rl/rollout.js";
import { Rng } from "../util/rng.js";

async function main(): Promise<void> {
  const backend = await initBackend();
  const obsDim = Number(process.env["OBS"] ?? 11);
  const actDim = Number(process.env["ACT"] ?? 3);
  const hidden = (process.env["HIDDEN"] ?? "64,64").split(",").map(Number);
  const rng = new Rng(1);
  const model = new ActorCritic({ obsDim, actDim, hidden, valueHidden: hidden, activation: "tanh", logStdInit: 0 }, rng);
  const opt = new Adam(model.params.map((p) => p.length), 3e-4, 1e-5);
  const N = 4096;
  const rand = (k: number): Float32Array => Float32Array.from({ length: k }, () => rng.normal());
  const obs = rand(N * obsDim);
  const batch: RolloutBatch = {
    size: N, obs, valueObs: obs, valueObsDim: obsDim, preTanh: rand(N * actDim), logpGauss: rand(N), logJac: rand(N), values: rand(N), rewards: rand(N),
    terminated: new Uint8Array(N), truncated: new Uint8Array(N), truncValues: rand(N), lastValues: rand(1), advantages: rand(N), returns: rand(N),
  };
  for (const mb of [64, 128, 256, 512, 1024, 2048]) {
    const hp = { nEpochs: 2, numMinibatches: N / mb, clipRange: 0.2, clipRangeVf: null, entCoef: 0, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null };
    ppoUpdate(model, opt, batch, { ...hp, nEpochs: 1 }, rng);
    const t0 = performance.now();
    ppoUpdate(model, opt, batch, hp, rng);
    const ms = performance.now() - t0;
    const steps = 2 * (N / mb);
    console.log(`${backend} mb=${mb} ms/step=${(ms / steps).toFixed(2)} us/sample-epoch=${((ms * 1000) / (2 * N)).toFixed(2)}`);
  }
}
void main();
