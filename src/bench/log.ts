/**
 * `npm run bench:log [-- --robot hopper --steps 20000 --repeats 3 --train --train-steps 65536 --json]`:
 * what episode logging costs.
 *
 * 1. Evaluation throughput: `evaluateArtifact` of a random-weight policy for the robot (short,
 *    falling episodes: each also pays for opening and finalizing its file) with and without
 *    `record`, alternated `repeats` times; env steps/s (median) and the recording cost per step.
 * 2. Training throughput (`--train`): the same training run (the robot's PPO launch file,
 *    `train-steps` env steps, one worker, final evaluation of 10 episodes) with and without
 *    recording the evaluation episodes; end-to-end env steps/s (which includes the final
 *    evaluation) and the relative cost. Without `--train` the training cost is estimated from
 *    the per-step cost and the launch file's evaluation size at the README's training rate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLaunch } from "../launch/index.js";
import { initBackend } from "../nn/backend.js";
import { savePolicy } from "../policy/artifact.js";
import { evaluateArtifact } from "../rl/evaluate.js";
import { train } from "../rl/trainer.js";
import { loadTask } from "../sim/registry.js";
import { Rng } from "../util/rng.js";
import { parseBenchArgs } from "./args.js";

interface EvalRun {
  steps: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of the process (robust when other work shares the cores). */
  cpuSeconds: number;
  episodes: number;
}

