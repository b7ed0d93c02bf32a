/**
 * PPO-Clip update (Schulman et al. 2017) with the continuous-control details of Huang et al.
 * (2022): per-minibatch advantage normalization, clipped surrogate, optional clipped value
 * loss, global grad-norm clip, approx-KL (r − 1 − log r) and clip fraction, optional
 * target-KL early stop. Rollout, GAE, normalization, the distribution and the minibatch loop
 * (minibatch.ts) are shared modules; this file is only the clipped objective.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Adam } from "../nn/optim.js";
import type { Rng } from "../util/rng.js";
import type { ActorCritic } from "./actor-critic.js";
import { type MinibatchHyper, type PolicyObjective, runMinibatchEpochs } from "./minibatch.js";
import type { RolloutBatch } from "./rollout.js";

export { gradientStep } from "./minibatch.js";

export interface PpoHyper extends MinibatchHyper {
  clipRange: number;
}

export interface PpoStats {
  policy_loss: number;
  value_loss: number;
  entropy: number;
  approx_kl: number;
  clip_fraction: number;
  explained_variance: number;
  grad_norm: number;
  epochs_run: number;
}

/** max(−A·r, −A·clip(r, 1 ± ε)), averaged; reports the fraction of ratios outside 1 ± ε. */
export function clippedObjective(clipRange: number): PolicyObjective {
  return {
    statNames: ["clip_fraction"],
    needsOldMean: false,
    policyLoss: ({ adv, ratio }) => {
      const pg1 = tf.mul(tf.neg(adv), ratio);
      const pg2 = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange));
      const loss = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;
      const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clipRange), "float32")) as tf.Scalar;
      return { loss, stats: [clipFrac] };
    },
  };
}

export function ppoUpdate(model: ActorCritic, optimizer: Adam, batch: RolloutBatch, hp: PpoHyper, rng: Rng): PpoStats {
  const s = runMinibatchEpochs(model, optimizer, batch, hp, clippedObjective(hp.clipRange), rng);
  return {
    policy_loss: s.policy_loss,
    value_loss: s.value_loss,
    entropy: s.entropy,
    approx_kl: s.approx_kl,
    clip_fraction: s.objective["clip_fraction"]!,
    explained_variance: s.explained_variance,
    grad_norm: s.grad_norm,
    epochs_run: s.epochs_run,
  };
}
