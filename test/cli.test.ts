/**
 * The CLI as a user runs it (compiled `dist/`, real processes): --help, launch-file errors,
 * training the point-mass task, Ctrl-C → checkpoint → --resume, and eval --json.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const tmp = mkdtempSync(join(tmpdir(), "locomote-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("locomote CLI", () => {
  it("prints help for every command", () => {
    const top = cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("train");
    expect(top.stdout).toContain("eval");
    const train = cli(["train", "launch/hopper_ppo.launch.yaml", "--help"]);
    expect(train.code).toBe(0);
    expect(train.stdout).toContain("--resume");
    expect(train.stdout).toMatch(/total_steps:=\s+\[default: 1000000\]/);
    const ev = cli(["eval", "--help"]);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toContain("--json");
  });

  it("reports a bad launch file in one line, without a stack trace", () => {
    const bad = join(tmp, "bad.launch.yaml");
    writeFileSync(bad, "launch:\n  - train:\n      robot: hopper\n      ppo: {clip_range: 2}\n");
    const r = cli(["train", bad]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("bad.launch.yaml");
    expect(lines[0]).toContain("train.ppo.clip_range");
    expect(lines[0]).toContain("got 2");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const unknownArg = cli(["train", "launch/hopper_ppo.launch.yaml", "sed:=3"]);
    expect(unknownArg.code).toBe(2);
    expect(unknownArg.stderr).toContain('unknown argument "sed"');
  });

  it("trains, survives Ctrl-C with a checkpoint, resumes, and evaluates", async () => {
    const runDir = join(tmp, "pm");
    const child = spawn(process.execPath, [BIN, "train", "launch/point_mass_ppo.launch.yaml", `run_dir:=${runDir}`, "total_steps:=400000"], {
      env: { ...process.env, CI: "1" },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    // Wait until a few updates are logged, then interrupt.
    const metricsPath = join(runDir, "metrics.jsonl");
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (existsSync(metricsPath) && readFileSync(metricsPath, "utf8").split("\n").length > 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code).toBe(130);
    expect(stdout).toContain("--resume");
    const latest = JSON.parse(readFileSync(join(runDir, "checkpoints/latest.json"), "utf8")) as { dir: string };
    const state = JSON.parse(readFileSync(join(runDir, "checkpoints", latest.dir, "state.json"), "utf8")) as { update: number; env_steps: number; adam_step: number };
    expect(state.update).toBeGreaterThanOrEqual(4);
    expect(state.adam_step).toBe(state.update * 10 * 4);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as { interrupted: boolean; env_steps: number };
    expect(summary.interrupted).toBe(true);
    expect(existsSync(join(runDir, "policy/manifest.json"))).toBe(true);

    // Resume to a nearby total: counters continue from the checkpoint.
    const resumed = cli(["train", "launch/point_mass_ppo.launch.yaml", `run_dir:=${runDir}`, `total_steps:=${state.env_steps + 3 * 1024}`, "--resume"]);
    expect(resumed.code).toBe(0);
    const rows = readFileSync(metricsPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { update: number; env_steps: number });
    expect(rows.map((r) => r.update)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.at(-1)!.env_steps).toBe(state.env_steps + 3 * 1024);
    const latest2 = JSON.parse(readFileSync(join(runDir, "checkpoints/latest.json"), "utf8")) as { dir: string };
    const state2 = JSON.parse(readFileSync(join(runDir, "checkpoints", latest2.dir, "state.json"), "utf8")) as { update: number; adam_step: number };
    expect(state2.update).toBe(state.update + 3);
    expect(state2.adam_step).toBe(state2.update * 10 * 4);

    const ev = cli(["eval", join(runDir, "policy"), "--episodes", "4", "--json"]);
    expect(ev.code).toBe(0);
    const result = JSON.parse(ev.stdout) as { mean_return: number; std_return: number; mean_length: number; episodes: number };
    expect(result.episodes).toBe(4);
    expect(result.mean_length).toBe(100);
    expect(Number.isFinite(result.mean_return)).toBe(true);
    expect(Number.isFinite(result.std_return)).toBe(true);
  });

  it("rejects a corrupt policy artifact in one line", () => {
    const dir = join(tmp, "badpolicy");
    spawnSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "manifest.json"), '{"format": "locomote.policy", "format_version": 9}');
    const r = cli(["eval", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("manifest.json");
  });
});
