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
    .option("--view [port]", "live view of the best evaluation episode so far: web page and Foxglove WebSocket (default port 8765; 0: any free port); keeps serving after training until Ctrl-C")
    .option("--view-host <host>", "interface the live view binds (default 127.0.0.1; non-loopback needs --view-allow-remote)")
    .option("--view-allow-remote", "allow --view-host to be a non-loopback interface (the live view has no authentication)")
    .helpOption(false)
    .option("-h, --help", "show this help, and the launch file's arguments when a file is given")
    .action(async (fileArg: string | undefined, argsIn: string[], opts: { resume?: boolean; overwrite?: boolean; progress: string; help?: boolean; view?: string | boolean; viewHost?: string; viewAllowRemote?: boolean }, cmd: Command) => {
      const { giveBackViewWord, parseViewFlags } = await import("./view-options.js");
      // `--view` takes an optional port: a launch file or name:=value right after it is given back.
      const back = giveBackViewWord(opts.view, [...(fileArg === undefined ? [] : [fileArg]), ...argsIn]);
      const file = back.words.find((w) => !w.includes(":="));
      const args = back.words.filter((w) => w !== file);
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
      const view = parseViewFlags({ port: back.port, viewHost: opts.viewHost, viewAllowRemote: opts.viewAllowRemote }, "train");
      const launch = await loadLaunch(file, overrides);
      // Loaded on demand so that --help and argument errors answer without loading tfjs/Rapier.
      const { runTrain } = await import("./train.js");
      const code = await runTrain(launch, {
        resume: opts.resume ?? false,
        overwrite: opts.overwrite ?? false,
        progress: opts.progress as "auto" | "bar" | "plain" | "off",
        ...(view ? { view } : {}),
      });
      process.exitCode = code;
    });

  program
    .command("eval")
    .description("Evaluate a frozen policy with its deterministic (mean) action")
    .argument("[policy-dir]", "policy folder (run_dir/policy) with manifest.json and weights.bin")
    .option("--episodes <n>", "episodes to run", parsePositiveInt, 10)
    .option("--seed <s>", "seed of the evaluation envs", parseNonNegativeInt, 0)
    .option("--num-envs <n>", "envs stepped side by side", parsePositiveInt)
    .option("--json", "print one JSON object (mean_return, std_return, mean_length, episodes, ...)")
    .option("--record <dir>", "write every episode to <dir>/episode-NNNN.mcap (ROS 2 MCAP; NNNN = index in the returns)")
    .option("--view [port]", "live view: play every episode, in order, in real time once a client subscribes (default port 8765; 0: any free port); keeps serving until Ctrl-C")
    .option("--view-host <host>", "interface the live view binds (default 127.0.0.1; non-loopback needs --view-allow-remote)")
    .option("--view-allow-remote", "allow --view-host to be a non-loopback interface (the live view has no authentication)")
    .option("--rate <x>", "playback speed of --view (1 = real time, 2 = twice as fast)", parsePositiveNumber, 1)
    .action(async (dirArg: string | undefined, opts: { episodes: number; seed: number; numEnvs?: number; json?: boolean; record?: string; view?: string | boolean; viewHost?: string; viewAllowRemote?: boolean; rate: number }, cmd: Command) => {
      const { giveBackViewWord, parseViewFlags } = await import("./view-options.js");
      const back = giveBackViewWord(opts.view, dirArg === undefined ? [] : [dirArg]);
      const [dir, extra] = back.words;
      if (dir === undefined) throw new UsageError("eval: missing the policy folder (e.g. locomote eval runs/hopper_ppo/policy)");
      if (extra !== undefined) throw new UsageError(`eval: unexpected argument "${extra}"`);
      const view = parseViewFlags({ port: back.port, viewHost: opts.viewHost, viewAllowRemote: opts.viewAllowRemote }, "eval");
      if (!view && cmd.getOptionValueSource("rate") === "cli") throw new UsageError("eval: --rate is the live view's playback speed; it needs --view");
      const { view: _v, viewHost: _h, viewAllowRemote: _a, ...rest } = opts;
      const { runEval } = await import("./eval.js");
      process.exitCode = await runEval(dir, { ...rest, ...(view ? { view } : {}) });
    });

  program
    .command("replay")
    .description("Summarize an episode log (.mcap), re-simulate it (--resim), or stream it over the live view (--serve)")
    .argument("[file]", "episode log (.mcap) written by training (run_dir/episodes/) or eval --record")
    .option("--summary", "episode length, return, reward terms, topics and rates, metadata (the default)")
    .option("--resim", "re-run the recorded actions in the simulation from the recorded initial state; report the divergence per joint")
    .option("--json", "print one JSON object")
    .option("--serve [port]", "stream the messages at their log times over a live view (web page and Foxglove WebSocket; default port 8765; 0: any free port) once a client subscribes, then keep the last state until Ctrl-C")
    .option("--rate <x>", "playback speed of --serve (1 = real time, 2 = twice as fast)", parsePositiveNumber, 1)
    .option("--loop", "--serve: start over at the end, until Ctrl-C")
    .option("--view-host <host>", "interface --serve binds (default 127.0.0.1; non-loopback needs --view-allow-remote)")
    .option("--view-allow-remote", "allow --view-host to be a non-loopback interface (the live view has no authentication)")
    .action(async (fileArg: string | undefined, opts: { summary?: boolean; resim?: boolean; json?: boolean; serve?: string | boolean; rate: number; loop?: boolean; viewHost?: string; viewAllowRemote?: boolean }, cmd: Command) => {
      const { giveBackViewWord, parseViewFlags } = await import("./view-options.js");
      const back = giveBackViewWord(opts.serve, fileArg === undefined ? [] : [fileArg]);
      const [file, extra] = back.words;
      if (file === undefined) throw new UsageError("replay: missing the episode log (e.g. locomote replay runs/hopper_ppo/episodes/update-000489_final_episode-0000.mcap)");
      if (extra !== undefined) throw new UsageError(`replay: unexpected argument "${extra}"`);
      const serve = parseViewFlags({ port: back.port, viewHost: opts.viewHost, viewAllowRemote: opts.viewAllowRemote }, "replay", "--serve");
      const modes = [opts.summary && "--summary", opts.resim && "--resim", serve && "--serve"].filter((m) => typeof m === "string");
      if (modes.length > 1) throw new UsageError(`replay: ${modes.join(" and ")} are exclusive (pick one)`);
      if (!serve && opts.loop) throw new UsageError("replay: --loop needs --serve");
      if (!serve && cmd.getOptionValueSource("rate") === "cli") throw new UsageError("replay: --rate is the playback speed of --serve; it needs --serve");
      if (serve && opts.json) throw new UsageError("replay: --json does not apply to --serve");
      const { runReplay } = await import("./replay.js");
      process.exitCode = await runReplay(file, {
        ...(opts.summary ? { summary: true } : {}),
        ...(opts.resim ? { resim: true } : {}),
        ...(opts.json ? { json: true } : {}),
        ...(serve ? { serve, rate: opts.rate, loop: opts.loop ?? false } : {}),
      });
    });

  program
    .command("deploy")
    .description("Run a frozen policy on a robot from a deploy launch file: transport:=sim (Rapier in real time) or transport:=ros2")
    .argument("[launch-file]", "deploy launch file (launch/deploy_*.launch.yaml)")
    .argument("[args...]", "launch arguments as name:=value (see the file's declared args with --help)")
    .option("--view [port]", "live view of the session's channels: web page and Foxglove WebSocket (default port 8765; 0: any free port)")
    .option("--view-host <host>", "interface the live view binds (default 127.0.0.1; non-loopback needs --view-allow-remote)")
    .option("--view-allow-remote", "allow --view-host to be a non-loopback interface (the live view has no authentication)")
    .helpOption(false)
    .option("-h, --help", "show this help, and the launch file's arguments when a file is given")
    .action(async (fileArg: string | undefined, argsIn: string[], opts: { help?: boolean; view?: string | boolean; viewHost?: string; viewAllowRemote?: boolean }, cmd: Command) => {
      const { giveBackViewWord, parseViewFlags } = await import("./view-options.js");
      // `--view` takes an optional port: a launch file or name:=value right after it is given back.
      const back = giveBackViewWord(opts.view, [...(fileArg === undefined ? [] : [fileArg]), ...argsIn]);
      const file = back.words.find((w) => !w.includes(":="));
      const args = back.words.filter((w) => w !== file);
      if (opts.help) {
        process.stdout.write(cmd.helpInformation());
        process.stdout.write(`\n${DEPLOY_EXAMPLES}\n`);
        if (file) process.stdout.write(`\n${file}\n${formatLaunchArgs(await describeLaunchArgs(file))}\n`);
        return;
      }
      if (!file) throw new UsageError("deploy: missing the launch file (e.g. locomote deploy launch/deploy_hopper.launch.yaml)");
      const { overrides, rest } = parseOverrides(args);
      if (rest.length > 0) throw new UsageError(`deploy: unexpected argument "${rest[0]}" (launch arguments are name:=value)`);
      const view = parseViewFlags({ port: back.port, viewHost: opts.viewHost, viewAllowRemote: opts.viewAllowRemote }, "deploy");
      const launch = await loadDeployLaunch(file, overrides);
      const { runDeploy } = await import("./deploy.js");
      process.exitCode = await runDeploy(launch, { view });
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
  locomote deploy launch/deploy_hopper.launch.yaml --view                   # + live view (http://127.0.0.1:8765/)
  locomote deploy launch/deploy_hopper.launch.yaml log_dir:=null            # no session log (default runs/deploy/)
  locomote sim-robot hopper                                                   # the sim over ROS 2, for transport:=ros2`;

const TRAIN_EXAMPLES = `Examples:
  locomote train launch/hopper_ppo.launch.yaml
  locomote train launch/hopper_ppo.launch.yaml seed:=3 total_steps:=200000 run_dir:=/tmp/r
  locomote train launch/hopper_ppo.launch.yaml --resume      # after Ctrl-C
  locomote train launch/hopper_ppo.launch.yaml --view        # + live view of the best evaluation episode (http://127.0.0.1:8765/)
  locomote train launch/hopper_ppo.launch.yaml --help        # the file's arguments`;

class UsageError extends Error {
  override name = "UsageError";
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`expected a positive integer, got "${value}"`);
  return n;
}

function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`expected a number > 0, got "${value}"`);
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
  "LiveViewError",
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
