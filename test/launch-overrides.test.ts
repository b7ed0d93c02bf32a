/** `name:=value` arguments, required arguments, and the hopper launch file end to end. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeLaunchArgs, formatLaunchArgs, LaunchError, loadLaunch, parseOverrides } from "../src/launch/index.js";

const hopper = fileURLToPath(new URL("../launch/hopper_ppo.launch.yaml", import.meta.url));

describe("parseOverrides", () => {
  it("splits name:=value tokens from the rest, keeping order", () => {
    expect(parseOverrides(["--verbose", "seed:=3", "plot", "run_dir:=/tmp/r", "url:=http://x:=y"])).toEqual({
      overrides: { seed: "3", run_dir: "/tmp/r", url: "http://x:=y" },
      rest: ["--verbose", "plot"],
    });
  });

  it("allows an empty value and lets a repeated name win last", () => {
    expect(parseOverrides(["tag:=", "seed:=1", "seed:=2"]).overrides).toEqual({ tag: "", seed: "2" });
  });

  it("keeps options and everything after -- untouched", () => {
    expect(parseOverrides(["--set=a:=b", "--", "seed:=3"])).toEqual({ overrides: {}, rest: ["--set=a:=b", "--", "seed:=3"] });
  });

  it("rejects a token with := but no valid name", () => {
    expect(() => parseOverrides([":=3"])).toThrow(LaunchError);
    expect(() => parseOverrides(["my-arg:=3"])).toThrow(
      'command line: malformed argument "my-arg:=3": got name "my-arg", expected name:=value with a name of letters, digits and _ not starting with a digit',
    );
  });
});

describe("hopper_ppo.launch.yaml", () => {
  it("loads with its defaults", async () => {
    const result = await loadLaunch(hopper, {});
    expect(result.file).toBe(hopper);
    expect(result.args).toEqual({ algo: "ppo", seed: "1", total_steps: "1000000", run_dir: "runs/hopper_ppo", num_envs: "4" });
    expect(result.config).toMatchObject({
      robot: "hopper",
      sim: "hopper",
      algo: "ppo",
      seed: 1,
      total_steps: 1_000_000,
      run_dir: "runs/hopper_ppo",
      num_envs: 4,
      num_workers: 0,
    });
  });

  it("applies seed:=3 total_steps:=200000 run_dir:=/tmp/r", async () => {
    const { overrides, rest } = parseOverrides(["seed:=3", "total_steps:=200000", "run_dir:=/tmp/r"]);
    expect(rest).toEqual([]);
    const { config, args } = await loadLaunch(hopper, overrides);
    expect(config.seed).toBe(3);
    expect(config.total_steps).toBe(200_000);
    expect(config.run_dir).toBe("/tmp/r");
    expect(config.num_envs).toBe(4);
    expect(args).toMatchObject({ seed: "3", total_steps: "200000", run_dir: "/tmp/r" });
  });

  it("spells out the schema defaults", async () => {
    const { config } = await loadLaunch(hopper, {});
    expect(config.ppo).toEqual({
      n_steps: 512,
      n_epochs: 10,
      num_minibatches: 8,
      learning_rate: 3e-4,
      anneal_lr: true,
      gamma: 0.99,
      gae_lambda: 0.95,
      clip_range: 0.2,
      clip_range_vf: null,
      ent_coef: 0.02,
      vf_coef: 0.5,
      max_grad_norm: 0.5,
      target_kl: null,
      adam_eps: 1e-5,
    });
    expect(config.policy).toEqual({ hidden: [64, 64], activation: "tanh", log_std_init: -0.5, value_hidden: [64, 64], critic_time_feature: false });
    expect(config.normalize).toEqual({ observation: true, reward: true, clip_observation: 10, clip_reward: 10 });
    expect(config.eval).toEqual({ episodes: 10, every_updates: 0 });
    expect(config.checkpoint).toEqual({ every_updates: 20, keep: 3 });
    expect(config.log).toEqual({ plot_every_updates: 5 });
  });

  it("rejects an undeclared argument, listing the declared ones", async () => {
    await expect(loadLaunch(hopper, { sed: "3" })).rejects.toThrow(
      'launch/hopper_ppo.launch.yaml: unknown argument "sed" in "sed:=3" (declared: algo, seed, total_steps, run_dir, num_envs)',
    );
  });

  it("points a bad override at the line that uses it", async () => {
    await expect(loadLaunch(hopper, { num_envs: "0" })).rejects.toThrow(
      /^launch\/hopper_ppo\.launch\.yaml:\d+: train\.num_envs: got 0 \(from \$\(var num_envs\)\), expected an integer >= 1 and <= 4096$/,
    );
  });

  it("describes its arguments for --help", async () => {
    const declared = await describeLaunchArgs(hopper);
    expect(declared.map((a) => [a.name, a.default])).toEqual([
      ["algo", "ppo"],
      ["seed", "1"],
      ["total_steps", "1000000"],
      ["run_dir", "runs/hopper_ppo"],
      ["num_envs", "4"],
    ]);
    for (const arg of declared) expect(arg.description).toBeTruthy();
    const text = formatLaunchArgs(declared);
    expect(text).toContain("Launch arguments (pass as name:=value):");
    expect(text).toMatch(/ {2}seed:= +\[default: 1\] +Seed of every random stream/);
  });
});

describe("arguments without a default", () => {
  let dir = "";
  let file = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "locomote-launch-args-"));
    file = path.join(dir, "req.launch.yaml");
    await writeFile(
      file,
      "launch:\n  - arg: {name: robot, description: robot folder}\n  - arg: {name: seed, default: '0'}\n  - train: {robot: $(var robot), seed: $(var seed)}\n",
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is required on the command line", async () => {
    await expect(loadLaunch(file, {})).rejects.toThrow(
      `${file}:2: launch[0].arg: missing required argument "robot" (no default; pass robot:=<value> on the command line)`,
    );
  });

  it("loads once given, and shows as required in --help", async () => {
    const { config, declared } = await loadLaunch(file, { robot: "hopper" });
    expect(config.robot).toBe("hopper");
    expect(declared).toEqual([
      { name: "robot", description: "robot folder" },
      { name: "seed", default: "0" },
    ]);
    expect(formatLaunchArgs(await describeLaunchArgs(file))).toMatch(/robot:= +\(required\) +robot folder/);
  });
});
