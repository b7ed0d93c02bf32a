/**
 * Hopper-v5 task rules: spec, reward terms, health/termination, reset noise, stability.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { assertBoxSpec } from "../src/port/spec.js";
import { loadTask } from "../src/sim/registry.js";
import type { TaskDefinition, TaskInstance } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";
import { HOPPER_V5 } from "../sims/hopper/config.js";
import { createHopperTask } from "../sims/hopper/task.js";

let task: TaskDefinition;
beforeAll(async () => {
  task = await createHopperTask();
});

const buffers = () => ({ obs: new Float32Array(11), metrics: new Float32Array(5), action: new Float32Array(3) });

describe("Hopper-v5 spec", () => {
  it("declares observation, action, actuators, dt, metrics and the time limit", () => {
    const s = task.spec;
    expect(s.robot).toBe("hopper");
    expect(s.observation.names).toEqual([
      "rootz.position", "rooty.position", "thigh_joint.position", "leg_joint.position", "foot_joint.position",
      "rootx.velocity", "rootz.velocity", "rooty.velocity", "thigh_joint.velocity", "leg_joint.velocity", "foot_joint.velocity",
    ]);
    expect(s.observation.low).toEqual([...Array(5).fill(-Infinity), ...Array(6).fill(-10)]);
    expect(s.observation.high).toEqual([...Array(5).fill(Infinity), ...Array(6).fill(10)]);
    expect(s.action).toEqual({ names: ["thigh_joint", "leg_joint", "foot_joint"], low: [-1, -1, -1], high: [1, 1, 1] });
    expect(s.actuators).toEqual(["thigh_joint", "leg_joint", "foot_joint"].map((joint) => ({ joint, interface: "effort", gear: 200 })));
    expect(s.dt).toBeCloseTo(0.008, 12);
    expect(s.metrics).toEqual(["reward_forward", "reward_ctrl", "reward_healthy", "x_position", "x_velocity"]);
    expect(task.maxEpisodeSteps).toBe(1000);
    assertBoxSpec(s.observation, "observation");
    assertBoxSpec(s.action, "action");
  });

  it("is registered as \"hopper\"", async () => {
    const t = await loadTask("hopper");
    expect(t.spec).toEqual(task.spec);
  });
});

describe("Hopper-v5 dynamics and rules", () => {
  it("resets to qpos0 + U(±5e-3) with qvel U(±5e-3), observation = qpos[1:], qvel", () => {
    const inst = task.createInstance();
    const { obs } = buffers();
    for (let seed = 0; seed < 20; seed++) {
      inst.reset(new Rng(seed), obs);
      expect(inst.terminated).toBe(false);
      const qpos0 = [1.25, 0, 0, 0, 0];
      // Thigh and leg start at their upper limit 0: half the time the noise puts them beyond
      // it, and the soft limits push them back after the reset, as in MuJoCo.
      for (let i = 0; i < 5; i++) {
        expect(obs[i]).toBeGreaterThanOrEqual(qpos0[i]! - 5e-3 - 1e-6);
        expect(obs[i]).toBeLessThanOrEqual(qpos0[i]! + 5e-3 + 1e-6);
      }
      for (let i = 5; i < 11; i++) expect(Math.abs(obs[i]!)).toBeLessThanOrEqual(5e-3 + 1e-4);
    }
    inst.free();
  });

  it("pays healthy + forward − ctrl cost, with vx = Δrootx/dt, and reports the terms as metrics", () => {
    const inst = task.createInstance();
    const { obs, metrics, action } = buffers();
    inst.reset(new Rng(1), obs);
    action.set([0.5, -0.25, 1]);
    let x = 0;
    for (let t = 0; t < 5; t++) {
      const r = inst.step(action, obs, metrics);
      const [forward, ctrl, healthy, xPos, vx] = metrics;
      expect(ctrl).toBeCloseTo(-1e-3 * (0.25 + 0.0625 + 1), 7);
      expect(healthy).toBe(1);
      expect(forward).toBeCloseTo(vx!, 6);
      if (t > 0) expect(vx).toBeCloseTo((xPos! - x) / 0.008, 3);
      x = xPos!;
      expect(r).toBeCloseTo(healthy! + forward! + ctrl!, 5);
    }
    inst.free();
  });

  it("clamps actions to [-1, 1] (cost and torque) and treats NaN as 0", () => {
    const a = task.createInstance();
    const b = task.createInstance();
    const A = buffers();
    const B = buffers();
    a.reset(new Rng(3), A.obs);
    b.reset(new Rng(3), B.obs);
    A.action.set([5, -7, 1]);
    B.action.set([1, -1, 1]);
    for (let t = 0; t < 10; t++) {
      const ra = a.step(A.action, A.obs, A.metrics);
      const rb = b.step(B.action, B.obs, B.metrics);
      expect(ra).toBe(rb);
      expect([...A.obs]).toEqual([...B.obs]);
    }
    A.action.set([Number.NaN, 0, 0]);
    a.step(A.action, A.obs, A.metrics);
    expect(A.obs.every(Number.isFinite)).toBe(true);
    a.free();
    b.free();
  });

  it("terminates when unhealthy: zero action falls through pitch after as many steps as MuJoCo", () => {
    const inst = task.createInstance();
    const { obs, metrics, action } = buffers();
    const lengths: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      inst.reset(new Rng(seed), obs);
      let t = 1;
      for (; t <= 1000; t++) {
        inst.step(action, obs, metrics);
        if (inst.terminated) break;
      }
      // The fall ends through the pitch rule (or height), and the last step pays no healthy reward.
      expect(Math.abs(obs[1]!) >= 0.2 || obs[0]! <= 0.7).toBe(true);
      expect(metrics[2]).toBe(0);
      lengths.push(t);
    }
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    // MuJoCo 2.2.2 with the same reset noise (locomote's Rng(seed), test/fixtures/hopper-mujoco.c):
    // 117 182 128 138 128 138 138 139 222 150, mean 148 (500 seeds: mean 150, range 103–291).
    const mujoco = [117, 182, 128, 138, 128, 138, 138, 139, 222, 150];
    const mjMean = mujoco.reduce((a, b) => a + b, 0) / mujoco.length;
    console.log(`zero action: episode lengths ${lengths.join(" ")} (mean ${mean.toFixed(1)}; MuJoCo ${mjMean.toFixed(1)})`);
    expect(Math.abs(mean / mjMean - 1)).toBeLessThan(0.15);
    inst.free();
  });

  it("falls quickly under random actions (MuJoCo: mean 22.5 steps)", () => {
    const inst = task.createInstance();
    const { obs, metrics, action } = buffers();
    const rng = new Rng(11);
    let total = 0;
    const episodes = 100;
    for (let e = 0; e < episodes; e++) {
      inst.reset(rng, obs);
      let t = 1;
      for (; t <= 1000; t++) {
        for (let k = 0; k < 3; k++) action[k] = rng.range(-1, 1);
        inst.step(action, obs, metrics);
        if (inst.terminated) break;
      }
      total += t;
    }
    const mean = total / episodes;
    console.log(`random actions: mean episode length ${mean.toFixed(1)}`);
    expect(mean).toBeGreaterThan(10);
    expect(mean).toBeLessThan(45);
    inst.free();
  });

  it("stays finite over 10k random steps with resets on termination", () => {
    const inst: TaskInstance = task.createInstance();
    const { obs, metrics, action } = buffers();
    const rng = new Rng(5);
    inst.reset(rng, obs);
    let resets = 0;
    for (let t = 0; t < 10_000; t++) {
      for (let k = 0; k < 3; k++) action[k] = rng.range(-1.2, 1.2);
      const r = inst.step(action, obs, metrics);
      if (!Number.isFinite(r) || !obs.every(Number.isFinite) || !metrics.every(Number.isFinite)) {
        throw new Error(`non-finite value at step ${t}: reward ${r}, obs ${[...obs]}, metrics ${[...metrics]}`);
      }
      if (inst.terminated) {
        inst.reset(rng, obs);
        resets++;
      }
    }
    expect(resets).toBeGreaterThan(100);
    inst.free();
  });

  it("uses the documented Hopper-v5 constants", () => {
    expect(HOPPER_V5).toMatchObject({
      dt: 0.008,
      maxEpisodeSteps: 1000,
      forwardRewardWeight: 1,
      ctrlCostWeight: 1e-3,
      healthyReward: 1,
      healthyZRange: [0.7, Infinity],
      healthyAngleRange: [-0.2, 0.2],
      healthyStateRange: [-100, 100],
      resetNoiseScale: 5e-3,
      observationVelocityClip: 10,
    });
  });
});
