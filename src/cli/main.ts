/**
 * `locomote` command line: train from launch files, evaluate frozen policies.
 * Every user-facing error is one line on stderr and a non-zero exit; stack traces only with
 * LOCOMOTE_DEBUG=1.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { describeLaunchArgs, formatLaunchArgs, loadLaunch, parseOverrides } from "../launch/index.js";
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
    .action(async (dir: string, opts: { episodes: number; seed: number; numEnvs?: number; json?: boolean }) => {
      const { runEval } = await import("./eval.js");
      await runEval(dir, opts);
    });

  return program;
}

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
