/**
 * Module hooks for running a worker from TypeScript sources (vitest, tsx): WorkerPort
 * registers them in the worker when worker-port.ts itself runs as .ts, so the worker loads
 * the same sources as the test instead of a possibly stale dist/. The compiled package never
 * uses this file.
 *
 *   resolve: a relative "./x.js" imported from a .ts file means "./x.ts" when that exists
 *            (NodeNext import style);
 *   load:    .ts files are transpiled (types erased, no type check) with the `typescript`
 *            dev dependency. Outputs are cached on disk by content hash: loading typescript
 *            and transpiling cost ~1 s of CPU per worker, a cache hit only a file read.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Bump when the transpile options change. */
const CACHE_VERSION = "1";

/** @type {{ typescript: string, typescriptVersion: string, cacheDir: string | null }} */
let config = { typescript: "", typescriptVersion: "", cacheDir: null };
/** @type {typeof import("typescript") | undefined} */
let ts;

/** @param {{ typescript: string, typescriptVersion: string, cacheDir: string | null }} data */
export function initialize(data) {
  config = data;
}

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith(".ts") && /^\.\.?\//.test(specifier) && specifier.endsWith(".js")) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, "utf8");
  return { format: "module", source: await transpile(file, source), shortCircuit: true };
}

async function transpile(file, source) {
  const key = createHash("sha256").update(`${CACHE_VERSION}\0${config.typescriptVersion}\0${file}\0${source}`).digest("hex");
  const cached = config.cacheDir === null ? null : join(config.cacheDir, `${key}.js`);
  if (cached !== null && existsSync(cached)) return readFileSync(cached, "utf8");
  ts ??= (await import(config.typescript)).default;
  const { outputText } = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  });
  if (cached !== null) {
    try {
      mkdirSync(config.cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, outputText);
      renameSync(tmp, cached); // atomic: concurrent workers never read a partial file
    } catch {
      // A read-only tree only loses the cache.
    }
  }
  return outputText;
}
