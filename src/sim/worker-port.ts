/**
 * WorkerPort: a `ControlPort` whose envs are stepped on several threads, each owning a
 * contiguous slice of the batch. Observations, actions, rewards, flags and metrics live in
 * SharedArrayBuffers; every slice is a `SimPort` over its rows of them (worker threads build
 * the task from its registry key), with `firstEnvIndex` = slice start, so the batch holds
 * exactly what one in-process `SimPort` would hold, whatever the number of threads.
 *
 * `numWorkers` counts the threads that step envs. By default the calling thread steps the
 * first slice itself and `numWorkers − 1` worker_threads step the others (`stepOnCaller`):
 * on 2 cores, 2 workers keep both cores busy instead of running 2 workers plus a sleeping
 * caller that must be woken every step. With `stepOnCaller: false` every slice gets a worker
 * thread and the caller only waits (earlier sessions: 2 worker threads and a waiting caller
 * 1.05× one thread: every step wakes three threads on two cores).
 *
 * What keeps two threads below 2× one (2026-11-22, hopper of 0.004 s engine steps, 16 envs,
 * random actions, per batch step, instrumented probes): (1) the slower slice sets each step's
 * time: a slice of 8 envs takes 311–380 µs (10th–90th percentile) from step to step with
 * contacts and resets, so the step waits for the slower one, ~4.5% over the mean for two
 * independent slices; (2) resets: a reset restores a fresh world from the snapshot, and in the
 * stepping loop that cost ~50–70 µs per reset, ~20 µs per slice-step with the random-action
 * hopper's ~28-step episodes. Both threads now build the next resets' worlds in their idle
 * time (`SimPort.prepareResets`: a worker between commands, the caller while its workers
 * run), which took a slice-step from ~357 to ~337 µs in a single-thread probe; (3) V8 shared
 * one compiled Rapier module among the threads, which ran them ~5% slower than two processes
 * (`compileWasmPerThread`); (4) the handshake: the worker starts a step ~6 µs after the caller
 * on average (a reset piece in progress when the command arrives; ~0.5 µs median); (5) a
 * worker that slept is slow to wake on this VM, so it polls longer while a core is spare
 * (`SpinBudgets.workerLongMs`).
 * Measured with src/bench/workers.ts: before (2), (3) and (5) were addressed 1.73–1.83× (median
 * 1.78, ten runs); after, 1.79–1.91× (median 1.88, ten runs; README).
 *
 * Synchronization (no promise per step: the trainer's loop is synchronous). Each worker
 * thread has one 64-byte record in a shared Int32Array control block:
 *   SEQ    caller → worker: incremented once per command (after CMD/ARG are written)
 *   CMD    the command (step, reset all, reset one env, reset the envs of the shared reset
 *          mask, seed, close)
 *   ARG    slice-local env index for "reset one env"
 *   DONE   worker → caller: the SEQ of the last command completed (one command at a time)
 *   STATUS 0 ok, 1 the last command threw (message waiting on the worker's error port)
 *   CALLER_WAITS caller → worker: the SEQ whose answer the caller is waiting for (it finished
 *          its own part): a worker that finishes then polls for the next command briefly
 *          before it prepares resets (`SpinBudgets.workerGraceMs`)
 * plus one Float64 slot per worker for the seed. The caller writes CMD/ARG, bumps SEQ and
 * `Atomics.notify`s; the worker sleeps in `Atomics.wait` on SEQ, runs the command over the
 * shared buffers, publishes DONE and notifies; the caller steps its own slice meanwhile, then
 * `Atomics.wait`s on DONE. The Atomics store/load pairs order the plain buffer writes on
 * either side (sequentially consistent), so the caller sees a worker's rows as soon as its DONE
 * is published. Both sides poll briefly before sleeping (`SpinBudgets`): on this VM a futex
 * wake-up costs tens of µs and a thread that slept runs slower for a while.
 *
 * Worker entry: from the compiled package this file is dist/src/sim/worker-port.js and the
 * worker is its sibling sim-worker.js. Run from TypeScript sources (vitest, tsx), there is no
 * .js beside this file and Node cannot load .ts: the worker then starts a tiny bootstrap that
 * registers module hooks (dev-worker-hooks.mjs, which transpiles with the `typescript` dev
 * dependency) and imports sim-worker.ts, so tests exercise the current sources, never a
 * possibly stale dist/.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from "node:worker_threads";
import { startWorker, workerEntry } from "../util/worker-entry.js";
import { allocBuffers, type ControlPort, type PortBuffers, sliceBuffers } from "../port/port.js";
import type { PortSpec } from "../port/spec.js";
import { AutoReset, type EpisodicPort } from "../port/wrappers/auto-reset.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import { SimPort } from "./sim-port.js";
import type { TaskDefinition } from "./task.js";

/**
 * Makes every thread that compiles Rapier's wasm from now on get its own machine code. V8
 * compiles a wasm module once per process and shares the code among all threads compiling the
 * same bytes (its native module cache); threads stepping Rapier through that shared code run
 * ~5% slower than through their own. Measured 2026-11-22 (hopper, 8 envs per thread, stepping
 * freely, µs per step): alone 340–350; two threads sharing the code 357–369; two threads with
 * their own 341–349; two processes 339–352. The flag is process-wide and only stops the cache
 * lookup (the main thread's module, compiled before, is unaffected); the cost is each worker
 * compiling the module itself when it starts.
 */
