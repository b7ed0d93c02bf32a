/**
 * `npm run bench:learn [-- --launch FILE --seeds 1,2,3 --steps N --jobs J --out DIR] [name:=value ...]`:
 * trains one run per seed (J at a time, default = cores) through the real CLI and prints the
 * final deterministic evaluation of each, the way the acceptance criteria are stated
 * ("deterministic eval mean return over 10 episodes at 1M env steps, per seed"). Trailing
 * `name:=value` arguments go to every run's launch file (e.g. `gamma:=0.99`).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { findPackageRoot } from "../util/package-root.js";
import { parseBenchArgs } from "./args.js";

interface SeedResult {
  seed: number;
  code: number | null;
  mean_return: number | null;
  std_return: number | null;
  mean_length: number | null;
  env_steps: number | null;
  env_steps_per_second: number | null;
  run_dir: string;
}

async function main(): Promise<void> {
  const { values, positionals } = parseBenchArgs(
    "npm run bench:learn",
    "Trains one run per seed through the real CLI (--jobs at a time) and prints each final deterministic\n" +
      "evaluation. Trailing name:=value arguments go to every run's launch file (e.g. gamma:=0.99).",
    {
      launch: { type: "string", default: "launch/hopper_ppo.launch.yaml" },
      seeds: { type: "string", default: "1,2,3" },
      steps: { type: "string", default: "1000000" },
      jobs: { type: "string", default: String(availableParallelism()) },
      out: { type: "string", default: "runs/bench-learn" },
      json: { type: "boolean", default: false },
    },
    { allowPositionals: true, positionals: "name:=value ..." },
  );
  const bin = join(findPackageRoot(), "dist/src/cli/bin.js");
  const seeds = values.seeds.split(",").map((s) => Number(s.trim()));
  const queue = [...seeds];
  const results: SeedResult[] = [];
  const runOne = (seed: number): Promise<void> =>
    new Promise((done) => {
      const runDir = resolve(values.out, `seed${seed}`);
      const child = spawn(process.execPath, [bin, "train", values.launch, ...positionals, `seed:=${seed}`, `total_steps:=${values.steps}`, `run_dir:=${runDir}`, "--overwrite", "--progress", "off"], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      child.on("exit", (code) => {
        const r: SeedResult = { seed, code, mean_return: null, std_return: null, mean_length: null, env_steps: null, env_steps_per_second: null, run_dir: runDir };
        try {
          const s = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as {
            env_steps: number;
            env_steps_per_second: number;
            final_eval: { mean_return: number; std_return: number; mean_length: number } | null;
          };
          r.env_steps = s.env_steps;
          r.env_steps_per_second = s.env_steps_per_second;
          if (s.final_eval) Object.assign(r, { mean_return: s.final_eval.mean_return, std_return: s.final_eval.std_return, mean_length: s.final_eval.mean_length });
        } catch {
          // reported as missing below
        }
        results.push(r);
        if (!values.json) {
          process.stdout.write(
            `seed ${seed}: ${r.mean_return === null ? `no result (exit ${code})` : `return ${r.mean_return.toFixed(1)} ± ${r.std_return!.toFixed(1)}, length ${r.mean_length!.toFixed(0)}, ${Math.round(r.env_steps_per_second!)} env steps/s`}\n`,
          );
        }
        done();
      });
    });
  const workers = Array.from({ length: Math.max(1, Number(values.jobs)) }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) await runOne(s);
  });
  await Promise.all(workers);
  results.sort((a, b) => a.seed - b.seed);
  if (values.json) process.stdout.write(`${JSON.stringify({ launch: values.launch, steps: Number(values.steps), results })}\n`);
}

await main();
