/**
 * `npm run bench:train [-- --steps N --launch FILE --json]`: end-to-end training throughput.
 * Trains from a launch file (default: the hopper PPO launch) for N env steps (default 100k)
 * into a temporary run dir, and prints env steps/s with the time split between rollout
 * (simulation + policy sampling) and the PPO update, next to the acceptance target and the
 * throughput the anchors report for Hopper on their CPUs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLaunch } from "../launch/index.js";
import { train } from "../rl/trainer.js";
import { readMetricsJsonl } from "../run/read-metrics.js";
import { parseBenchArgs } from "./args.js";

const TARGET = 3000;
const ANCHORS = { cleanrl: 650, sb3: 660, rlox: 862 };

async function main(): Promise<void> {
  const { values } = parseBenchArgs(
    "npm run bench:train",
    "End-to-end training throughput from a launch file: env steps/s, split between rollout and update,\n" +
      "next to the target and what the anchors report for Hopper.",
    {
      steps: { type: "string", default: "100000" },
      launch: { type: "string", default: "launch/hopper_ppo.launch.yaml" },
      seed: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  );
  const dir = mkdtempSync(join(tmpdir(), "locomote-bench-"));
  const launch = await loadLaunch(values.launch, { total_steps: values.steps, run_dir: dir, seed: values.seed });
  const config = { ...launch.config, eval: { ...launch.config.eval, episodes: 5 } };
  const result = await train({ config, launchFile: values.launch, progress: values.json ? "off" : "plain", plot: false });
  const { rows } = readMetricsJsonl(join(dir, "metrics.jsonl"));
  let rollout = 0;
  let update = 0;
  for (const r of rows) {
    rollout += Number(r["rollout_seconds"] ?? 0);
    update += Number(r["update_seconds"] ?? 0);
  }
  const out = {
    launch: values.launch,
    env_steps: result.envSteps,
    wall_seconds: result.wallSeconds,
    env_steps_per_second: result.envStepsPerSecond,
    rollout_env_steps_per_second: result.envSteps / rollout,
    rollout_seconds: rollout,
    update_seconds: update,
    backend: result.backend,
    target_env_steps_per_second: TARGET,
    ratio_to_target: result.envStepsPerSecond / TARGET,
    projected_seconds_per_million: 1e6 / result.envStepsPerSecond,
    anchors_env_steps_per_second: ANCHORS,
    final_eval_mean_return: result.finalEval?.mean_return ?? null,
  };
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const f = (x: number): string => Math.round(x).toLocaleString("en-US");
  process.stdout.write(
    [
      `train throughput (${values.launch}, tfjs ${result.backend}):`,
      `  end to end        ${f(out.env_steps_per_second)} env steps/s  (${f(result.envSteps)} steps in ${result.wallSeconds.toFixed(1)} s; target ≥ ${f(TARGET)}: ${out.env_steps_per_second >= TARGET ? "met" : "NOT met"}, ratio ${out.ratio_to_target.toFixed(2)})`,
      `  rollout only      ${f(out.rollout_env_steps_per_second)} env steps/s  (${rollout.toFixed(1)} s: simulation + policy sampling)`,
      `  PPO update        ${update.toFixed(1)} s`,
      `  1M steps would take ${(out.projected_seconds_per_million / 60).toFixed(1)} min`,
      `  anchors on Hopper (their CPUs): CleanRL ~${ANCHORS.cleanrl}, SB3 ~${ANCHORS.sb3}, rlox ~${ANCHORS.rlox} env steps/s`,
      "",
    ].join("\n"),
  );
}

await main();
