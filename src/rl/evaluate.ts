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
import type { ControlPort } from "../port/port.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import { readPolicyArtifact } from "../policy/artifact.js";
import { FrozenPolicy } from "../policy/frozen.js";
import { specMismatch } from "../policy/manifest.js";
import { SimPort } from "../sim/sim-port.js";
import { loadTask } from "../sim/registry.js";
import type { TaskDefinition } from "../sim/task.js";

/** Writes `[batch × actDim]` actions into `out` for `[batch × obsDim]` observations. */
export type ActFn = (obs: Float32Array, batch: number, out: Float32Array) => void;

export interface EvaluateOptions {
  /** Total episodes, split over the port's envs. */
  episodes: number;
  /** Episode cut-off (a TimeLimit is applied on top of the port; an existing shorter one still wins). */
  maxSteps: number;
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
  const { episodes, maxSteps } = options;
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

  const { obs, action, reward, terminated, truncated } = env.buffers;
  env.resetAll();
  while (remaining > 0) {
    act(obs, n, action);
    env.step();
    ended.fill(0);
    for (let i = 0; i < n; i++) {
      // Envs past their quota keep stepping with the batch; their episodes are not counted.
      ret[i] = ret[i]! + reward[i]!;
      len[i]! += 1;
      if (terminated[i] === 0 && truncated[i] === 0) continue;
      if (done[i]! < quota[i]!) {
        returns[first[i]! + done[i]!] = ret[i]!;
        lengths[first[i]! + done[i]!] = len[i]!;
        done[i]! += 1;
        remaining--;
      }
      ret[i] = 0;
      len[i] = 0;
      ended[i] = 1;
    }
    if (remaining > 0 && ended.includes(1)) env.resetEnvs(ended);
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
}

/** A policy whose observation/action spec differs from its sim's (a user error, reported in one line). */
export class SpecMismatchError extends Error {
  override readonly name = "SpecMismatchError";
}

/** Loads the policy in `policyDir`, checks it against its sim's spec, and evaluates it there. */
export async function evaluateArtifact(policyDir: string, options: EvaluateArtifactOptions): Promise<EvaluationResult> {
  const { manifest, layers } = await readPolicyArtifact(policyDir);
  const policy = new FrozenPolicy(manifest, layers);
  const task = options.task ?? (await loadTask(manifest.sim));
  const mismatch = specMismatch(manifest.spec, task.spec);
  if (mismatch !== null) {
    throw new SpecMismatchError(`policy ${policyDir} does not fit sim "${task.name}": spec ${mismatch}`);
  }
  const port = new SimPort(task, { numEnvs: options.numEnvs ?? 1, seed: options.seed });
  try {
    return await evaluatePolicy(port, (o, b, out) => policy.act(o, b, out), {
      episodes: options.episodes,
      maxSteps: options.maxSteps ?? task.maxEpisodeSteps,
    });
  } finally {
    port.close();
  }
}