export function compileWasmPerThread(): void {
  setFlagsFromString("--no-wasm-native-module-cache-enabled");
}

/** Commands a worker understands (control block CMD). */
export const Command = { step: 1, resetAll: 2, resetEnv: 3, seed: 4, close: 5, resetMasked: 6 } as const;
export type CommandCode = (typeof Command)[keyof typeof Command];

/** Int32 offsets inside one worker's control record. */
export const Slot = { seq: 0, cmd: 1, arg: 2, done: 3, status: 4, callerWaits: 5 } as const;
/** Int32 elements per worker record: 64 bytes, so two workers never share a cache line. */
export const RECORD_INT32 = 16;
/** Byte offset of the Float64 seed slots (one per worker) after the Int32 records. */
export const seedOffsetBytes = (numThreads: number): number => numThreads * RECORD_INT32 * 4;
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

/**
 * How long each side polls (ms) before falling back to `Atomics.wait`. Polling only pays
 * while threads ≤ cores: with a sleeping caller plus one worker per core, a polling thread
 * takes a core from a stepping one, so that mode polls far less.
 */
export interface SpinBudgets {
  /**
   * A worker, after finishing a command, for the next one (AutoReset's resets, the next step).
   * Longer polls were measured and not taken (hopper, 16 envs, 2 threads, interleaved runs):
   * 3 ms gains ~4% (1–8% per round, nine rounds) of env steps/s when the port is stepped in a
   * tight loop (the worker then rarely sleeps), nothing measurable in a walker2d training's
   * rollout (19.1–21.3k vs 18.8–21.2k env steps/s), and with two such processes on the 2 cores
   * it takes the cores the callers need (4.2–4.3k instead of 7.5–7.9k env steps/s each).
   * Backing off after a preemption seen on the clock kept training level but still lost ~5%
   * there (7.0–7.7k), so this poll stays short, and a longer one (`workerLongMs`) only runs
   * while no other thread wants a core.
   */
  workerMs: number;
  /** The caller, for the workers' step (and reset-all) after finishing its own slice. */
  callerStepMs: number;
  /** The caller, for a short command (reset one env, seed). */
  callerMs: number;
  /**
   * A worker whose answer the caller was already waiting for, before it prepares resets: the
   * caller's next command is then probably on its way (a few µs in a tight stepping loop), and
   * a reset being prepared would delay it. Past this poll the caller is busy elsewhere (a
   * policy's forward pass) and the worker prepares.
   */
  workerGraceMs: number;
  /**
   * A worker past `workerMs` keeps polling up to this long (ms, counted from its answer) while
   * no other thread of the machine waits for a core (`CoreWatch`). On this VM a sleeping
   * worker is expensive to wake (its vCPU halts; tens of µs and more, worse when the host is
   * busy): measured 2026-11-22 in a tight stepping loop (hopper, 16 envs), a worker that never
   * slept gave 42.0–43.6k env steps/s against 40.0–41.2k with the 0.3 ms poll, interleaved.
   * When other threads want the cores (two trainings on two cores) it sleeps after `workerMs`.
   */
  workerLongMs: number;
}

export const SPIN_STEP_ON_CALLER: SpinBudgets = { workerMs: 0.3, callerStepMs: 1, callerMs: 1, workerGraceMs: 0.02, workerLongMs: 3 };
export const SPIN_WORKERS_ONLY: SpinBudgets = { workerMs: 0, callerStepMs: 0, callerMs: 0.2, workerGraceMs: 0, workerLongMs: 0 };

