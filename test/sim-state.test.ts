/**
 * The task state API (`readState`, `setState`, `readLinkPoses`, `readEfforts`,
 * `TaskDefinition.state`) for every registered sim: a recorded initial state replays a
 * recorded action sequence bit for bit on a fresh (or reused) instance, link poses agree with
 * the generalized coordinates, names agree with the robot description, efforts are gear ×
 * clamped action. Also `SimPort.instance` and `SimRealtimePort`'s state readers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SimRealtimePort } from "../src/deploy/sim-transport.js";
import { coordinateNames, type RobotDescription, velocityNames } from "../src/robot/description.js";
import { loadRobot } from "../src/robot/load.js";
import { loadTask, taskNames } from "../src/sim/registry.js";
import { SimPort } from "../src/sim/sim-port.js";
import type { TaskDefinition, TaskInstance } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";
import { probeAllocations } from "./policy-fixtures.js";

/** Sims without a robot description. */
const PHYSICS_FREE = new Set(["point_mass"]);
const STEPS = 200;

interface Recording {
  qpos0: Float64Array;
  qvel0: Float64Array;
  /** Observation after reset, then after every step. */
  obs: Float32Array[];
  rewards: number[];
  metrics: Float32Array[];
  terminated: boolean[];
  /** State read after every step. */
  qpos: Float64Array[];
  qvel: Float64Array[];
}

/** Actions 1.5× beyond the action box (so clamping is exercised), seeded. */
function randomActions(task: TaskDefinition, seed: number, steps: number): Float32Array[] {
  const rng = new Rng(seed, 99);
  const { low, high } = task.spec.action;
  return Array.from({ length: steps }, () => {
    const a = new Float32Array(low.length);
    for (let k = 0; k < a.length; k++) {
      const mid = (low[k]! + high[k]!) / 2, half = (high[k]! - low[k]!) / 2;
      a[k] = mid + 1.5 * half * rng.range(-1, 1);
    }
    return a;
  });
}

