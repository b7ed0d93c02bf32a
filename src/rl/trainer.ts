/**
 * The training loop: builds the port (sim → TimeLimit → AutoReset), the actor-critic, the
 * normalizers and the rollout collector from a validated `TrainConfig`, then alternates
 * rollout and algorithm update, logging every update into the run directory. It checkpoints
 * periodically and on Ctrl-C, resumes from the latest checkpoint, and finally exports the
 * frozen policy and evaluates it deterministically.
 *
 * Periodic evaluation (`eval.every_updates` = N > 0): after every N-th update, the policy as it
 * stands is evaluated deterministically like the final evaluation (a frozen snapshot, the mean
 * action, `eval.episodes` episodes on min(episodes, num_envs) envs of a port of its own, seeded
 * with seed + 20000 every time, so each evaluation plays the same episode set and the curve
 * follows the policy only). It reads the weights and the observation statistics and draws from
 * no training random stream, so training is bit-identical with and without it. Its mean/std
 * return and mean length go into that update's metrics row (`eval_return_mean`,
 * `eval_return_std`, `eval_length_mean`, `eval_seconds`; NaN on the other rows) and the episodes
 * into run_dir/episodes/update-NNNNNN_episode-NNNN.mcap.
 *
 * Live view (`options.view`): every evaluation's episodes are also kept in memory, and the best
 * episode so far (highest return, over all evaluations) is played to the view in a loop. When
 * the periodic evaluations are off (`every_updates` 0) or sparser than every
 * `VIEW_EVAL_EVERY_UPDATES` updates, the view also gets evaluations of its own, so that it shows
 * something early: one deterministic episode after the first update and every
 * `VIEW_EVAL_EVERY_UPDATES` updates (not at a periodic evaluation's update; seed + 30000; not
 * logged, no files).
 *
 * The loop depends on the `ControlPort` interface and a `TaskDefinition` only; the algorithm
 * update is the one algorithm-specific call (`Updater.update`, chosen by `config.algo` in
 * algorithms.ts).
 */
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { TrainConfig } from "../launch/train-config.js";
import { initBackend, type BackendName } from "../nn/backend.js";
import { Adam } from "../nn/optim.js";
import { Mlp } from "../policy/mlp.js";
import { loadTask } from "../sim/registry.js";
import { createEpisodicSimPort } from "../sim/make-port.js";
import type { TaskDefinition } from "../sim/task.js";
import type { MetricsRow } from "../run/metrics-row.js";
import { type ProgressMode, TrainingProgress } from "../run/progress.js";
import { RunDirectory } from "../run/run-directory.js";
import type { FinalEval } from "../run/summary.js";
import { Rng } from "../util/rng.js";
import { ActorCritic } from "./actor-critic.js";
import { createUpdater, type UpdateStats } from "./algorithms.js";
import { type CheckpointData, readLatestCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { closeOpenLogs } from "../log/open-logs.js";
import { type ArtifactEvaluationResult, evaluateArtifact, evaluateFrozen, EvaluationInterruptedError, type EvaluateRecordOptions } from "./evaluate.js";
import { exportPolicy, policyDescription } from "./export.js";
import { type EpisodeRecord, RolloutCollector, valueInputDim } from "./rollout.js";
import { locomoteVersion } from "../log/mcap-log-writer.js";
import type { TopicSink } from "../log/topic-sink.js";
import { FrozenPolicy } from "../policy/frozen.js";
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, WEIGHTS_FILE, type PolicyManifest } from "../policy/manifest.js";
import { EpisodeBuffer } from "../view/episode-buffer.js";
import { ObservationNormalizer, RewardScaler } from "./running-stats.js";
import { gaussianEntropy } from "./tanh-gaussian.js";

export interface TrainOptions {
  config: TrainConfig;
  /** Launch file the config came from (recorded in the policy's provenance). */
  launchFile: string;
  /** Continue from the latest checkpoint in `run_dir`. */
  resume?: boolean;
  /** Start over in a run_dir that already holds a run (its checkpoints are replaced). */
  overwrite?: boolean;
  progress?: ProgressMode;
  /** Use this task instead of `config.sim` from the registry (tests with small tasks). */
  task?: TaskDefinition;
  /** Flip the sign of the policy gradient (tests proving that the learning test can fail). */
  flipGradientSign?: boolean;
  /** Skip the learning-curve plot (tests). */
  plot?: boolean;
  /** Stop after this many updates (tests of resume). */
  maxUpdates?: number;
  /** Record the evaluation episodes into run_dir/episodes/ (default true; benchmarks turn it off). */
  recordEpisodes?: boolean;
  /** Show the best evaluation episode so far on a live view (see the module comment). */
  view?: TrainView;
}