/**
 * Whether the machine has a core no other thread wants, from Linux's count of runnable threads
 * (/proc/loadavg) sampled at most every `everyMs` when `sample` is called: a core is spare when
 * at least 6 of the last 8 samples counted no more runnable threads than cores (the sampling
 * thread and the one it works with included). Sampled when a worker has just finished a
 * command, not when it has waited long: that is when the caller's garbage collector has its
 * helper threads running. The 1-minute load average would not do either: a second training
 * started on a quiet machine would share the cores with a polling worker for a minute (two
 * stepping loops of 2 threads each on 2 cores: 7.9k env steps/s each instead of 11.0k).
 * Never spare where /proc/loadavg cannot be read.
 */
export class CoreWatch {
  private readonly samples = new Uint8Array(8);
  private count = 0;
  private next = -Infinity;
  private readonly cores = availableParallelism();

  constructor(private readonly everyMs = 20) {}

  /** Takes a sample if `everyMs` has passed since the last one. */
  sample(): void {
    const now = performance.now();
    if (now < this.next) return;
    this.next = now + this.everyMs;
    let spare = 0;
    try {
      const runnable = /\s(\d+)\/\d+\s/.exec(readFileSync("/proc/loadavg", "latin1"));
      spare = runnable !== null && Number(runnable[1]) <= this.cores ? 1 : 0;
    } catch {
      spare = 0;
    }
    this.samples[this.count++ % this.samples.length] = spare;
  }

  spare(): boolean {
    if (this.count < this.samples.length) return false;
    let n = 0;
    for (const v of this.samples) n += v;
    return n >= 6;
  }
}

/** Polls `arr[index]` until it differs from `value` or `budgetMs` passes; returns the last value read. */
export function spinWhileEqual(arr: Int32Array, index: number, value: number, budgetMs: number): number {
  let v = Atomics.load(arr, index);
  if (v !== value || budgetMs <= 0) return v;
  const end = performance.now() + budgetMs;
  do {
    for (let k = 0; k < 64; k++) {
      v = Atomics.load(arr, index);
      if (v !== value) return v;
    }
  } while (performance.now() < end);
  return v;
}

/** What the caller hands each worker (structured-cloned; SharedArrayBuffers are shared). */
export interface SimWorkerData {
  taskName: string;
  /** The spec the caller expects; the worker checks the registry task has the same. */
  spec: PortSpec;
  /** The whole batch's shared buffers; the worker views rows [start, start + count). */
  buffers: PortBuffers;
  /** [numEnvs] shared reset mask for `Command.resetMasked` (written by the caller). */
  resetMask: Uint8Array;
  start: number;
  count: number;
  seed: number;
  /** Int32 records then Float64 seed slots, see `seedOffsetBytes`. */
  control: SharedArrayBuffer;
  /** This worker's record index, and how many records the block holds. */
  worker: number;
  numThreads: number;
  /** Where the worker posts the message of an error thrown by a command. */
  errors: MessagePort;
  /** How long the worker polls for the next command before sleeping (ms). */
  spinMs: number;
  /** `SpinBudgets.workerGraceMs`. */
  graceMs: number;
  /** `SpinBudgets.workerLongMs`. */
  longSpinMs: number;
  /** Episode mode (see `WorkerPortOptions.episodes`): the time limit, else null. */
  maxEpisodeSteps: number | null;
  /** [numEnvs × obsDim] shared `finalObs` of the batch (episode mode). */
  finalObs: Float32Array;
}

/**
 * The port each thread steps for its slice: the bare `SimPort`, or in episode mode
 * `AutoReset(TimeLimit(SimPort))` writing its final observations into the slice's rows of the
 * shared `finalObs`. Both wrappers act per env, so wrapping each slice is the same as wrapping
 * the batch.
 */
export function slicePort(sim: SimPort, maxEpisodeSteps: number | null, finalObs: Float32Array, start: number): ControlPort {
  if (maxEpisodeSteps === null) return sim;
  const d = sim.spec.observation.names.length;
  return new AutoReset(new TimeLimit(sim, maxEpisodeSteps), { finalObs: finalObs.subarray(start * d, (start + sim.numEnvs) * d) });
}

/** First message a worker posts on `parentPort`. */
export type SimWorkerHello = { type: "ready" } | { type: "error"; message: string };

