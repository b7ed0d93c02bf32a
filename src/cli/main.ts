/**
 * `locomote` command line: train from launch files, evaluate frozen policies, deploy them.
 * Every user-facing error is one line on stderr and a non-zero exit; stack traces only with
 * LOCOMOTE_DEBUG=1.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { describeLaunchArgs, formatLaunchArgs, loadDeployLaunch, loadLaunch, parseOverrides } from "../launch/index.js";
import { findPackageRoot } from "../util/package-root.js";

const pkg = JSON.parse(readFileSync(`${findPackageRoot()}/package.json`, "utf8")) as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("locomote")
    .description("Train locomotion policies in Rapier simulations from launch files, evaluate and deploy them.")
    .version(pkg.version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("train")
    .description("Train a policy from a launch file (e.g. launch/hopper_ppo.launch.yaml)")
    .argument("[launch-file]", "training launch file (launch/*.launch.yaml)")
    .argument("[args...]", "launch arguments as name:=value (see the file's declared args with --help)")
    .option("--resume", "continue from the latest checkpoint in run_dir (step counter, optimizer and normalizer intact)")
    .option("--overwrite", "start over in a run_dir that already holds a run")
    .addOption(new Option("--progress <mode>", "progress display").choices(["auto", "bar", "plain", "off"]).default("auto"))
    .helpOption(false)
    .option("-h, --help", "show this help, and the launch file's arguments when a file is given")
    .action(async (file: string | undefined, args: string[], opts: { resume?: boolean; overwrite?: boolean; progress: string; help?: boolean }, cmd: Command) => {
      if (opts.help) {
        process.stdout.write(cmd.helpInformation());
        process.stdout.write(`\n${TRAIN_EXAMPLES}\n`);
        if (file) {
          const declared = await describeLaunchArgs(file);
          process.stdout.write(`\n${file}\n${formatLaunchArgs(declared)}\n`);
        }
        return;
      }
      if (!file) throw new UsageError("train: missing the launch file (e.g. locomote train launch/hopper_ppo.launch.yaml)");
      const { overrides, rest } = parseOverrides(args);
      if (rest.length > 0) throw new UsageError(`train: unexpected argument "${rest[0]}" (launch arguments are name:=value)`);
      const launch = await loadLaunch(file, overrides);
      // Loaded on demand so that --help and argument errors answer without loading tfjs/Rapier.
      const { runTrain } = await import("./train.js");
      const code = await runTrain(launch, {
        resume: opts.resume ?? false,
        overwrite: opts.overwrite ?? false,
        progress: opts.progress as "auto" | "bar" | "plain" | "off",
      });
      process.exitCode = code;
    });

  program
    .command("eval")
    .description("Evaluate a frozen policy with its deterministic (mean) action")
    .argument("<policy-dir>", "policy folder (run_dir/policy) with manifest.json and weights.bin")
    .option("--episodes <n>", "episodes to run", parsePositiveInt, 10)
    .option("--seed <s>", "seed of the evaluation envs", parseNonNegativeInt, 0)
    .option("--num-envs <n>", "envs stepped side by side", parsePositiveInt)
    .option("--json", "print one JSON object (mean_return, std_return, mean_length, episodes, ...)")
    .option("--record <dir>", "write every episode to <dir>/episode-NNNN.mcap (ROS 2 MCAP; NNNN = index in the returns)")
    .action(async (dir: string, opts: { episodes: number; seed: number; numEnvs?: number; json?: boolean; record?: string }) => {
      const { runEval } = await import("./eval.js");
      process.exitCode = await runEval(dir, opts);
    });

  program
    .command("replay")
    .description("Summarize an episode log (.mcap), or re-simulate it (--resim)")
    .argument("<file>", "episode log (.mcap) written by training (run_dir/episodes/) or eval --record")
    .option("--summary", "episode length, return, reward terms, topics and rates, metadata (the default)")
    .option("--resim", "re-run the recorded actions in the simulation from the recorded initial state; report the divergence per joint")
    .option("--json", "print one JSON object")
    .action(async (file: string, opts: { summary?: boolean; resim?: boolean; json?: boolean }) => {
      if (opts.summary && opts.resim) throw new UsageError("replay: --summary and --resim are exclusive (pick one)");
      const { runReplay } = await import("./replay.js");
      process.exitCode = await runReplay(file, opts);
    });

  program
    .command("deploy")
    .description("Run a frozen policy on a robot from a deploy launch file: transport:=sim (Rapier in real time) or transport:=ros2")
    .argument("[launch-file]", "deploy launch file (launch/deploy_*.launch.yaml)")
    .argument("[args...]", "launch arguments as name:=value (see the file's declared args with --help)")
    .helpOption(false)
    .option("-h, --help", "show this help, and the launch file's arguments when a file is given")
    .action(async (file: string | undefined, args: string[], opts: { help?: boolean }, cmd: Command) => {
      if (opts.help) {
        process.stdout.write(cmd.helpInformation());
        process.stdout.write(`\n${DEPLOY_EXAMPLES}\n`);
        if (file) process.stdout.write(`\n${file}\n${formatLaunchArgs(await describeLaunchArgs(file))}\n`);
        return;
      }
      if (!file) throw new UsageError("deploy: missing the launch file (e.g. locomote deploy launch/deploy_hopper.launch.yaml)");
      const { overrides, rest } = parseOverrides(args);
      if (rest.length > 0) throw new UsageError(`deploy: unexpected argument "${rest[0]}" (launch arguments are name:=value)`);
      const launch = await loadDeployLaunch(file, overrides);
      const { runDeploy } = await import("./deploy.js");
      process.exitCode = await runDeploy(launch);
    });

  program
    .command("sim-robot")
    .description("Expose a simulated robot over ROS 2 with ros2_control's topics (needs ROS 2 sourced)")
    .argument("<robot>", "robot name (robots/<robot>)")
    .option("--sim <task>", "simulation task (default: the robot's name)")
    .option("--controller <name>", "forward_command_controller whose /<name>/commands it obeys", "forward_command_controller")
    .option("--rate <hz>", "publish rate (default: the task rate)", parsePositiveInt)
    .option("--seed <s>", "seed of the reset noise", parseNonNegativeInt, 0)
    .action(async (robot: string, opts: { sim?: string; controller: string; rate?: number; seed: number }) => {
      const { runSimRobot } = await import("./deploy.js");
      process.exitCode = await runSimRobot(robot, { sim: opts.sim, controller: opts.controller, rateHz: opts.rate, seed: opts.seed });
    });

  program
    .command("plot")
    .description("Learning curves of several runs on one figure (PNG and SVG): each folder is a run, or a folder of runs (seeds) drawn as mean ± std")
    .argument("<run-dir...>", "run directories (with metrics.jsonl) or folders holding several")
    .option("-o, --out <file>", "output path without extension (writes .svg and .png)", "learning_curves")
    .option("--label <name...>", "legend label per folder, in order (default: folder names)")
    .option("--metric <column>", "metrics column on the y axis", "episode_return_mean")
    .option("--smooth <updates>", "moving-average half-window per run, in updates (default: ~1/40 of the run)", parseNonNegativeInt)
    .option("--title <text>", "figure title")
    .action(async (dirs: string[], opts: { out: string; label?: string[]; metric: string; smooth?: number; title?: string }) => {
      const { runPlot } = await import("./plot.js");
      const written = await runPlot(dirs, opts);
      process.stdout.write(`${written.join("\n")}\n`);
    });

  return program;
}

const DEPLOY_EXAMPLES = `Examples:
  locomote deploy launch/deploy_hopper.launch.yaml policy:=runs/hopper_ppo/policy
  locomote deploy launch/deploy_hopper.launch.yaml transport:=ros2          # on the robot (ROS 2 sourced)
  locomote deploy launch/deploy_hopper.launch.yaml duration:=10 record:=/tmp/ticks.csv
  locomote sim-robot hopper                                                   # the sim over ROS 2, for transport:=ros2`;

const TRAIN_EXAMPLES = `Examples:
  locomote train launch/hopper_ppo.launch.yaml
  locomote train launch/hopper_ppo.launch.yaml seed:=3 total_steps:=200000 run_dir:=/tmp/r
  locomote train launch/hopper_ppo.launch.yaml --resume      # after Ctrl-C
  locomote train launch/hopper_ppo.launch.yaml --help        # the file's arguments`;

class UsageError extends Error {
  override name = "UsageError";
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`expected a positive integer, got "${value}"`);
  return n;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`expected an integer >= 0, got "${value}"`);
  return n;
}

/** Errors whose message is already the one line a user needs. */
const USER_ERRORS = new Set([
  "UsageError",
  "LaunchError",
  "DescriptionError",
  "PolicyArtifactError",
  "CheckpointError",
  "RunDirectoryError",
  "MetricsLogError",
  "SummaryError",
  "SpecMismatchError",
  "DeployError",
  "Ros2UnavailableError",
  "EpisodeLogError",
  "PlotInputError",
]);

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed help/version/usage errors.
      return err.exitCode === 0 ? 0 : 2;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    if (process.env["LOCOMOTE_DEBUG"]) process.stderr.write(`${e.stack ?? e.message}\n`);
    if (USER_ERRORS.has(e.name)) {
      process.stderr.write(`locomote: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`locomote: internal error: ${e.message} (set LOCOMOTE_DEBUG=1 for the stack trace)\n`);
    return 1;
  }
}