/** Where `train` shows episodes (a `LiveViewThread`). */
export interface TrainView {
  /** Plays `episode` (copied), replacing what plays; resolves when it ends or is replaced. */
  play(episode: EpisodeBuffer, options: { loop: boolean }): Promise<boolean>;
}

/** The episode on the live view. */
export interface ViewedEpisode {
  /** e.g. "evaluation at update 40, episode 3". */
  label: string;
  update: number;
  return: number;
  length: number;
}

export interface TrainResult {
  runDir: string;
  policyDir: string;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  envStepsPerSecond: number;
  finalEval: FinalEval | null;
  interrupted: boolean;
  backend: BackendName;
  /** With `view`: the best evaluation episode, playing in a loop (null: none evaluated). */
  viewing: ViewedEpisode | null;
}

/** With a live view and `eval.every_updates` 0 (or > this): the view's own one-episode evaluation runs after the first update and every this many. */
export const VIEW_EVAL_EVERY_UPDATES = 10;

/** Folder of the run's evaluation episode logs (one .mcap per episode). */
export const EPISODES_DIR = "episodes";

/** Random streams of a run, each derived from the seed so they never interfere. */
const STREAMS = { init: 1_000_001, actions: 1_000_002, minibatches: 1_000_003 } as const;

/** Seeds of the evaluation envs, seed + offset (their own ports: no training stream is touched). */
const EVAL_SEED_OFFSET = { final: 10_000, periodic: 20_000, view: 30_000 } as const;

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config } = options;
  // The run directory first: a refused run_dir should answer before anything heavy loads.
  const run = await RunDirectory.create(config.run_dir, {
    resume: options.resume ?? false,
    overwrite: options.overwrite ?? false,
    name: `${config.robot} ${config.algo} seed ${config.seed}`,
  });
  // Starting over: the previous run's episode logs go with its other files.
  if (options.overwrite && !options.resume) rmSync(join(run.dir, EPISODES_DIR), { recursive: true, force: true });
  const backend = await initBackend();
  const task = options.task ?? (await loadTask(config.sim));
  const checkpointRoot = run.checkpointsDir;
  const resumeFrom = options.resume ? readLatestCheckpoint(checkpointRoot) : null;
  if (options.resume && !resumeFrom) {
    process.stderr.write(`locomote: no checkpoint in ${checkpointRoot}; starting a new run\n`);
  }

  const numEnvs = config.num_envs;
  const ppo = config.ppo;
  // A task passed in directly (tests) is not in the registry, so workers could not rebuild it.
  const port = await createEpisodicSimPort(config.sim, task, { numEnvs, numWorkers: options.task ? 1 : config.num_workers, seed: config.seed, maxEpisodeSteps: task.maxEpisodeSteps });
  const obsDim = task.spec.observation.names.length;
  const actDim = task.spec.action.names.length;

  const rolloutTime = config.policy.critic_time_feature ? { timeFeature: { maxSteps: task.maxEpisodeSteps } } : {};
  const model = new ActorCritic(
    {
      obsDim,
      actDim,
      hidden: config.policy.hidden,
      valueHidden: config.policy.value_hidden,
      activation: config.policy.activation,
      logStdInit: config.policy.log_std_init,
      valueInputDim: valueInputDim(obsDim, rolloutTime),
    },
    new Rng(config.seed, STREAMS.init),
  );
  const optimizer = new Adam(
    model.params.map((p) => p.length),
    ppo.learning_rate,
    ppo.adam_eps,
  );
  const obsNorm = new ObservationNormalizer(obsDim, config.normalize.clip_observation, config.normalize.observation);
  const rewardScaler = new RewardScaler(numEnvs, ppo.gamma, config.normalize.clip_reward, config.normalize.reward);
  const actionRng = new Rng(config.seed, STREAMS.actions);
  const minibatchRng = new Rng(config.seed, STREAMS.minibatches);
  const collector = new RolloutCollector(port, obsNorm, rewardScaler, { nSteps: ppo.n_steps, gamma: ppo.gamma, gaeLambda: ppo.gae_lambda, ...rolloutTime }, actionRng);

  const stepsPerUpdate = numEnvs * ppo.n_steps;
  const numUpdates = Math.ceil(config.total_steps / stepsPerUpdate);
  const digest = configDigest(config);

  let update = 0;
  let envSteps = 0;
  let priorWall = 0;
  if (resumeFrom) {
    restore(resumeFrom, model, optimizer, obsNorm, rewardScaler, { actionRng, minibatchRng });
    update = resumeFrom.state.update;
    envSteps = resumeFrom.state.env_steps;
    priorWall = resumeFrom.state.wall_seconds;
    if (resumeFrom.state.config_digest !== digest) {
      process.stderr.write("locomote: the launch configuration differs from the checkpoint's; continuing with the new one\n");
    }
  }
  const metrics = run.openMetrics(resumeFrom ? { fromUpdate: update } : {});
  const recent: EpisodeRecord[] = [];
  const progress = new TrainingProgress({
    totalSteps: numUpdates * stepsPerUpdate,
    startSteps: envSteps,
    startUpdate: update,
    label: `${config.robot} ${config.algo}`,
    mode: options.progress ?? "auto",
  });

  let stopRequested = false;
  /** Stops an evaluation during training (Ctrl-C). */
  const evalAbort = new AbortController();
  const onSigint = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    evalAbort.abort();
    progress.log("interrupt: finishing this update, then saving a checkpoint (Ctrl-C again is ignored)");
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);

  const t0 = performance.now();
  const wall = (): number => priorWall + (performance.now() - t0) / 1000;
  let interrupted = false;
  const updater = createUpdater(config, model, optimizer, { flipGradientSign: options.flipGradientSign ?? false });
  const savedAlgoState = resumeFrom?.state.algo_state;
  if (savedAlgoState) updater.restore(savedAlgoState);
  const saveCheckpoint = (): string =>
    writeCheckpoint(
      checkpointRoot,
      snapshot(model, optimizer, obsNorm, rewardScaler, { actionRng, minibatchRng }, { update, envSteps, wall: wall(), digest, algoState: updater.state() }),
      config.checkpoint.keep,
    );
  const pi = new Mlp(model.exportLayers("pi"), config.policy.activation);
  const vf = new Mlp(model.exportLayers("vf"), config.policy.activation);

  // Evaluations during training and the live view (see the module comment).
  const evalEvery = config.eval.every_updates;
  const viewEvery = options.view && (evalEvery === 0 || evalEvery > VIEW_EVAL_EVERY_UPDATES) ? VIEW_EVAL_EVERY_UPDATES : 0;
  const evalNumEnvs = Math.min(config.eval.episodes, numEnvs);
  const episodesDir = join(run.dir, EPISODES_DIR);
  let viewing: ViewedEpisode | null = null;
  /** Episode buffers of one evaluation for the view (by result index), or null without a view. */
  const viewBuffers = (): { sinks: EpisodeBuffer[]; record: Pick<EvaluateRecordOptions, "episodeSink"> } | null => {
    if (!options.view) return null;
    const sinks: EpisodeBuffer[] = [];
    return {
      sinks,
      record: {
        episodeSink: (e): TopicSink => {
          const b = new EpisodeBuffer();
          sinks[e.index] = b;
          return b;
        },
      },
    };
  };
  /** Plays the evaluation's best episode when it beats the one on the view. */
  const offerToView = (r: ArtifactEvaluationResult, buffers: readonly EpisodeBuffer[], at: number, what: string): void => {
    if (!options.view) return;
    let k = -1;
    r.returns.forEach((ret, i) => {
      if (buffers[i] !== undefined && (k < 0 || ret > r.returns[k]!)) k = i;
    });
    if (k < 0 || (viewing !== null && !(r.returns[k]! > viewing.return))) return;
    viewing = { label: `${what}, episode ${k}`, update: at, return: r.returns[k]!, length: r.lengths[k]! };
    void options.view.play(buffers[k]!, { loop: true });
    progress.log(`live view: now playing the best evaluation episode so far: ${viewing.label} (return ${viewing.return.toFixed(1)}, ${viewing.length} steps)`);
  };
  /** Deterministic evaluation of the policy as it stands after `update` (periodic, or the view's own). */
  const evaluateNow = async (kind: "periodic" | "view"): Promise<ArtifactEvaluationResult | null> => {
    // Interrupted (Ctrl-C): null, with the open episode files finalized (marked interrupted).
    const policy = snapshotPolicy(task, config, model, obsNorm, { launchFile: options.launchFile, envSteps, updates: update });
    const view = viewBuffers();
    const periodic = kind === "periodic";
    const files = periodic && options.recordEpisodes !== false;
    const seed = config.seed + (periodic ? EVAL_SEED_OFFSET.periodic : EVAL_SEED_OFFSET.view);
    try {
      const r = await evaluateFrozen(policy, task, {
        episodes: periodic ? config.eval.episodes : 1,
        seed,
        numEnvs: periodic ? evalNumEnvs : 1,
        signal: evalAbort.signal,
        policySession: () => ({
          policy: `training snapshot at update ${update}`,
          policy_algo: config.algo,
          policy_launch_file: options.launchFile,
          policy_train_seed: String(config.seed),
          policy_env_steps: String(envSteps),
        }),
        ...(files || view
          ? {
              record: {
                ...(files ? { dir: episodesDir, prefix: `update-${String(update).padStart(6, "0")}_` } : {}),
                ...(view ? view.record : {}),
                source: "train_eval" as const,
                session: { launch_file: options.launchFile, run_dir: run.dir, update: String(update), env_steps: String(envSteps), train_seed: String(config.seed) },
              },
            }
          : {}),
      });
      if (view) offerToView(r, view.sinks, update, periodic ? `evaluation at update ${update}` : `view evaluation at update ${update}`);
      return r;
    } catch (err) {
      if (err instanceof EvaluationInterruptedError) return null;
      throw err;
    }
  };

  progress.start();
  try {
    while (update < numUpdates) {
      if (options.maxUpdates !== undefined && update >= options.maxUpdates) break;
      const lr = ppo.anneal_lr ? ppo.learning_rate * (1 - update / numUpdates) : ppo.learning_rate;
      optimizer.learningRate = lr;

      const tRollout = performance.now();
      const logStd = model.exportLogStd();
      const batch = collector.collect(pi, vf, logStd);
      envSteps += stepsPerUpdate;
      const rolloutSeconds = (performance.now() - tRollout) / 1000;
      const finished = collector.drainEpisodes();
      for (const ep of finished) {
        progress.recordEpisode(ep.return);
        recent.push(ep);
      }
      if (recent.length > 100) recent.splice(0, recent.length - 100);
      progress.tick(envSteps);

      const tUpdate = performance.now();
      const stats = updater.update(batch, minibatchRng);
      const updateSeconds = (performance.now() - tUpdate) / 1000;
      update++;
      pi.setWeights(model.exportLayers("pi"));
      vf.setWeights(model.exportLayers("vf"));

      // Evaluations read the new weights and observation statistics only (module comment).
      let evalColumns: Record<string, number> = {};
      const periodicNow = evalEvery > 0 && update % evalEvery === 0;
      if (evalEvery > 0) {
        const tEval = performance.now();
        const r = periodicNow && !stopRequested ? await evaluateNow("periodic") : null;
        evalColumns = {
          eval_return_mean: r ? r.mean_return : Number.NaN,
          eval_return_std: r ? r.std_return : Number.NaN,
          eval_length_mean: r ? r.mean_length : Number.NaN,
          eval_seconds: r ? (performance.now() - tEval) / 1000 : Number.NaN,
        };
      }
      if (!periodicNow && viewEvery > 0 && (update === 1 || update % viewEvery === 0) && !stopRequested) await evaluateNow("view");

      const row = metricsRow({ update, envSteps, wall: wall(), sessionSteps: envSteps - (resumeFrom?.state.env_steps ?? 0), sessionSeconds: (performance.now() - t0) / 1000 }, stats, recent, finished.length, lr, model, batch.logJac, rolloutSeconds, updateSeconds);
      metrics.append({ ...row, ...evalColumns });
      progress.completeUpdate(update, envSteps);

      if (update % config.checkpoint.every_updates === 0) saveCheckpoint();
      if (options.plot !== false && update % config.log.plot_every_updates === 0) await run.refreshLearningCurve(metrics.rows());
      else await new Promise<void>((r) => setImmediate(r));
      if (stopRequested) {
        interrupted = true;
        break;
      }
    }
    const ckptDir = saveCheckpoint();
    if (interrupted) progress.log(`checkpoint saved: ${ckptDir} (continue with --resume)`);
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    metrics.close();
    port.close();
  }

  const wallSeconds = wall();
  const policyDir = join(run.dir, "policy");
  await exportPolicy(policyDir, { task, config, model, obsNorm, launchFile: options.launchFile, envSteps, updates: update });
  model.dispose();
  let finalEval: FinalEval | null = null;
  if (!interrupted) {
    // Every evaluation episode is recorded into run_dir/episodes/ (ROS 2 MCAP, src/log/).
    // Ctrl-C during the evaluation stops it after the current step with its episode files
    // finalized; the run then counts as interrupted (--resume re-runs the evaluation).
    const abort = new AbortController();
    let signals = 0;
    const onEvalSignal = (): void => {
      signals++;
      if (signals === 1) {
        process.stderr.write("locomote: interrupt: stopping the final evaluation and finalizing its episode logs (Ctrl-C again: at once)\n");
        abort.abort();
        return;
      }
      closeOpenLogs();
      process.exit(130);
    };
    process.on("SIGINT", onEvalSignal);
    process.on("SIGTERM", onEvalSignal);
    const view = viewBuffers();
    const files = options.recordEpisodes !== false;
    try {
      // The exported artifact loaded from disk, exactly as `locomote eval` and deployment load it.
      const r = await evaluateArtifact(policyDir, {
        task,
        episodes: config.eval.episodes,
        seed: config.seed + EVAL_SEED_OFFSET.final,
        numEnvs: evalNumEnvs,
        signal: abort.signal,
        ...(files || view
          ? {
              record: {
                ...(files ? { dir: episodesDir, prefix: `update-${String(update).padStart(6, "0")}_final_` } : {}),
                ...(view ? view.record : {}),
                source: "train_eval" as const,
                session: { launch_file: options.launchFile, run_dir: run.dir, update: String(update), env_steps: String(envSteps), train_seed: String(config.seed) },
              },
            }
          : {}),
      });
      finalEval = { mean_return: r.mean_return, std_return: r.std_return, mean_length: r.mean_length, episodes: r.episodes };
      if (view) offerToView(r, view.sinks, update, `final evaluation (update ${update})`);
    } catch (err) {
      if (!(err instanceof EvaluationInterruptedError)) throw err;
      interrupted = true;
    } finally {
      process.off("SIGINT", onEvalSignal);
      process.off("SIGTERM", onEvalSignal);
    }
  }
  if (options.plot !== false) await run.writeLearningCurve(metrics.rows());
  const sessionSteps = envSteps - (resumeFrom?.state.env_steps ?? 0);
  const sessionSeconds = (performance.now() - t0) / 1000;
  await run.writeSummary({
    env_steps: envSteps,
    wall_seconds: wallSeconds,
    env_steps_per_second: sessionSeconds > 0 ? sessionSteps / sessionSeconds : 0,
    final_eval: finalEval,
    updates: update,
    interrupted,
    robot: config.robot,
    sim: config.sim,
    algo: config.algo,
    seed: config.seed,
    num_envs: numEnvs,
    backend,
    launch_file: options.launchFile,
    policy_dir: policyDir,
  });
  return {
    runDir: run.dir,
    policyDir,
    envSteps,
    updates: update,
    wallSeconds,
    envStepsPerSecond: sessionSeconds > 0 ? sessionSteps / sessionSeconds : 0,
    finalEval,
    interrupted,
    backend,
    viewing,
  };
}

