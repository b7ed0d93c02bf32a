/**
 * `locomote eval`: deterministic evaluation of a frozen policy in its simulation.
 *
 * With `--record <dir>` every episode is written to `<dir>/episode-NNNN.mcap` (NNNN = its index
 * in `returns`). Ctrl-C (or SIGTERM) then stops after the current step, finalizes the open
 * episode files (marked interrupted) and exits 130; a second Ctrl-C finalizes them at once and
 * exits. Without `--record` Ctrl-C simply ends the process.
 */
import { closeOpenLogs } from "../log/open-logs.js";
import { evaluateArtifact, EvaluationInterruptedError } from "../rl/evaluate.js";

export interface EvalCliOptions {
  episodes: number;
  seed: number;
  numEnvs?: number;
  json?: boolean;
  record?: string;
}

export async function runEval(dir: string, opts: EvalCliOptions): Promise<number> {
  const abort = opts.record ? new AbortController() : null;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`locomote: ${signal}: stopping after this step and finalizing the episode files (${signal === "SIGINT" ? "Ctrl-C" : signal} again: at once)\n`);
      abort?.abort();
      return;
    }
    closeOpenLogs();
    process.exit(130);
  };
  if (abort) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  let r: Awaited<ReturnType<typeof evaluateArtifact>>;
  try {
    r = await evaluateArtifact(dir, {
      episodes: opts.episodes,
      seed: opts.seed,
      numEnvs: opts.numEnvs ?? Math.min(opts.episodes, 8),
      ...(opts.record ? { record: { dir: opts.record, source: "eval" as const }, signal: abort!.signal } : {}),
    });
  } catch (err) {
    if (err instanceof EvaluationInterruptedError) {
      process.stderr.write(`locomote: ${err.message}; the episode files in ${opts.record} are finalized (the open ones marked interrupted)\n`);
      return 130;
    }
    throw err;
  } finally {
    if (abort) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ policy: dir, seed: opts.seed, ...r })}\n`);
    return 0;
  }
  process.stdout.write(
    `${dir}: ${r.episodes} episodes, deterministic action, seed ${opts.seed}\n` +
      `  return ${r.mean_return.toFixed(1)} ± ${r.std_return.toFixed(1)}  (min ${Math.min(...r.returns).toFixed(1)}, max ${Math.max(...r.returns).toFixed(1)})\n` +
      `  length ${r.mean_length.toFixed(1)}\n` +
      (r.episode_logs ? `  recorded ${r.episode_logs.length} episode logs in ${opts.record} (locomote replay <file> to summarize one)\n` : ""),
  );
  return 0;
}
