/**
 * The algorithm-specific step of the training loop, chosen by `config.algo`: each algorithm's
 * update (ppo.ts, trpo.ts, ppo-penalty.ts) behind one `Updater`, with its hyperparameters read
 * from the config and any state it carries between updates (PPO-Penalty's β).
 */
import type { TrainConfig } from "../launch/train-config.js";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { type KlPenaltyState, ppoPenaltyUpdate } from "./ppo-penalty.js";
import { ppoUpdate } from "./ppo.js";
import type { RolloutBatch } from "./rollout.js";
import { trpoUpdate } from "./trpo.js";

/** What every update reports, in the metrics' standard columns (NaN where one does not apply). */
export interface UpdateStats {
  policy_loss: number;
  value_loss: number;
  approx_kl: number;
  clip_fraction: number;
  explained_variance: number;
  grad_norm: number;
  epochs_run: number;
  /**
   * Algorithm-specific diagnostics, logged as extra metrics columns; a key may also refine a
   * standard column (TRPO's learning_rate is its value-function rate).
   */
  extra: Record<string, number>;
}

export interface Updater {
  update(batch: RolloutBatch, rng: Rng): UpdateStats;
  /** State carried between updates (PPO-Penalty: β), saved in checkpoints; {} when none. */
  state(): Record<string, number>;
  /** Restores what `state()` returned (on resume). */
  restore(state: Readonly<Record<string, number>>): void;
}

/** For updaters that carry nothing between updates. */
const stateless = { state: (): Record<string, number> => ({}), restore: (): void => {} };

export function createUpdater(config: TrainConfig, model: ActorCritic, optimizer: Adam, options: { flipGradientSign: boolean }): Updater {
  const ppo = config.ppo;
  const minibatch = {
    nEpochs: ppo.n_epochs,
    numMinibatches: ppo.num_minibatches,
    clipRangeVf: ppo.clip_range_vf,
    entCoef: ppo.ent_coef,
    vfCoef: ppo.vf_coef,
    maxGradNorm: ppo.max_grad_norm,
    targetKl: ppo.target_kl,
    flipGradientSign: options.flipGradientSign,
  };
  switch (config.algo) {
    case "ppo": {
      const hp = { ...minibatch, clipRange: ppo.clip_range };
      return {
        ...stateless,
        update: (batch, rng) => ({ ...ppoUpdate(model, optimizer, batch, hp, rng), extra: {} }),
      };
    }
    case "trpo": {
      const t = config.trpo;
      const hp = {
        maxKl: t.max_kl,
        damping: t.damping,
        cgIters: t.cg_iters,
        lineSearchSteps: t.line_search_steps,
        lineSearchShrink: t.line_search_shrink,
        vfLearningRate: t.vf_lr,
        vfEpochs: t.vf_epochs,
        vfNumMinibatches: t.vf_num_minibatches,
        entCoef: t.ent_coef,
        flipGradientSign: options.flipGradientSign,
      };
      return {
        ...stateless,
        update: (batch, rng) => {
          const s = trpoUpdate(model, optimizer, batch, hp, rng);
          return {
            policy_loss: s.policy_loss,
            value_loss: s.value_loss,
            approx_kl: s.kl,
            clip_fraction: Number.NaN,
            explained_variance: s.explained_variance,
            grad_norm: s.grad_norm,
            epochs_run: s.vf_epochs,
            extra: {
              learning_rate: t.vf_lr,
              kl: s.kl,
              line_search_steps: s.line_search_steps,
              line_search_accepted: s.line_search_accepted,
              surrogate_improvement: s.surrogate_improvement,
              expected_improvement: s.expected_improvement,
              cg_residual: s.cg_residual,
              cg_iterations: s.cg_iterations,
            },
          };
        },
      };
    }
    case "ppo_penalty": {
      const hp = { ...minibatch, klTarget: config.ppo_penalty.target_kl };
      const state: KlPenaltyState = { beta: config.ppo_penalty.init_beta };
      return {
        state: () => ({ beta: state.beta }),
        restore: (saved) => {
          const beta = saved["beta"];
          if (beta === undefined || !(beta > 0)) throw new Error(`checkpoint: PPO-Penalty state needs a positive beta, got ${JSON.stringify(saved)}`);
          state.beta = beta;
        },
        update: (batch, rng) => {
          const s = ppoPenaltyUpdate(model, optimizer, batch, hp, state, rng);
          return {
            policy_loss: s.policy_loss,
            value_loss: s.value_loss,
            approx_kl: s.approx_kl,
            clip_fraction: Number.NaN,
            explained_variance: s.explained_variance,
            grad_norm: s.grad_norm,
            epochs_run: s.epochs_run,
            extra: { kl: s.kl, beta: s.beta, beta_next: s.beta_next, surrogate: s.surrogate },
          };
        },
      };
    }
  }
}
