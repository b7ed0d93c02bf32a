/**
 * The control loop's tick against the real Rapier hopper (sim transport) on a hand-driven clock,
 * so every check is exact: start-up phases and a monotone fade-in, the watchdog tripping on the
 * first tick past k periods of staleness, e-stop / NaN / joint-limit trips answered by the safe
 * command in the same tick, hold-pose, and deactivation (safe command for stop_s, then passive).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { dampingAction, pdAction } from "../src/deploy/actuation.js";
import { Deployment } from "../src/deploy/deployment.js";
import { MemoryLog } from "../src/deploy/log.js";
import type { Phase } from "../src/deploy/recorder.js";
import type { SimRealtimePort } from "../src/deploy/sim-transport.js";
import { loadDeployLaunch, type DeployConfig } from "../src/launch/index.js";

const POLICY = "test/fixtures/deploy-hopper-policy";
const PERIOD = 2; // ms at 500 Hz

let base: DeployConfig;
beforeAll(async () => {
  base = (await loadDeployLaunch("launch/deploy_hopper.launch.yaml", { policy: POLICY, tilt_limit: "10", log_dir: "null" })).config;
});

/** A deployment ticked by hand: `tick()` advances the clock one period and runs one control tick. */
async function rig(edit: (c: DeployConfig) => DeployConfig = (c) => c) {
  let t = 1000;
  const clock = { now: () => t };
  const log = new MemoryLog();
  const config = edit({ ...base, startup: { ...base.startup, zero_s: 0.02, interpolate_s: 0.1, fade_s: 0.2 }, safety: { ...base.safety, observation_limits: {} } });
  const d = await Deployment.configure(config, { where: "test", log, clock });
  const port = d.port as SimRealtimePort;
  const tick = (): void => {
    t += PERIOD;
    d.controller.tick(t, t);
  };
  d.controller.tick(t, t); // anchors the sim clock
  d.controller.activate(t);
  return { d, port, log, tick, now: () => t, obs: port.buffers.obs, action: port.buffers.action };
}

