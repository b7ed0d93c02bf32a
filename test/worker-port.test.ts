/**
 * Multi-core rollouts: WorkerPort over 2 and 3 worker threads reproduces the in-process
 * SimPort bit for bit (obs, reward, flags, metrics, final obs) through the trainer's
 * TimeLimit + AutoReset wrappers, with reseeding and explicit resets; errors cross threads;
 * the compiled dist/ runs the same way.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ControlPort } from "../src/port/port.js";
import { AutoReset, type EpisodicPort } from "../src/port/wrappers/auto-reset.js";
import { TimeLimit } from "../src/port/wrappers/time-limit.js";
import { createEpisodicSimPort, createSimPort, resolveWorkerCount } from "../src/sim/make-port.js";
import { loadTask } from "../src/sim/registry.js";
import { SimPort } from "../src/sim/sim-port.js";
import type { TaskDefinition } from "../src/sim/task.js";
import { sliceOf, WorkerPort } from "../src/sim/worker-port.js";
import { findPackageRoot } from "../src/util/package-root.js";
import { Rng } from "../src/util/rng.js";

const NUM_ENVS = 7; // uneven split: 4+3 and 3+2+2
const STEPS = 300;
const SEED = 20240611;

interface Trace {
  /** One digest per recorded point (after resetAll and after every step). */
  digests: string[];
  terminations: number;
  truncations: number;
}

