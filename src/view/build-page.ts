/**
 * Bundles the live view page (`src/view/page/main.ts` with @foxglove/ws-protocol's client,
 * @foxglove/rosmsg and @foxglove/rosmsg2-serialization) into one self-contained browser script
 * with esbuild (a devDependency: this runs at build time only, never at run time).
 *
 *   node dist/src/view/build-page.js [outfile]     # default: dist/view/page.js (npm run build)
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The package root (the folder holding src/view/page/main.ts), from src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "src", "view", "page", "main.ts"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("build-page: cannot find src/view/page/main.ts above " + fileURLToPath(import.meta.url));
}

export const DEFAULT_PAGE_BUNDLE = "dist/view/page.js";

/** Writes the bundle to `outfile` (default: `<package>/dist/view/page.js`); returns its path. */
export async function buildViewPage(outfile?: string, options: { minify?: boolean } = {}): Promise<string> {
  const root = packageRoot();
  const out = resolve(outfile ?? join(root, DEFAULT_PAGE_BUNDLE));
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(root, "src", "view", "page", "main.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    outfile: out,
    logLevel: "warning",
    // `debug` (used by ws-protocol) reads these; nothing else touches process.
    define: { "process.env.NODE_ENV": '"production"', "process.env.DEBUG": "undefined" },
  });
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildViewPage(process.argv[2]).then(
    (out) => console.log(`live view page: ${out}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
