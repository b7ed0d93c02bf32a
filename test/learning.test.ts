/**
 * Learning test: PPO must solve the point-mass task (random policy ≈ −40, solved ≈ −2),
 * and the same run with the policy-gradient sign flipped must not — so this test fails if
 * the algorithm's objective is broken.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";
import { train } from "../src/rl/trainer.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(flip: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "locomote-learn-"));
  dirs.push(dir);
  const launch = await loadLaunch("launch/point_mass_ppo.launch.yaml", { run_dir: dir, total_steps: "30000", seed: "2" });
  const result = await train({ config: launch.config, launchFile: launch.file, progress: "off", plot: false, flipGradientSign: flip });
  expect(result.finalEval).not.toBeNull();
  return result.finalEval!.mean_return;
}

describe("PPO learning on point_mass", () => {
  it("learns to hold the mass at the origin", async () => {
    const ret = await run(false);
    expect(ret).toBeGreaterThan(-6);
  });

  it("does not learn with the policy-gradient sign flipped", async () => {
    const ret = await run(true);
    expect(ret).toBeLessThan(-20);
  });
});
