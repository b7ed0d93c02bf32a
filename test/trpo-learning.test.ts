/**
 * Learning test for TRPO, as test/learning.test.ts for PPO: `algo:=trpo` on the point-mass
 * launch file must solve the task (random policy ≈ −40, solved ≈ −2), and the same run with
 * the policy-gradient sign flipped must not.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";
import { train } from "../src/rl/trainer.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(flip: boolean): Promise<{ ret: number; rows: Record<string, number | null>[] }> {
  const dir = mkdtempSync(join(tmpdir(), "locomote-trpo-learn-"));
  dirs.push(dir);
  const launch = await loadLaunch("launch/point_mass_ppo.launch.yaml", { algo: "trpo", run_dir: dir, total_steps: "30000", seed: "2" });
  expect(launch.config.algo).toBe("trpo");
  const result = await train({ config: launch.config, launchFile: launch.file, progress: "off", plot: false, flipGradientSign: flip });
  expect(result.finalEval).not.toBeNull();
  const rows = readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, number | null>);
  return { ret: result.finalEval!.mean_return, rows };
}

describe("TRPO learning on point_mass", () => {
  it("learns to hold the mass at the origin, within the trust region", async () => {
    const { ret, rows } = await run(false);
    console.log(`TRPO point_mass deterministic eval: ${ret.toFixed(2)}`);
    expect(ret).toBeGreaterThan(-6);
    // Every update logs its diagnostics, and no accepted step leaves the trust region.
    for (const r of rows) {
      for (const k of ["kl", "line_search_steps", "line_search_accepted", "surrogate_improvement", "cg_residual"]) expect(r[k]).toEqual(expect.any(Number));
      expect(r["kl"]!).toBeLessThanOrEqual(0.01);
      if (r["line_search_accepted"] === 1) expect(r["surrogate_improvement"]!).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => r["line_search_accepted"] === 1).length).toBeGreaterThan(rows.length / 2);
  });

  it("does not learn with the policy-gradient sign flipped", async () => {
    const { ret } = await run(true);
    console.log(`TRPO point_mass deterministic eval, sign flipped: ${ret.toFixed(2)}`);
    expect(ret).toBeLessThan(-20);
  });
});
