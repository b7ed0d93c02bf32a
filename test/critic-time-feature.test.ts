/**
 * The critic's time feature (`policy.critic_time_feature`, RolloutOptions.timeFeature): the value
 * network sees τ = 1 − t/T after the observation, the policy does not, and an episode cut at the
 * time limit is terminal. The counter task observes t itself, so every τ can be checked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";
import { loadPolicy } from "../src/policy/artifact.js";
import { Mlp } from "../src/policy/mlp.js";
import { AutoReset } from "../src/port/wrappers/auto-reset.js";
import { TimeLimit } from "../src/port/wrappers/time-limit.js";
import { ActorCritic } from "../src/rl/actor-critic.js";
import { RolloutCollector, type RolloutBatch, valueInputDim } from "../src/rl/rollout.js";
import { ObservationNormalizer, RewardScaler } from "../src/rl/running-stats.js";
import { train } from "../src/rl/trainer.js";
import { SimPort } from "../src/sim/sim-port.js";
import { Rng } from "../src/util/rng.js";
import { counterTask } from "./counter-task.js";

const T = 4;
const N_ENVS = 2;
const N_STEPS = 10;
const OD = 2;

function collect(timeFeature: boolean): { batch: RolloutBatch; vf: Mlp } {
  const task = counterTask(T);
  const port = new AutoReset(new TimeLimit(new SimPort(task, { numEnvs: N_ENVS, seed: 1 }), T));
  const options = { nSteps: N_STEPS, gamma: 0.99, gaeLambda: 0.95, ...(timeFeature ? { timeFeature: { maxSteps: T } } : {}) };
  const model = new ActorCritic(
    { obsDim: OD, actDim: 1, hidden: [8], valueHidden: [8], activation: "tanh", logStdInit: -10, valueInputDim: valueInputDim(OD, options) },
    new Rng(5),
  );
  const piLayers = model.exportLayers("pi");
  piLayers[piLayers.length - 1]!.bias.fill(-3); // action ≈ 0: the counter never terminates, every episode is cut at T
  const pi = new Mlp(piLayers, "tanh");
  const vf = new Mlp(model.exportLayers("vf"), "tanh");
  const collector = new RolloutCollector(
    port,
    new ObservationNormalizer(OD, 10, false),
    new RewardScaler(N_ENVS, 0.99, 10, false),
    options,
    new Rng(6),
  );
  const batch = collector.collect(pi, vf, model.exportLogStd());
  model.dispose();
  return { batch, vf };
}

describe("critic time feature", () => {
  it("appends τ = 1 − t/T to the critic's inputs only, and values come from them", () => {
    const { batch, vf } = collect(true);
    expect(batch.valueObsDim).toBe(OD + 1);
    expect(batch.valueObs).not.toBe(batch.obs);
    const v = new Float32Array(1);
    const taus = new Set<number>();
    for (let r = 0; r < batch.size; r++) {
      const row = batch.valueObs.subarray(r * 3, r * 3 + 3);
      expect([row[0], row[1]]).toEqual([batch.obs[r * OD], batch.obs[r * OD + 1]]);
      const t = batch.obs[r * OD]!; // the counter's observation: steps taken in this episode
      expect(row[2]).toBeCloseTo(1 - t / T, 6);
      taus.add(row[2]!);
      vf.forward(row, 1, v);
      expect(batch.values[r]).toBe(v[0]);
    }
    expect(taus.size).toBe(T); // τ = 1, 0.75, 0.5, 0.25 all seen
  });

  it("makes reaching the time limit terminal: no bootstrap, the return of the last step is its reward", () => {
    const { batch } = collect(true);
    let cut = 0;
    for (let r = 0; r < batch.size; r++) {
      if (batch.truncated[r] !== 1) continue;
      cut++;
      expect(batch.terminated[r]).toBe(0);
      expect(batch.truncValues[r]).toBe(0);
      expect(batch.returns[r]).toBeCloseTo(1, 5); // reward 1, nothing after
    }
    expect(cut).toBe(N_ENVS * Math.floor(N_STEPS / T));
  });

  it("without it the critic sees the observation and a cut episode bootstraps from V(final obs)", () => {
    const { batch } = collect(false);
    expect(batch.valueObs).toBe(batch.obs);
    expect(batch.valueObsDim).toBe(OD);
    const cut = [...batch.truncated.keys()].filter((r) => batch.truncated[r] === 1);
    expect(cut.length).toBeGreaterThan(0);
    for (const r of cut) expect(batch.truncValues[r]).not.toBe(0);
  });
});

describe("training with critic_time_feature", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("trains PPO and TRPO, and the exported policy keeps the task's observation", async () => {
    for (const algo of ["ppo", "trpo"]) {
      const dir = mkdtempSync(join(tmpdir(), "locomote-timefeat-"));
      dirs.push(dir);
      const launch = await loadLaunch("launch/point_mass_ppo.launch.yaml", { run_dir: dir, total_steps: "4096", seed: "1", algo });
      const config = { ...launch.config, policy: { ...launch.config.policy, critic_time_feature: true } };
      const result = await train({ config, launchFile: launch.file, progress: "off", plot: false });
      expect(result.finalEval).not.toBeNull();
      expect(Number.isFinite(result.finalEval!.mean_return)).toBe(true);
      const policy = await loadPolicy(result.policyDir);
      expect(policy.network.obs_dim).toBe(policy.spec.observation.names.length);
    }
  });
});
