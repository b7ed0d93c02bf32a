/**
 * Malformed launch files: each must fail with one LaunchError whose one-line message names the
 * file (and line), the field path, the value found and what was expected.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LaunchError, loadLaunch, parseOverrides } from "../src/launch/index.js";

let root = "";

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "locomote-launch-errors-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `files` (path → text) into a fresh folder and returns the folder. */
async function writeTree(name: string, files: Readonly<Record<string, string>>): Promise<string> {
  const dir = path.join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

async function launchError(file: string, overrides: Record<string, string> = {}, env: Record<string, string> = {}): Promise<LaunchError> {
  try {
    await loadLaunch(file, overrides, { env });
  } catch (error) {
    if (error instanceof LaunchError) return error;
    throw error;
  }
  throw new Error(`${file} loaded without error`);
}

/** A minimal valid launch file around a `train:` body (indented by 6). */
function trainFile(body: string): string {
  return `launch:\n  - train:\n      robot: hopper\n${body}`;
}

interface Case {
  readonly name: string;
  /** Files to write; the first one is loaded. */
  readonly files: Readonly<Record<string, string>>;
  readonly overrides?: Record<string, string>;
  /** Expected message; `D` stands for the case's folder. */
  readonly message: string;
}

const cases: readonly Case[] = [
  {
    name: "YAML syntax error",
    files: { "x.launch.yaml": "launch:\n  - train: {robot: hopper\n  - arg: {name: x}\n" },
    message: "D/x.launch.yaml:3: YAML syntax error at column 3: Flow map in block collection must be sufficiently indented and end with a }",
  },
  {
    name: "duplicate YAML key",
    files: { "x.launch.yaml": "launch:\n  - train:\n      robot: hopper\n      robot: walker\n" },
    message: "D/x.launch.yaml:4: YAML syntax error at column 7: Map keys must be unique",
  },
  {
    name: "root is not a map",
    files: { "x.launch.yaml": "- train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:1: got a list, expected a map with a "launch:" list of actions at the top',
  },
  {
    name: "unknown root key",
    files: { "x.launch.yaml": "lunch:\n  - train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:1: lunch: unknown key (did you mean "launch"?)',
  },
  {
    name: "launch is not a list",
    files: { "x.launch.yaml": "launch:\n  train: {robot: hopper}\n" },
    message: "D/x.launch.yaml:1: launch: got a map, expected a list of actions",
  },
  {
    name: "misspelled action",
    files: { "x.launch.yaml": "launch:\n  - trian: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:2: launch[0]: unknown action "trian" (did you mean "train"?)',
  },
  {
    name: "ROS action locomote does not run",
    files: { "x.launch.yaml": "launch:\n  - node: {pkg: demo_nodes_cpp, exec: talker}\n  - train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:2: launch[0]: unknown action "node" (a ROS 2 action locomote does not run; expected one of: arg, let, include, group, train, deploy)',
  },
  {
    name: "action item with two keys",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n    train: {robot: hopper}\n" },
    message: "D/x.launch.yaml:2: launch[0]: got a map with keys arg, train, expected a map with one action key (arg, let, include, group, train, deploy)",
  },
  {
    name: "unknown key in arg",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, defualt: '1'}\n  - train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:2: launch[0].arg.defualt: unknown key (did you mean "default"?)',
  },
  {
    name: "bad argument name",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: 2fast, default: '1'}\n  - train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:2: launch[0].arg.name: got "2fast", expected a name of letters, digits and _ not starting with a digit',
  },
  {
    name: "no train action",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n" },
    message: 'D/x.launch.yaml: no train action, expected at least one "train:" action in the launch: list',
  },
  {
    name: "train is not a map",
    files: { "x.launch.yaml": "launch:\n  - train: 5\n" },
    message: "D/x.launch.yaml:2: train: got 5, expected a map of training settings",
  },
  {
    name: "unknown nested key with a suggestion",
    files: { "x.launch.yaml": trainFile("      ppo:\n        n_epoch: 5\n") },
    message: 'D/x.launch.yaml:5: train.ppo.n_epoch: unknown key (did you mean "n_epochs"?)',
  },
  {
    name: "unknown top-level key without a close match",
    files: { "x.launch.yaml": trainFile("      horizon: 1000\n") },
    message:
      "D/x.launch.yaml:4: train.horizon: unknown key (expected one of: robot, sim, algo, seed, total_steps, run_dir, num_envs, num_workers, policy, normalize, ppo, trpo, ppo_penalty, eval, checkpoint, log)",
  },
  {
    name: "out of range open interval",
    files: { "x.launch.yaml": trainFile("      ppo:\n        clip_range: -0.2\n") },
    message: "D/x.launch.yaml:5: train.ppo.clip_range: got -0.2, expected a number > 0 and < 1",
  },
  {
    name: "wrong type",
    files: { "x.launch.yaml": trainFile('      seed: "three"\n') },
    message: 'D/x.launch.yaml:4: train.seed: got "three", expected an integer >= 0',
  },
  {
    name: "not an integer",
    files: { "x.launch.yaml": trainFile("      total_steps: 1.5e3\n      num_envs: 2.5\n") },
    message: "D/x.launch.yaml:5: train.num_envs: got 2.5, expected an integer >= 1 and <= 4096",
  },
  {
    name: "integer above its maximum",
    files: { "x.launch.yaml": trainFile("      num_envs: 5000\n") },
    message: "D/x.launch.yaml:4: train.num_envs: got 5000, expected an integer >= 1 and <= 4096",
  },
  {
    name: "number-or-null given text",
    files: { "x.launch.yaml": trainFile("      ppo:\n        target_kl: none\n") },
    message: 'D/x.launch.yaml:5: train.ppo.target_kl: got "none", expected a number > 0 or null',
  },
  {
    name: "gamma above 1",
    files: { "x.launch.yaml": trainFile("      ppo: {gamma: 1.01}\n") },
    message: "D/x.launch.yaml:4: train.ppo.gamma: got 1.01, expected a number > 0 and <= 1",
  },
  {
    name: "enum",
    files: { "x.launch.yaml": trainFile("      policy: {activation: sigmoid}\n") },
    message: 'D/x.launch.yaml:4: train.policy.activation: got "sigmoid", expected one of "tanh", "relu"',
  },
  {
    name: "unknown algorithm",
    files: { "x.launch.yaml": trainFile("      algo: sac\n") },
    message: 'D/x.launch.yaml:4: train.algo: got "sac", expected one of "ppo", "trpo", "ppo_penalty"',
  },
  {
    name: "empty layer list",
    files: { "x.launch.yaml": trainFile("      policy: {hidden: []}\n") },
    message: "D/x.launch.yaml:4: train.policy.hidden: got [], expected a list of 1 to 8 layer sizes, e.g. [64, 64]",
  },
  {
    name: "bad layer size names the list element",
    files: { "x.launch.yaml": trainFile("      policy:\n        hidden:\n          - 64\n          - 0\n") },
    message: "D/x.launch.yaml:7: train.policy.hidden[1]: got 0, expected an integer >= 1 and <= 4096",
  },
  {
    name: "section of the wrong type",
    files: { "x.launch.yaml": trainFile("      normalize: true\n") },
    message: "D/x.launch.yaml:4: train.normalize: got true, expected a map of normalization settings",
  },
  {
    name: "boolean given a number",
    files: { "x.launch.yaml": trainFile("      normalize: {reward: 1}\n") },
    message: "D/x.launch.yaml:4: train.normalize.reward: got 1, expected true or false",
  },
  {
    name: "missing robot",
    files: { "x.launch.yaml": "launch:\n  - train:\n      seed: 2\n" },
    message: "D/x.launch.yaml:2: train.robot: missing, expected a non-empty string (a folder in robots/)",
  },
  {
    name: "minibatches do not divide the batch",
    files: { "x.launch.yaml": trainFile("      num_envs: 3\n      ppo:\n        n_steps: 100\n        num_minibatches: 7\n") },
    message: "D/x.launch.yaml:7: train.ppo.num_minibatches: got 7, expected a divisor of num_envs * ppo.n_steps = 3 * 100 = 300",
  },
  {
    name: "bad overridden value names the substitution",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n  - train:\n      robot: hopper\n      seed: $(var seed)\n" },
    overrides: { seed: "-3" },
    message: "D/x.launch.yaml:5: train.seed: got -3 (from $(var seed)), expected an integer >= 0",
  },
  {
    name: "undeclared command-line argument",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n  - arg: {name: run_dir}\n  - train: {robot: hopper}\n" },
    overrides: { sed: "3", run_dir: "/tmp/r" },
    message: 'D/x.launch.yaml: unknown argument "sed" in "sed:=3" (declared: seed, run_dir)',
  },
  {
    name: "required argument missing",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: run_dir, description: where to write}\n  - train: {robot: hopper, run_dir: $(var run_dir)}\n" },
    message: 'D/x.launch.yaml:2: launch[0].arg: missing required argument "run_dir" (no default; pass run_dir:=<value> on the command line)',
  },
  {
    name: "undefined variable",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n  - train:\n      robot: hopper\n      seed: $(var sed)\n" },
    message: 'D/x.launch.yaml:5: train.seed: undefined variable "sed" in "$(var sed)" (defined here: seed; declare it with arg: or let:)',
  },
  {
    name: "unset environment variable without default",
    files: { "x.launch.yaml": "launch:\n  - train:\n      robot: hopper\n      run_dir: $(env LOCOMOTE_NOT_SET)/run\n" },
    message:
      "D/x.launch.yaml:4: train.run_dir: environment variable LOCOMOTE_NOT_SET is not set in \"$(env LOCOMOTE_NOT_SET)\" (set it, or give a default: $(env LOCOMOTE_NOT_SET default))",
  },
  {
    name: "unknown substitution",
    files: { "x.launch.yaml": "launch:\n  - train:\n      robot: $(find-pkg-share hopper)\n" },
    message: 'D/x.launch.yaml:3: train.robot: got "$(find-pkg-share hopper)", expected one of $(var NAME), $(env NAME), $(env NAME default), $(dirname)',
  },
  {
    name: "unclosed substitution",
    files: { "x.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n  - train:\n      robot: hopper\n      run_dir: runs/$(var seed\n" },
    message: 'D/x.launch.yaml:5: train.run_dir: got "runs/$(var seed", expected a ")" closing the "$(" at character 6',
  },
  {
    name: "include file not found",
    files: { "x.launch.yaml": "launch:\n  - include: {file: include/nope.launch.yaml}\n  - train: {robot: hopper}\n" },
    message:
      'D/x.launch.yaml:2: launch[0].include.file: got "include/nope.launch.yaml", expected an existing launch file (looked for D/include/nope.launch.yaml)',
  },
  {
    name: "include cycle",
    files: {
      "a.launch.yaml": "launch:\n  - include: {file: b.launch.yaml}\n  - train: {robot: hopper}\n",
      "b.launch.yaml": "launch:\n  - include:\n      file: $(dirname)/a.launch.yaml\n",
    },
    message: "D/b.launch.yaml:3: launch[0].include.file: include cycle: D/a.launch.yaml -> D/b.launch.yaml -> D/a.launch.yaml",
  },
  {
    name: "include passes an argument the file does not declare",
    files: {
      "x.launch.yaml": "launch:\n  - include:\n      file: defaults.launch.yaml\n      arg:\n        - {name: sed, value: '3'}\n  - train: {robot: hopper}\n",
      "defaults.launch.yaml": "launch:\n  - arg: {name: seed, default: '1'}\n  - train: {seed: $(var seed)}\n",
    },
    message: 'D/x.launch.yaml:5: launch[0].include.arg[0].name: got "sed", expected an argument declared by D/defaults.launch.yaml (did you mean "seed"? declared: seed)',
  },
  {
    name: "included file misses a required argument",
    files: {
      "x.launch.yaml": "launch:\n  - include: {file: defaults.launch.yaml}\n  - train: {robot: hopper}\n",
      "defaults.launch.yaml": "launch:\n  - arg: {name: steps}\n  - train: {ppo: {n_steps: $(var steps)}}\n",
    },
    message: 'D/defaults.launch.yaml:2: launch[0].arg: missing required argument "steps" (no default; pass it in the arg: list of the include at D/x.launch.yaml:2)',
  },
  {
    name: "bad value from an included file names that file",
    files: {
      "x.launch.yaml": "launch:\n  - include: {file: defaults.launch.yaml}\n  - train: {robot: hopper}\n",
      "defaults.launch.yaml": "launch:\n  - train:\n      ppo:\n        learning_rate: 0\n",
    },
    message: "D/defaults.launch.yaml:4: train.ppo.learning_rate: got 0, expected a number > 0",
  },
  {
    name: "unknown key from an included file names that file",
    files: {
      "x.launch.yaml": "launch:\n  - include: {file: defaults.launch.yaml}\n  - train: {robot: hopper}\n",
      "defaults.launch.yaml": "launch:\n  - train:\n      ppo: {n_epoch: 5}\n",
    },
    message: 'D/defaults.launch.yaml:3: train.ppo.n_epoch: unknown key (did you mean "n_epochs"?)',
  },
  {
    name: "unknown key in a group",
    files: { "x.launch.yaml": "launch:\n  - group:\n      launch: []\n      scope: false\n  - train: {robot: hopper}\n" },
    message: 'D/x.launch.yaml:4: launch[0].group.scope: unknown key (did you mean "scoped"?)',
  },
];

describe("malformed launch files", () => {
  it.each(cases)("$name", async (c) => {
    const dir = await writeTree(c.name.replace(/\W+/g, "_"), c.files);
    const [first] = Object.keys(c.files);
    const error = await launchError(path.join(dir, first ?? ""), c.overrides);
    expect(error.message).toBe(c.message.replaceAll("D/", `${dir}/`));
    expect(error.message).not.toContain("\n");
    expect(error.name).toBe("LaunchError");
  });

  it("reports every problem, one line each, first in file order", async () => {
    const dir = await writeTree("several", {
      "x.launch.yaml": trainFile("      ppo:\n        gamma: 2\n        n_epoch: 3\n      seed: -1\n"),
    });
    const error = await launchError(path.join(dir, "x.launch.yaml"));
    expect(error.problems).toEqual([
      `${dir}/x.launch.yaml:5: train.ppo.gamma: got 2, expected a number > 0 and <= 1`,
      `${dir}/x.launch.yaml:6: train.ppo.n_epoch: unknown key (did you mean "n_epochs"?)`,
      `${dir}/x.launch.yaml:7: train.seed: got -1, expected an integer >= 0`,
    ]);
    expect(error.message).toBe(error.problems[0]);
  });

  it("names a launch file that does not exist", async () => {
    const missing = path.join(root, "missing.launch.yaml");
    const error = await launchError(missing);
    expect(error.message).toBe(`${missing}: launch file not found (looked for ${missing})`);
  });

  it("rejects malformed command-line arguments", () => {
    expect(() => parseOverrides([":=3"])).toThrow(
      'command line: malformed argument ":=3": got no name, expected name:=value with a name of letters, digits and _ not starting with a digit',
    );
    expect(() => parseOverrides(["2x:=1"])).toThrow(LaunchError);
  });
});
