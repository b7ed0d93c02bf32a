/**
 * Walker2d-v5: the robot description (robots/walker2d, from walker2d_v5.xml) and the task rules
 * (the shared planar locomotion task with Walker2d-v5's constants).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { assertBoxSpec } from "../src/port/spec.js";
import { coordinateNames, findJoint, findLink, totalMass } from "../src/robot/description.js";
import { loadRobot } from "../src/robot/load.js";
import { createPlanarLocomotionTask } from "../src/sim/planar-locomotion.js";
import { loadTask } from "../src/sim/registry.js";
import type { TaskDefinition } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";
import { WALKER2D_V5 } from "../sims/walker2d/config.js";
import { createWalker2dTask } from "../sims/walker2d/task.js";

const JOINTS = ["thigh_joint", "leg_joint", "foot_joint", "thigh_left_joint", "leg_left_joint", "foot_left_joint"];

let task: TaskDefinition;
beforeAll(async () => {
  task = await createWalker2dTask();
});

const buffers = () => ({ obs: new Float32Array(17), metrics: new Float32Array(5), action: new Float32Array(6) });

describe("walker2d description", () => {
  const d = loadRobot("walker2d");

  it("has walker2d_v5.xml's masses and inertias (total 23.677 kg)", () => {
    expect(totalMass(d)).toBeCloseTo(23.677, 3);
    const masses: Record<string, number> = { torso: 3.6652, thigh: 4.0579, leg: 2.7814, foot: 3.1667 };
    for (const [name, m] of Object.entries(masses)) {
      expect(findLink(d, name).inertial!.mass).toBeCloseTo(m, 4);
      if (name !== "torso") expect(findLink(d, `${name}_left`).inertial!.mass).toBeCloseTo(m, 4);
    }
    // Foot capsule along x from the ankle to x = 0.2: COM at 0.1, long axis x.
    const foot = findLink(d, "foot_left").inertial!;
    expect(foot.origin.xyz).toEqual([0.1, 0, 0]);
    expect(foot.inertia.ixx).toBeCloseTo(0.0054, 4);
    expect(foot.inertia.iyy).toBeCloseTo(0.024, 4);
  });

  it("has the joints, ranges, damping, armature and motors of walker2d_v5.xml", () => {
    expect(coordinateNames(d)).toEqual(["rootx", "rootz", "rooty", ...JOINTS]);
    for (const name of JOINTS) {
      const j = findJoint(d, name);
      expect(j.axis).toEqual([0, -1, 0]);
      expect(j.damping).toBe(0.1);
      expect(j.armature).toBe(0.01);
      if (name.startsWith("foot")) expect([j.limit!.lower, j.limit!.upper]).toEqual([-0.7853981634, 0.7853981634]);
      else expect([j.limit!.lower, j.limit!.upper]).toEqual([-2.617993878, 0]);
    }
    expect(d.actuators).toEqual(JOINTS.map((joint) => ({ joint, interface: "effort", gear: 100, ctrlRange: [-1, 1] })));
    expect(d.qpos0).toEqual([0, 1.25, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("has capsules, feet friction 1.9, floor 0.7, no self-collision, margin 0, stiffer contacts", () => {
    for (const link of ["torso", "thigh", "leg", "foot", "thigh_left", "leg_left", "foot_left"]) {
      const c = findLink(d, link).collisions;
      expect(c).toHaveLength(1);
      expect(c[0]!.geometry.type).toBe("capsule");
      expect(c[0]!.friction).toBe(link.startsWith("foot") ? 1.9 : 0.9);
    }
    expect(d.contact).toEqual({
      margin: 0,
      selfCollision: "none",
      frictionCombine: "max",
      ground: { height: 0, friction: 0.7 },
      stiffnessHz: 30,
      dampingRatio: 2,
    });
    // The hopper keeps the articulation's default softness.
    expect(loadRobot("hopper").contact.stiffnessHz).toBeUndefined();
  });
});

describe("Walker2d-v5 task", () => {
  it("declares obs 17 = qpos[1:9] + clipped qvel, 6 actions, dt 0.008, and is registered", async () => {
    const s = task.spec;
    expect(s.robot).toBe("walker2d");
    expect(s.observation.names).toEqual([
      ...["rootz", "rooty", ...JOINTS].map((n) => `${n}.position`),
      ...["rootx", "rootz", "rooty", ...JOINTS].map((n) => `${n}.velocity`),
    ]);
    expect(s.observation.low).toEqual([...Array(8).fill(-Infinity), ...Array(9).fill(-10)]);
    expect(s.action).toEqual({ names: JOINTS, low: Array(6).fill(-1), high: Array(6).fill(1) });
    expect(s.dt).toBeCloseTo(0.008, 12);
    expect(s.metrics).toEqual(["reward_forward", "reward_ctrl", "reward_healthy", "x_position", "x_velocity"]);
    expect(task.name).toBe("walker2d");
    expect(task.maxEpisodeSteps).toBe(1000);
    assertBoxSpec(s.observation, "observation");
    expect((await loadTask("walker2d")).spec).toEqual(s);
  });

  it("uses the documented Walker2d-v5 constants (no state-range rule)", () => {
    expect(WALKER2D_V5).toMatchObject({
      dt: 0.008,
      forwardRewardWeight: 1,
      ctrlCostWeight: 1e-3,
      healthyReward: 1,
      healthyZRange: [0.8, 2.0],
      healthyAngleRange: [-1, 1],
      healthyStateRange: null,
      resetNoiseScale: 5e-3,
      observationVelocityClip: 10,
    });
  });

  it("resets to qpos0 + U(±5e-3) and pays healthy + forward − ctrl cost", () => {
    const inst = task.createInstance();
    const { obs, metrics, action } = buffers();
    inst.reset(new Rng(2), obs);
    expect(Math.abs(obs[0]! - 1.25)).toBeLessThanOrEqual(5e-3 + 1e-6);
    for (let i = 8; i < 17; i++) expect(Math.abs(obs[i]!)).toBeLessThanOrEqual(5e-3 + 1e-4);
    action.set([0.5, -0.25, 1, 2, 0, -0.5]);
    let x = 0;
    for (let t = 0; t < 5; t++) {
      const r = inst.step(action, obs, metrics);
      const [forward, ctrl, healthy, xPos, vx] = metrics;
      expect(ctrl).toBeCloseTo(-1e-3 * (0.25 + 0.0625 + 1 + 1 + 0 + 0.25), 7);
      expect(healthy).toBe(1);
      expect(forward).toBeCloseTo(vx!, 6);
      if (t > 0) expect(vx).toBeCloseTo((xPos! - x) / 0.008, 3);
      x = xPos!;
      expect(r).toBeCloseTo(healthy! + forward! + ctrl!, 5);
    }
    inst.free();
  });

  it("terminates above z = 2 (the upper height bound)", async () => {
    const d = loadRobot("walker2d");
    const high = await createWalker2dTask({ robot: { ...d, qpos0: [0, 2.1, 0, 0, 0, 0, 0, 0, 0] } });
    const inst = high.createInstance();
    const { obs, metrics, action } = buffers();
    inst.reset(new Rng(0), obs);
    inst.step(action, obs, metrics);
    expect(obs[0]).toBeGreaterThan(2);
    expect(inst.terminated).toBe(true);
    expect(metrics[2]).toBe(0);
    inst.free();
  });

  it("applies only the health rules it has: a state range terminates where none does not", async () => {
    // Huge reset noise puts joint angles and velocities far beyond ±100 (height/pitch rules off).
    const noisy = { ...WALKER2D_V5, resetNoiseScale: 400, healthyZRange: null, healthyAngleRange: null };
    const run = async (healthyStateRange: readonly [number, number] | null): Promise<boolean> => {
      const t = await createPlanarLocomotionTask({ ...noisy, healthyStateRange });
      const inst = t.createInstance();
      const { obs, metrics, action } = buffers();
      inst.reset(new Rng(4), obs);
      inst.step(action, obs, metrics);
      const done = inst.terminated;
      inst.free();
      return done;
    };
    expect(await run(null)).toBe(false);
    expect(await run([-100, 100])).toBe(true);
  });

  it("ends zero-action episodes by falling (height or pitch), paying no healthy reward on the last step", () => {
    const inst = task.createInstance();
    const { obs, metrics, action } = buffers();
    for (let seed = 0; seed < 3; seed++) {
      inst.reset(new Rng(seed), obs);
      let t = 1;
      for (; t <= 1000 && !inst.terminated; t++) inst.step(action, obs, metrics);
      expect(t).toBeLessThan(1000);
      expect(obs[0]! <= 0.8 || Math.abs(obs[1]!) >= 1).toBe(true);
      expect(metrics[2]).toBe(0);
    }
    inst.free();
  });
});
