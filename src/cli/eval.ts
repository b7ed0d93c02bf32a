/**
 * `locomote eval`: deterministic evaluation of a frozen policy in its simulation.
 *
 * With `--record <dir>` every episode is written to `<dir>/episode-NNNN.mcap` (NNNN = its index
 * in `returns`). Ctrl-C (or SIGTERM) then stops after the current step, finalizes the open
 * episode files (marked interrupted) and exits 130; a second Ctrl-C finalizes them at once and
 * exits. Without `--record` or `--view` Ctrl-C simply ends the process.
 *
 * With `--view [port]` a live view (src/view/view-thread.ts) shows every episode: the
 * evaluation itself runs as fast as it can (its results are those of a run without `--view`),
 * each episode is kept in memory as it is evaluated, and the view plays them one after another
 * in result order at the pace of their sim time (× `--rate`), starting when the first client
 * subscribes. The results are printed when the evaluation is done; after the last episode the
 * view keeps its last state until Ctrl-C (exit status 0).
 */
import type { RecordedEpisode } from "../log/eval-recorder.js";
import { closeOpenLogs } from "../log/open-logs.js";
import { evaluateArtifact, EvaluationInterruptedError, type EvaluateRecordOptions } from "../rl/evaluate.js";
import { EpisodeBuffer } from "../view/episode-buffer.js";
import type { LiveViewThread } from "../view/view-thread.js";
import { startView, untilSignal, type ViewCliOptions } from "./view-options.js";

export interface EvalCliOptions {
  episodes: number;
  seed: number;
  numEnvs?: number;
  json?: boolean;
  record?: string;
  /** Show the episodes on a live view. */
  view?: ViewCliOptions;
  /** Playback speed of the view (1 = real time). */
  rate?: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function runEval(dir: string, opts: EvalCliOptions): Promise<number> {
  const interruptible = opts.record !== undefined || opts.view !== undefined;
  const abort = interruptible ? new AbortController() : null;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      const what = opts.record ? "stopping after this step and finalizing the episode files" : "stopping after this step";
      process.stderr.write(`locomote: ${signal}: ${what} (${signal === "SIGINT" ? "Ctrl-C" : signal} again: at once)\n`);
      abort?.abort();
      return;
    }
    closeOpenLogs();
    process.exit(130);
  };
  let view: LiveViewThread | null = null;
  try {
    if (opts.view) view = await startView(opts.view, `locomote eval ${dir}`);
    if (abort) {
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    }
    // The view's episodes, in result order: each is handed over when it ends (null: interrupted).
    const ready = Array.from({ length: view ? opts.episodes : 0 }, () => deferred<{ buffer: EpisodeBuffer; episode: RecordedEpisode } | null>());
    const buffers: EpisodeBuffer[] = [];
    const viewRecord: Pick<EvaluateRecordOptions, "episodeSink" | "onEpisodeEnd"> = view
      ? {
          episodeSink: (e) => (buffers[e.index] = new EpisodeBuffer()),
          onEpisodeEnd: (e) => ready[e.index]?.resolve(e.interrupted ? null : { buffer: buffers[e.index]!, episode: e }),
        }
      : {};
    const playback = view ? playInOrder(view, ready, opts.rate ?? 1) : null;

    let r: Awaited<ReturnType<typeof evaluateArtifact>>;
    try {
      r = await evaluateArtifact(dir, {
        episodes: opts.episodes,
        seed: opts.seed,
        numEnvs: opts.numEnvs ?? Math.min(opts.episodes, 8),
        ...(opts.record || view
          ? { record: { ...(opts.record ? { dir: opts.record } : {}), ...viewRecord, source: "eval" as const } }
          : {}),
        ...(abort ? { signal: abort.signal } : {}),
      });
    } catch (err) {
      if (err instanceof EvaluationInterruptedError) {
        const files = opts.record ? `; the episode files in ${opts.record} are finalized (the open ones marked interrupted)` : "";
        process.stderr.write(`locomote: ${err.message}${files}\n`);
        return 130;
      }
      throw err;
    } finally {
      for (const d of ready) d.resolve(null); // no-op for the episodes already handed over
      if (abort) {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ policy: dir, seed: opts.seed, ...r })}\n`);
    } else {
      process.stdout.write(
        `${dir}: ${r.episodes} episodes, deterministic action, seed ${opts.seed}\n` +
          `  return ${r.mean_return.toFixed(1)} ± ${r.std_return.toFixed(1)}  (min ${Math.min(...r.returns).toFixed(1)}, max ${Math.max(...r.returns).toFixed(1)})\n` +
          `  length ${r.mean_length.toFixed(1)}\n` +
          (r.episode_logs ? `  recorded ${r.episode_logs.length} episode logs in ${opts.record} (locomote replay <file> to summarize one)\n` : ""),
      );
    }
    if (view && playback) {
      const signal = untilSignal();
      const finished = await Promise.race([playback.then(() => true), signal.then(() => false)]);
      if (finished) {
        process.stderr.write(`locomote: live view: all ${opts.episodes} episodes played; serving the last state at ${view.url} until Ctrl-C\n`);
        await signal;
      }
    }
    return 0;
  } finally {
    await view?.close();
  }
}

/** Plays the episodes to the view one after another, in result order, as they become ready. */
async function playInOrder(
  view: LiveViewThread,
  ready: readonly Deferred<{ buffer: EpisodeBuffer; episode: RecordedEpisode } | null>[],
  rate: number,
): Promise<void> {
  for (let i = 0; i < ready.length; i++) {
    const next = await ready[i]!.promise;
    if (!next) return;
    const { buffer, episode } = next;
    if (i === 0) process.stderr.write(`locomote: live view: the episodes play when a client subscribes\n`);
    const played = view.play(buffer, { speed: rate, waitForSubscriber: i === 0 });
    process.stderr.write(`locomote: live view: episode ${i + 1}/${ready.length} (env ${episode.env}, return ${episode.return.toFixed(1)}, ${episode.length} steps)\n`);
    if (!(await played)) return;
  }
}
