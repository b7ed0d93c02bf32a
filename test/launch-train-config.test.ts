/** The training config schema on its own: defaults, derived defaults, strictness, cross-field check. */
import { describe, expect, it } from "vitest";
import { TrainConfigSchema, type TrainConfig } from "../src/launch/index.js";

describe("TrainConfigSchema", () => {
  it("fills every default from just a robot", () => {
    const expected: TrainConfig = {
      robot: "hopper",
      sim: "hopper",
      algo: "ppo",
      seed: 1,
      total_steps: 1_000_000,
      run_dir: "runs/hopper_ppo",
      num_envs: 4,
      num_workers: 0,
      policy: { hidden: [64, 64], activation: "tanh", log_std_init: -0.5, value_hidden: [64, 64], critic_time_feature: false },
      normalize: { observation: true, reward: true, clip_observation: 10, clip_reward: 10 },
      ppo: {
        n_steps: 512,
        n_epochs: 10,
        num_minibatches: 8,
        learning_rate: 3e-4,
        anneal_lr: true,
        gamma: 0.99,
        gae_lambda: 0.95,
        clip_range: 0.2,
        clip_range_vf: null,
        ent_coef: 0,
        vf_coef: 0.5,
        max_grad_norm: 0.5,
        target_kl: null,
        adam_eps: 1e-5,
      },
      trpo: { max_kl: 0.01, damping: 0.1, cg_iters: 10, line_search_steps: 10, line_search_shrink: 0.5, vf_lr: 1e-3, vf_epochs: 5, vf_num_minibatches: 32, ent_coef: 0 },
      ppo_penalty: { target_kl: 0.01, init_beta: 1 },
      eval: { episodes: 10, every_updates: 0 },
      checkpoint: { every_updates: 20, keep: 3 },
      log: { plot_every_updates: 5 },
    };
    expect(TrainConfigSchema.parse({ robot: "hopper" })).toEqual(expected);
  });

  it("keeps an explicit sim and run_dir", () => {
    const c = TrainConfigSchema.parse({ robot: "hopper", sim: "hopper_rough", run_dir: "/tmp/r" });
    expect([c.sim, c.run_dir]).toEqual(["hopper_rough", "/tmp/r"]);
  });

  it("does not share default lists between parses", () => {
    const a = TrainConfigSchema.parse({ robot: "a" });
    a.policy.hidden.push(1);
    expect(TrainConfigSchema.parse({ robot: "b" }).policy.hidden).toEqual([64, 64]);
  });

  it.each([
    [{ gamma: 1 }, true],
    [{ gae_lambda: 0 }, true],
    [{ gae_lambda: 1 }, true],
    [{ clip_range: 1 }, false],
    [{ clip_range: 0 }, false],
    [{ gamma: 0 }, false],
    [{ clip_range_vf: 0.2 }, true],
    [{ clip_range_vf: 0 }, false],
    [{ ent_coef: 0 }, true],
    [{ learning_rate: 0 }, false],
  ] as const)("ppo %j valid: %s", (ppo, valid) => {
    expect(TrainConfigSchema.safeParse({ robot: "hopper", ppo }).success).toBe(valid);
  });

  it("bounds num_envs, num_workers and layer lists", () => {
    const ok = (extra: object): boolean => TrainConfigSchema.safeParse({ robot: "hopper", ...extra }).success;
    expect(ok({ num_envs: 4096, ppo: { num_minibatches: 1 } })).toBe(true);
    expect(ok({ num_envs: 4097 })).toBe(false);
    expect(ok({ num_workers: 0 })).toBe(true);
    expect(ok({ num_workers: 65 })).toBe(false);
    expect(ok({ policy: { hidden: [1, 2, 3, 4, 5, 6, 7, 8] } })).toBe(true);
    expect(ok({ policy: { hidden: [1, 2, 3, 4, 5, 6, 7, 8, 9] } })).toBe(false);
    expect(ok({ policy: { value_hidden: [4097] } })).toBe(false);
    expect(ok({ eval: { every_updates: 0 } })).toBe(true);
    expect(ok({ checkpoint: { every_updates: 0 } })).toBe(false);
  });

  it("rejects unknown keys at every level", () => {
    expect(TrainConfigSchema.safeParse({ robot: "hopper", extra: 1 }).success).toBe(false);
    expect(TrainConfigSchema.safeParse({ robot: "hopper", ppo: { n_epoch: 1 } }).success).toBe(false);
  });

  it("requires num_minibatches to divide num_envs * n_steps", () => {
    expect(TrainConfigSchema.safeParse({ robot: "hopper", num_envs: 3, ppo: { n_steps: 100, num_minibatches: 6 } }).success).toBe(true);
    const bad = TrainConfigSchema.safeParse({ robot: "hopper", num_envs: 3, ppo: { n_steps: 100, num_minibatches: 7 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ["ppo", "num_minibatches"],
      message: "a divisor of num_envs * ppo.n_steps = 3 * 100 = 300",
    });
  });
});
