/**
 * Task registry: maps a sim name (a folder in `sims/`) to its definition.
 * Launch files and policy manifests name tasks by these keys.
 */
import type { TaskDefinition } from "./task.js";

type TaskLoader = () => Promise<TaskDefinition>;

const loaders: Record<string, TaskLoader> = {
  hopper: async () => (await import("../../sims/hopper/task.js")).createHopperTask(),
  humanoid: async () => (await import("../../sims/humanoid/task.js")).createHumanoidTask(),
  point_mass: async () => (await import("../../sims/point_mass/task.js")).createPointMassTask(),
  swimmer: async () => (await import("../../sims/swimmer/task.js")).createSwimmerTask(),
  walker2d: async () => (await import("../../sims/walker2d/task.js")).createWalker2dTask(),
};

export function taskNames(): string[] {
  return Object.keys(loaders);
}

/** Loads a task by name; physics is initialized by the loader. */
export async function loadTask(name: string): Promise<TaskDefinition> {
  const loader = loaders[name];
  if (!loader) {
    throw new Error(`unknown sim "${name}" (available: ${taskNames().join(", ")})`);
  }
  return loader();
}
