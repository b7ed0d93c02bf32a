/**
 * The training configuration a launch file's `train:` actions produce, as one zod schema.
 * Every check carries the human wording of what is expected ("a number > 0 and < 1") as its
 * message, so a validation issue becomes `got <value>, expected <message>` without guessing.
 * Objects are strict: an unknown key is an error, not silently ignored.
 */
import { z } from "zod";

/**
 * Training algorithms the trainer knows; extend this list (and rl/algorithms.ts) to add one.
 * All of them share the rollout settings of `ppo:` (n_steps, gamma, gae_lambda).
 */
export const ALGORITHMS = ["ppo", "trpo", "ppo_penalty"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const ACTIVATIONS = ["tanh", "relu"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

// ---------------------------------------------------------------------------------------------
// Field builders: each returns a schema whose every issue message is the same "expected" text.

interface Bounds {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  /** Appended to the expected text, e.g. "(0 = one per core)". */
  readonly note?: string;
}

function describeBounds(kind: string, b: Bounds): string {
  const parts: string[] = [];
  if (b.gt !== undefined) parts.push(`> ${b.gt}`);
  if (b.gte !== undefined) parts.push(`>= ${b.gte}`);
  if (b.lt !== undefined) parts.push(`< ${b.lt}`);
  if (b.lte !== undefined) parts.push(`<= ${b.lte}`);
  const text = parts.length > 0 ? `${kind} ${parts.join(" and ")}` : kind;
  return b.note !== undefined ? `${text} ${b.note}` : text;
}

function bounded<T extends z.ZodNumber>(schema: T, b: Bounds, error: string): T {
  let s = schema;
  if (b.gt !== undefined) s = s.gt(b.gt, { error }) as T;
  if (b.gte !== undefined) s = s.gte(b.gte, { error }) as T;
  if (b.lt !== undefined) s = s.lt(b.lt, { error }) as T;
  if (b.lte !== undefined) s = s.lte(b.lte, { error }) as T;
  return s;
}

/** A finite number within bounds. */
function num(b: Bounds = {}): z.ZodNumber {
  const error = describeBounds("a number", b);
  return bounded(z.number({ error }), b, error);
}

/** A finite number within bounds, or null (meaning "off"). */
function numOrNull(b: Bounds): z.ZodNullable<z.ZodNumber> {
  const error = `${describeBounds("a number", b)} or null`;
  return bounded(z.number({ error }), b, error).nullable();
}

/** A safe integer within bounds. */
function int(b: Bounds = {}): z.ZodNumber {
  const error = describeBounds("an integer", b);
  return bounded(z.int({ error }), b, error);
}

function bool(): z.ZodBoolean {
  return z.boolean({ error: "true or false" });
}

function name(what: string): z.ZodString {
  const error = `a non-empty string (${what})`;
  return z.string({ error }).min(1, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `one of ${values.map((v) => JSON.stringify(v)).join(", ")}` });
}

/** Hidden layer sizes of an MLP. */
function layers(): z.ZodArray<z.ZodNumber> {
  const error = "a list of 1 to 8 layer sizes, e.g. [64, 64]";
  return z.array(int({ gte: 1, lte: 4096 }), { error }).min(1, { error }).max(8, { error });
}

function section<S extends z.core.$ZodLooseShape>(what: string, shape: S): z.ZodObject<S, z.core.$strict> {
  return z.strictObject(shape, { error: `a map of ${what}` });
}

// ---------------------------------------------------------------------------------------------
// Sections

export const PolicyConfigSchema = section("policy settings", {
  /** Hidden layer sizes of the policy (actor) MLP. */
  hidden: layers().default(() => [64, 64]),
  /** Activation between hidden layers, for both the policy and value networks. */
  activation: oneOf(ACTIVATIONS).default("tanh"),
  /** Initial log standard deviation of the state-independent Gaussian action noise. */
  log_std_init: num().default(-0.5),
  /** Hidden layer sizes of the value (critic) MLP, a separate network from the policy. */
  value_hidden: layers().default(() => [64, 64]),
  /**
   * Give the value network the fraction of the episode's time limit still ahead (1 − t/T), as
   * RL Zoo's TimeFeatureWrapper does (for the whole agent there). The policy stays
   * time-independent, so the exported policy and deployment are unchanged; a time-aware critic
   * makes the time limit part of the task, so reaching it is terminal (no bootstrap).
   */
  critic_time_feature: bool().default(false),
});

export const NormalizeConfigSchema = section("normalization settings", {
  /** Normalize observations by running mean and std (frozen into the exported policy). */
  observation: bool().default(true),
  /** Scale rewards by the running std of the discounted return. */
  reward: bool().default(true),
  /** Clip normalized observations to ±this. */
  clip_observation: num({ gt: 0 }).default(10),
  /** Clip scaled rewards to ±this. */
  clip_reward: num({ gt: 0 }).default(10),
});

/**
 * PPO's hyperparameters. Its rollout settings (n_steps, gamma, gae_lambda) are those of every
 * algorithm; ppo_penalty also uses its minibatch settings (all but clip_range); trpo uses
 * only the rollout settings and adam_eps (for its value-function Adam).
 */
export const PpoConfigSchema = section("PPO hyperparameters", {
  /** Steps collected per env per update (batch = num_envs * n_steps), for every algorithm. */
  n_steps: int({ gt: 0 }).default(512),
  /** Passes over each batch per update. */
  n_epochs: int({ gt: 0 }).default(10),
  /** Minibatches each batch is split into per epoch. */
  num_minibatches: int({ gt: 0 }).default(8),
  /** Adam learning rate (initial value when annealed). */
  learning_rate: num({ gt: 0 }).default(3e-4),
  /** Linearly anneal the learning rate to 0 over total_steps. */
  anneal_lr: bool().default(true),
  /** Discount factor, for every algorithm. */
  gamma: num({ gt: 0, lte: 1 }).default(0.99),
  /** GAE lambda (0 = one-step TD, 1 = Monte Carlo), for every algorithm (TRPO's reference: 0.97). */
  gae_lambda: num({ gte: 0, lte: 1 }).default(0.95),
  /** Clip range of the probability ratio in the surrogate objective. */
  clip_range: num({ gt: 0, lt: 1 }).default(0.2),
  /** Clip range of the value-function update around the old values; null = no clipping. */
  clip_range_vf: numOrNull({ gt: 0 }).default(null),
  /** Entropy bonus coefficient. */
  ent_coef: num({ gte: 0 }).default(0),
  /** Value loss coefficient. */
  vf_coef: num({ gte: 0 }).default(0.5),
  /** Global gradient norm clip. */
  max_grad_norm: num({ gt: 0 }).default(0.5),
  /** Stop an update's epochs early when approximate KL exceeds this; null = never. */
  target_kl: numOrNull({ gt: 0 }).default(null),
  /** Adam epsilon. */
  adam_eps: num({ gt: 0 }).default(1e-5),
});

/** TRPO's update (algo: trpo); its rollout settings are those of `ppo:`. */
export const TrpoConfigSchema = section("TRPO hyperparameters", {
  /** Trust region: the largest mean KL(old policy || new policy) a policy step may reach. */
  max_kl: num({ gt: 0 }).default(0.01),
  /** Damping added to the Fisher matrix in the conjugate gradient (F + damping * I). */
  damping: num({ gte: 0 }).default(0.1),
  /** Conjugate gradient iterations (one Fisher-vector product each). */
  cg_iters: int({ gt: 0, lte: 1000 }).default(10),
  /** Line search candidates (full step, then shrinking) before the step is rejected. */
  line_search_steps: int({ gt: 0, lte: 100 }).default(10),
  /** Factor between successive line search candidates: 0.5 halves (Schulman et al.), sb3-contrib uses 0.8. */
  line_search_shrink: num({ gt: 0, lt: 1 }).default(0.5),
  /** Adam learning rate of the value function, fitted separately from the policy. */
  vf_lr: num({ gt: 0 }).default(1e-3),
  /** Passes over each batch fitting the value function. */
  vf_epochs: int({ gt: 0 }).default(5),
  /** Minibatches each batch is split into per value epoch; must divide num_envs * ppo.n_steps. */
  vf_num_minibatches: int({ gt: 0 }).default(32),
  /** Entropy bonus: the step maximizes E[r·Â] + ent_coef·H(π) under the KL bound (OpenAI Baselines' entcoeff). */
  ent_coef: num({ gte: 0 }).default(0),
});

/** PPO-Penalty's KL coefficient (algo: ppo_penalty); everything else comes from `ppo:`. */
export const PpoPenaltyConfigSchema = section("PPO-Penalty hyperparameters", {
  /** Target mean KL per update: beta doubles above 1.5 * target and halves below target / 1.5. */
  target_kl: num({ gt: 0 }).default(0.01),
  /** Initial KL penalty coefficient beta. */
  init_beta: num({ gt: 0 }).default(1),
});

export const EvalConfigSchema = section("evaluation settings", {
  /** Deterministic episodes per evaluation. */
  episodes: int({ gt: 0 }).default(10),
  /** Evaluate every this many updates; 0 = only at the end. */
  every_updates: int({ gte: 0, note: "(0 = only at the end)" }).default(0),
});

export const CheckpointConfigSchema = section("checkpoint settings", {
  /** Write a checkpoint every this many updates. */
  every_updates: int({ gt: 0 }).default(20),
  /** Checkpoints kept on disk (oldest deleted first). */
  keep: int({ gt: 0 }).default(3),
});

export const LogConfigSchema = section("logging settings", {
  /** Redraw the learning-curve plot every this many updates. */
  plot_every_updates: int({ gt: 0 }).default(5),
});

const trainShape = {
  /** Robot description: a folder in robots/. */
  robot: name("a folder in robots/"),
  /** Simulation task: a folder in sims/; defaults to the robot's name. */
  sim: name("a folder in sims/").optional(),
  /** Training algorithm. */
  algo: oneOf(ALGORITHMS).default("ppo"),
  /** Seed of every random stream (envs, init, minibatch shuffles). */
  seed: int({ gte: 0 }).default(1),
  /** Environment steps to train for, summed over envs. */
  total_steps: int({ gt: 0 }).default(1_000_000),
  /** Output folder for checkpoints, logs and the frozen policy; defaults to runs/<robot>_<algo>. */
  run_dir: name("an output folder").optional(),
  /** Parallel simulated environments. */
  num_envs: int({ gte: 1, lte: 4096 }).default(4),
  /** Worker threads stepping the envs; 0 = one per core. */
  num_workers: int({ gte: 0, lte: 64, note: "(0 = one per core)" }).default(0),
  /** Policy and value network shapes. */
  policy: PolicyConfigSchema.prefault({}),
  /** Observation and reward normalization. */
  normalize: NormalizeConfigSchema.prefault({}),
  /** PPO hyperparameters, and the rollout settings every algorithm uses. */
  ppo: PpoConfigSchema.prefault({}),
  /** TRPO hyperparameters (used when algo is trpo). */
  trpo: TrpoConfigSchema.prefault({}),
  /** PPO-Penalty hyperparameters (used when algo is ppo_penalty). */
  ppo_penalty: PpoPenaltyConfigSchema.prefault({}),
  /** Periodic deterministic evaluation. */
  eval: EvalConfigSchema.prefault({}),
  /** Checkpointing. */
  checkpoint: CheckpointConfigSchema.prefault({}),
  /** Console and plot logging. */
  log: LogConfigSchema.prefault({}),
};

/** The training config as written (every key of every section), before defaults are derived. */
export const TrainConfigObjectSchema = section("training settings", trainShape);

/** The full training configuration: validated, cross-checked, with defaults filled in. */
export const TrainConfigSchema = TrainConfigObjectSchema.superRefine((c, ctx) => {
  const batch = c.num_envs * c.ppo.n_steps;
  if (batch % c.ppo.num_minibatches !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["ppo", "num_minibatches"],
      input: c.ppo.num_minibatches,
      message: `a divisor of num_envs * ppo.n_steps = ${c.num_envs} * ${c.ppo.n_steps} = ${batch}`,
    });
  }
  // Checked only when used, so that a PPO launch file never fails on a TRPO default.
  if (c.algo === "trpo" && batch % c.trpo.vf_num_minibatches !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["trpo", "vf_num_minibatches"],
      input: c.trpo.vf_num_minibatches,
      message: `a divisor of num_envs * ppo.n_steps = ${c.num_envs} * ${c.ppo.n_steps} = ${batch}`,
    });
  }
}).transform((c) => ({
  ...c,
  sim: c.sim ?? c.robot,
  run_dir: c.run_dir ?? `runs/${c.robot}_${c.algo}`,
}));

export type TrainConfig = z.output<typeof TrainConfigSchema>;
/** What a launch file may write under `train:` (all optional but `robot`). */
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

const sections: Readonly<Record<string, z.ZodObject>> = {
  policy: PolicyConfigSchema,
  normalize: NormalizeConfigSchema,
  ppo: PpoConfigSchema,
  trpo: TrpoConfigSchema,
  ppo_penalty: PpoPenaltyConfigSchema,
  eval: EvalConfigSchema,
  checkpoint: CheckpointConfigSchema,
  log: LogConfigSchema,
};

/** Keys allowed in the object at `path` of the config ([] = top level), for "did you mean". */
export function trainConfigKeys(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(trainShape);
  const first = path[0];
  const sectionSchema = path.length === 1 && typeof first === "string" ? sections[first] : undefined;
  return sectionSchema ? Object.keys(sectionSchema.shape) : [];
}
