/**
 * Every robot's deploy launch file configures against its robot and runs its sim-in-the-loop:
 * a freshly initialized policy of the robot's task (what `train` exports) passes the configure
 * checks, the start-up reaches the policy phase and the commands have the controller's length.
 * (The hopper's trained policy is checked end to end in deploy-sim-loop.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment } from "../src/deploy/deployment.js";
import { MemoryLog } from "../src/deploy/log.js";
import { TrainConfigSchema } from "../src/launch/train-config.js";
import { loadDeployLaunch } from "../src/launch/index.js";
import { initBackend } from "../src/nn/backend.js";
import { ActorCritic } from "../src/rl/actor-critic.js";
import { exportPolicy } from "../src/rl/export.js";
import { ObservationNormalizer } from "../src/rl/running-stats.js";
import { loadTask } from "../src/sim/registry.js";
import { Rng } from "../src/util/rng.js";

const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-robots-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ quiet: true });
});

async function freshPolicy(robot: string): Promise<string> {
  const task = await loadTask(robot);
  const obsDim = task.spec.observation.names.length;
  const actDim = task.spec.action.names.length;
  const model = new ActorCritic({ obsDim, actDim, hidden: [64, 64], valueHidden: [64, 64], activation: "tanh", logStdInit: -0.5 }, new Rng(3));
  const config = TrainConfigSchema.parse({ robot, sim: robot, policy: { hidden: [64, 64], activation: "tanh" } });
  const dir = join(tmp, robot);
  await exportPolicy(dir, { task, config, model, obsNorm: new ObservationNormalizer(obsDim, 10, false), launchFile: "test", envSteps: 0, updates: 0 });
  model.dispose();
  return dir;
}

describe("deploy launch files of the other robots", () => {
  // An untrained walker falls: its tilt trip is lifted so the run reaches the policy phase.
  for (const [robot, controllerJoints, args] of [
    ["walker2d", 6, { tilt_limit: "10" }],
    ["swimmer", 2, {}],
  ] as const) {
    it(`launch/deploy_${robot}.launch.yaml configures and runs its sim robot`, { retry: 1 }, async () => {
      const policy = await freshPolicy(robot);
      const where = `launch/deploy_${robot}.launch.yaml`;
      const { config } = await loadDeployLaunch(where, { policy, duration: "0.6", ...args });
      const log = new MemoryLog();
      const d = await Deployment.configure(config, { where, log });
      const result = await d.run();
      d.shutdown();
      expect(log.lines.some((l) => l.message.startsWith(`configure: policy ${policy}`) && l.message.includes(`fits robot ${robot}`))).toBe(true);
      expect(log.lines.some((l) => l.message === "phase policy")).toBe(true);
      expect(result.policySteps).toBeGreaterThan(0);
      expect(d.joints).toHaveLength(controllerJoints);
      expect(d.recorder).toBeNull();
    });
  }
});
