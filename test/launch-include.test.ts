/** include (with args, $(dirname), scoping), deep merge of train actions, let and group. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLaunch } from "../src/launch/index.js";

let dir = "";

async function write(rel: string, lines: readonly string[]): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "locomote-launch-include-"));
  await write("include/ppo_defaults.launch.yaml", [
    "launch:",
    "  - arg: {name: n_steps, default: '2048'}",
    "  - arg: {name: robot}",
    "  - train:",
    "      robot: $(var robot)",
    "      num_envs: 1",
    "      policy: {hidden: [256, 256, 256], activation: relu}",
    "      ppo:",
    "        n_steps: $(var n_steps)",
    "        num_minibatches: 32",
    "        ent_coef: 0.01",
    "        target_kl: 0.03",
  ]);
  await write("walker.launch.yaml", [
    "launch:",
    "  - arg: {name: seed, default: '7'}",
    "  - include:",
    "      file: include/ppo_defaults.launch.yaml",
    "      arg:",
    "        - {name: robot, value: walker}",
    "        - {name: n_steps, value: '1024'}",
    "  - train:",
    "      seed: $(var seed)",
    "      policy: {hidden: [64]}",
    "      ppo:",
    "        ent_coef: 0.0",
    "        target_kl: null",
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("include and deep merge", () => {
  it("merges train actions in order, later wins key by key, lists replaced whole", async () => {
    const result = await loadLaunch(path.join(dir, "walker.launch.yaml"), { seed: "11" });
    const { config } = result;
    expect(config.robot).toBe("walker"); // from the include's arg
    expect(config.sim).toBe("walker"); // defaults to the robot
    expect(config.run_dir).toBe("runs/walker_ppo");
    expect(config.seed).toBe(11);
    expect(config.num_envs).toBe(1); // only in the included file
    expect(config.policy.hidden).toEqual([64]); // list replaced, not merged
    expect(config.policy.activation).toBe("relu"); // sibling kept
    expect(config.ppo.n_steps).toBe(1024);
    expect(config.ppo.num_minibatches).toBe(32);
    expect(config.ppo.ent_coef).toBe(0); // later wins
    expect(config.ppo.target_kl).toBeNull(); // null overrides a number
    expect(config.ppo.gamma).toBe(0.99); // schema default
    expect(result.args).toEqual({ seed: "11" }); // the top file's arguments only
    expect(result.files).toEqual([path.join(dir, "walker.launch.yaml"), path.join(dir, "include/ppo_defaults.launch.yaml")]);
  });

  it("resolves $(dirname) in include paths and passes substituted args", async () => {
    const file = await write("nested/main.launch.yaml", [
      "launch:",
      "  - arg: {name: robot, default: hopper}",
      "  - let: {name: steps, value: '512'}",
      "  - include:",
      "      file: $(dirname)/../include/ppo_defaults.launch.yaml",
      "      arg: [{name: robot, value: $(var robot)}, {name: n_steps, value: $(var steps)}]",
    ]);
    const { config } = await loadLaunch(file, { robot: "ant" });
    expect(config.robot).toBe("ant");
    expect(config.ppo.n_steps).toBe(512);
  });

  it("does not leak the includer's variables into the included file", async () => {
    const file = await write("leak.launch.yaml", [
      "launch:",
      "  - let: {name: secret, value: '5'}",
      "  - include: {file: leak_child.launch.yaml}",
    ]);
    await write("leak_child.launch.yaml", ["launch:", "  - train: {robot: hopper, seed: $(var secret)}"]);
    await expect(loadLaunch(file, {})).rejects.toThrow(
      `${dir}/leak_child.launch.yaml:2: train.seed: undefined variable "secret" in "$(var secret)" (defined here: none; declare it with arg: or let:)`,
    );
  });

  it("includes the same file twice when it is not a cycle", async () => {
    const file = await write("twice.launch.yaml", [
      "launch:",
      "  - include: {file: include/ppo_defaults.launch.yaml, arg: [{name: robot, value: a}]}",
      "  - include: {file: include/ppo_defaults.launch.yaml, arg: [{name: robot, value: b}]}",
    ]);
    const { config, files } = await loadLaunch(file, {});
    expect(config.robot).toBe("b");
    expect(files).toHaveLength(3);
  });
});

describe("let and group", () => {
  it("let defines variables for later actions; a group scopes its lets", async () => {
    const file = await write("group.launch.yaml", [
      "launch:",
      "  - let: {name: envs, value: '4'}",
      "  - group:",
      "      - let: {name: envs, value: '16'}",
      "      - train: {robot: hopper, num_envs: $(var envs)}",
      "  - train: {seed: $(var envs)}",
      "  - group:",
      "      scoped: false",
      "      launch:",
      "        - let: {name: envs, value: '32'}",
      "  - train: {total_steps: $(var envs)}",
    ]);
    const { config } = await loadLaunch(file, {});
    expect(config.num_envs).toBe(16);
    expect(config.seed).toBe(4);
    expect(config.total_steps).toBe(32);
  });

  it("accepts arguments declared inside a group", async () => {
    const file = await write("group_arg.launch.yaml", [
      "launch:",
      "  - group:",
      "      launch:",
      "        - arg: {name: seed, default: '1'}",
      "        - train: {robot: hopper, seed: $(var seed)}",
    ]);
    const result = await loadLaunch(file, { seed: "9" });
    expect(result.config.seed).toBe(9);
    expect(result.declared).toEqual([{ name: "seed", default: "1" }]);
  });
});
