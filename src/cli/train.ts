/**
 * `locomote train`: runs the trainer on a loaded launch file and reports where things went.
 *
 * With `--view`, a live view (Foxglove WebSocket server + web page, on a thread of its own)
 * shows the best deterministic evaluation episode so far in a loop (src/rl/trainer.ts: the
 * periodic evaluations, and with `eval.every_updates` 0 or > 10 one-episode evaluations for the
 * view after the first update and every 10), then the final evaluation's best if better. When
 * training ends the view keeps playing it until Ctrl-C (exit status 0); a training interrupted
 * by Ctrl-C closes the view with the usual checkpoint and exit status 130.
 */
import { relative } from "node:path";
import type { LaunchResult } from "../launch/index.js";
import type { ProgressMode } from "../run/progress.js";
import { train, VIEW_EVAL_EVERY_UPDATES } from "../rl/trainer.js";
import type { LiveViewThread } from "../view/view-thread.js";
import { startView, untilSignal, type ViewCliOptions } from "./view-options.js";

export async function runTrain(launch: LaunchResult, opts: { resume: boolean; overwrite: boolean; progress: ProgressMode; view?: ViewCliOptions }): Promise<number> {
  const { config } = launch;
  const launchFile = relative(process.cwd(), launch.file) || launch.file;
  process.stderr.write(
    `locomote: training ${config.robot} (${config.sim}) with ${config.algo}, seed ${config.seed}, ${config.total_steps.toLocaleString("en-US")} steps, ${config.num_envs} envs → ${config.run_dir}\n`,
  );
  let view: LiveViewThread | null = null;
  try {
    if (opts.view) {
      view = await startView(opts.view, `locomote train ${config.robot} ${config.algo} seed ${config.seed}`);
      const every = config.eval.every_updates;
      process.stderr.write(
        `locomote: live view: shows the best deterministic evaluation episode so far, in a loop (${[
          ...(every > 0 ? [`evaluations every ${every} updates`] : []),
          ...(every === 0 || every > VIEW_EVAL_EVERY_UPDATES ? [`one episode for the view after update 1 and every ${VIEW_EVAL_EVERY_UPDATES} updates`] : []),
        ].join("; ")})\n`,
      );
    }
    return await trainAndReport(launch, launchFile, opts, view);
  } finally {
    await view?.close();
  }
}

async function trainAndReport(
  launch: LaunchResult,
  launchFile: string,
  opts: { resume: boolean; overwrite: boolean; progress: ProgressMode },
  view: LiveViewThread | null,
): Promise<number> {
  const { config } = launch;
  const result = await train({ config, launchFile, resume: opts.resume, overwrite: opts.overwrite, progress: opts.progress, ...(view ? { view } : {}) });
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
  out.write(`policy: ${result.policyDir}\nrun: ${result.runDir} (metrics.csv, learning_curve.svg/png, summary.json, episodes/)\n`);
  out.write(`evaluate again with: locomote eval ${result.policyDir} --episodes 10\n`);
  if (view) {
    const v = result.viewing;
    process.stderr.write(
      v
        ? `locomote: live view: playing the best evaluation episode, ${v.label} (return ${v.return.toFixed(1)}, ${v.length} steps), in a loop at ${view.url} — Ctrl-C to exit\n`
        : `locomote: live view: no evaluation episode to show; serving ${view.url} until Ctrl-C\n`,
    );
    await untilSignal();
  }
  return 0;
}
