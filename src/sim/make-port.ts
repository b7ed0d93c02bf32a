/**
 * Builds the simulation port for a run: in-process (`SimPort`) or spread over worker_threads
 * (`WorkerPort`). Both give bit-identical results for a given seed: env i always draws its
 * reset noise from stream (seed, i) and owns its physics world, whichever thread steps it.
 */
import { availableParallelism } from "node:os";
import type { ControlPort } from "../port/port.js";
import { AutoReset, type EpisodicPort } from "../port/wrappers/auto-reset.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import { SimPort } from "./sim-port.js";
import type { TaskDefinition } from "./task.js";
import { WorkerPort } from "./worker-port.js";

export interface SimPortConfig {
  /** Envs in the batch. */
  numEnvs: number;
  /**
   * Threads stepping envs: 0 = one per core (`os.availableParallelism()`), 1 = this thread only
   * (`SimPort`), n > 1 = a `WorkerPort` over n slices (at most numEnvs), the first stepped by
   * this thread unless `stepOnCaller` is false.
   */
  numWorkers: number;
  /** Seed of the reset noise. */
  seed?: number;
  /** See `WorkerPortOptions.stepOnCaller` (default true). */
  stepOnCaller?: boolean;
}

/** Threads that will step the envs: 1 means in-process. */
export function resolveWorkerCount(numWorkers: number, numEnvs: number): number {
  if (!Number.isInteger(numWorkers) || numWorkers < 0) {
    throw new Error(`numWorkers must be a non-negative integer (0 = one per core), got ${numWorkers}`);
  }
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`numEnvs must be a positive integer, got ${numEnvs}`);
  const requested = numWorkers === 0 ? availableParallelism() : numWorkers;
  return Math.max(1, Math.min(requested, numEnvs));
}

/**
 * The sim port for `task`. With more than one worker each worker rebuilds the task from the
 * registry key `taskName` (a definition cannot cross threads), so `task` must be what
 * `loadTask(taskName)` returns; the workers check that the specs agree.
 */
export async function createSimPort(taskName: string, task: TaskDefinition, config: SimPortConfig): Promise<ControlPort> {
  const workers = resolveWorkerCount(config.numWorkers, config.numEnvs);
  const seed = config.seed ?? 0;
  if (workers === 1) return new SimPort(task, { numEnvs: config.numEnvs, seed });
  return WorkerPort.create(taskName, task, {
    numEnvs: config.numEnvs,
    numWorkers: workers,
    seed,
    ...(config.stepOnCaller === undefined ? {} : { stepOnCaller: config.stepOnCaller }),
  });
}

/**
 * The training port: `createSimPort`'s envs under Gymnasium's TimeLimit and same-step
 * AutoReset. In-process it is `AutoReset(TimeLimit(SimPort))`; with workers, each thread applies
 * both to its slice inside the step command (`WorkerPort` episode mode), so an ended episode
 * costs no extra round trip. The batch's contents are the same either way.
 */
export async function createEpisodicSimPort(taskName: string, task: TaskDefinition, config: SimPortConfig & { maxEpisodeSteps: number }): Promise<EpisodicPort> {
  const workers = resolveWorkerCount(config.numWorkers, config.numEnvs);
  const seed = config.seed ?? 0;
  if (workers === 1) return new AutoReset(new TimeLimit(new SimPort(task, { numEnvs: config.numEnvs, seed }), config.maxEpisodeSteps));
  return WorkerPort.create(taskName, task, {
    numEnvs: config.numEnvs,
    numWorkers: workers,
    seed,
    episodes: { maxSteps: config.maxEpisodeSteps },
    ...(config.stepOnCaller === undefined ? {} : { stepOnCaller: config.stepOnCaller }),
  });
}
