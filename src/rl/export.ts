/**
 * Freezing a trained actor into a policy artifact (`run_dir/policy/`), and the final
 * deterministic evaluation, which loads that artifact from disk exactly as deployment would.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { TrainConfig } from "../launch/train-config.js";
import { savePolicy } from "../policy/artifact.js";
import type { TaskDefinition } from "../sim/task.js";
import { findPackageRoot } from "../util/package-root.js";
import type { ActorCritic } from "./actor-critic.js";
import type { ObservationNormalizer } from "./running-stats.js";

export interface ExportInput {
  task: TaskDefinition;
  config: TrainConfig;
  model: ActorCritic;
  obsNorm: ObservationNormalizer;
  launchFile: string;
  envSteps: number;
  updates: number;
}

/**
 * The manifest fields that describe the policy itself (robot, joints, specs, normalization,
 * action scaling, network), shared by the exported artifact and the trainer's in-memory snapshot.
 */
export function policyDescription(task: TaskDefinition, config: TrainConfig, model: ActorCritic, obsNorm: ObservationNormalizer) {
  const spec = task.spec;
  return {
    robot: spec.robot,
    sim: config.sim,
    joints: spec.actuators.map((a) => a.joint),
    spec,
    observation_normalization: obsNorm.enabled
      ? { mean: Array.from(obsNorm.stats.mean), var: Array.from(obsNorm.stats.var), clip: obsNorm.clip, epsilon: obsNorm.epsilon }
      : null,
    action_scaling: { squash: "tanh" as const, low: [...spec.action.low], high: [...spec.action.high] },
    network: {
      obs_dim: spec.observation.names.length,
      act_dim: spec.action.names.length,
      hidden: [...config.policy.hidden],
      activation: config.policy.activation,
      log_std: Array.from(model.exportLogStd()),
    },
  };
}

export async function exportPolicy(dir: string, input: ExportInput): Promise<void> {
  const { task, config, model, obsNorm } = input;
  await savePolicy(dir, {
    manifest: {
      ...policyDescription(task, config, model, obsNorm),
      provenance: {
        algo: config.algo,
        launch_file: input.launchFile,
        seed: config.seed,
        env_steps: input.envSteps,
        updates: input.updates,
        git_commit: gitCommit(),
        created: new Date().toISOString(),
        locomote_version: packageVersion(),
      },
    },
    layers: model.exportLayers("pi"),
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: findPackageRoot(), stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(`${findPackageRoot()}/package.json`, "utf8")) as { version: string };
  return pkg.version;
}