export interface WorkerPortOptions {
  numEnvs: number;
  /** Threads that step envs (slices), counting the caller when `stepOnCaller`; 2 ≤ n ≤ numEnvs. */
  numWorkers: number;
  seed?: number;
  /** The calling thread steps the first slice (default true); false: one worker thread per slice. */
  stepOnCaller?: boolean;
  /** Longest a command may take before the port gives up on a worker (ms, default 120000). */
  timeoutMs?: number;
  /** Polling budgets; defaults SPIN_STEP_ON_CALLER or SPIN_WORKERS_ONLY by mode. */
  spin?: Partial<SpinBudgets>;
  /**
   * Episode mode: each thread applies the time limit and resets its ended envs inside the same
   * step command (as `AutoReset(TimeLimit(port, maxSteps))` would over the batch, with
   * `finalObs` shared), saving the reset round trip after most steps.
   */
  episodes?: { maxSteps: number };
}

interface WorkerHandle {
  readonly index: number;
  readonly thread: Worker;
  readonly errors: MessagePort;
  readonly start: number;
  readonly count: number;
  /** Index of this worker's record in the control block (Int32 elements). */
  readonly base: number;
  seq: number;
}

/** Slice k of n over `numEnvs` rows: contiguous, sizes differ by at most one (larger first). */
export function sliceOf(k: number, n: number, numEnvs: number): { start: number; count: number } {
  const base = Math.floor(numEnvs / n);
  const extra = numEnvs % n;
  return { start: k * base + Math.min(k, extra), count: base + (k < extra ? 1 : 0) };
}

export class WorkerPort implements EpisodicPort {
  readonly spec: PortSpec;
  readonly numEnvs: number;
  /** Episode mode only (`options.episodes`): the final observation of the episodes that ended at the last step. */
  readonly finalObs: Float32Array;
  /** Threads stepping envs (worker threads, plus the caller when it steps a slice). */
  readonly numWorkers: number;
  private readonly ctrl: Int32Array;
  private readonly seeds: Float64Array;
  /** Worker handle owning env i, or −1 when the caller's own slice holds it. */
  private readonly owner: Int32Array;
  /** Shared with the workers: the envs `resetEnvs` resets. */
  private readonly resetMask: Uint8Array;
  /** Per worker: 1 while it runs the current `resetEnvs` command. */
  private readonly busy: Uint8Array;
  private closed = false;
  /** Set when a worker timed out: its slice is in an unknown state, so the port stops. */
  private broken: string | null = null;

  private constructor(
    readonly buffers: PortBuffers,
    control: SharedArrayBuffer,
    resetMask: Uint8Array,
    /** The caller's own slice (rows [0, local.numEnvs)), or null. */
    private readonly local: ControlPort | null,
    /** The `SimPort` inside `local`, whose resets the caller prepares while it waits for the workers. */
    private readonly localSim: SimPort | null,
    private readonly workers: WorkerHandle[],
    private readonly timeoutMs: number,
    private readonly spin: SpinBudgets,
    spec: PortSpec,
    finalObs: Float32Array,
  ) {
    this.spec = spec;
    this.finalObs = finalObs;
    this.numEnvs = buffers.reward.length;
    this.numWorkers = workers.length + (local ? 1 : 0);
    this.ctrl = new Int32Array(control, 0, workers.length * RECORD_INT32);
    this.seeds = new Float64Array(control, seedOffsetBytes(workers.length), workers.length);
    this.owner = new Int32Array(this.numEnvs).fill(-1);
    this.resetMask = resetMask;
    this.busy = new Uint8Array(workers.length);
    workers.forEach((w, k) => this.owner.fill(k, w.start, w.start + w.count));
  }

