/**
 * Reset restores the world snapshot through `restoreWorld` (rapier.ts), which adopts the
 * previous world's physics pipeline instead of building a new one: the restored world must be
 * the one `World.restoreSnapshot` gives, before and after stepping, and every robot's episode
 * must not depend on what ran before it, nor on whether its reset was prepared ahead
 * (`WorldRestorer`, `prepareReset`) wholly, partly or not at all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initPhysics, rapier, restoreWorld, WorldRestorer } from "../src/physics/rapier.js";
import { loadTask } from "../src/sim/registry.js";
import { SimPort } from "../src/sim/sim-port.js";
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

describe("WorldRestorer", () => {
  it("gives the snapshot's world whether the reset was prepared wholly, partly or not at all", () => {
    const R = rapier();
    const built = buildWorld();
    const snapshot = built.takeSnapshot();
    const restorer = new WorldRestorer(R, snapshot);
    let world = restoreWorld(R, snapshot, built);
    const reference = (() => {
      const w = R.World.restoreSnapshot(snapshot);
      stepN(w, 150);
      const out = w.takeSnapshot();
      w.free();
      return out;
    })();
    // Pieces prepared before each reset: none, one (the parts only), all; then again with a retired world to free first.
    for (const pieces of [0, 1, 9, 0, 1, 2, 9]) {
      stepN(world, 37); // history in the world that the reset replaces
      for (let k = 0; k < pieces; k++) restorer.prepare(world);
      world = restorer.restore(world);
      expect(Buffer.from(world.takeSnapshot()).equals(Buffer.from(snapshot))).toBe(true);
      stepN(world, 150);
      expect(Buffer.from(world.takeSnapshot()).equals(Buffer.from(reference))).toBe(true);
    }
    restorer.free();
    world.free();
  });

  it("reports when nothing is left to prepare, and frees what it replaced (wasm memory stays flat)", () => {
    const R = rapier();
    const built = buildWorld();
    const restorer = new WorldRestorer(R, built.takeSnapshot());
    let world = restoreWorld(R, restorer.snapshot, built);
    const cycle = (): number => {
      let pieces = 0;
      while (restorer.prepare(world)) pieces++;
      world = restorer.restore(world);
      world.step();
      return pieces;
    };
    cycle();
    // After a prepared reset: free the replaced world, deserialize, build = 3 pieces, then nothing.
    expect(cycle()).toBe(3);
    expect(restorer.prepare(world)).toBe(true);
    for (let k = 0; k < 2000; k++) cycle();
    // Rapier's wasm memory is counted in the process's external memory (it only grows).
    const memory = (): number => process.memoryUsage().external;
    const before = memory();
    for (let k = 0; k < 3000; k++) cycle();
    // A leaked world is ~7 kB: 3000 of them would grow the wasm memory by ~20 MB.
    expect(memory() - before).toBeLessThan(1 << 20);
    restorer.free();
    world.free();
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

    it(`${name}: resets prepared ahead (SimPort.prepareResets) give the same batch as resets done in place`, async () => {
      const task = await loadTask(name);
      const numEnvs = 3;
      const plain = new SimPort(task, { numEnvs, seed: 5 });
      const prepared = new SimPort(task, { numEnvs, seed: 5 });
      const actions = new Rng(77);
      let pieces = 0;
      for (const port of [plain, prepared]) port.resetAll();
      for (let t = 0; t < 120; t++) {
        for (let j = 0; j < plain.buffers.action.length; j++) plain.buffers.action[j] = actions.range(-1, 1);
        prepared.buffers.action.set(plain.buffers.action);
        // Every 4th step the prepared port gets no idle time; otherwise up to t % 4 pieces or all.
        if (t % 4 !== 0) for (let k = 0; (t % 4 === 3 || k < t % 4) && prepared.prepareResets(); k++) pieces++;
        for (const port of [plain, prepared]) {
          port.step();
          // Reset an env every 10 steps (and the ones that fell), as AutoReset would.
          for (let i = 0; i < numEnvs; i++) if (port.buffers.terminated[i] !== 0 || (t + i) % 10 === 0) port.resetEnv(i);
        }
        expect(Buffer.from(prepared.buffers.obs.buffer).equals(Buffer.from(plain.buffers.obs.buffer))).toBe(true);
        expect(Buffer.from(prepared.buffers.reward.buffer).equals(Buffer.from(plain.buffers.reward.buffer))).toBe(true);
      }
      expect(pieces).toBeGreaterThan(30);
      while (prepared.prepareResets()) pieces++;
      expect(prepared.prepareResets()).toBe(false);
      plain.close();
      prepared.close();
    });
  }
});
