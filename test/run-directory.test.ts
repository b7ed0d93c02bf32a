/**
 * RunDirectory: new vs resumed runs, refusal to mix runs, summary.json round trip and
 * validation, stale temporary files, throttled plot refresh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunDirectory, RunDirectoryError } from "../src/run/run-directory.js";
import { SummaryError, readSummary } from "../src/run/summary.js";

let root = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "locomote-run-dir-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const finalEval = { mean_return: 812.5, std_return: 40.25, mean_length: 1000, episodes: 10 };

describe("RunDirectory", () => {
  it("creates a new run, logs metrics, plots and summarises", async () => {
    const run = await RunDirectory.create(join(root, "runs", "hopper"), { resume: false, png: false });
    expect(run.name).toBe("hopper");
    expect(run.checkpointsDir).toBe(join(root, "runs", "hopper", "checkpoints"));
    const metrics = run.openMetrics({ fsync: false });
    metrics.append({ update: 1, env_steps: 2048, episode_return_mean: 1 });
    metrics.append({ update: 2, env_steps: 4096, episode_return_mean: 3 });
    const curve = await run.writeLearningCurve(metrics.rows());
    expect(readFileSync(curve.svgPath, "utf8")).toContain("hopper — learning curve");
    const summary = await run.writeSummary({ env_steps: 4096, wall_seconds: 2, final_eval: finalEval, seed: 7 });
    metrics.close();

    expect(summary.env_steps_per_second).toBe(2048);
    expect(readSummary(run.path("summary.json"))).toEqual({
      env_steps: 4096,
      wall_seconds: 2,
      env_steps_per_second: 2048,
      final_eval: finalEval,
      seed: 7,
    });
    expect(run.readSummary()?.["seed"]).toBe(7);
    expect(readdirSync(run.dir).sort()).toEqual(["learning_curve.svg", "metrics.csv", "metrics.jsonl", "summary.json"]);
  });

  it("refuses to start a new run over an existing one, unless overwrite", async () => {
    const dir = join(root, "r");
    const run = await RunDirectory.create(dir, { resume: false });
    run.openMetrics().close();
    await run.writeSummary({ env_steps: 1, wall_seconds: 1, final_eval: null });
    mkdirSync(join(dir, "checkpoints"));
    writeFileSync(join(dir, "checkpoints", "keep.bin"), "x");

    await expect(RunDirectory.create(dir, { resume: false })).rejects.toThrow(
      /already holds a run \(metrics\.jsonl, metrics\.csv, summary\.json\)/,
    );
    await RunDirectory.create(dir, { resume: false, overwrite: true });
    expect(readdirSync(dir)).toEqual(["checkpoints"]);
    expect(existsSync(join(dir, "checkpoints", "keep.bin"))).toBe(true);
  });

  it("resumes: requires the directory, keeps rows up to the checkpoint, removes stale tmp files", async () => {
    await expect(RunDirectory.create(join(root, "nope"), { resume: true })).rejects.toThrow(RunDirectoryError);
    const dir = join(root, "r");
    const first = await RunDirectory.create(dir, { resume: false });
    const log = first.openMetrics();
    for (let u = 1; u <= 4; u++) log.append({ update: u, env_steps: u * 10 });
    log.close();
    writeFileSync(join(dir, ".summary.json.999.1.tmp"), "{half");

    const resumed = await RunDirectory.create(dir, { resume: true });
    expect(resumed.resumed).toBe(true);
    expect(existsSync(join(dir, ".summary.json.999.1.tmp"))).toBe(false);
    const metrics = resumed.openMetrics({ fromUpdate: 2 });
    expect(metrics.rows().map((r) => r["update"])).toEqual([1, 2]);
    metrics.append({ update: 3, env_steps: 31 });
    metrics.close();
  });

  it("validates the summary and names the offending field", async () => {
    const run = await RunDirectory.create(join(root, "r"), { resume: false });
    await expect(
      run.writeSummary({ env_steps: 10, wall_seconds: 1, final_eval: { ...finalEval, episodes: -1 } }),
    ).rejects.toThrow(SummaryError);
    await expect(
      run.writeSummary({ env_steps: 10, wall_seconds: 1, final_eval: { ...finalEval, episodes: -1 } }),
    ).rejects.toThrow(/final_eval\.episodes/);
    await expect(run.writeSummary({ env_steps: 10, wall_seconds: 0, final_eval: null })).resolves.toMatchObject({
      env_steps_per_second: 0,
    });
    writeFileSync(run.path("bad.json"), JSON.stringify({ env_steps: 1 }));
    expect(() => readSummary(run.path("bad.json"))).toThrow(/bad\.json: wall_seconds/);
  });

  it("throttles learning-curve refreshes", async () => {
    const run = await RunDirectory.create(join(root, "r"), { resume: false, png: false, plotIntervalSeconds: 3600 });
    const rows = [{ update: 1, env_steps: 1, episode_return_mean: 0 }];
    expect(await run.refreshLearningCurve(rows)).toBeDefined();
    expect(await run.refreshLearningCurve(rows)).toBeUndefined();
    expect(await run.writeLearningCurve(rows)).toBeDefined();
  });
});
