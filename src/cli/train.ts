/** `locomote train`: runs the trainer on a loaded launch file and reports where things went. */
import { relative } from "node:path";
import type { LaunchResult } from "../launch/index.js";
import type { ProgressMode } from "../run/progress.js";
import { train } from "../rl/trainer.js";

export async function runTrain(launch: LaunchResult, opts: { resume: boolean; overwrite: boolean; progress: ProgressMode }): Promise<number> {
  const { config } = launch;
  const launchFile = relative(process.cwd(), launch.file) || launch.file;
  process.stderr.write(
    `locomote: training ${config.robot} (${config.sim}) with ${config.algo}, seed ${config.seed}, ${config.total_steps.toLocaleString("en-US")} steps, ${config.num_envs} envs → ${config.run_dir}\n`,
  );
  const result = await train({ config, launchFile, resume: opts.resume, overwrite: opts.overwrite, progress: opts.progress });
  const out = process.stdout;
  const sps = Math.round(result.envStepsPerSecond).toLocaleString("en-US");
  if (result.interrupted) {
    out.write(`interrupted after ${result.envSteps.toLocaleString("en-US")} env steps (update ${result.updates}); checkpoint saved.\n`);
    const changed = launch.declared.filter((a) => launch.args[a.name] !== undefined && launch.args[a.name] !== a.default);
    const args = changed.map((a) => ` ${a.name}:=${launch.args[a.name]}`).join("");
    out.write(`continue with: locomote train ${launchFile}${args} --resume\n`);
    out.write(`policy so far: ${result.policyDir}\n`);
    return 130;
  }
  out.write(`done: ${result.envSteps.toLocaleString("en-US")} env steps in ${result.wallSeconds.toFixed(1)} s (${sps} env steps/s, tfjs ${result.backend})\n`);
  if (result.finalEval) {
    const e = result.finalEval;
    out.write(`deterministic eval over ${e.episodes} episodes: return ${e.mean_return.toFixed(1)} ± ${e.std_return.toFixed(1)}, length ${e.mean_length.toFixed(0)}\n`);
  }
  out.write(`policy: ${result.policyDir}\nrun: ${result.runDir} (metrics.csv, learning_curve.svg/png, summary.json)\n`);
  out.write(`evaluate again with: locomote eval ${result.policyDir} --episodes 10\n`);
  return 0;
}
