import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { savePolicy } from "../src/policy/artifact.js";
import type { PolicyManifestBody } from "../src/policy/manifest.js";
import { evaluateArtifact, evaluatePolicy, type ActFn } from "../src/rl/evaluate.js";
import { SimPort } from "../src/sim/sim-port.js";
import { POINT_MASS_SPEC, pointMassTask } from "./policy-fixtures.js";

const constant = (value: number): ActFn => (_obs, batch, out) => out.fill(value, 0, batch);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "locomote-eval-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("evaluatePolicy", () => {
  it("returns the hand-computed return of a constant policy (x = 0.125·k, terminal at x ≥ 1)", async () => {
    const port = new SimPort(pointMassTask(), { numEnvs: 2, seed: 0 });
    const r = await evaluatePolicy(port, constant(0.5), { episodes: 5, maxSteps: 1000 });
    expect(r.returns).toEqual([4.5, 4.5, 4.5, 4.5, 4.5]); // 0.125·(1+…+8)
    expect(r.lengths).toEqual([8, 8, 8, 8, 8]);
    expect(r).toMatchObject({ mean_return: 4.5, std_return: 0, mean_length: 8, episodes: 5 });
  });

  it("cuts episodes at maxSteps", async () => {
    const port = new SimPort(pointMassTask(), { numEnvs: 3, seed: 0 });
    const r = await evaluatePolicy(port, constant(0.5), { episodes: 4, maxSteps: 5 });
    expect(r.returns).toEqual([1.875, 1.875, 1.875, 1.875]); // 0.125·(1+…+5)
    expect(r.lengths).toEqual([5, 5, 5, 5]);
  });

  it("gives each env exactly its quota of episodes, so the set is fixed by seed and numEnvs", async () => {
    const task = pointMassTask({ resetNoise: 0.6 });
    // Pushing harder when behind makes lengths depend on the start: short and long episodes mix.
    const act: ActFn = (obs, batch, out) => {
      for (let i = 0; i < batch; i++) out[i] = obs[2 * i]! < 0 ? 1 : 0.3;
    };
    const episodes = 7;
    const numEnvs = 3;
    const run = async (seed: number) => evaluatePolicy(new SimPort(task, { numEnvs, seed }), act, { episodes, maxSteps: 50 });
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(b).toEqual(a);
    expect(c.returns).not.toEqual(a.returns);
    expect(new Set(a.lengths).size).toBeGreaterThan(1);

    // Env i alone (same seed, same random stream) reproduces its first quota[i] episodes, in order.
    const quotas = [3, 2, 2];
    let at = 0;
    for (let i = 0; i < numEnvs; i++) {
      const alone = await evaluatePolicy(new SimPort(task, { numEnvs: 1, seed: 42, firstEnvIndex: i }), act, { episodes: quotas[i]!, maxSteps: 50 });
      expect(a.returns.slice(at, at + quotas[i]!)).toEqual(alone.returns);
      expect(a.lengths.slice(at, at + quotas[i]!)).toEqual(alone.lengths);
      at += quotas[i]!;
    }

    const mean = a.returns.reduce((s, x) => s + x, 0) / episodes;
    expect(a.mean_return).toBeCloseTo(mean, 12);
    expect(a.std_return).toBeCloseTo(Math.sqrt(a.returns.reduce((s, x) => s + (x - mean) ** 2, 0) / episodes), 12);
  });

  it("handles more envs than episodes", async () => {
    const r = await evaluatePolicy(new SimPort(pointMassTask(), { numEnvs: 4, seed: 1 }), constant(0.5), { episodes: 2, maxSteps: 100 });
    expect(r.returns).toEqual([4.5, 4.5]);
  });
});

/**
 * A frozen point-mass policy whose deterministic action is 0.5 whatever it observes: zero
 * kernel, zero bias → tanh(0) = 0 → a = low + (0 + 1)/2·(high − low) with low 0, high 1.
 */
function halfSpeedBody(): PolicyManifestBody {
  return {
    robot: "point_mass",
    sim: "test_point_mass", // a name no registry entry has: tests pass the task in
    joints: ["slider"],
    spec: POINT_MASS_SPEC,
    observation_normalization: { mean: [0.5, 0], var: [0.25, 1], clip: 10, epsilon: 1e-8 },
    action_scaling: { squash: "tanh", low: [0], high: [1] },
    network: { obs_dim: 2, act_dim: 1, hidden: [4], activation: "tanh", log_std: [-1] },
    provenance: {
      algo: "ppo", launch_file: "test", seed: 0, env_steps: 0, updates: 0, git_commit: null,
      created: new Date(0).toISOString(), locomote_version: "0.1.0",
    },
  };
}

describe("evaluateArtifact", () => {
  it("loads the artifact and evaluates its deterministic action on the task", async () => {
    const dir = join(root, "half-speed");
    await savePolicy(dir, {
      manifest: halfSpeedBody(),
      layers: [
        { inDim: 2, outDim: 4, kernel: new Float32Array(8).fill(0.3), bias: new Float32Array(4).fill(0.1) },
        { inDim: 4, outDim: 1, kernel: new Float32Array(4), bias: new Float32Array(1) },
      ],
    });
    const r = await evaluateArtifact(dir, { episodes: 3, seed: 5, numEnvs: 2, task: pointMassTask() });
    expect(r.returns).toEqual([4.5, 4.5, 4.5]);
    expect(r.lengths).toEqual([8, 8, 8]);

    const capped = await evaluateArtifact(dir, { episodes: 2, seed: 5, task: pointMassTask({ maxEpisodeSteps: 4 }) });
    expect(capped.returns).toEqual([1.25, 1.25]); // 0.125·(1+2+3+4), cut by the task's own limit
  });

  it("refuses a sim whose spec differs from the policy's", async () => {
    const dir = join(root, "mismatch");
    await savePolicy(dir, {
      manifest: halfSpeedBody(),
      layers: [
        { inDim: 2, outDim: 4, kernel: new Float32Array(8), bias: new Float32Array(4) },
        { inDim: 4, outDim: 1, kernel: new Float32Array(4), bias: new Float32Array(1) },
      ],
    });
    const renamed = { ...POINT_MASS_SPEC, observation: { ...POINT_MASS_SPEC.observation, names: ["slider.position", "slider.velocity"] } };
    await expect(evaluateArtifact(dir, { episodes: 1, seed: 0, task: pointMassTask({ spec: renamed }) })).rejects.toThrow(
      `policy ${dir} does not fit sim "point_mass": spec observation.names[1]: policy has "slider.command", port has "slider.velocity"`,
    );
    const slower = { ...POINT_MASS_SPEC, dt: 0.5 };
    await expect(evaluateArtifact(dir, { episodes: 1, seed: 0, task: pointMassTask({ spec: slower }) })).rejects.toThrow(/spec dt: policy has 0.25, port has 0.5/);
    // Without a task, the manifest's sim name goes to the registry.
    await expect(evaluateArtifact(dir, { episodes: 1, seed: 0 })).rejects.toThrow(/unknown sim "test_point_mass"/);
  });
});
