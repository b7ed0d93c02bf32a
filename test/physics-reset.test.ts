/**
 * Reset restores the world snapshot through `restoreWorld` (rapier.ts), which adopts the
 * previous world's physics pipeline instead of building a new one: the restored world must be
 * the one `World.restoreSnapshot` gives, before and after stepping, and every robot's episode
 * must not depend on what ran before it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initPhysics, rapier, restoreWorld } from "../src/physics/rapier.js";
import { loadTask } from "../src/sim/registry.js";
import type { TaskInstance } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";

beforeAll(initPhysics);

/** A box on the ground swinging a capsule on a revolute joint, with contacts and a motor. */
function buildWorld(): ReturnType<typeof rapier>["World"]["prototype"] {
  const R = rapier();
  const world = new R.World({ x: 0, y: 0, z: -9.81 });
  world.timestep = 0.002;
  const ground = world.createRigidBody(R.RigidBodyDesc.fixed());
  world.createCollider(R.ColliderDesc.cuboid(5, 5, 0.1).setTranslation(0, 0, -0.1), ground);
  const base = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(0, 0, 0.3));
  world.createCollider(R.ColliderDesc.cuboid(0.2, 0.2, 0.2), base);
  const arm = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(0.5, 0, 0.3));
  world.createCollider(R.ColliderDesc.capsule(0.2, 0.05).setRotation({ x: 0, y: Math.SQRT1_2, z: 0, w: Math.SQRT1_2 }), arm);
  const joint = R.JointData.revolute({ x: 0.2, y: 0, z: 0 }, { x: -0.3, y: 0, z: 0 }, { x: 0, y: 1, z: 0 });
  const j = world.createImpulseJoint(joint, base, arm, true);
  (j as InstanceType<ReturnType<typeof rapier>["RevoluteImpulseJoint"]>).configureMotorVelocity(3, 0.5);
  return world;
}

const stepN = (world: ReturnType<typeof buildWorld>, n: number): void => {
  for (let k = 0; k < n; k++) world.step();
};

describe("restoreWorld", () => {
  it("gives the world World.restoreSnapshot gives, and the same trajectory", () => {
    const R = rapier();
    const built = buildWorld();
    const snapshot = built.takeSnapshot();
    // A world with history: 300 steps of contacts and motor work in its pipeline.
    stepN(built, 300);
    const viaRestore = R.World.restoreSnapshot(snapshot);
    const viaAdopt = restoreWorld(R, snapshot, built);
    expect(Buffer.from(viaAdopt.takeSnapshot()).equals(Buffer.from(viaRestore.takeSnapshot()))).toBe(true);
    expect(Buffer.from(viaAdopt.takeSnapshot()).equals(Buffer.from(snapshot))).toBe(true);
    stepN(viaRestore, 200);
    stepN(viaAdopt, 200);
    const a = viaRestore.takeSnapshot();
    const b = viaAdopt.takeSnapshot();
    expect(Buffer.from(a).equals(Buffer.from(snapshot))).toBe(false); // it moved
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    // Adopting again from the world that just stepped: still the same trajectory.
    const again = restoreWorld(R, snapshot, viaAdopt);
    stepN(again, 200);
    expect(Buffer.from(again.takeSnapshot()).equals(Buffer.from(a))).toBe(true);
    viaRestore.free();
    again.free();
  });
});

function episode(inst: TaskInstance, obsDim: number, actDim: number, seed: number, steps: number): Float32Array {
  const obs = new Float32Array(obsDim);
  const metrics = new Float32Array(32);
  const action = new Float32Array(actDim);
  const out = new Float32Array((steps + 1) * (obsDim + 1));
  inst.reset(new Rng(seed, 0), obs);
  out.set(obs, 0);
  const actions = new Rng(seed + 1000);
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < actDim; k++) action[k] = actions.range(-1, 1);
    const r = inst.step(action, obs, metrics);
    out.set(obs, (t + 1) * (obsDim + 1));
    out[(t + 1) * (obsDim + 1) + obsDim] = r;
  }
  return out;
}

describe("reset of every robot", () => {
  for (const name of ["hopper", "walker2d", "swimmer", "humanoid"]) {
    it(`${name}: an episode is bit-identical whatever ran before it`, async () => {
      const task = await loadTask(name);
      const obsDim = task.spec.observation.names.length;
      const actDim = task.spec.action.names.length;
      const fresh = task.createInstance();
      const used = task.createInstance();
      const first = episode(fresh, obsDim, actDim, 11, 60);
      // History on the other instance: two episodes with other seeds (resets adopt its pipeline).
      episode(used, obsDim, actDim, 3, 80);
      episode(used, obsDim, actDim, 4, 80);
      const second = episode(used, obsDim, actDim, 11, 60);
      expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer))).toBe(true);
      fresh.free();
      used.free();
    });
  }
});