async function main(): Promise<void> {
  const { values } = parseBenchArgs(
    "npm run bench:log",
    "What episode logging costs: evaluation env steps/s with and without recording MCAP episodes, and\n" +
      "with --train the same training run with and without recording its evaluation episodes.",
    {
      robot: { type: "string", default: "hopper" },
      steps: { type: "string", default: "20000" },
      repeats: { type: "string", default: "3" },
      "num-envs": { type: "string", default: "8" },
      train: { type: "boolean", default: false },
      "train-steps": { type: "string", default: "65536" },
      json: { type: "boolean", default: false },
    },
  );
  const robot = values.robot;
  const targetSteps = Number(values.steps);
  const repeats = Number(values.repeats);
  const numEnvs = Number(values["num-envs"]);
  const dir = mkdtempSync(join(tmpdir(), "locomote-bench-log-"));
  const log = (s: string): void => {
    if (!values.json) process.stderr.write(`${s}\n`);
  };
  try {
    const task = await loadTask(robot);
    const policyDir = join(dir, "policy");
    await saveRandomPolicy(policyDir, robot, task.spec.observation.names.length, task.spec.action.names.length, task.spec);

    // Episodes per run: enough for ~targetSteps steps at the policy's mean episode length.
    const probe = await evaluateArtifact(policyDir, { episodes: numEnvs, seed: 0, numEnvs });
    const episodes = Math.max(numEnvs, Math.round(targetSteps / probe.mean_length));
    const run = async (record: boolean, k: number): Promise<EvalRun> => {
      const recDir = join(dir, `rec-${k}`);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await evaluateArtifact(policyDir, { episodes, seed: 1, numEnvs, ...(record ? { record: { dir: recDir } } : {}) });
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      if (record) rmSync(recDir, { recursive: true, force: true });
      return { steps: r.lengths.reduce((a, b) => a + b, 0), seconds, cpuSeconds: (c.user + c.system) / 1e6, episodes: r.episodes };
    };
    await run(true, -1); // warm-up (JIT, file system)
    const plain: EvalRun[] = [];
    const recorded: EvalRun[] = [];
    for (let k = 0; k < repeats; k++) {
      plain.push(await run(false, k));
      recorded.push(await run(true, k));
      log(`eval ${k + 1}/${repeats}: ${rate(plain[k]!).toFixed(0)} env steps/s without recording, ${rate(recorded[k]!).toFixed(0)} with (per CPU second: ${cpuRate(plain[k]!).toFixed(0)}, ${cpuRate(recorded[k]!).toFixed(0)})`);
    }
    const plainRate = median(plain.map(rate));
    const recRate = median(recorded.map(rate));
    const plainCpuRate = median(plain.map(cpuRate));
    const recCpuRate = median(recorded.map(cpuRate));
    const steps = plain[0]!.steps;
    // Per recorded step, from CPU time: the wall-clock difference is at the mercy of other load.
    const perStepUs = (1 / recCpuRate - 1 / plainCpuRate) * 1e6;
    const evalOut = {
      robot,
      num_envs: numEnvs,
      episodes,
      env_steps: steps,
      mean_episode_length: steps / episodes,
      env_steps_per_second_without: plainRate,
      env_steps_per_second_with: recRate,
      eval_cost_fraction: 1 - recRate / plainRate,
      env_steps_per_cpu_second_without: plainCpuRate,
      env_steps_per_cpu_second_with: recCpuRate,
      eval_cpu_cost_fraction: 1 - recCpuRate / plainCpuRate,
      record_cpu_us_per_step: perStepUs,
    };

    let trainOut: Record<string, unknown> | null = null;
    const launchFile = `launch/${robot}_ppo.launch.yaml`;
    if (values.train) {
      await initBackend({ quiet: true });
      const runTrain = async (record: boolean): Promise<{ sps: number; wall: number; evalLength: number }> => {
        const runDir = join(dir, `run-${record ? "rec" : "plain"}`);
        const launch = await loadLaunch(launchFile, { total_steps: values["train-steps"], run_dir: runDir, seed: "1" });
        const config = { ...launch.config, num_workers: 1 };
        const t0 = performance.now();
        const r = await train({ config, launchFile, progress: "off", plot: false, recordEpisodes: record });
        const wall = (performance.now() - t0) / 1000;
        rmSync(runDir, { recursive: true, force: true });
        return { sps: r.envSteps / wall, wall, evalLength: r.finalEval?.mean_length ?? 0 };
      };
      const a = await runTrain(false);
      log(`train without recording: ${a.sps.toFixed(0)} env steps/s end to end (${a.wall.toFixed(1)} s)`);
      const b = await runTrain(true);
      log(`train with recording:    ${b.sps.toFixed(0)} env steps/s end to end (${b.wall.toFixed(1)} s)`);
      trainOut = {
        launch: launchFile,
        env_steps: Number(values["train-steps"]),
        env_steps_per_second_without: a.sps,
        env_steps_per_second_with: b.sps,
        cost_fraction: 1 - b.sps / a.sps,
        final_eval_mean_length: b.evalLength,
      };
    }
    // Estimate for a full run: the final evaluation's steps × the per-step cost, against the run's
    // wall time at the README's measured training rate (hopper: 1M steps at ~4,200 env steps/s).
    const launch = await loadLaunch(launchFile, { run_dir: join(dir, "unused") });
    const evalEpisodes = launch.config.eval.episodes;
    const fullRunSeconds = launch.config.total_steps / 4200;
    const worstEvalSteps = evalEpisodes * task.maxEpisodeSteps;
    const estimate = {
      total_steps: launch.config.total_steps,
      eval_episodes: evalEpisodes,
      worst_case_eval_steps: worstEvalSteps,
      assumed_training_env_steps_per_second: 4200,
      recording_seconds: (worstEvalSteps * perStepUs) / 1e6,
      cost_fraction: (worstEvalSteps * perStepUs) / 1e6 / fullRunSeconds,
    };
    const out = { eval: evalOut, train: trainOut, full_run_estimate: estimate };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    process.stdout.write(
      `episode logging cost, ${robot}\n` +
        `  evaluation (${numEnvs} envs, ${episodes} episodes, ${steps} env steps, mean length ${(steps / episodes).toFixed(0)}):\n` +
        `    ${plainRate.toFixed(0)} env steps/s without recording, ${recRate.toFixed(0)} with: ${pct(evalOut.eval_cost_fraction)} slower (wall clock)\n` +
        `    ${plainCpuRate.toFixed(0)} env steps per CPU second without, ${recCpuRate.toFixed(0)} with: ${pct(evalOut.eval_cpu_cost_fraction)} slower, ${perStepUs.toFixed(1)} CPU µs per recorded step (episode files included)\n` +
        (trainOut
          ? `  training (${launchFile}, ${values["train-steps"]} steps, final eval of ${evalEpisodes} episodes recorded or not):\n` +
            `    ${(trainOut["env_steps_per_second_without"] as number).toFixed(0)} env steps/s end to end without, ${(trainOut["env_steps_per_second_with"] as number).toFixed(0)} with: cost ${pct(trainOut["cost_fraction"] as number)}\n`
          : "") +
        `  full run estimate (${launch.config.total_steps} steps at 4,200 env steps/s, ${evalEpisodes} eval episodes of up to ${task.maxEpisodeSteps} steps): ` +
        `${estimate.recording_seconds.toFixed(2)} s of recording, ${pct(estimate.cost_fraction)} of training time\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rate(r: EvalRun): number {
  return r.steps / r.seconds;
}

function cpuRate(r: EvalRun): number {
  return r.steps / r.cpuSeconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A random-weight policy artifact (small weights: the robot acts, falls, episodes end). */
async function saveRandomPolicy(dir: string, sim: string, od: number, ad: number, spec: Awaited<ReturnType<typeof loadTask>>["spec"]): Promise<void> {
  const rng = new Rng(7);
  const hidden = [64, 64];
  const widths = [od, ...hidden, ad];
  const layers = widths.slice(0, -1).map((inDim, k) => {
    const outDim = widths[k + 1]!;
    const s = 0.5 / Math.sqrt(inDim);
    return { inDim, outDim, kernel: Float32Array.from({ length: inDim * outDim }, () => rng.range(-s, s)), bias: new Float32Array(outDim) };
  });
  await savePolicy(dir, {
    manifest: {
      robot: spec.robot,
      sim,
      joints: spec.actuators.map((a) => a.joint),
      spec,
      observation_normalization: null,
      action_scaling: { squash: "tanh", low: [...spec.action.low], high: [...spec.action.high] },
      network: { obs_dim: od, act_dim: ad, hidden, activation: "tanh", log_std: new Array<number>(ad).fill(0) },
      provenance: { algo: "ppo", launch_file: "bench", seed: 0, env_steps: 0, updates: 0, git_commit: null, created: new Date().toISOString(), locomote_version: "bench" },
    },
    layers,
  });
}

await main();
