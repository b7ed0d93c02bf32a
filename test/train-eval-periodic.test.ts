/**
 * Periodic evaluation during training (`eval.every_updates`), through the CLI (compiled
 * `dist/`, real processes): its episodes land in run_dir/episodes/update-NNNNNN_episode-NNNN.mcap,
 * its results in the metrics' eval_* columns (and equal an evaluation of the exported artifact
 * with the same seeds), and training is bit-identical with and without it — also on the hopper,
 * whose Rapier envs run on worker threads.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEpisodeLog, summarizeEpisodeLog } from "../src/log/mcap-read.js";
import { evaluateArtifact } from "../src/rl/evaluate.js";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const tmp = mkdtempSync(join(tmpdir(), "locomote-periodic-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function train(launch: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "train", launch, ...args, "--progress", "off"], { encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Row = Record<string, number | null>;
const readRows = (runDir: string): Row[] =>
  readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Row);

/** The training columns of the metrics (everything but timings and the evaluation). */
const trainingColumns = (rows: readonly Row[]): Row[] =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/seconds|per_second|^eval_/.test(k))));

const POINT_MASS = (dir: string): string => {
  const file = join(dir, "pm.launch.yaml");
  writeFileSync(
    file,
    `launch:
  - arg: {name: run_dir}
  - arg: {name: every, default: "1"}
  - train:
      robot: point_mass
      sim: point_mass
      seed: 3
      total_steps: 2048
      run_dir: $(var run_dir)
      num_envs: 4
      policy: {hidden: [16, 16], activation: tanh, log_std_init: 0.0, value_hidden: [16, 16]}
      ppo: {n_steps: 128, n_epochs: 2, num_minibatches: 2, learning_rate: 3.0e-3, gamma: 0.95}
      eval: {episodes: 3, every_updates: $(var every)}
`,
  );
  return file;
};

describe("periodic evaluation (eval.every_updates)", () => {
  it("records update-NNNNNN episodes, logs eval_* columns equal to an evaluation of the artifact, and leaves training unchanged", async () => {
    const launch = POINT_MASS(tmp);
    const withEval = join(tmp, "pm-eval");
    const without = join(tmp, "pm-plain");
    const a = train(launch, [`run_dir:=${withEval}`, "every:=1"]);
    expect(a.stderr).not.toMatch(/error/i);
    expect(a.code).toBe(0);
    const b = train(launch, [`run_dir:=${without}`, "every:=0"]);
    expect(b.code).toBe(0);

    // 2048 steps / (4 envs × 128) = 4 updates, each evaluated over 3 episodes, then the final evaluation.
    const files = readdirSync(join(withEval, "episodes")).sort();
    const expected = [1, 2, 3, 4].flatMap((u) => [0, 1, 2].map((e) => `update-${String(u).padStart(6, "0")}_episode-000${e}.mcap`));
    expect(files).toEqual([...expected, ...[0, 1, 2].map((e) => `update-000004_final_episode-000${e}.mcap`)].sort());
    expect(readdirSync(join(without, "episodes")).sort()).toEqual([0, 1, 2].map((e) => `update-000004_final_episode-000${e}.mcap`));
    const s = summarizeEpisodeLog(readEpisodeLog(join(withEval, "episodes", "update-000002_episode-0001.mcap")));
    expect(s.complete).toBe(true);
    expect(s.metadata["locomote"]).toMatchObject({ source: "train_eval", update: "2", policy: "training snapshot at update 2", sim: "point_mass", seed: "20003" });

    const rows = readRows(withEval);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(Number.isFinite(r["eval_return_mean"])).toBe(true);
      expect(Number.isFinite(r["eval_return_std"])).toBe(true);
      expect(r["eval_length_mean"]).toBe(100);
      expect(r["eval_seconds"]).toBeGreaterThan(0);
    }
    const csvHeader = readFileSync(join(withEval, "metrics.csv"), "utf8").split("\n")[0]!.split(",");
    expect(csvHeader).toEqual(expect.arrayContaining(["eval_return_mean", "eval_return_std", "eval_length_mean", "eval_seconds"]));
    expect(readRows(without).some((r) => "eval_return_mean" in r)).toBe(false);
    // The last update's weights are the exported policy's: evaluated from disk with the periodic seeds, the same numbers.
    const fromDisk = await evaluateArtifact(join(withEval, "policy"), { episodes: 3, seed: 3 + 20_000, numEnvs: 3 });
    expect(rows[3]!["eval_return_mean"]).toBe(fromDisk.mean_return);
    expect(rows[3]!["eval_return_std"]).toBe(fromDisk.std_return);
    // The curve shows the evaluations.
    expect(readFileSync(join(withEval, "learning_curve.svg"), "utf8")).toContain('data-key="eval_return_mean"');

    // Bit-identical training with and without the evaluations.
    expect(trainingColumns(rows)).toEqual(trainingColumns(readRows(without)));
    const summary = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { final_eval: unknown }).final_eval;
    expect(summary(withEval)).toEqual(summary(without));
  });

  it("leaves hopper training (Rapier, envs on worker threads) bit-identical", () => {
    const launch = join(tmp, "hopper.launch.yaml");
    writeFileSync(
      launch,
      `launch:
  - arg: {name: run_dir}
  - arg: {name: every, default: "1"}
  - include:
      file: ${join(process.cwd(), "launch/hopper_ppo.launch.yaml")}
      arg: [{name: run_dir, value: "$(var run_dir)"}, {name: total_steps, value: "4096"}]
  - train: {num_workers: 2, eval: {episodes: 2, every_updates: $(var every)}}
`,
    );
    const withEval = join(tmp, "hop-eval");
    const without = join(tmp, "hop-plain");
    expect(train(launch, [`run_dir:=${withEval}`, "every:=1"]).code).toBe(0);
    expect(train(launch, [`run_dir:=${without}`, "every:=0"]).code).toBe(0);
    const rows = readRows(withEval);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => Number.isFinite(r["eval_return_mean"]))).toBe(true);
    expect(trainingColumns(rows)).toEqual(trainingColumns(readRows(without)));
    expect(readdirSync(join(withEval, "episodes")).filter((f) => /^update-00000[12]_episode-000[01]\.mcap$/.test(f))).toHaveLength(4);
  });
});
