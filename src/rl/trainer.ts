/**
 * The training loop: builds the port (sim → TimeLimit → AutoReset), the actor-critic, the
 * normalizers and the rollout collector from a validated `TrainConfig`, then alternates
 * rollout and algorithm update, logging every update into the run directory. It checkpoints
 * periodically and on Ctrl-C, resumes from the latest checkpoint, and finally exports the
 * frozen policy and evaluates it deterministically.
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
import { EvaluationInterruptedError } from "./evaluate.js";
import { evaluateTrained, exportPolicy } from "./export.js";
import { type EpisodeRecord, RolloutCollector } from "./rollout.js";
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
}

/** Folder of the run's evaluation episode logs (one .mcap per episode). */
export const EPISODES_DIR = "episodes";

/** Random streams of a run, each derived from the seed so they never interfere. */
const STREAMS = { init: 1_000_001, actions: 1_000_002, minibatches: 1_000_003 } as const;

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

  const model = new ActorCritic(
    {
      obsDim,
      actDim,
      hidden: config.policy.hidden,
      valueHidden: config.policy.value_hidden,
      activation: config.policy.activation,
      logStdInit: config.policy.log_std_init,
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
  const collector = new RolloutCollector(port, obsNorm, rewardScaler, { nSteps: ppo.n_steps, gamma: ppo.gamma, gaeLambda: ppo.gae_lambda }, actionRng);

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
  const onSigint = (): void => {
    if (stopRequested) return;
    stopRequested = true;
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

      const row = metricsRow({ update, envSteps, wall: wall(), sessionSteps: envSteps - (resumeFrom?.state.env_steps ?? 0), sessionSeconds: (performance.now() - t0) / 1000 }, stats, recent, finished.length, lr, model, batch.logJac, rolloutSeconds, updateSeconds);
      metrics.append(row);
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
    try {
      finalEval = await evaluateTrained(policyDir, task, {
        episodes: config.eval.episodes,
        seed: config.seed + 10_000,
        numEnvs: Math.min(config.eval.episodes, numEnvs),
        signal: abort.signal,
        ...(options.recordEpisodes === false
          ? {}
          : {
              record: {
                dir: join(run.dir, EPISODES_DIR),
                prefix: `update-${String(update).padStart(6, "0")}_final_`,
                source: "train_eval" as const,
                session: { launch_file: options.launchFile, run_dir: run.dir, update: String(update), env_steps: String(envSteps), train_seed: String(config.seed) },
              },
            }),
      });
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