  /**
   * Starts the worker threads, each building `taskName` from the registry over its slice, and
   * resolves once all are ready. Rejects (and stops every worker) if any fails to start.
   * `task` must be what `loadTask(taskName)` returns: the caller's slice runs it directly.
   */
  static async create(taskName: string, task: TaskDefinition, options: WorkerPortOptions): Promise<WorkerPort> {
    const { numEnvs, numWorkers } = options;
    const spec = task.spec;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`WorkerPort: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!Number.isInteger(numWorkers) || numWorkers < 2 || numWorkers > numEnvs) {
      throw new Error(`WorkerPort: numWorkers must be an integer in [2, numEnvs = ${numEnvs}], got ${numWorkers}`);
    }
    const stepOnCaller = options.stepOnCaller ?? true;
    const spin: SpinBudgets = { ...(stepOnCaller ? SPIN_STEP_ON_CALLER : SPIN_WORKERS_ONLY), ...options.spin };
    const seed = options.seed ?? 0;
    const buffers = allocBuffers(spec, numEnvs, { shared: true });
    const firstRemote = stepOnCaller ? 1 : 0;
    const numThreads = numWorkers - firstRemote;
    const control = new SharedArrayBuffer(seedOffsetBytes(numThreads) + 8 * numThreads);
    const resetMask = new Uint8Array(new SharedArrayBuffer(numEnvs));
    const maxEpisodeSteps = options.episodes?.maxSteps ?? null;
    if (maxEpisodeSteps !== null && (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1)) {
      throw new Error(`WorkerPort: episodes.maxSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
    const finalObs = new Float32Array(new SharedArrayBuffer(maxEpisodeSteps === null ? 0 : numEnvs * spec.observation.names.length * 4));
    const entry = workerEntry(import.meta.url, "sim-worker", "WorkerPort");
    compileWasmPerThread();
    const handles: WorkerHandle[] = [];
    for (let k = 0; k < numThreads; k++) {
      const { start, count } = sliceOf(k + firstRemote, numWorkers, numEnvs);
      const channel = new MessageChannel();
      const data: SimWorkerData = {
        taskName,
        spec,
        buffers,
        resetMask,
        start,
        count,
        seed,
        control,
        worker: k,
        numThreads,
        errors: channel.port2,
        spinMs: spin.workerMs,
        graceMs: spin.workerGraceMs,
        longSpinMs: spin.workerLongMs,
        maxEpisodeSteps,
        finalObs,
      };
      const thread = startWorker(entry.url, {
        workerData: { ...data, ...entry.extraData },
        transferList: [channel.port2],
        name: `locomote-sim-${k}`,
      });
      channel.port1.unref();
      handles.push({ index: k, thread, errors: channel.port1, start, count, base: k * RECORD_INT32, seq: 0 });
    }
    let local: ControlPort | null = null;
    let localSim: SimPort | null = null;
    try {
      if (stepOnCaller) {
        const { count } = sliceOf(0, numWorkers, numEnvs);
        localSim = new SimPort(task, { numEnvs: count, seed, buffers: sliceBuffers(spec, buffers, 0, count), firstEnvIndex: 0 });
        local = slicePort(localSim, maxEpisodeSteps, finalObs, 0);
      }
      await Promise.all(handles.map((h) => waitReady(h.thread, h.index)));
    } catch (e) {
      local?.close();
      for (const h of handles) {
        h.errors.close();
        void h.thread.terminate();
      }
      throw e;
    }
    // Blocked in Atomics.wait, a worker would otherwise keep the process alive if close() is forgotten.
    for (const h of handles) h.thread.unref();
    return new WorkerPort(buffers, control, resetMask, local, localSim, handles, options.timeoutMs ?? 120_000, spin, spec, finalObs);
  }

  seed(seed: number): void {
    this.seeds.fill(seed);
    for (const w of this.workers) this.send(w, Command.seed, 0);
    this.local?.seed(seed);
    for (const w of this.workers) this.complete(w, this.spin.callerMs);
  }

  resetAll(): void {
    for (const w of this.workers) this.send(w, Command.resetAll, 0);
    this.local?.resetAll();
    this.prepareWhileWorkersRun();
    for (const w of this.workers) this.complete(w, this.spin.callerStepMs);
  }

