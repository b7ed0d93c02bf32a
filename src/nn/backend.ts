/**
 * TensorFlow.js backend selection. At start the runtime picks, in order:
 *   1. `tensorflow` — native libtensorflow through the optional `@tensorflow/tfjs-node-gpu`
 *      (CUDA machines where it could install);
 *   2. `wasm` — the embedded default (`@tensorflow/tfjs-backend-wasm`, SIMD, loaded from
 *      node_modules, no network);
 *   3. `cpu` — plain JS, 3–18× slower for training.
 * and says which. `LOCOMOTE_BACKEND=wasm|cpu|tensorflow` forces one.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// Registers every op gradient (tfjs-core alone ships none in its Node bundle).
import "@tensorflow/tfjs";
import { createRequire } from "node:module";
import path from "node:path";

export type BackendName = "tensorflow" | "wasm" | "cpu";

let selected: BackendName | null = null;

/** Initializes tfjs once; returns the backend in use. */
export async function initBackend(options: { prefer?: BackendName; quiet?: boolean } = {}): Promise<BackendName> {
  if (selected) return selected;
  const forced = (options.prefer ?? process.env["LOCOMOTE_BACKEND"]) as BackendName | undefined;
  const order: BackendName[] = forced ? [forced] : ["tensorflow", "wasm", "cpu"];
  const notes: string[] = [];
  for (const name of order) {
    const ok = await tryBackend(name, notes);
    if (ok) {
      selected = name;
      break;
    }
  }
  if (!selected) throw new Error(`no TensorFlow.js backend could start: ${notes.join("; ")}`);
  if (!options.quiet) {
    const why = notes.length ? ` (${notes.join("; ")})` : "";
    process.stderr.write(`locomote: tfjs backend ${selected}${why}\n`);
  }
  return selected;
}

async function tryBackend(name: BackendName, notes: string[]): Promise<boolean> {
  try {
    if (name === "tensorflow") {
      // Optional dependency: absent unless it could download libtensorflow at install time.
      const modName = "@tensorflow/tfjs-node-gpu";
      await import(modName);
    } else if (name === "wasm") {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/";
      wasm.setWasmPaths(dist);
    }
    const ok = await tf.setBackend(name);
    if (!ok) {
      // A failed backend stays registered and blocks the next one (TECH-NOTES).
      tf.removeBackend(name);
      notes.push(`${name} unavailable`);
      return false;
    }
    await tf.ready();
    return true;
  } catch (err) {
    notes.push(`${name} unavailable`);
    if (tf.findBackend(name)) tf.removeBackend(name);
    void err;
    return false;
  }
}
