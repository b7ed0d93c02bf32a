/**
 * `summary.json`: the one-file result of a run, written atomically at the end (and whenever the
 * trainer wants a snapshot, e.g. on SIGINT).
 *
 *   {
 *     "env_steps": 1000000, "wall_seconds": 812.4, "env_steps_per_second": 1230.9,
 *     "final_eval": { "mean_return": 2400.1, "std_return": 120.3, "mean_length": 998, "episodes": 10 },
 *     ...any other keys the trainer passes (config name, seed, interrupted, best_return, ...)
 *   }
 *
 * `final_eval` is `null` when the run ended before its final evaluation (interrupted).
 * `env_steps_per_second` is computed from the other two when not given.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export const SUMMARY_JSON = "summary.json";

export const FinalEvalSchema = z.object({
  /** Mean undiscounted return over the evaluation episodes. */
  mean_return: z.number(),
  /** Population standard deviation of those returns. */
  std_return: z.number().nonnegative(),
  /** Mean episode length in env steps. */
  mean_length: z.number().nonnegative(),
  /** Number of evaluation episodes. */
  episodes: z.number().int().nonnegative(),
});

export const RunSummarySchema = z.looseObject({
  /** Env steps collected by training (all envs). */
  env_steps: z.number().int().nonnegative(),
  /** Wall-clock seconds of training. */
  wall_seconds: z.number().nonnegative(),
  /** Training throughput. */
  env_steps_per_second: z.number().nonnegative(),
  /** Final deterministic evaluation, or null if the run stopped before it. */
  final_eval: FinalEvalSchema.nullable(),
});

export type FinalEval = z.infer<typeof FinalEvalSchema>;
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** What the trainer passes: the summary, where `env_steps_per_second` may be left out. */
export interface RunSummaryInput {
  env_steps: number;
  wall_seconds: number;
  env_steps_per_second?: number;
  final_eval: FinalEval | null;
  /** Anything else worth keeping (seed, config name, interrupted, best return, ...). */
  [key: string]: unknown;
}

export class SummaryError extends Error {
  override readonly name = "SummaryError";
}

/** Validates `input`, fills `env_steps_per_second`, and returns the summary to write. */
export function makeSummary(input: RunSummaryInput): RunSummary {
  const rate =
    input.env_steps_per_second ?? (input.wall_seconds > 0 ? input.env_steps / input.wall_seconds : 0);
  const result = RunSummarySchema.safeParse({ ...input, env_steps_per_second: rate });
  if (!result.success) throw new SummaryError(`invalid run summary: ${describe(result.error)}`);
  return result.data;
}

/** Reads and validates a `summary.json`; errors name the file and the offending field. */
export function readSummary(path: string): RunSummary {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new SummaryError(`${path}: cannot read summary (${error instanceof Error ? error.message : String(error)})`);
  }
  const result = RunSummarySchema.safeParse(value);
  if (!result.success) throw new SummaryError(`${path}: ${describe(result.error)}`);
  return result.data;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