/** Drives the port through a fixed action sequence with a reseed and explicit resets, hashing every buffer. */
function trace(port: EpisodicPort): Trace {
  const { obs, action, reward, terminated, truncated, metrics } = port.buffers;
  const metricArrays = port.spec.metrics.map((m) => metrics[m]!);
  const low = port.spec.action.low;
  const high = port.spec.action.high;
  const actDim = low.length;
  const rng = new Rng(SEED, 99);
  const out: Trace = { digests: [], terminations: 0, truncations: 0 };
  const record = (): void => {
    const h = createHash("sha256");
    for (const a of [obs, reward, terminated, truncated, port.finalObs, ...metricArrays]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    out.digests.push(h.digest("hex"));
  };
  port.resetAll();
  record();
  for (let t = 0; t < STEPS; t++) {
    if (t === 150) {
      port.seed(SEED + 1);
      port.resetAll();
    }
    if (t % 37 === 5) port.resetEnv(t % NUM_ENVS);
    if (t % 41 === 9) {
      // A batched reset across slices (first, middle and last env).
      const mask = new Uint8Array(NUM_ENVS);
      mask[0] = mask[3] = mask[NUM_ENVS - 1] = 1;
      port.resetEnvs(mask);
    }
    for (let j = 0; j < action.length; j++) {
      const k = j % actDim;
      action[j] = rng.range(low[k]!, high[k]!);
    }
    port.step();
    for (let i = 0; i < NUM_ENVS; i++) {
      out.terminations += terminated[i]!;
      out.truncations += truncated[i]!;
    }
    record();
  }
  return out;
}

describe("slices", () => {
  it("cover the batch contiguously, larger ones first", () => {
    expect([0, 1, 2].map((k) => sliceOf(k, 3, 7))).toEqual([{ start: 0, count: 3 }, { start: 3, count: 2 }, { start: 5, count: 2 }]);
    expect([0, 1].map((k) => sliceOf(k, 2, 16))).toEqual([{ start: 0, count: 8 }, { start: 8, count: 8 }]);
    expect([0, 1, 2].map((k) => sliceOf(k, 3, 3))).toEqual([{ start: 0, count: 1 }, { start: 1, count: 1 }, { start: 2, count: 1 }]);
  });
});

describe("createSimPort worker count", () => {
  it("maps 0 to one per core, caps at numEnvs and rejects nonsense", () => {
    expect(resolveWorkerCount(0, 64)).toBe(Math.min(availableParallelism(), 64));
    expect(resolveWorkerCount(1, 8)).toBe(1);
    expect(resolveWorkerCount(3, 8)).toBe(3);
    expect(resolveWorkerCount(5, 2)).toBe(2);
    expect(resolveWorkerCount(0, 1)).toBe(1);
    expect(() => resolveWorkerCount(-1, 4)).toThrow(/numWorkers must be a non-negative integer .* got -1/);
    expect(() => resolveWorkerCount(1.5, 4)).toThrow(/got 1.5/);
    expect(() => resolveWorkerCount(2, 0)).toThrow(/numEnvs must be a positive integer, got 0/);
  });
});

for (const taskName of ["point_mass", "hopper"]) {
  describe(`${taskName}: results do not depend on the worker count`, () => {
    let task: TaskDefinition;
    /**
     * Keyed by "<numWorkers>" (the caller steps a slice) or "<numWorkers>, workers only"; "fused"
     * runs the time limit and auto-reset inside each thread's step (createEpisodicSimPort), the
     * others wrap the batch port.
     */
    const traces = new Map<string, Trace>();
    beforeAll(async () => {
      task = await loadTask(taskName);
      for (const [key, numWorkers, stepOnCaller] of [["1", 1, true], ["2", 2, true], ["3", 3, true], ["2, workers only", 2, false], ["3, workers only", 3, false]] as const) {
        const inner = await createSimPort(taskName, task, { numEnvs: NUM_ENVS, numWorkers, seed: SEED, stepOnCaller });
        expect(inner instanceof (numWorkers === 1 ? SimPort : WorkerPort)).toBe(true);
        const port = new AutoReset(new TimeLimit(inner, task.maxEpisodeSteps));
        try {
          traces.set(key, trace(port));
        } finally {
          port.close();
        }
      }
      for (const [key, numWorkers, stepOnCaller] of [["1, fused", 1, true], ["2, fused", 2, true], ["3, fused", 3, true], ["2, fused, workers only", 2, false]] as const) {
        const port = await createEpisodicSimPort(taskName, task, { numEnvs: NUM_ENVS, numWorkers, seed: SEED, stepOnCaller, maxEpisodeSteps: task.maxEpisodeSteps });
        expect(port instanceof (numWorkers === 1 ? AutoReset : WorkerPort)).toBe(true);
        try {
          traces.set(key, trace(port));
        } finally {
          port.close();
        }
      }
    });

    it("episodes end during the run (terminations or time limits), so resets are exercised", () => {
      const t = traces.get("1")!;
      expect(t.digests).toHaveLength(STEPS + 1);
      expect(t.terminations + t.truncations).toBeGreaterThan(0);
      // The comparison is not vacuous: the state changes from step to step.
      expect(new Set(t.digests).size).toBe(t.digests.length);
    });

    it.each(["2", "3", "2, workers only", "3, workers only", "1, fused", "2, fused", "3, fused", "2, fused, workers only"])("numWorkers %s matches 1 bit for bit over 300 steps", (key) => {
      const ref = traces.get("1")!;
      const got = traces.get(key)!;
      const firstDiff = got.digests.findIndex((d, i) => d !== ref.digests[i]);
      expect(firstDiff, `first differing record (0 = after resetAll, t = after step t)`).toBe(-1);
      expect(got.terminations).toBe(ref.terminations);
      expect(got.truncations).toBe(ref.truncations);
    });
  });
}

describe("WorkerPort errors and lifecycle", () => {
  it("rejects an unknown task, naming it", async () => {
    const task = await loadTask("point_mass");
    await expect(createSimPort("no_such_sim", task, { numEnvs: 2, numWorkers: 2 })).rejects.toThrow(
      /worker \d failed to start: unknown sim "no_such_sim" \(available: .*\)/,
    );
  });

  it("rejects a task whose spec differs from the registry's", async () => {
    const task = await loadTask("point_mass");
    const renamed: TaskDefinition = { ...task, spec: { ...task.spec, metrics: ["other"] } };
    await expect(createSimPort("point_mass", renamed, { numEnvs: 2, numWorkers: 2 })).rejects.toThrow(/different spec .*metrics \[other\]/);
  });

  it("checks env indices, refuses to step once closed, and closes twice", async () => {
    const task = await loadTask("point_mass");
    const port = await createSimPort("point_mass", task, { numEnvs: 3, numWorkers: 2, seed: 1 });
    port.resetAll();
    expect(() => port.resetEnv(3)).toThrow(/env index must be in \[0, 3\), got 3/);
    port.close();
    expect(() => port.step()).toThrow(/closed/);
    expect(() => port.close()).not.toThrow();
  });
});

describe("compiled dist/", () => {
  it("runs 2 workers from dist/src/sim/*.js with the same results as 1, under V8 options a worker cannot take", () => {
    const root = findPackageRoot();
    const entry = join(root, "dist/src/sim/make-port.js");
    expect(existsSync(entry), `${entry} is missing: run npm run build`).toBe(true);
    const script = `
      import { createHash } from "node:crypto";
      const { createSimPort } = await import(${JSON.stringify(entry)});
      const { loadTask } = await import(${JSON.stringify(join(root, "dist/src/sim/registry.js"))});
      const task = await loadTask("hopper");
      const digests = [];
      for (const numWorkers of [1, 2]) {
        const port = await createSimPort("hopper", task, { numEnvs: 4, numWorkers, seed: 3 });
        port.resetAll();
        const h = createHash("sha256");
        for (let t = 0; t < 50; t++) {
          port.buffers.action.forEach((_, j, a) => { a[j] = Math.sin(t * 7 + j); });
          port.step();
          for (let i = 0; i < 4; i++) if (port.buffers.terminated[i]) port.resetEnv(i);
          h.update(new Uint8Array(port.buffers.obs.buffer, port.buffers.obs.byteOffset, port.buffers.obs.byteLength));
        }
        port.close();
        digests.push(port.constructor.name + ":" + h.digest("hex"));
      }
      console.log(JSON.stringify(digests));
    `;
    // --max-old-space-size and --stack-size are V8 options: Node refuses them in a worker's execArgv.
    const flags = ["--max-old-space-size=3000", "--stack-size=900", "--input-type=module"];
    const out = execFileSync(process.execPath, [...flags, "-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
    const [one, two] = JSON.parse(out.trim().split("\n").at(-1)!) as [string, string];
    expect(one.startsWith("SimPort:")).toBe(true);
    expect(two.startsWith("WorkerPort:")).toBe(true);
    expect(two.split(":")[1]).toBe(one.split(":")[1]);
  });
});
