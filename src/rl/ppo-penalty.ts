/**
 * PPO with an adaptive KL penalty (Schulman et al. 2017, §4): maximize E[r·Â] − β·KL(π_old ‖ π)
 * with the same epochs of minibatches as PPO-Clip (minibatch.ts), then adapt β from the
 * exact mean KL the update reached on the whole batch:
 *   KL > 1.5·target → β ← 2β;   KL < target/1.5 → β ← β/2.
 * The KL is the closed form of the pre-squash Gaussians (equal to the squashed one: tanh is
 * a bijection), against μ_old and σ_old computed once before the first step.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { type MinibatchCoreStats, type MinibatchHyper, type PolicyObjective, runMinibatchEpochs } from "./minibatch.js";
import type { RolloutBatch } from "./rollout.js";
import { gaussianKlTf } from "./tanh-gaussian.js";

/** β stays within these bounds so that a long run of tiny (or huge) KLs cannot strand it. */
export const BETA_MIN = 1e-6;
export const BETA_MAX = 1e6;

export interface PpoPenaltyHyper extends MinibatchHyper {
  /** Target mean KL(π_old ‖ π_new) per update, which β is adapted towards. */
  klTarget: number;
}

/** The penalty coefficient carried from one update to the next. */
export interface KlPenaltyState {
  beta: number;
}

export interface PpoPenaltyStats extends MinibatchCoreStats {
  /** Exact mean KL(π_old ‖ π_new) over the batch after the update. */
  kl: number;
  /** β used in this update's loss. */
  beta: number;
  /** β for the next update. */
  beta_next: number;
  /** Mean over minibatches of the surrogate E[r·Â] (before the penalty). */
  surrogate: number;
}

/** The adaptive rule: ×2 above 1.5·target, ÷2 below target/1.5, clamped to [BETA_MIN, BETA_MAX]. */
export function adaptBeta(beta: number, kl: number, target: number): number {
  let next = beta;
  if (kl > 1.5 * target) next = beta * 2;
  else if (kl < target / 1.5) next = beta / 2;
  return Math.min(BETA_MAX, Math.max(BETA_MIN, next));
}

/** −E[r·Â] + β·E[KL(π_old ‖ π)]. */
export function klPenaltyObjective(beta: number): PolicyObjective {
  return {
    statNames: ["surrogate", "penalty_kl"],
    needsOldMean: true,
    policyLoss: ({ adv, ratio, mu, logStd, oldMu, oldLogStd }) => {
      if (!oldMu || !oldLogStd) throw new Error("KL penalty: the minibatch has no old policy mean");
      const surrogate = tf.mean(tf.mul(adv, ratio)) as tf.Scalar;
      const kl = tf.mean(gaussianKlTf(oldMu, oldLogStd, mu, logStd)) as tf.Scalar;
      const loss = tf.add(tf.neg(surrogate), tf.mul(beta, kl)) as tf.Scalar;
      return { loss, stats: [surrogate, kl] };
    },
  };
}

/** One update; reads `state.beta` and replaces it with the adapted value. */
export function ppoPenaltyUpdate(
  model: ActorCritic,
  optimizer: Adam,
  batch: RolloutBatch,
  hp: PpoPenaltyHyper,
  state: KlPenaltyState,
  rng: Rng,
): PpoPenaltyStats {
  const beta = state.beta;
  const s = runMinibatchEpochs(model, optimizer, batch, hp, klPenaltyObjective(beta), rng);
  const kl = s.kl ?? Number.NaN;
  state.beta = Number.isFinite(kl) ? adaptBeta(beta, kl, hp.klTarget) : beta;
  return {
    policy_loss: s.policy_loss,
    value_loss: s.value_loss,
    entropy: s.entropy,
    approx_kl: s.approx_kl,
    explained_variance: s.explained_variance,
    grad_norm: s.grad_norm,
    epochs_run: s.epochs_run,
    kl,
    beta,
    beta_next: state.beta,
    surrogate: s.objective["surrogate"]!,
  };
}
