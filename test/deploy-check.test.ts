/**
 * configure refuses what does not fit, in one line naming what and where: a policy for another
 * robot or with another observation, a loop rate that is not a multiple of the policy rate,
 * launch-file names that are not the robot's (gains, default pose, observation limits).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment } from "../src/deploy/deployment.js";
import { DeployError } from "../src/deploy/errors.js";
import { MemoryLog } from "../src/deploy/log.js";
import { loadDeployLaunch, type DeployConfig } from "../src/launch/index.js";

const POLICY = "test/fixtures/deploy-hopper-policy";
const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-check-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let base: DeployConfig;
beforeAll(async () => {
  base = (await loadDeployLaunch("launch/deploy_hopper.launch.yaml", { policy: POLICY, log_dir: "null" })).config;
});

/** A copy of the fixture policy with its manifest edited. */
function editedPolicy(name: string, edit: (m: Record<string, unknown> & { spec: Record<string, unknown> }) => void): string {
  const dir = join(tmp, name);
  cpSync(POLICY, dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Record<string, unknown> & { spec: Record<string, unknown> };
  edit(m);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m));
  return dir;
}

async function refusal(config: DeployConfig): Promise<string> {
  try {
    const d = await Deployment.configure(config, { where: "launch/deploy_hopper.launch.yaml", log: new MemoryLog() });
    d.shutdown();
  } catch (err) {
    expect(err).toBeInstanceOf(DeployError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("configure accepted it");
}

describe("deploy configure checks", () => {
  it("accepts the fixture policy on the hopper and logs what it checked", async () => {
    const log = new MemoryLog();
    const d = await Deployment.configure(base, { where: "x", log });
    expect(log.lines[0]!.message).toMatch(/^configure: policy test\/fixtures\/deploy-hopper-policy \(ppo, 11 obs → \[64, 64\] → 3 actions, dt 0\.008 s\) fits robot hopper/);
    expect(d.joints.map((j) => [j.joint, j.low, j.high])).toEqual([["thigh_joint", -1, 1], ["leg_joint", -1, 1], ["foot_joint", -1, 1]]);
    d.shutdown();
  });

  it("a policy trained for another robot", async () => {
    const policy = editedPolicy("walker", (m) => {
      m["robot"] = "walker";
      m.spec["robot"] = "walker";
    });
    expect(await refusal({ ...base, policy })).toBe(`${policy}: robot: policy was trained for robot "walker", the launch file deploys "hopper"`);
  });

  it("a policy whose observation differs from the sim's", async () => {
    const policy = editedPolicy("obs", (m) => {
      const obs = m.spec["observation"] as { names: string[] };
      obs.names[1] = "pitch.position";
    });
    expect(await refusal({ ...base, policy })).toBe(`${policy}: does not fit sim "hopper": observation.names[1]: policy has "pitch.position", port has "rooty.position"`);
  });

  it("a policy with another gear", async () => {
    const policy = editedPolicy("gear", (m) => {
      (m.spec["actuators"] as { gear: number }[])[2]!.gear = 100;
    });
    expect(await refusal({ ...base, policy })).toBe(`${policy}: spec.actuators[2].gear: policy has 100, robot hopper has 200 for foot_joint`);
  });

  it("names in the launch file that are not the robot's", async () => {
    expect(await refusal({ ...base, startup: { ...base.startup, kp: { knee: 3 } } })).toBe(
      'launch/deploy_hopper.launch.yaml: deploy.startup.kp.knee: got joint "knee", expected a joint of robot "hopper" (thigh_joint, leg_joint, foot_joint)',
    );
    expect(await refusal({ ...base, startup: { ...base.startup, default_pose: { thigh_joint: 0.5 } } })).toBe(
      "launch/deploy_hopper.launch.yaml: deploy.startup.default_pose.thigh_joint: got 0.5, expected a position within the URDF limits [-2.617993878, 0]",
    );
    expect(await refusal({ ...base, safety: { ...base.safety, observation_limits: { "pitch.position": [-1, 1] } } })).toMatch(
      /^launch\/deploy_hopper\.launch\.yaml: deploy\.safety\.observation_limits\.pitch\.position: no observation element "pitch\.position" \(the policy observes rootz\.position, rooty\.position, /,
    );
  });
});