function metricsRow(
  t: { update: number; envSteps: number; wall: number; sessionSteps: number; sessionSeconds: number },
  stats: UpdateStats,
  recent: readonly EpisodeRecord[],
  newEpisodes: number,
  lr: number,
  model: ActorCritic,
  logJac: Float32Array,
  rolloutSeconds: number,
  updateSeconds: number,
): MetricsRow {
  const logStd = model.exportLogStd();
  let lsMean = 0;
  for (const v of logStd) lsMean += v;
  lsMean /= logStd.length;
  // Entropy of the squashed policy: H[u] + E[Σ log(1 − tanh²u)], estimated on the rollout.
  let jac = 0;
  for (const v of logJac) jac += v;
  jac /= Math.max(1, logJac.length);
  const row: Record<string, number> = {
    update: t.update,
    env_steps: t.envSteps,
    wall_seconds: t.wall,
    env_steps_per_second: t.sessionSeconds > 0 ? t.sessionSteps / t.sessionSeconds : 0,
    episode_return_mean: mean(recent.map((e) => e.return)),
    episode_length_mean: mean(recent.map((e) => e.length)),
    episodes: newEpisodes,
    policy_loss: stats.policy_loss,
    value_loss: stats.value_loss,
    entropy: gaussianEntropy(logStd) + jac,
    approx_kl: stats.approx_kl,
    clip_fraction: stats.clip_fraction,
    explained_variance: stats.explained_variance,
    learning_rate: lr,
    log_std_mean: lsMean,
    grad_norm: stats.grad_norm,
    epochs_run: stats.epochs_run,
    rollout_seconds: rolloutSeconds,
    update_seconds: updateSeconds,
    ...stats.extra,
  };
  const termNames = new Set<string>();
  for (const e of recent) for (const k of Object.keys(e.terms)) termNames.add(k);
  for (const k of termNames) row[k] = mean(recent.map((e) => e.terms[k] ?? 0));
  return row;
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function configDigest(config: TrainConfig): string {
  const { total_steps: _t, run_dir: _r, ...rest } = config;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

function snapshot(
  model: ActorCritic,
  optimizer: Adam,
  obsNorm: ObservationNormalizer,
  rewardScaler: RewardScaler,
  rngs: Record<string, Rng>,
  t: { update: number; envSteps: number; wall: number; digest: string; algoState: Record<string, number> },
): CheckpointData {
  const names = model.variableNames();
  const rng: Record<string, number[]> = {};
  for (const [k, r] of Object.entries(rngs)) rng[k] = r.getState();
  return {
    state: {
      format: "locomote.checkpoint",
      format_version: 1,
      update: t.update,
      env_steps: t.envSteps,
      wall_seconds: t.wall,
      config_digest: t.digest,
      tensors: model.params.map((p, k) => ({ name: names[k]!, length: p.length })),
      adam_step: optimizer.state.step,
      learning_rate: optimizer.learningRate,
      obs_stats: obsNorm.stats.state(),
      reward_scaler: rewardScaler.state(),
      rng,
      algo_state: t.algoState,
    },
    params: model.params,
    adamM: optimizer.state.m,
    adamV: optimizer.state.v,
  };
}

function restore(
  data: CheckpointData,
  model: ActorCritic,
  optimizer: Adam,
  obsNorm: ObservationNormalizer,
  rewardScaler: RewardScaler,
  rngs: Record<string, Rng>,
): void {
  const names = model.variableNames();
  const { tensors } = data.state;
  if (tensors.length !== names.length || tensors.some((t, k) => t.name !== names[k] || t.length !== model.params[k]!.length)) {
    throw new Error(
      `checkpoint network (${tensors.map((t) => `${t.name}:${t.length}`).join(", ")}) does not match the launch configuration's network; resume with the same policy settings`,
    );
  }
  for (let k = 0; k < names.length; k++) {
    model.params[k]!.set(data.params[k]!);
    optimizer.state.m[k]!.set(data.adamM[k]!);
    optimizer.state.v[k]!.set(data.adamV[k]!);
  }
  optimizer.state.step = data.state.adam_step;
  model.syncToTf();
  obsNorm.stats.load(data.state.obs_stats);
  rewardScaler.load(data.state.reward_scaler);
  for (const [k, r] of Object.entries(rngs)) {
    const s = data.state.rng[k];
    if (s) r.setState(s);
  }
}

/**
 * The policy as it stands, frozen in memory: the same manifest fields and weights as
 * `exportPolicy` writes (so it acts bit-identically to that artifact loaded from disk), without
 * the weights file (its description is left empty) or the git commit.
 */
function snapshotPolicy(
  task: TaskDefinition,
  config: TrainConfig,
  model: ActorCritic,
  obsNorm: ObservationNormalizer,
  at: { launchFile: string; envSteps: number; updates: number },
): FrozenPolicy {
  const manifest: PolicyManifest = {
    format: POLICY_FORMAT,
    format_version: POLICY_FORMAT_VERSION,
    ...policyDescription(task, config, model, obsNorm),
    weights: { file: WEIGHTS_FILE, dtype: "float32", byte_length: 0, sha256: "", tensors: [] },
    provenance: {
      algo: config.algo,
      launch_file: at.launchFile,
      seed: config.seed,
      env_steps: at.envSteps,
      updates: at.updates,
      git_commit: null,
      created: new Date().toISOString(),
      locomote_version: locomoteVersion(),
    },
  };
  return new FrozenPolicy(manifest, model.exportLayers("pi"));
}
