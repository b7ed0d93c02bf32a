/**
 * Multi-worker scaling of the sim port: env steps/s of the batch with 1 thread (in-process
 * SimPort) and with n worker threads (WorkerPort), through the trainer's TimeLimit + AutoReset
 * wrappers: uniform random actions each step, resets on termination. All configurations' ports
 * are built first; each gets its own warm-up (every worker's V8 runs Rapier's wasm in the
 * baseline tier for its first seconds); then REPS rounds in which each configuration runs
 * STEPS batch steps in turn. Env steps/s is each configuration's median over the rounds; the
 * scaling is the median over the rounds of the ratio within a round, so that a drift in the
 * machine's speed (this VM's varies by a few % over seconds) slows both sides of a ratio alike.
 *
 * The figure is only meaningful on a quiet machine: the load average (1 min) before and after
 * is printed with it, and so is the process CPU time per env step.
 *
 * `--mode caller` (default): with n workers the calling thread steps one slice and n − 1
 * worker threads the others; `--mode workers-only`: n worker threads, the caller waits.
 * By default each thread applies the time limit and resets its ended envs inside the step
 * command (the trainer's port, `createEpisodicSimPort`); `--unfused-resets` wraps the batch in
 * TimeLimit + AutoReset instead (one more round trip after any step that ends an episode).
 *
 *   node dist/src/bench/workers.js [--task hopper] [--envs 16] [--workers 1,2] [--steps 1000]
 *                                  [--mode caller|workers-only] [--unfused-resets] [--reps 7] [--warmup-s 3]
 *                                  [--seed 1] [--json]
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { AutoReset, type EpisodicPort } from "../port/wrappers/auto-reset.js";
import { TimeLimit } from "../port/wrappers/time-limit.js";
import { createEpisodicSimPort, createSimPort } from "../sim/make-port.js";
import { loadTask } from "../sim/registry.js";
import { Rng } from "../util/rng.js";
import { parseBenchArgs } from "./args.js";

export interface WorkerScalingOptions {
  /** Registry key of the task (default hopper). */
  task?: string;
  /** Envs in the batch (default 16). */
  numEnvs?: number;
  /** Worker counts to measure; the first is the baseline of the ratio (default [1, 2]). */
  workers?: number[];
  /** WorkerPort mode (default true: the caller steps the first slice). */
  stepOnCaller?: boolean;
  /** Time limit and auto-reset inside each thread's step (the trainer's port, default true); false: wrappers over the batch. */
  fused?: boolean;
  /** Batch steps per timed run (default 1000). */
  steps?: number;
  /** Rounds of one timed run per configuration; medians count (default 7). */
  reps?: number;
  /** Minimum warm-up per configuration, seconds (default 3). */
  warmupS?: number;
  seed?: number;
}

export interface WorkerScalingRun {
  workers: number;
  envStepsPerS: number;
  /** Process CPU seconds (all threads) per 1000 env steps. */
  cpuMsPerKiloStep: number;
  /** Episodes that ended (terminated or truncated) per 1000 env steps: the reset traffic. */
  resetsPerKiloStep: number;
}

