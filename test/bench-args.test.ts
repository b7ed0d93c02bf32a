/**
 * The benchmark scripts as a user runs them (compiled `dist/`, real processes): `--help` says
 * what each measures and lists its options with their defaults; a bad option is an error with
 * the usage, exit 2, no stack trace. Nothing is measured here.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function bench(name: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), `dist/src/bench/${name}.js`), ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bench scripts", () => {
  it("--help describes the benchmark and its options for sim, workers, learn, log, train and deploy", () => {
    const expected: Record<string, string[]> = {
      sim: ["npm run bench:sim", "--metric <value>", "(default: wall)", "--no-mujoco", "MuJoCo"],
      workers: ["npm run bench:workers", "--envs <value>", "(default: 16)", "--unfused-resets"],
      learn: ["npm run bench:learn", "--seeds <value>", "(default: 1,2,3)", "name:=value"],
      log: ["npm run bench:log", "--robot <value>", "(default: hopper)", "--train"],
      train: ["npm run bench:train", "--steps <value>", "(default: 100000)"],
      deploy: ["npm run bench:deploy", "--rate <value>", "(default: 500)", "--spin-ms <value>"],
    };
    for (const [name, parts] of Object.entries(expected)) {
      const r = bench(name, ["--help"]);
      expect(r.code, name).toBe(0);
      for (const p of parts) expect(r.stdout, `${name}: ${p}`).toContain(p);
      expect(bench(name, ["-h"]).stdout).toBe(r.stdout);
    }
  });

  it("rejects an unknown option or a missing value with the usage, exit 2, no stack trace", () => {
    const unknown = bench("workers", ["--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("npm run bench:workers: Unknown option '--bogus'");
    expect(unknown.stderr).toContain("--envs <value>");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const missing = bench("sim", ["--steps"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--steps");
    expect(missing.stdout).toBe("");
  });
});
