/**
 * Deterministic evaluation: run whole episodes with the policy's mean action and report the
 * undiscounted returns.
 *
 * Fair counting with parallel envs: env i runs exactly its quota of episodes (⌊E/n⌋, plus one
 * for the first E mod n envs) and the results are its first episodes, in order. Taking "the
 * first E episodes to finish" instead would over-sample short episodes (falls) and depend on
 * timing. Each env draws its reset noise from its own stream, so the set of episodes is fixed
 * by (seed, numEnvs).
 */
import type { ControlPort, PortBuffers } from "../port/port.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import { readPolicyArtifact } from "../policy/artifact.js";
import { FrozenPolicy } from "../policy/frozen.js";
import { specMismatch } from "../policy/manifest.js";
import { SimPort } from "../sim/sim-port.js";
import { loadTask } from "../sim/registry.js";
import type { TaskDefinition } from "../sim/task.js";
import { EpisodeRecorder, type EpisodeSource } from "../log/episode-recorder.js";
import { EvalEpisodeRecorder, policySessionMeta, type EvalRecordOptions } from "../log/eval-recorder.js";

/** Writes `[batch × actDim]` actions into `out` for `[batch × obsDim]` observations. */
export type ActFn = (obs: Float32Array, batch: number, out: Float32Array) => void;

export interface EvaluateOptions {
  /** Total episodes, split over the port's envs. */
  episodes: number;
  /** Episode cut-off (a TimeLimit is applied on top of the port; an existing shorter one still wins). */
  maxSteps: number;
  /** Sees every counted episode (episode logs); read-only, so results are the same with or without. */
  observer?: EvaluationObserver;
  /**
   * Stops the evaluation between two steps (`EvaluationInterruptedError`). With a signal the loop
   * yields to the event loop every ~20 ms so that a SIGINT handler can run and abort it.
   */
  signal?: AbortSignal;
}

/**
 * Hooks into `evaluatePolicy` for the episodes it counts (an env's episodes past its quota are
 * not reported). Called with the port's buffers holding the values described.
 */
export interface EvaluationObserver {
  /**
   * Env `env` starts its `episode`-th counted episode (result index `index`): it was just reset
   * and its observation row holds the initial observation.
   */
  episodeStart(env: number, episode: number, index: number, buffers: PortBuffers): void;
  /** Env `env` took a step: its action row holds the action applied, the other rows the results. */
  step(env: number, buffers: PortBuffers): void;
  /** Env `env`'s counted episode ended (called after its last `step`, before any reset). */
  episodeEnd(env: number, result: { return: number; length: number; terminated: boolean; truncated: boolean }): void;
}

/** An evaluation stopped through `EvaluateOptions.signal`. */
export class EvaluationInterruptedError extends Error {
  override readonly name = "EvaluationInterruptedError";
}

export interface EvaluationResult {
  mean_return: number;
  /** Population standard deviation (ddof 0), as Stable-Baselines3's `evaluate_policy`. */
  std_return: number;
  mean_length: number;
  episodes: number;
  /** Undiscounted return per episode, env-major: env 0's episodes in order, then env 1's, … */
  returns: number[];
  lengths: number[];
}

/**
 * Runs `options.episodes` complete episodes on `port` (all envs stepped together) with the
 * actions from `act`. Resets the port first; does not seed or close it.
 */
export async function evaluatePolicy(port: ControlPort, act: ActFn, options: EvaluateOptions): Promise<EvaluationResult> {
  const { episodes, maxSteps, observer, signal } = options;
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`evaluatePolicy: episodes must be a positive integer, got ${episodes}`);
  const env = new TimeLimit(port, maxSteps);
  const n = env.numEnvs;
  const quota = new Int32Array(n);
  const first = new Int32Array(n); // index of env i's first episode in the result arrays
  for (let i = 0, at = 0; i < n; i++) {
    quota[i] = Math.floor(episodes / n) + (i < episodes % n ? 1 : 0);
    first[i] = at;
    at += quota[i]!;
  }
  const returns = new Array<number>(episodes).fill(0);
  const lengths = new Array<number>(episodes).fill(0);
  const done = new Int32Array(n);
  const ret = new Float64Array(n);
  const len = new Int32Array(n);
  let remaining = episodes;
  const ended = new Uint8Array(n);

  const buffers = env.buffers;
  const { obs, action, reward, terminated, truncated } = buffers;
  env.resetAll();
  if (observer) for (let i = 0; i < n; i++) if (quota[i]! > 0) observer.episodeStart(i, 0, first[i]!, buffers);
  let lastYield = performance.now();
  while (remaining > 0) {
    if (signal) {
      if (signal.aborted) throw new EvaluationInterruptedError(`evaluation interrupted with ${episodes - remaining} of ${episodes} episodes done`);
      const now = performance.now();
      if (now - lastYield > 20) {
        await new Promise<void>((r) => setImmediate(r));
        lastYield = performance.now();
        if (signal.aborted) throw new EvaluationInterruptedError(`evaluation interrupted with ${episodes - remaining} of ${episodes} episodes done`);
      }
    }
    act(obs, n, action);
    env.step();
    ended.fill(0);
    for (let i = 0; i < n; i++) {
      // Envs past their quota keep stepping with the batch; their episodes are not counted.
      ret[i] = ret[i]! + reward[i]!;
      len[i]! += 1;
      const counted = done[i]! < quota[i]!;
      if (observer && counted) observer.step(i, buffers);
      if (terminated[i] === 0 && truncated[i] === 0) continue;
      if (counted) {
        returns[first[i]! + done[i]!] = ret[i]!;
        lengths[first[i]! + done[i]!] = len[i]!;
        observer?.episodeEnd(i, { return: ret[i]!, length: len[i]!, terminated: terminated[i] !== 0, truncated: truncated[i] !== 0 });
        done[i]! += 1;
        remaining--;
      }
      ret[i] = 0;
      len[i] = 0;
      ended[i] = 1;
    }
    if (remaining > 0 && ended.includes(1)) {
      env.resetEnvs(ended);
      if (observer) {
        for (let i = 0; i < n; i++) if (ended[i] === 1 && done[i]! < quota[i]!) observer.episodeStart(i, done[i]!, first[i]! + done[i]!, buffers);
      }
    }
  }

  let sum = 0;
  let sumLen = 0;
  for (let e = 0; e < episodes; e++) {
    sum += returns[e]!;
    sumLen += lengths[e]!;
  }
  const mean = sum / episodes;
  let sq = 0;
  for (const r of returns) sq += (r - mean) * (r - mean);
  return { mean_return: mean, std_return: Math.sqrt(sq / episodes), mean_length: sumLen / episodes, episodes, returns, lengths };
}