  resetEnv(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.numEnvs) throw new RangeError(`resetEnv: env index must be in [0, ${this.numEnvs}), got ${i}`);
    const k = this.owner[i]!;
    if (k < 0) {
      this.checkOpen();
      this.local!.resetEnv(i);
      return;
    }
    const w = this.workers[k]!;
    this.send(w, Command.resetEnv, i - w.start);
    this.complete(w, this.spin.callerMs);
  }

  /** One command per worker whose slice has an env to reset; the caller resets its own slice meanwhile. */
  resetEnvs(mask: Uint8Array): void {
    this.checkOpen();
    const shared = this.resetMask;
    for (let i = 0; i < this.numEnvs; i++) shared[i] = mask[i] !== 0 ? 1 : 0;
    const busy = this.busy;
    for (const w of this.workers) {
      busy[w.index] = 0;
      for (let i = w.start; i < w.start + w.count; i++) if (shared[i] !== 0) busy[w.index] = 1;
      if (busy[w.index] !== 0) this.send(w, Command.resetMasked, 0);
    }
    this.local?.resetEnvs(shared);
    this.prepareWhileWorkersRun();
    for (const w of this.workers) if (busy[w.index] !== 0) this.complete(w, this.spin.callerMs);
  }

  step(): void {
    for (const w of this.workers) this.send(w, Command.step, 0);
    this.local?.step();
    this.prepareWhileWorkersRun();
    for (const w of this.workers) this.complete(w, this.spin.callerStepMs);
  }

  /**
   * The caller's idle time after its own slice: prepares its envs' next resets
   * (`SimPort.prepareResets`) until every worker has answered or nothing is left to prepare.
   */
  private prepareWhileWorkersRun(): void {
    const sim = this.localSim;
    if (sim === null) return;
    const { ctrl } = this;
    for (const w of this.workers) Atomics.store(ctrl, w.base + Slot.callerWaits, w.seq);
    while (this.anyWorkerRunning() && sim.prepareResets());
  }

  private anyWorkerRunning(): boolean {
    const { ctrl } = this;
    for (const w of this.workers) if (Atomics.load(ctrl, w.base + Slot.done) !== w.seq) return true;
    return false;
  }

  /** Stops the workers (each frees its physics worlds first) and frees the caller's slice. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.local?.close();
    // A worker still busy with a command that timed out is terminated without waiting.
    if (this.broken === null) for (const w of this.workers) this.post(w, Command.close, 0);
    for (const w of this.workers) {
      if (this.broken === null) this.waitDone(w, 0, 1000);
      w.errors.close();
      void w.thread.terminate();
    }
  }

  private checkOpen(): void {
    if (this.broken !== null) throw new Error(`WorkerPort: unusable since ${this.broken}`);
    if (this.closed) throw new Error("WorkerPort: the port is closed");
  }

  private send(w: WorkerHandle, cmd: CommandCode, arg: number): void {
    this.checkOpen();
    this.post(w, cmd, arg);
  }

  private post(w: WorkerHandle, cmd: CommandCode, arg: number): void {
    const { ctrl } = this;
    ctrl[w.base + Slot.cmd] = cmd;
    ctrl[w.base + Slot.arg] = arg;
    w.seq = (w.seq + 1) | 0;
    Atomics.store(ctrl, w.base + Slot.seq, w.seq);
    Atomics.notify(ctrl, w.base + Slot.seq);
  }

  /** Waits for worker `w`'s current command; rethrows what it threw. */
  private complete(w: WorkerHandle, spinMs: number): void {
    const what = `worker ${w.index} (envs ${w.start}..${w.start + w.count - 1})`;
    if (!this.waitDone(w, spinMs, this.timeoutMs)) {
      this.broken = `${what} did not answer within ${this.timeoutMs} ms`;
      throw new Error(`WorkerPort: ${this.broken}`);
    }
    if (Atomics.load(this.ctrl, w.base + Slot.status) === STATUS_ERROR) {
      Atomics.store(this.ctrl, w.base + Slot.status, STATUS_OK);
      const msg = receiveMessageOnPort(w.errors)?.message;
      throw new Error(`WorkerPort: ${what}: ${typeof msg === "string" ? msg : "unknown error"}`);
    }
  }

  /**
   * True once worker `w` has published DONE = its current SEQ (DONE is SEQ − 1 until then:
   * one command at a time), polling `spinMs` first; false after `timeoutMs`.
   */
  private waitDone(w: WorkerHandle, spinMs: number, timeoutMs: number): boolean {
    const { ctrl } = this;
    const at = w.base + Slot.done;
    Atomics.store(ctrl, w.base + Slot.callerWaits, w.seq);
    if (spinWhileEqual(ctrl, at, (w.seq - 1) | 0, spinMs) === w.seq) return true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(ctrl, at);
      if (done === w.seq) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(ctrl, at, done, left);
    }
  }
}


function waitReady(thread: Worker, k: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      thread.off("message", onMessage);
      thread.off("error", onError);
      thread.off("exit", onExit);
    };
    const onMessage = (msg: SimWorkerHello): void => {
      cleanup();
      if (msg.type === "ready") resolve();
      else reject(new Error(`WorkerPort: worker ${k} failed to start: ${msg.message}`));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new Error(`WorkerPort: worker ${k} failed to start: ${e.message}`));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`WorkerPort: worker ${k} exited with code ${code} before it was ready`));
    };
    thread.on("message", onMessage);
    thread.on("error", onError);
    thread.on("exit", onExit);
  });
}
