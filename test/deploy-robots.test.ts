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
import { DeployError } from "../src/deploy/errors.js";
import { MemoryLog } from "../src/deploy/log.js";
import { TrainConfigSchema } from "../src/launch/train-config.js";
import { loadDeployLaunch, type DeployConfig } from "../src/launch/index.js";
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

const policies = new Map<string, Promise<string>>();

/** A freshly initialized policy of `robot`'s task, exported once per test file. */
function freshPolicy(robot: string): Promise<string> {
  let p = policies.get(robot);
  if (!p) {
    p = exportFreshPolicy(robot);
    policies.set(robot, p);
    p.catch(() => policies.delete(robot));
  }
  return p;
}

async function exportFreshPolicy(robot: string): Promise<string> {
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
  // An untrained walker or humanoid falls: its tilt/height trip is lifted so the run reaches the
  // policy phase even when a loaded machine stretches the start-up.
  for (const [robot, controllerJoints, args] of [
    ["walker2d", 6, { tilt_limit: "10" }],
    ["swimmer", 2, {}],
    // Floating base (free root joint), 17 actuators, loop at 200 Hz = 3 × the policy's 66.67 Hz.
    ["humanoid", 17, { min_height: "0" }],
  ] as const) {
    it(`launch/deploy_${robot}.launch.yaml configures and runs its sim robot`, { retry: 1 }, async () => {
      const policy = await freshPolicy(robot);
      const where = `launch/deploy_${robot}.launch.yaml`;
      const { config } = await loadDeployLaunch(where, { policy, duration: "0.6", log_dir: "null", ...args });
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

describe("deploy_humanoid over ROS 2: configure checks the topics of its floating base", () => {
  const where = "launch/deploy_humanoid.launch.yaml";

  async function refusal(edit: (c: DeployConfig) => DeployConfig): Promise<DeployError> {
    const policy = await freshPolicy("humanoid");
    const { config } = await loadDeployLaunch(where, { policy, transport: "ros2" });
    let factoryCalled = false;
    try {
      const d = await Deployment.configure(edit(config), {
        where,
        log: new MemoryLog(),
        ros2Transport: () => {
          factoryCalled = true;
          return Promise.reject(new Error("ROS 2 transport reached"));
        },
      });
      d.shutdown();
    } catch (err) {
      expect(factoryCalled).toBe(false);
      expect(err).toBeInstanceOf(DeployError);
      expect((err as Error).message).not.toContain("\n");
      return err as DeployError;
    }
    throw new Error("configure accepted it");
  }

  it("refuses a missing odometry topic (height and world velocity), naming the launch file field", async () => {
    const err = await refusal((c) => ({ ...c, ros2: { ...c.ros2, odometry_topic: null } }));
    expect(err.field).toBe("deploy.ros2.odometry_topic");
    expect(err.message).toBe(
      `${where}: deploy.ros2.odometry_topic: got null, expected a nav_msgs/Odometry topic such as "/odom": the policy observes root_z.position, root_x.velocity, root_y.velocity, root_z.velocity`,
    );
  });

  it("with both topics it goes on to the ROS 2 transport", async () => {
    const policy = await freshPolicy("humanoid");
    const { config } = await loadDeployLaunch(where, { policy, transport: "ros2" });
    expect([config.ros2.imu_topic, config.ros2.odometry_topic]).toEqual(["/imu", "/odom"]);
    let reached = false;
    await expect(
      Deployment.configure(config, {
        where,
        log: new MemoryLog(),
        ros2Transport: () => {
          reached = true;
          return Promise.reject(new Error("ROS 2 transport reached"));
        },
      }),
    ).rejects.toThrow("ROS 2 transport reached");
    expect(reached).toBe(true);
  });

  it("refuses a missing IMU topic (orientation and body rates)", async () => {
    const err = await refusal((c) => ({ ...c, ros2: { ...c.ros2, imu_topic: null } }));
    expect(err.message).toBe(
      `${where}: deploy.ros2.imu_topic: got null, expected a sensor_msgs/Imu topic such as "/imu": the policy observes root_qw.position, root_qx.position, root_qy.position, root_qz.position, … (7 elements)`,
    );
  });
});
