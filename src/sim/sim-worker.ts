/**
 * Worker entry of `WorkerPort`: builds the task named by its registry key, runs a `SimPort`
 * over this worker's slice of the shared batch buffers, and serves commands from the shared
 * control block until told to close (protocol in worker-port.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ControlPort, sliceBuffers } from "../port/port.js";
import type { PortSpec } from "../port/spec.js";
import { loadTask } from "./registry.js";
import { SimPort } from "./sim-port.js";
import {
  Command,
  RECORD_INT32,
  seedOffsetBytes,
  slicePort,
  type SimWorkerData,
  type SimWorkerHello,
  Slot,
  CoreWatch,
  spinWhileEqual,
  STATUS_ERROR,
} from "./worker-port.js";

const message = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/** Structural equality of plain data (specs): arrays, records, numbers (NaN = NaN), strings. */
function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameData(ra[k], rb[k]));
}

/** The slice's port (`slicePort`) and the `SimPort` inside it, whose resets are prepared between commands. */
async function start(data: SimWorkerData): Promise<{ port: ControlPort; sim: SimPort }> {
  const task = await loadTask(data.taskName);
  if (!sameData(task.spec, data.spec)) {
    throw new Error(
      `the registry task "${data.taskName}" has a different spec than the port was created with` +
        ` (expected ${describe(data.spec)}, registry has ${describe(task.spec)}); a task built outside the registry cannot run in workers`,
    );
  }
  const buffers = sliceBuffers(task.spec, data.buffers, data.start, data.count);
  const sim = new SimPort(task, { numEnvs: data.count, seed: data.seed, buffers, firstEnvIndex: data.start });
  return { port: slicePort(sim, data.maxEpisodeSteps, data.finalObs, data.start), sim };
}

function describe(spec: PortSpec): string {
  return `robot ${spec.robot}, ${spec.observation.names.length} obs, ${spec.action.names.length} actions, dt ${spec.dt}, metrics [${spec.metrics.join(", ")}]`;
}

function serve({ port: sim, sim: bare }: { port: ControlPort; sim: SimPort }, data: SimWorkerData): void {
  // Work done ahead never decides a result; if it fails, stop doing it (the reset itself then reports the failure).
  let prepare = true;
  const prepared = (): boolean => {
    try {
      return bare.prepareResets();
    } catch {
      prepare = false;
      return false;
    }
  };
  const ctrl = new Int32Array(data.control, 0, data.numThreads * RECORD_INT32);
  const seeds = new Float64Array(data.control, seedOffsetBytes(data.numThreads), data.numThreads);
  const base = data.worker * RECORD_INT32;
  const resetMask = data.resetMask.subarray(data.start, data.start + data.count);
  const cores = new CoreWatch();
  // The main thread's sequence starts at 0 and may already have moved on since "ready" was posted.
  let seen = 0;
  for (;;) {
    // Until the next command arrives: prepare the resets of the envs that reset, then poll, then
    // sleep. If the caller already waited for this answer, its next command may be on its way:
    // poll for it briefly first (`SpinBudgets.workerGraceMs`), so a reset being prepared does not delay it.
    let seq = Atomics.load(ctrl, base + Slot.seq);
    let graced = false;
    while (seq === seen && prepare) {
      if (!graced && Atomics.load(ctrl, base + Slot.callerWaits) === seen) {
        graced = true;
        seq = spinWhileEqual(ctrl, base + Slot.seq, seen, data.graceMs);
        continue;
      }
      if (!prepared()) break;
      seq = Atomics.load(ctrl, base + Slot.seq);
    }
    if (seq === seen) seq = spinWhileEqual(ctrl, base + Slot.seq, seen, data.spinMs);
    if (seq === seen && data.longSpinMs > data.spinMs && cores.spare()) seq = spinWhileEqual(ctrl, base + Slot.seq, seen, data.longSpinMs - data.spinMs);
    if (seq === seen) {
      Atomics.wait(ctrl, base + Slot.seq, seen);
      continue;
    }
    seen = seq;
    const cmd = ctrl[base + Slot.cmd];
    try {
      switch (cmd) {
        case Command.step: sim.step(); break;
        case Command.resetAll: sim.resetAll(); break;
        case Command.resetEnv: sim.resetEnv(ctrl[base + Slot.arg]!); break;
        case Command.resetMasked: sim.resetEnvs(resetMask); break;
        case Command.seed: sim.seed(seeds[data.worker]!); break;
        case Command.close: sim.close(); break;
        default: throw new Error(`unknown command ${cmd}`);
      }
    } catch (e) {
      data.errors.postMessage(message(e));
      Atomics.store(ctrl, base + Slot.status, STATUS_ERROR);
    }
    Atomics.store(ctrl, base + Slot.done, seq);
    Atomics.notify(ctrl, base + Slot.done);
    if (data.longSpinMs > data.spinMs) cores.sample();
    if (cmd === Command.close) return;
  }
}

const data = workerData as SimWorkerData | null;
if (!parentPort || !data) throw new Error("sim-worker.ts is a worker_threads entry; WorkerPort starts it");
const port = parentPort;
let sim: { port: ControlPort; sim: SimPort } | null = null;
try {
  sim = await start(data);
} catch (e) {
  port.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies SimWorkerHello);
}
if (sim) {
  port.postMessage({ type: "ready" } satisfies SimWorkerHello);
  serve(sim, data);
}
data.errors.close();