describe("deploy control loop (hand-driven clock, Rapier hopper)", () => {
  it("starts up zero → interpolate → fade (α monotone 0 → 1) → policy", async () => {
    const { d, tick, action } = await rig();
    const phases: Phase[] = [];
    const alphas: number[] = [];
    let zeroCommands = 0;
    for (let k = 0; k < 250; k++) {
      tick();
      if (phases.at(-1) !== d.controller.phase) phases.push(d.controller.phase);
      if (d.controller.phase === "zero" && action.every((a) => a === 0)) zeroCommands++;
      alphas.push(d.controller.alpha);
    }
    expect(phases).toEqual(["zero", "interpolate", "fade", "policy"]);
    expect(zeroCommands).toBeGreaterThan(5);
    for (let k = 1; k < alphas.length; k++) expect(alphas[k]!).toBeGreaterThanOrEqual(alphas[k - 1]!);
    expect(alphas[0]).toBe(0);
    expect(alphas.at(-1)).toBe(1);
    // Strictly rising through the fade (0.2 s = 100 ticks), not a jump.
    expect(new Set(alphas.filter((a) => a > 0 && a < 1)).size).toBeGreaterThan(80);
    d.shutdown();
  });

  it("with ideal timing, the deployed policy hops for 5 s without falling (the loop adds nothing the policy did not train on)", async () => {
    const { d, port, tick, obs } = await rig((c) => ({ ...c, safety: { ...c.safety, observation_limits: { "rooty.position": [-0.8, 0.8], "rootz.position": [0.7, Infinity] } } }));
    let minZ = Infinity;
    for (let k = 0; k < 2500; k++) {
      tick();
      if (d.controller.phase === "policy") minZ = Math.min(minZ, obs[0]!);
    }
    expect(d.safety.tripped).toBe(false);
    expect(port.falls).toBe(0);
    expect(minZ).toBeGreaterThan(0.7);
    const x = port.buffers.metrics["x_position"]![0]!;
    expect(x).toBeGreaterThan(5); // ~3 m/s when trained to 3200 return
    d.shutdown();
  });

  it("runs the policy once per policy period and sends exactly its action after the fade", async () => {
    const { d, tick, obs, action } = await rig();
    for (let k = 0; k < 200; k++) tick();
    expect(d.controller.phase).toBe("policy");
    const expected = new Float32Array(3);
    let checked = 0;
    for (let k = 0; k < 40; k++) {
      const before = d.controller.policySteps;
      tick();
      if (d.controller.policySteps !== before) {
        d.policy.act(obs, 1, expected);
        expected.forEach((v, i) => expect(action[i]).toBeCloseTo(Math.min(1, Math.max(-1, v)), 6));
        checked++;
      }
    }
    expect(checked).toBe(10); // 40 ticks / decimation 4
    d.shutdown();
  });

  it("the watchdog trips on the first tick past k periods without a fresh observation, with the passive command", async () => {
    const { d, port, tick, now, action, log } = await rig();
    for (let k = 0; k < 200; k++) tick();
    port.freezeSensors();
    const frozenAt = port.obsTime[0]!;
    const limit = base.safety.watchdog_periods * PERIOD;
    let previousAge = 0;
    while (!d.safety.tripped) {
      previousAge = now() - frozenAt;
      tick();
      expect(now() - frozenAt).toBeLessThan(limit + 2 * PERIOD);
    }
    const age = now() - frozenAt;
    expect(age).toBeGreaterThan(limit);
    expect(previousAge).toBeLessThanOrEqual(limit); // within one period of going stale
    expect(Array.from(action)).toEqual([0, 0, 0]); // stale state: no torque from unknown velocities
    expect(d.safety.reason).toMatch(/^watchdog: newest observation is \d+\.\d+ ms old \(limit 10 periods = 20\.0 ms\)$/);
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("SAFETY TRIP in phase policy: watchdog"))).toBe(true);
    d.shutdown();
  });

  it("e-stop: damping command (−kd·q̇ through the gear, clamped) in the same tick, latched", async () => {
    const { d, port, tick, obs, action } = await rig();
    for (let k = 0; k < 230; k++) tick();
    port.estop[0] = 1;
    tick();
    expect(d.safety.tripped).toBe(true);
    expect(d.safety.reason).toBe("e-stop asserted");
    d.joints.forEach((j, i) => {
      const want = Math.min(j.high, Math.max(j.low, dampingAction(j, obs[j.obsPosition]!, obs[j.obsVelocity]!)));
      expect(action[i]).toBeCloseTo(want, 6);
    });
    port.estop[0] = 0;
    for (let k = 0; k < 10; k++) tick();
    expect(d.safety.tripped).toBe(true); // latched until re-activation
    d.controller.activate(0);
    expect(d.safety.tripped).toBe(false);
    d.shutdown();
  });

  it("hold_pose: PD to the pose measured at the trip", async () => {
    const { d, port, tick, obs, action } = await rig((c) => ({ ...c, safety: { ...c.safety, safe_command: "hold_pose", observation_limits: {} } }));
    for (let k = 0; k < 230; k++) tick();
    const pose = d.joints.map((j) => obs[j.obsPosition]!);
    port.estop[0] = 1;
    tick();
    tick();
    d.joints.forEach((j, i) => {
      const want = pdAction(j, pose[i]!, obs[j.obsPosition]!, obs[j.obsVelocity]!, j.holdKp, j.dampingKd);
      expect(action[i]).toBeCloseTo(Math.min(j.high, Math.max(j.low, want)), 6);
    });
    d.shutdown();
  });

  it.each([
    ["a NaN observation", 7, NaN, "observation rooty.velocity is NaN"],
    ["a joint beyond its URDF limit", 2, -3.2, "joint limit: thigh_joint at -3.200, URDF limits [-2.617993878, 0] ± margin 0.2"],
  ])("%s trips the safety layer", async (_label, index, value, reason) => {
    const { d, port, tick, action } = await rig();
    for (let k = 0; k < 230; k++) tick();
    port.corruptObservation(index, value);
    tick();
    expect(d.safety.reason).toBe(reason);
    if (Number.isNaN(value)) expect(Array.from(action)).toEqual([0, 0, 0]);
    else expect(action.every((a) => Number.isFinite(a))).toBe(true);
    d.shutdown();
  });

  it("an observation limit from the launch file trips it (a fall)", async () => {
    const { d, port, tick } = await rig((c) => ({ ...c, safety: { ...c.safety, observation_limits: { "rooty.position": [-0.5, 0.5] } } }));
    for (let k = 0; k < 230; k++) tick();
    port.corruptObservation(1, 0.7);
    tick();
    expect(d.safety.reason).toBe("observation limit: rooty.position at 0.700, outside [-0.5, 0.5]");
    d.shutdown();
  });

  it("deactivate: safe command for stop_s, then the passive command, then inactive", async () => {
    const { d, tick, obs, action, log } = await rig();
    for (let k = 0; k < 230; k++) tick();
    let stopped = false;
    void d.controller.deactivate("test").then(() => (stopped = true));
    const stopTicks = (base.safety.stop_s * 1000) / PERIOD;
    for (let k = 0; k < stopTicks - 1; k++) {
      tick();
      expect(d.controller.phase).toBe("stopping");
      d.joints.forEach((j, i) => {
        const want = Math.min(j.high, Math.max(j.low, dampingAction(j, obs[j.obsPosition]!, obs[j.obsVelocity]!)));
        expect(action[i]).toBeCloseTo(want, 6);
      });
    }
    tick();
    tick();
    await Promise.resolve();
    expect(d.controller.phase).toBe("inactive");
    expect(stopped).toBe(true);
    expect(Array.from(action)).toEqual([0, 0, 0]);
    expect(log.lines.map((l) => l.message)).toContain("stopped (stop time elapsed): final command [0, 0, 0] (effort)");
    d.shutdown();
  });
});
