/**
 * The `trpo:` and `ppo_penalty:` sections of the training config, `algo:=trpo` /
 * `algo:=ppo_penalty` on the existing launch files, and launch/hopper_trpo.launch.yaml.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LaunchError, loadLaunch, TrainConfigSchema } from "../src/launch/index.js";

describe("trpo and ppo_penalty sections", () => {
  it("default to the reference configuration", () => {
    const c = TrainConfigSchema.parse({ robot: "hopper", algo: "trpo" });
    expect(c.trpo).toEqual({ max_kl: 0.01, damping: 0.1, cg_iters: 10, line_search_steps: 10, line_search_shrink: 0.5, vf_lr: 1e-3, vf_epochs: 5, vf_num_minibatches: 32, ent_coef: 0 });
    expect(c.ppo_penalty).toEqual({ target_kl: 0.01, init_beta: 1 });
    expect(c.run_dir).toBe("runs/hopper_trpo");
  });

  it.each([
    [{ trpo: { max_kl: 0 } }, false],
    [{ trpo: { max_kl: 0.05 } }, true],
    [{ trpo: { damping: 0 } }, true],
    [{ trpo: { damping: -0.1 } }, false],
    [{ trpo: { cg_iters: 0 } }, false],
    [{ trpo: { cg_iters: 2.5 } }, false],
    [{ trpo: { line_search_steps: 0 } }, false],
    [{ trpo: { vf_lr: 0 } }, false],
    [{ trpo: { vf_epochs: 0 } }, false],
    [{ trpo: { max_kl: 0.01, cg: 10 } }, false],
    [{ ppo_penalty: { target_kl: 0 } }, false],
    [{ ppo_penalty: { init_beta: 0 } }, false],
    [{ ppo_penalty: { init_beta: 3 } }, true],
  ] as const)("%j valid: %s", (extra, valid) => {
    expect(TrainConfigSchema.safeParse({ robot: "hopper", ...extra }).success).toBe(valid);
  });

  it("checks that vf_num_minibatches divides the batch only when algo is trpo", () => {
    const base = { robot: "hopper", num_envs: 3, ppo: { n_steps: 100, num_minibatches: 6 }, trpo: { vf_num_minibatches: 32 } };
    expect(TrainConfigSchema.safeParse({ ...base, algo: "ppo" }).success).toBe(true);
    const bad = TrainConfigSchema.safeParse({ ...base, algo: "trpo" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["trpo", "vf_num_minibatches"],
      message: "a divisor of num_envs * ppo.n_steps = 3 * 100 = 300",
    });
  });

  it("names the file, line and field of a bad trpo value", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "locomote-trpo-config-"));
    try {
      const file = path.join(dir, "x.launch.yaml");
      await writeFile(file, "launch:\n  - train:\n      robot: hopper\n      trpo:\n        max_kl: -1\n        cg_itters: 5\n");
      const error = await loadLaunch(file, {}).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LaunchError);
      expect((error as LaunchError).problems).toEqual([
        `${file}:5: train.trpo.max_kl: got -1, expected a number > 0`,
        `${file}:6: train.trpo.cg_itters: unknown key (did you mean "cg_iters"?)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("algo:= on any training launch file", () => {
  it.each(["launch/hopper_ppo.launch.yaml", "launch/point_mass_ppo.launch.yaml", "launch/hopper_trpo.launch.yaml"])("%s", async (file) => {
    for (const algo of ["ppo", "trpo", "ppo_penalty"] as const) {
      const { config } = await loadLaunch(file, { algo });
      expect(config.algo).toBe(algo);
    }
  });
});

describe("hopper_trpo.launch.yaml", () => {
  it("loads TRPO's reference configuration, tuned as sb3-contrib's, on 2048-sample batches", async () => {
    const { config, args } = await loadLaunch("launch/hopper_trpo.launch.yaml", {});
    expect(args).toEqual({ algo: "trpo", seed: "1", total_steps: "1000000", run_dir: "runs/hopper_trpo", num_envs: "4" });
    expect(config).toMatchObject({ robot: "hopper", sim: "hopper", algo: "trpo", num_envs: 4 });
    expect(config.num_envs * config.ppo.n_steps).toBe(2048);
    expect([config.ppo.gamma, config.ppo.gae_lambda]).toEqual([0.99, 0.97]);
    expect(config.trpo).toEqual({ max_kl: 0.02, damping: 0.1, cg_iters: 10, line_search_steps: 10, line_search_shrink: 0.8, vf_lr: 1e-3, vf_epochs: 20, vf_num_minibatches: 32, ent_coef: 0 });
    expect(config.policy).toEqual({ hidden: [64, 64], activation: "tanh", log_std_init: 0, value_hidden: [64, 64], critic_time_feature: false });
  });
});
