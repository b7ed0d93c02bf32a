/**
 * The live view on a thread of its own: a `LiveViewServer` (Foxglove WebSocket protocol + web
 * page) run by a worker thread (./view-worker.ts) that plays recorded episodes
 * (`EpisodeBuffer`s) to its clients at the pace of their log times.
 *
 * Why a thread: the commands that show episodes are busy on the main thread — a training update
 * blocks it for ~0.5 s at a time (rollout, then the tfjs update), an evaluation for ~20 ms.
 * Playback on the main thread's timers would reach the viewers in bursts between updates; on
 * its own thread it runs at the episode's pace and the server answers new clients at once.
 * Costs: one thread that sleeps between messages (about one wake-up per control step of the
 * episode played, e.g. 125/s for the hopper), and one copy of an episode per `play`.
 *
 * ```ts
 * const view = await LiveViewThread.start({ port: 8765, name: "locomote train hopper" });
 * console.error(`live view: ${view.url}  (Foxglove: ${view.wsUrl})`);
 * void view.play(buffer, { loop: true });   // replaces what plays
 * await view.play(other);                    // resolves when played through (true) or replaced/stopped (false)
 * await view.close();
 * ```
 *
 * Every episode played registers its channels on one shared set (one server channel per topic
 * and type), so viewers keep one /tf, one /joint_states, … across episodes.
 */
import type { Worker } from "node:worker_threads";
import { startWorker, workerEntry } from "../util/worker-entry.js";
import { type EpisodeBuffer, type EpisodeTransfer, episodeTransferList } from "./episode-buffer.js";
import type { LiveViewOptions } from "./live-view-server.js";

/** Main thread → view worker. */
export type ViewRequest =
  | {
      readonly type: "play";
      readonly id: number;
      readonly episode: EpisodeTransfer;
      readonly speed: number;
      readonly loop: boolean;
      readonly loopPauseMs?: number;
      readonly waitForSubscriber: boolean;
    }
  | { readonly type: "stop" }
  | { readonly type: "close" };

/** View worker → main thread. */
export type ViewReply =
  | { readonly type: "ready"; readonly host: string; readonly port: number; readonly url: string; readonly wsUrl: string }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "done"; readonly id: number; readonly completed: boolean }
  | { readonly type: "fatal"; readonly message: string }
  | { readonly type: "closed" };

export interface ViewPlayOptions {
  /** 1 = real time (default), 2 = twice as fast, 0 = all at once. */
  readonly speed?: number;
  /** Start over at the end until replaced or stopped. */
  readonly loop?: boolean;
  /** Pause between loops (ms, default 1000). */
  readonly loopPauseMs?: number;
  /** Start only once some client subscribes to a channel (the episode's channels are advertised meanwhile). */
  readonly waitForSubscriber?: boolean;
}

/** The live view could not start (port in use, refused host, …): one line for the user. */
export class LiveViewError extends Error {
  override readonly name = "LiveViewError";
}

export class LiveViewThread {
  private nextId = 1;
  private readonly pending = new Map<number, (completed: boolean) => void>();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly host: string,
    readonly port: number,
    /** `http://host:port/`: the web page. */
    readonly url: string,
    /** `ws://host:port`: what Foxglove / Lichtblick connect to. */
    readonly wsUrl: string,
  ) {
    worker.on("message", (msg: ViewReply) => {
      if (msg.type === "done") {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.(msg.completed);
      } else if (msg.type === "fatal") {
        process.stderr.write(`locomote: live view: ${msg.message}\n`);
      }
    });
    worker.on("exit", () => this.settleAll());
    worker.on("error", (err) => {
      process.stderr.write(`locomote: live view thread failed: ${err.message}\n`);
      this.settleAll();
    });
  }

  /**
   * Starts the server on its thread; rejects with a `LiveViewError` when it cannot listen
   * (port in use, a non-loopback host without `allowRemote`, …).
   */
  static async start(options: LiveViewOptions = {}): Promise<LiveViewThread> {
    const entry = workerEntry(import.meta.url, "view-worker", "LiveViewThread");
    const worker = startWorker(entry.url, {
      workerData: { options, ...entry.extraData },
      name: "locomote-live-view",
    });
    const ready = await new Promise<Extract<ViewReply, { type: "ready" }>>((resolve, reject) => {
      const cleanup = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      const onMessage = (msg: ViewReply): void => {
        if (msg.type === "ready") {
          cleanup();
          resolve(msg);
        } else if (msg.type === "error" || msg.type === "fatal") {
          cleanup();
          void worker.terminate();
          reject(new LiveViewError(msg.message));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new LiveViewError(`live view: the server thread failed to start: ${err.message}`));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new LiveViewError(`live view: the server thread exited (code ${code}) before it was ready`));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
    return new LiveViewThread(worker, ready.host, ready.port, ready.url, ready.wsUrl);
  }

  /**
   * Plays `episode` (a copy is sent to the thread; the buffer can be reused or dropped),
   * replacing whatever plays. Resolves true when it played through, false when it was
   * replaced, stopped or the view closed (a looping play only ends that way).
   */
  play(episode: EpisodeBuffer, options: ViewPlayOptions = {}): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    const id = this.nextId++;
    const transfer = episode.toTransfer();
    const request: ViewRequest = {
      type: "play",
      id,
      episode: transfer,
      speed: options.speed ?? 1,
      loop: options.loop ?? false,
      ...(options.loopPauseMs !== undefined ? { loopPauseMs: options.loopPauseMs } : {}),
      waitForSubscriber: options.waitForSubscriber ?? false,
    };
    return new Promise<boolean>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage(request, episodeTransferList(transfer));
    });
  }

  /** Stops the playback; the view keeps showing the last state (latched /robot_description and /tf). */
  stop(): void {
    if (!this.closing) this.worker.postMessage({ type: "stop" } satisfies ViewRequest);
  }

  /** Closes the server (every connection) and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate(), 3000);
      this.worker.once("exit", () => {
        clearTimeout(timer);
        this.settleAll();
        resolve();
      });
      this.worker.postMessage({ type: "close" } satisfies ViewRequest);
    });
    return this.closing;
  }

  private settleAll(): void {
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
  }
}
