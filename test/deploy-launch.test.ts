/**
 * Deploy launch files: the shipped one loads with its arguments, and malformed `deploy:` actions
 * are one-line errors naming the file, the line, the field and what was expected.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LaunchError, loadDeployLaunch, loadLaunch } from "../src/launch/index.js";

const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-launch-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

async function launchError(path: string, overrides: Record<string, string> = {}): Promise<LaunchError> {
  try {
    await loadDeployLaunch(path, overrides);
  } catch (err) {
    if (err instanceof LaunchError) return err;
    throw err;
  }
  throw new Error(`expected ${path} to fail`);
}

describe("deploy launch files", () => {
  it("loads launch/deploy_hopper.launch.yaml with overrides", async () => {
    const r = await loadDeployLaunch("launch/deploy_hopper.launch.yaml", { policy: "/tmp/p", duration: "3", tilt_limit: "0.5", record: "/tmp/t.csv" });
    const c = r.config;
    expect(c.robot).toBe("hopper");
    expect(c.sim).toBe("hopper");
    expect(c.policy).toBe("/tmp/p");
    expect(c.transport).toBe("sim");
    expect(c.rate_hz).toBe(500);
    expect(c.duration_s).toBe(3);
    expect(c.record).toBe("/tmp/t.csv");
    expect(c.safety.observation_limits["rooty.position"]).toEqual([-0.5, 0.5]);
    expect(c.safety.observation_limits["rootz.position"]).toEqual([0.5, Infinity]);
    expect(c.ros2.controller_joints).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    const defaults = await loadDeployLaunch("launch/deploy_hopper.launch.yaml", {});
    expect(defaults.config.duration_s).toBeNull();
    expect(defaults.config.record).toBeNull();
  });

  it("fills defaults from robot and policy alone", async () => {
    const path = file("min.launch.yaml", "launch:\n  - deploy: {robot: hopper, policy: p}\n");
    const c = (await loadDeployLaunch(path, {})).config;
    expect(c.transport).toBe("sim");
    expect(c.safety.safe_command).toBe("damping");
    expect(c.ros2.controller).toBe("forward_command_controller");
    expect(c.ros2.odometry_topic).toBeNull();
  });

  it.each([
    ["unknown key with a suggestion", "launch:\n  - deploy:\n      robot: hopper\n      policy: p\n      safety: {watchdog_period: 3}\n", ":5: deploy.safety.watchdog_period: unknown key", 'did you mean "watchdog_periods"'],
    ["wrong enum", "launch:\n  - deploy:\n      robot: hopper\n      policy: p\n      transport: dds\n", ':5: deploy.transport: got "dds", expected one of "sim", "ros2"', ""],
    ["non-positive rate", "launch:\n  - deploy:\n      robot: hopper\n      policy: p\n      rate_hz: 0\n", ":5: deploy.rate_hz: got 0, expected a number > 0 and <= 5000", ""],
    ["missing policy", "launch:\n  - deploy:\n      robot: hopper\n", ":2: deploy.policy: missing, expected a non-empty string (a policy folder)", ""],
    ["bad interval", "launch:\n  - deploy:\n      robot: hopper\n      policy: p\n      safety:\n        observation_limits: {rooty.position: [1, -1]}\n", ":6: deploy.safety.observation_limits.rooty.position", "expected [low, high] with low <= high"],
    ["bad topic", "launch:\n  - deploy:\n      robot: hopper\n      policy: p\n      ros2: {joint_states_topic: 'joint states'}\n", ":5: deploy.ros2.joint_states_topic", "expected a ROS 2 topic name"],
    ["not a map", "launch:\n  - deploy: hopper\n", ':2: deploy: got "hopper", expected a map of deploy settings', ""],
  ])("%s → one line naming file:line, field and expectation", async (_label, text, must, also) => {
    const path = file("bad.launch.yaml", text);
    const err = await launchError(path);
    expect(err.message).not.toContain("\n");
    expect(err.message).toContain("bad.launch.yaml");
    expect(err.message).toContain(must);
    if (also) expect(err.message).toContain(also);
  });

  it("a substituted value names the argument it came from", async () => {
    const err = await launchError("launch/deploy_hopper.launch.yaml", { safe_command: "freeze" });
    expect(err.message).toMatch(/deploy_hopper\.launch\.yaml:\d+: deploy\.safety\.safe_command: got "freeze" \(from \$\(var safe_command\)\), expected one of "damping", "hold_pose"/);
  });

  it("a file without deploy action says so, and train still requires train", async () => {
    const trainOnly = file("train.launch.yaml", "launch:\n  - train: {robot: hopper}\n");
    expect((await launchError(trainOnly)).message).toContain('no deploy action, expected at least one "deploy:" action');
    await expect(loadLaunch("launch/deploy_hopper.launch.yaml", {})).rejects.toThrow('no train action');
  });
});
