/** Substitutions: $(var), $(env), $(dirname), nesting, and re-reading whole substitutions as YAML scalars. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchError, loadLaunch } from "../src/launch/index.js";
import { reparseScalar } from "../src/launch/source.js";
import { isWholeSubstitution, substitute, type SubstitutionContext } from "../src/launch/substitute.js";

const site = { origin: { file: "x.launch.yaml", line: 3 }, path: "train.run_dir" };
const ctx: SubstitutionContext = {
  vars: new Map([
    ["seed", "3"],
    ["which", "seed"],
    ["robot", "hopper"],
  ]),
  dirname: "/launch",
  env: { HOME: "/home/me", EMPTY: "" },
};

describe("substitute", () => {
  it("replaces var, env and dirname inside text", () => {
    expect(substitute("runs/$(var robot)_$(var seed)", ctx, site)).toBe("runs/hopper_3");
    expect(substitute("$(env HOME)/runs", ctx, site)).toBe("/home/me/runs");
    expect(substitute("$(dirname)/include/x.launch.yaml", ctx, site)).toBe("/launch/include/x.launch.yaml");
  });

  it("uses the env default only when the variable is unset", () => {
    expect(substitute("$(env LOCOMOTE_UNSET /tmp/out dir)", ctx, site)).toBe("/tmp/out dir");
    expect(substitute("[$(env EMPTY fallback)]", ctx, site)).toBe("[]");
  });

  it("nests", () => {
    expect(substitute("$(var $(var which))", ctx, site)).toBe("3");
  });

  it("leaves text without substitutions alone", () => {
    expect(substitute("a $ (b) c)", ctx, site)).toBe("a $ (b) c)");
  });

  it("throws a LaunchError naming file, line and field", () => {
    expect(() => substitute("$(var nope)", ctx, site)).toThrow(LaunchError);
    expect(() => substitute("$(var nope)", ctx, site)).toThrow(/^x\.launch\.yaml:3: train\.run_dir: undefined variable "nope"/);
    expect(() => substitute("$(var a b)", ctx, site)).toThrow('got "$(var a b)", expected $(var NAME) with exactly one name');
  });

  it("knows a whole substitution from mixed text", () => {
    expect(isWholeSubstitution("$(var seed)")).toBe(true);
    expect(isWholeSubstitution("$(var $(var which))")).toBe(true);
    expect(isWholeSubstitution("$(var a)$(var b)")).toBe(false);
    expect(isWholeSubstitution("x$(var a)")).toBe(false);
  });
});

describe("reparseScalar", () => {
  it.each([
    ["3", 3],
    ["-0.5", -0.5],
    ["1e-4", 1e-4],
    ["true", true],
    ["false", false],
    ["null", null],
    ["~", null],
    ["hopper", "hopper"],
    ["'3'", "3"],
    ["", ""],
    ["[64, 64]", "[64, 64]"],
    ["a: b", "a: b"],
    ["#not a comment", "#not a comment"],
    ["x # y", "x # y"],
  ] as const)("%j → %j", (text, value) => {
    expect(reparseScalar(text)).toBe(value);
  });
});

describe("substitutions in a launch file", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "locomote-launch-subst-"));
    await writeFile(
      path.join(dir, "s.launch.yaml"),
      [
        "launch:",
        "  - arg: {name: seed, default: '1'}",
        "  - arg: {name: lr, default: 3e-4}",
        "  - arg: {name: anneal, default: 'true'}",
        "  - arg: {name: kl, default: 'null'}",
        "  - arg: {name: robot, default: hopper}",
        "  - let: {name: tag, value: $(var robot)-s$(var seed)}",
        "  - train:",
        "      robot: $(var robot)",
        "      seed: $(var seed)",
        "      run_dir: $(env LOCOMOTE_RUNS runs)/$(var tag)",
        "      ppo:",
        "        learning_rate: $(var lr)",
        "        anneal_lr: $(var anneal)",
        "        target_kl: $(var kl)",
        "      log: {plot_every_updates: $(var seed)}",
        "      sim: \"$(var robot)\"",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives numbers, booleans and null for whole substitutions and strings for mixed text", async () => {
    const { config } = await loadLaunch(path.join(dir, "s.launch.yaml"), { seed: "3", kl: "0.02" }, { env: {} });
    expect(config.seed).toBe(3);
    expect(config.robot).toBe("hopper");
    expect(config.sim).toBe("hopper");
    expect(config.run_dir).toBe("runs/hopper-s3");
    expect(config.ppo.learning_rate).toBe(3e-4);
    expect(config.ppo.anneal_lr).toBe(true);
    expect(config.ppo.target_kl).toBe(0.02);
    expect(config.log.plot_every_updates).toBe(3);
  });

  it("reads null and booleans from overrides and $(env) from the given environment", async () => {
    const { config, args } = await loadLaunch(
      path.join(dir, "s.launch.yaml"),
      { anneal: "false", kl: "null", lr: "1e-3" },
      { env: { LOCOMOTE_RUNS: "/data/runs" } },
    );
    expect(config.ppo.anneal_lr).toBe(false);
    expect(config.ppo.target_kl).toBeNull();
    expect(config.ppo.learning_rate).toBe(1e-3);
    expect(config.run_dir).toBe("/data/runs/hopper-s1");
    expect(args).toEqual({ seed: "1", lr: "1e-3", anneal: "false", kl: "null", robot: "hopper" });
  });

  it("keeps a quoted whole substitution a string; a plain one is re-read as YAML", async () => {
    const file = path.join(dir, "q.launch.yaml");
    await writeFile(
      file,
      "launch:\n  - arg: {name: n, default: '42'}\n  - train:\n      robot: hopper\n      run_dir: \"$(var n)\"\n      seed: $(var n)\n",
    );
    const { config } = await loadLaunch(file, {});
    expect(config.run_dir).toBe("42");
    expect(config.seed).toBe(42);
    await writeFile(file, "launch:\n  - arg: {name: n, default: '42'}\n  - train:\n      robot: hopper\n      sim: $(var n)\n");
    await expect(loadLaunch(file, {})).rejects.toThrow(
      `${file}:5: train.sim: got 42 (from $(var n)), expected a non-empty string (a folder in sims/)`,
    );
  });
});