export interface WorkerScalingResult {
  task: string;
  numEnvs: number;
  stepOnCaller: boolean;
  runs: WorkerScalingRun[];
  /** Median over the rounds of the last worker count's env steps/s over the first's in the same round. */
  scaling: number;
  /** That ratio per round. */
  roundRatios: number[];
  loadBefore: number;
  loadAfter: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function measureWorkerScaling(options: WorkerScalingOptions = {}): Promise<WorkerScalingResult> {
  const taskName = options.task ?? "hopper";
  const numEnvs = options.numEnvs ?? 16;
  const workerCounts = options.workers ?? [1, 2];
  const steps = options.steps ?? 1000;
  const reps = options.reps ?? 7;
  const warmupS = options.warmupS ?? 3;
  const seed = options.seed ?? 1;
  const task = await loadTask(taskName);
  const { low, high } = task.spec.action;
  const actDim = low.length;
  const stepOnCaller = options.stepOnCaller ?? true;
  const loadBefore = loadavg()[0]!;

  interface Config {
    workers: number;
    port: EpisodicPort;
    rng: Rng;
    ended: number;
    walls: number[];
    cpus: number[];
  }
  const configs: Config[] = [];
  const run = (c: Config, n: number): void => {
    const { action, terminated, truncated } = c.port.buffers;
    const { rng } = c;
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < action.length; j++) action[j] = rng.range(low[j % actDim]!, high[j % actDim]!);
      c.port.step();
      for (let i = 0; i < numEnvs; i++) c.ended += terminated[i]! | truncated[i]!;
    }
  };
  try {
    for (const numWorkers of workerCounts) {
      const port = options.fused === false
        ? new AutoReset(new TimeLimit(await createSimPort(taskName, task, { numEnvs, numWorkers, seed, stepOnCaller }), task.maxEpisodeSteps))
        : await createEpisodicSimPort(taskName, task, { numEnvs, numWorkers, seed, stepOnCaller, maxEpisodeSteps: task.maxEpisodeSteps });
      configs.push({ workers: numWorkers, port, rng: new Rng(seed, 7), ended: 0, walls: [], cpus: [] });
    }
    for (const c of configs) {
      c.port.resetAll();
      const warmEnd = performance.now() + warmupS * 1000;
      do run(c, Math.max(1, steps >> 2));
      while (performance.now() < warmEnd);
      c.ended = 0;
    }
    // Round by round, every configuration once: a machine whose speed drifts over seconds (a
    // VM's neighbours) then slows all of a round's runs alike, and each round gives a ratio.
    for (let r = 0; r < reps; r++) {
      for (const c of configs) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        run(c, steps);
        c.walls.push((performance.now() - t0) / 1000);
        const cpu = process.cpuUsage(c0);
        c.cpus.push((cpu.user + cpu.system) / 1e6);
      }
    }
  } finally {
    for (const c of configs) c.port.close();
  }
  const envSteps = steps * numEnvs;
  const runs: WorkerScalingRun[] = configs.map((c) => ({
    workers: c.workers,
    envStepsPerS: envSteps / median(c.walls),
    cpuMsPerKiloStep: (1e6 * median(c.cpus)) / envSteps,
    resetsPerKiloStep: (1000 * c.ended) / (envSteps * reps),
  }));
  const first = configs[0]!;
  const last = configs[configs.length - 1]!;
  const roundRatios = first.walls.map((w, r) => w / last.walls[r]!);
  return { task: taskName, numEnvs, stepOnCaller, runs, scaling: median(roundRatios), roundRatios, loadBefore, loadAfter: loadavg()[0]! };
}

async function main(): Promise<void> {
  const { values } = parseBenchArgs(
    "npm run bench:workers",
    "Env steps/s of the hopper batch through the trainer's port (time limit and auto-reset in each thread)\n" +
      "with 1 and with n threads, and their ratio; each configuration warmed up, then --reps rounds of one run each:\n" +
      "env steps/s is the median run, the ratio the median of the rounds' ratios.",
    {
      task: { type: "string", default: "hopper" },
      envs: { type: "string", default: "16" },
      workers: { type: "string", default: "1,2" },
      mode: { type: "string", default: "caller" },
      "unfused-resets": { type: "boolean", default: false },
      steps: { type: "string", default: "1000" },
      reps: { type: "string", default: "7" },
      "warmup-s": { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
    },
  );
  const workers = values.workers.split(",").map(Number);
  if (values.mode !== "caller" && values.mode !== "workers-only") throw new Error(`--mode: expected caller or workers-only, got "${values.mode}"`);
  const result = await measureWorkerScaling({
    task: values.task,
    numEnvs: Number(values.envs),
    workers,
    stepOnCaller: values.mode === "caller",
    fused: !values["unfused-resets"],
    steps: Number(values.steps),
    reps: Number(values.reps),
    warmupS: Number(values["warmup-s"]),
    seed: Number(values.seed),
  });
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  for (const r of result.runs) {
    console.log(
      `${result.task} envs=${result.numEnvs} workers=${r.workers} mode=${values.mode} env_steps_per_s=${Math.round(r.envStepsPerS)}` +
        ` cpu_ms_per_1k_steps=${r.cpuMsPerKiloStep.toFixed(1)} episodes_ended_per_1k_steps=${r.resetsPerKiloStep.toFixed(1)}`,
    );
  }
  console.log(
    `scaling ${workers.at(-1)} vs ${workers[0]} workers: ${result.scaling.toFixed(2)}x` +
      ` (rounds: ${result.roundRatios.map((r) => r.toFixed(2)).join(" ")};` +
      ` load average 1 min: ${result.loadBefore.toFixed(2)} before, ${result.loadAfter.toFixed(2)} after)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
