/**
 * How to start a worker_threads entry that sits beside its caller: from the compiled package
 * it is the sibling `<name>.js`; run from TypeScript sources (vitest, tsx) there is no .js and
 * Node cannot load .ts, so the worker starts a tiny bootstrap that registers module hooks
 * (src/sim/dev-worker-hooks.mjs, transpiling with the `typescript` dev dependency) and imports
 * `<name>.ts`. Tests thereby exercise the current sources, never a possibly stale dist/.
 *
 *   const entry = workerEntry(import.meta.url, "sim-worker", "WorkerPort");
 *   startWorker(entry.url, { workerData: { ...data, ...entry.extraData } });
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * `new Worker(url, options)` with the parent's Node options (module hooks, conditions, source
 * maps…) except those a worker cannot take: `--input-type` (only for the parent's own
 * `node --input-type=module -e` entry), and V8 or per-process options such as
 * `--max-old-space-size` or `--stack-size`, which Node rejects in a worker's `execArgv`
 * (`ERR_WORKER_INVALID_EXEC_ARGV`, naming them) and which already apply to the whole process.
 */
export function startWorker(url: URL, options: Omit<WorkerOptions, "execArgv">): Worker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  try {
    return new Worker(url, { ...options, execArgv });
  } catch (e) {
    const invalid = invalidExecArgv(e);
    if (invalid === null) throw e;
    return new Worker(url, { ...options, execArgv: execArgv.filter((a) => !invalid.has(a)) });
  }
}

/** The flags an `ERR_WORKER_INVALID_EXEC_ARGV` error names, or null for any other error. */
function invalidExecArgv(e: unknown): Set<string> | null {
  if (!(e instanceof Error) || (e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV") return null;
  const list = e.message.slice(e.message.indexOf(":") + 1);
  return new Set(list.split(",").map((f) => f.trim()).filter((f) => f.length > 0));
}

/** `self`: the caller's import.meta.url; `name`: the worker module beside it; `label`: for errors. */
export function workerEntry(self: string, name: string, label: string): { url: URL; extraData: Record<string, string> } {
  if (!self.endsWith(".ts")) return { url: new URL(`./${name}.js`, self), extraData: {} };
  const hooks = new URL("../sim/dev-worker-hooks.mjs", import.meta.url);
  if (!existsSync(fileURLToPath(hooks))) throw new Error(`${label}: running from sources but ${fileURLToPath(hooks)} is missing`);
  const require = createRequire(self);
  let typescript: string;
  let typescriptVersion: string;
  try {
    typescript = pathToFileURL(require.resolve("typescript")).href;
    typescriptVersion = (require("typescript/package.json") as { version: string }).version;
  } catch {
    throw new Error(`${label}: running from TypeScript sources needs the \`typescript\` dev dependency (or run the compiled dist/)`);
  }
  const hooksData = { typescript, typescriptVersion, cacheDir: devCacheDir(fileURLToPath(self)) };
  const bootstrap = [
    'import { register } from "node:module";',
    'import { workerData } from "node:worker_threads";',
    "register(workerData.devHooks, { data: JSON.parse(workerData.devHooksData) });",
    "await import(workerData.devEntry);",
  ].join("\n");
  return {
    url: new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`),
    extraData: { devHooks: hooks.href, devHooksData: JSON.stringify(hooksData), devEntry: new URL(`./${name}.ts`, self).href },
  };
}

/** node_modules/.cache/locomote-worker-ts of the nearest package with node_modules, or null. */
function devCacheDir(from: string): string | null {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules"))) return join(dir, "node_modules", ".cache", "locomote-worker-ts");
    if (dirname(dir) === dir) return null;
  }
}