export interface EvaluateArtifactOptions {
  episodes: number;
  /** Seeds the envs' reset noise. */
  seed: number;
  /** Envs stepped together (default 1). The episode set depends on (seed, numEnvs). */
  numEnvs?: number;
  /** Default: the task's own `maxEpisodeSteps`. */
  maxSteps?: number;
  /** Task to evaluate on instead of `loadTask(manifest.sim)` (a variant sim, or a test task); its spec must still match. */
  task?: TaskDefinition;
  /**
   * Write every episode to an MCAP file and/or per-episode sinks (src/log/eval-recorder.ts);
   * the results are unchanged.
   */
  record?: EvaluateRecordOptions;
  /** Stops the evaluation (EvaluationInterruptedError); episode files still open are finalized first. */
  signal?: AbortSignal;
}

export interface EvaluateRecordOptions extends EvalRecordOptions {
  /** Metadata "source" (default "eval"). */
  readonly source?: EpisodeSource;
  /** Extra session metadata (e.g. launch_file, run_dir, update). */
  readonly session?: Readonly<Record<string, string>>;
}

/** An evaluation result, with the episode files when recording. */
export interface ArtifactEvaluationResult extends EvaluationResult {
  /** The episode files in result order (only when `record` with a `dir` was given). */
  episode_logs?: string[];
}

/** A policy whose observation/action spec differs from its sim's (a user error, reported in one line). */
export class SpecMismatchError extends Error {
  override readonly name = "SpecMismatchError";
}

/** Loads the policy in `policyDir`, checks it against its sim's spec, and evaluates it there. */
export async function evaluateArtifact(policyDir: string, options: EvaluateArtifactOptions): Promise<ArtifactEvaluationResult> {
  const { manifest, layers } = await readPolicyArtifact(policyDir);
  const policy = new FrozenPolicy(manifest, layers);
  const task = options.task ?? (await loadTask(manifest.sim));
  const mismatch = specMismatch(manifest.spec, task.spec);
  if (mismatch !== null) {
    throw new SpecMismatchError(`policy ${policyDir} does not fit sim "${task.name}": spec ${mismatch}`);
  }
  return evaluateFrozen(policy, task, { ...options, policySession: () => policySessionMeta(policyDir, manifest) });
}

export interface EvaluateFrozenOptions extends Omit<EvaluateArtifactOptions, "task"> {
  /** Session metadata of the policy for the episode logs (default: none; e.g. `policySessionMeta`). */
  policySession?: () => Readonly<Record<string, string>>;
}

/**
 * Evaluates a policy already in memory (e.g. a snapshot of the policy being trained) on `task`,
 * which must have the policy's spec: the same envs, episodes and recording as `evaluateArtifact`
 * (which loads the artifact and calls this), so a snapshot evaluated here and the same weights
 * loaded from disk give the same results. Touches nothing but its own port.
 */
export async function evaluateFrozen(policy: FrozenPolicy, task: TaskDefinition, options: EvaluateFrozenOptions): Promise<ArtifactEvaluationResult> {
  const { manifest } = policy;
  const port = new SimPort(task, { numEnvs: options.numEnvs ?? 1, seed: options.seed });
  let recorder: EvalEpisodeRecorder | null = null;
  try {
    const rec = options.record;
    if (rec) {
      const episodes = await EpisodeRecorder.create(task, {
        sim: manifest.sim,
        source: rec.source ?? "eval",
        seed: options.seed,
        session: { ...(options.policySession?.() ?? {}), ...(rec.session ?? {}) },
      });
      recorder = new EvalEpisodeRecorder(port, episodes, rec);
    }
    const result = await evaluatePolicy(port, (o, b, out) => policy.act(o, b, out), {
      episodes: options.episodes,
      maxSteps: options.maxSteps ?? task.maxEpisodeSteps,
      ...(recorder ? { observer: recorder } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!recorder) return result;
    recorder.close();
    if (rec?.dir === undefined) return result;
    const files = [...recorder.files].sort((a, b) => a.index - b.index);
    return { ...result, episode_logs: files.flatMap((f) => (f.file === null ? [] : [f.file])) };
  } finally {
    recorder?.close();
    port.close();
  }
}