/** Steps `inst` (already reset or set) through `actions`, recording everything. */
function record(task: TaskDefinition, inst: TaskInstance, obs0: Float32Array, actions: Float32Array[]): Recording {
  const { nq, nv } = task.state;
  const rec: Recording = { qpos0: new Float64Array(nq), qvel0: new Float64Array(nv), obs: [obs0.slice()], rewards: [], metrics: [], terminated: [], qpos: [], qvel: [] };
  inst.readState(rec.qpos0, rec.qvel0);
  const obs = new Float32Array(obs0.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  for (const a of actions) {
    rec.rewards.push(inst.step(a, obs, metrics));
    rec.obs.push(obs.slice());
    rec.metrics.push(metrics.slice());
    rec.terminated.push(inst.terminated);
    const q = new Float64Array(nq), v = new Float64Array(nv);
    inst.readState(q, v);
    rec.qpos.push(q);
    rec.qvel.push(v);
  }
  return rec;
}

/** Index of the first element that is not Object.is-identical, or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectIdentical(got: Recording, want: Recording): void {
  expect(firstDifference(got.qpos0, want.qpos0)).toBe(-1);
  expect(firstDifference(got.qvel0, want.qvel0)).toBe(-1);
  for (let t = 0; t < want.obs.length; t++) {
    const d = firstDifference(got.obs[t]!, want.obs[t]!);
    if (d >= 0) throw new Error(`observation ${t} (after ${t} steps) differs at element ${d}: ${got.obs[t]![d]} vs ${want.obs[t]![d]}`);
  }
  for (let t = 0; t < want.rewards.length; t++) {
    if (!Object.is(got.rewards[t], want.rewards[t])) throw new Error(`reward of step ${t}: ${got.rewards[t]} vs ${want.rewards[t]}`);
    if (firstDifference(got.metrics[t]!, want.metrics[t]!) >= 0) throw new Error(`metrics of step ${t} differ`);
    if (got.terminated[t] !== want.terminated[t]) throw new Error(`terminated after step ${t} differs`);
    if (firstDifference(got.qpos[t]!, want.qpos[t]!) >= 0 || firstDifference(got.qvel[t]!, want.qvel[t]!) >= 0) throw new Error(`state after step ${t} differs`);
  }
}

const tasks = new Map<string, TaskDefinition>();
const robots = new Map<string, RobotDescription>();
beforeAll(async () => {
  for (const name of taskNames()) {
    const task = await loadTask(name);
    tasks.set(name, task);
    if (!PHYSICS_FREE.has(name)) robots.set(name, loadRobot(task.spec.robot));
  }
});

const taskOf = (name: string): TaskDefinition => tasks.get(name)!;

describe("task state API", () => {
  for (const name of taskNames()) {
    describe(name, () => {
      it(`replays ${STEPS} recorded actions from the recorded initial state bit for bit`, () => {
        const task = taskOf(name);
        const od = task.spec.observation.names.length;
        const actions = randomActions(task, 17, STEPS);
        const a = task.createInstance();
        const obs = new Float32Array(od);
        a.reset(new Rng(123, 4), obs);
        const want = record(task, a, obs, actions);

        // A fresh instance, put in the recorded initial state.
        const b = task.createInstance();
        const obsB = new Float32Array(od).fill(Number.NaN);
        b.setState(want.qpos0, want.qvel0, obsB);
        expect(b.terminated).toBe(false);
        const q = new Float64Array(task.state.nq), v = new Float64Array(task.state.nv);
        b.readState(q, v);
        expect(firstDifference(q, want.qpos0)).toBe(-1);
        expect(firstDifference(v, want.qvel0)).toBe(-1);
        expectIdentical(record(task, b, obsB, actions), want);

        // The recording instance itself, after its own history (and possibly terminated).
        const obsA = new Float32Array(od);
        a.setState(want.qpos0, want.qvel0, obsA);
        expect(a.terminated).toBe(false);
        expectIdentical(record(task, a, obsA, actions), want);

        // reset(rng) = draw + setState: the same seed again gives the same initial state.
        a.reset(new Rng(123, 4), obsA);
        a.readState(q, v);
        expect(firstDifference(q, want.qpos0)).toBe(-1);
        expect(firstDifference(v, want.qvel0)).toBe(-1);
        expect(firstDifference(obsA, want.obs[0]!)).toBe(-1);
        a.free();
        b.free();
      });

      it("starts a new instance at qpos0 at rest and rejects short state arrays", () => {
        const task = taskOf(name);
        const inst = task.createInstance();
        const q = new Float64Array(task.state.nq), v = new Float64Array(task.state.nv).fill(Number.NaN);
        inst.readState(q, v);
        const desc = robots.get(name);
        if (desc) expect([...q]).toEqual(desc.qpos0);
        expect([...v]).toEqual(new Array<number>(task.state.nv).fill(0));
        const obs = new Float32Array(task.spec.observation.names.length);
        expect(() => inst.setState(q.subarray(1), v, obs)).toThrow(RangeError);
        inst.free();
      });

      it("names its state consistently with nq/nv, the robot description and the observation", () => {
        const task = taskOf(name);
        const s = task.state;
        expect(s.qposNames).toHaveLength(s.nq);
        expect(s.qvelNames).toHaveLength(s.nv);
        expect(s.links.length).toBeGreaterThan(0);
        expect(new Set(s.links).size).toBe(s.links.length);
        for (const j of s.joints) {
          expect(Number.isInteger(j.qposIndex) && j.qposIndex >= 0 && j.qposIndex < s.nq).toBe(true);
          expect(Number.isInteger(j.qvelIndex) && j.qvelIndex >= 0 && j.qvelIndex < s.nv).toBe(true);
          expect(s.qposNames[j.qposIndex]).toBe(j.name);
          expect(s.qvelNames[j.qvelIndex]).toBe(j.name);
        }
        // Every actuated joint is a reported joint.
        const jointNames = s.joints.map((j) => j.name);
        for (const act of task.spec.actuators) expect(jointNames).toContain(act.joint);
        // Every observed position/velocity is a qpos/qvel element (by name).
        for (const n of task.spec.observation.names) {
          const [joint, kind] = n.split(".") as [string, string];
          expect(kind === "position" ? s.qposNames : s.qvelNames).toContain(joint);
        }
        const desc = robots.get(name);
        if (!desc) return;
        expect(s.qposNames).toEqual(coordinateNames(desc));
        expect(s.qvelNames).toEqual(velocityNames(desc));
        expect(s.joints.map((j) => j.name)).toEqual(desc.dofJoints);
        // Every URDF link except the fixed world frame (the parent of the root joint), in file order.
        const world = desc.joints.find((j) => j.name === desc.root.joint)!.parent;
        expect(s.links).toEqual(desc.links.map((l) => l.name).filter((l) => l !== world));
        expect(s.links).toContain(desc.root.link);
      });

      it("observes what readState reads (after steps)", () => {
        const task = taskOf(name);
        const s = task.state;
        const { names, low, high } = task.spec.observation;
        const index = names.map((n) => {
          const [joint, kind] = n.split(".") as [string, string];
          return kind === "position" ? { q: true, i: s.qposNames.indexOf(joint) } : { q: false, i: s.qvelNames.indexOf(joint) };
        });
        const inst = task.createInstance();
        const obs = new Float32Array(names.length);
        const metrics = new Float32Array(task.spec.metrics.length);
        const qpos = new Float64Array(s.nq), qvel = new Float64Array(s.nv);
        inst.reset(new Rng(5), obs);
        for (const a of randomActions(task, 3, 20)) {
          inst.step(a, obs, metrics);
          inst.readState(qpos, qvel);
          index.forEach(({ q, i }, k) => {
            const raw = q ? qpos[i]! : qvel[i]!;
            const clipped = Math.min(high[k]!, Math.max(low[k]!, raw));
            expect(obs[k]).toBe(Math.fround(clipped));
          });
        }
        inst.free();
      });

      it("gives unit link quaternions and a root link pose that agrees with qpos", () => {
        const task = taskOf(name);
        const s = task.state;
        const desc = robots.get(name);
        const inst = task.createInstance();
        const obs = new Float32Array(task.spec.observation.names.length);
        const metrics = new Float32Array(task.spec.metrics.length);
        const poses = new Float64Array(7 * s.links.length).fill(Number.NaN);
        const qpos = new Float64Array(s.nq), qvel = new Float64Array(s.nv);
        inst.reset(new Rng(8), obs);
        const actions = randomActions(task, 8, 30);
        for (let t = 0; t <= actions.length; t++) {
          if (t > 0) inst.step(actions[t - 1]!, obs, metrics);
          inst.readLinkPoses(poses);
          inst.readState(qpos, qvel);
          for (let l = 0; l < s.links.length; l++) {
            const p = poses.subarray(7 * l, 7 * l + 7);
            expect(p.every(Number.isFinite)).toBe(true);
            expect(Math.abs(Math.hypot(p[3]!, p[4]!, p[5]!, p[6]!) - 1)).toBeLessThan(1e-6);
          }
          // Right after reset readState holds the exact coordinates set, the poses the engine's
          // single-precision placement of them: agreement to float precision either way.
          const tol = 1e-5;
          if (!desc) {
            expect(Math.abs(poses[0]! - qpos[0]!)).toBeLessThan(tol);
            continue;
          }
          const r = 7 * s.links.indexOf(desc.root.link);
          const root = poses.subarray(r, r + 7);
          if (desc.root.floating) {
            // Free joint: qpos = x y z qw qx qy qz of the root link (quaternion normalized by the engine).
            for (let c = 0; c < 3; c++) expect(Math.abs(root[c]! - qpos[c]!)).toBeLessThan(tol);
            const n = Math.hypot(qpos[3]!, qpos[4]!, qpos[5]!, qpos[6]!);
            const sign = Math.sign(root[6]! * qpos[3]! + root[3]! * qpos[4]! + root[4]! * qpos[5]! + root[5]! * qpos[6]!);
            expect(Math.abs(root[6]! - (sign * qpos[3]!) / n)).toBeLessThan(tol);
            for (let c = 0; c < 3; c++) expect(Math.abs(root[3 + c]! - (sign * qpos[4 + c]!) / n)).toBeLessThan(tol);
          } else {
            // Planar: each slide is the root link origin's displacement along its axis (hopper,
            // walker2d: x and z of the torso; swimmer: x and y), the hinge its rotation about the normal.
            const origin = desc.joints.find((j) => j.name === desc.root.joint)!.origin;
            expect(origin.rpy).toEqual([0, 0, 0]);
            desc.root.coordinates.forEach((c, k) => {
              const [a0, a1, a2] = c.axis;
              if (c.type === "slide") {
                const d = (root[0]! - origin.xyz[0]) * a0 + (root[1]! - origin.xyz[1]) * a1 + (root[2]! - origin.xyz[2]) * a2;
                expect(Math.abs(d - qpos[k]!)).toBeLessThan(tol);
              } else {
                const angle = 2 * Math.atan2(root[3]! * a0 + root[4]! * a1 + root[5]! * a2, root[6]!);
                const diff = Math.atan2(Math.sin(angle - qpos[k]!), Math.cos(angle - qpos[k]!));
                expect(Math.abs(diff)).toBeLessThan(tol);
              }
            });
          }
        }
        inst.free();
      });

      it("reports efforts = gear × clamped action after a step, zeros after reset and setState", () => {
        const task = taskOf(name);
        const { low, high } = task.spec.action;
        const nu = low.length;
        const inst = task.createInstance();
        const obs = new Float32Array(task.spec.observation.names.length);
        const metrics = new Float32Array(task.spec.metrics.length);
        const efforts = new Float64Array(nu).fill(Number.NaN);
        inst.reset(new Rng(2), obs);
        inst.readEfforts(efforts);
        expect([...efforts]).toEqual(new Array<number>(nu).fill(0));
        const expected = (a: Float32Array): number[] =>
          task.spec.actuators.map((act, k) => {
            const x = a[k]!;
            const c = x > low[k]! ? (x < high[k]! ? x : high[k]!) : x <= low[k]! ? low[k]! : 0;
            return act.gear * c;
          });
        for (const a of randomActions(task, 21, 10)) {
          inst.step(a, obs, metrics);
          inst.readEfforts(efforts);
          expect([...efforts]).toEqual(expected(a));
        }
        if (!PHYSICS_FREE.has(name)) {
          // A NaN action element is applied as 0 (the physics never sees NaN).
          const a = new Float32Array(nu).fill(0.3);
          a[0] = Number.NaN;
          a[nu - 1] = 7;
          inst.step(a, obs, metrics);
          inst.readEfforts(efforts);
          expect([...efforts]).toEqual(expected(a));
          expect(efforts[0]).toBe(0);
        }
        const q = new Float64Array(task.state.nq), v = new Float64Array(task.state.nv);
        inst.readState(q, v);
        inst.setState(q, v, obs);
        inst.readEfforts(efforts);
        expect([...efforts]).toEqual(new Array<number>(nu).fill(0));
        inst.free();
      });

      it("reads state, link poses and efforts without allocating", async () => {
        const task = taskOf(name);
        const inst = task.createInstance();
        const obs = new Float32Array(task.spec.observation.names.length);
        const metrics = new Float32Array(task.spec.metrics.length);
        inst.reset(new Rng(1), obs);
        inst.step(new Float32Array(task.spec.action.names.length).fill(0.1), obs, metrics);
        const qpos = new Float64Array(task.state.nq), qvel = new Float64Array(task.state.nv);
        const poses = new Float64Array(7 * task.state.links.length);
        const efforts = new Float64Array(task.spec.action.names.length);
        const loop = (n: number): void => {
          for (let i = 0; i < n; i++) {
            inst.readState(qpos, qvel);
            inst.readLinkPoses(poses);
            inst.readEfforts(efforts);
          }
        };
        // Let the optimizing compiler finish first (it runs concurrently; until then V8's
        // baseline code boxes every double it reads, which is not the code under test).
        for (let k = 0; k < 5; k++) {
          loop(50_000);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const { gcs, heapGrowth } = await probeAllocations(loop);
        expect(gcs).toBeLessThanOrEqual(1);
        expect(heapGrowth).toBeLessThan(256 * 1024);
        inst.free();
      });
    });
  }
});

describe("state through the ports", () => {
  it("SimPort.instance(i) is env i's instance (its random stream, its state)", () => {
    const task = taskOf("hopper");
    const port = new SimPort(task, { numEnvs: 3, seed: 5 });
    port.resetAll();
    const q = new Float64Array(task.state.nq), v = new Float64Array(task.state.nv);
    const qRef = new Float64Array(task.state.nq), vRef = new Float64Array(task.state.nv);
    const ref = task.createInstance();
    const obs = new Float32Array(task.spec.observation.names.length);
    for (let i = 0; i < 3; i++) {
      ref.reset(new Rng(5, i), obs);
      ref.readState(qRef, vRef);
      port.instance(i).readState(q, v);
      expect(firstDifference(q, qRef)).toBe(-1);
      expect(firstDifference(v, vRef)).toBe(-1);
    }
    expect(() => port.instance(3)).toThrow(RangeError);
    // setState through the port writes the env's observation row.
    const od = task.spec.observation.names.length;
    port.instance(1).setState(qRef, vRef, port.buffers.obs.subarray(od, 2 * od));
    expect(firstDifference(port.buffers.obs.subarray(od, 2 * od), obs)).toBe(-1);
    ref.free();
    port.close();
  });

  it("SimRealtimePort reads the simulated robot's state, link poses and efforts", () => {
    const task = taskOf("hopper");
    const port = new SimRealtimePort(task, { seed: 3 });
    const q = new Float64Array(task.state.nq), v = new Float64Array(task.state.nv);
    const qRef = new Float64Array(task.state.nq), vRef = new Float64Array(task.state.nv);
    const ref = task.createInstance();
    const obs = new Float32Array(task.spec.observation.names.length);
    ref.reset(new Rng(3, 0), obs);
    ref.readState(qRef, vRef);
    port.readState(q, v);
    expect(firstDifference(q, qRef)).toBe(-1);
    expect(firstDifference(v, vRef)).toBe(-1);

    const efforts = new Float64Array(3);
    port.readEfforts(efforts);
    expect([...efforts]).toEqual([0, 0, 0]);
    port.sense(0);
    port.buffers.action.set([0.5, -2, 0.25]);
    port.step();
    const dtMs = task.spec.dt * 1000;
    port.sense(3 * dtMs);
    expect(port.steps).toBe(3);
    port.readEfforts(efforts);
    expect([...efforts]).toEqual([0.5 * 200, -1 * 200, 0.25 * 200]);

    // The same three steps on a plain instance give the same state and link poses.
    const metrics = new Float32Array(task.spec.metrics.length);
    const a = new Float32Array([0.5, -2, 0.25]);
    for (let t = 0; t < 3; t++) ref.step(a, obs, metrics);
    ref.readState(qRef, vRef);
    port.readState(q, v);
    expect(firstDifference(q, qRef)).toBe(-1);
    expect(firstDifference(v, vRef)).toBe(-1);
    const poses = new Float64Array(7 * task.state.links.length), posesRef = new Float64Array(poses.length);
    port.readLinkPoses(poses);
    ref.readLinkPoses(posesRef);
    expect(firstDifference(poses, posesRef)).toBe(-1);
    ref.free();
    port.close();
  });
});
