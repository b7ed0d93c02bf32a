/**
 * ROS 2 message mapping of a floating base (the humanoid's MuJoCo free joint): height from
 * nav_msgs/Odometry, the torso quaternion (ROS x,y,z,w → MuJoCo w,x,y,z, sign kept) and the
 * body-frame rates from sensor_msgs/Imu, the world-frame linear velocity from the odometry twist
 * (child = body frame) rotated by the IMU orientation; and sim-robot's inverse mapping giving
 * back the same observation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { HUMANOID_V5 } from "../sims/humanoid/config.js";
import { createHumanoidTask, humanoidSpec } from "../sims/humanoid/task.js";
import {
  ObservationAssembler, SensorMessageWriter, axisAngle, emptyImu, emptyJointState, emptyOdometry, observationNeeds, planObservation,
  type OdometryIn,
} from "../src/deploy/messages.js";
import { loadRobot } from "../src/robot/load.js";
import type { TaskDefinition } from "../src/sim/task.js";
import { Rng } from "../src/util/rng.js";

const humanoid = loadRobot("humanoid");
const spec = humanoidSpec(humanoid, HUMANOID_V5);
const names = spec.observation.names;
const at = (name: string): number => {
  const i = names.indexOf(name);
  if (i < 0) throw new Error(`no observation element ${name}`);
  return i;
};
const stamp = { sec: 0, nanosec: 0 };
const HINGES = humanoid.dofJoints;

/** Sends the writer's three messages for `obs` through a fresh assembler; returns what it assembles. */
function roundTrip(obs: Float32Array | Float64Array, rootPositions: Record<string, number>, out: Float32Array | Float64Array) {
  const writer = new SensorMessageWriter(spec.observation, humanoid);
  const js = emptyJointState();
  const imu = emptyImu("torso");
  const odom = emptyOdometry("odom", "torso");
  writer.jointState(obs, stamp, js);
  writer.imu(obs, stamp, imu);
  writer.odometry(obs, rootPositions, stamp, odom);
  const a = new ObservationAssembler(spec.observation, humanoid);
  a.onJointState(js, 1);
  a.onImu(imu, 2);
  a.onOdometry(odom, 3);
  expect(a.measuredAt()).toBe(1);
  a.assemble(out);
  return { js, imu, odom };
}

/** Rotation matrix (row-major) of unit quaternion (w, x, y, z): the textbook formula, independent of messages.ts. */
function matrix(w: number, x: number, y: number, z: number): number[][] {
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
}

/** A humanoid observation (float64) with torso rotation `angle` about unit `axis` and nonzero everything else. */
function observation(axis: readonly [number, number, number], angle: number): Float64Array {
  const obs = new Float64Array(names.length);
  const q = axisAngle(axis, angle);
  obs[at("root_z.position")] = 1.23;
  obs[at("root_qw.position")] = q.w;
  obs[at("root_qx.position")] = q.x;
  obs[at("root_qy.position")] = q.y;
  obs[at("root_qz.position")] = q.z;
  [0.7, -1.1, 0.35].forEach((v, k) => (obs[at(`root_${"xyz"[k]}.velocity`)] = v));
  [2.5, -0.4, 1.75].forEach((v, k) => (obs[at(`root_r${"xyz"[k]}.velocity`)] = v));
  HINGES.forEach((j, k) => {
    obs[at(`${j}.position`)] = 0.05 * (k + 1) * (k % 2 === 0 ? 1 : -1);
    obs[at(`${j}.velocity`)] = 0.3 * (k - 8);
  });
  return obs;
}

describe("floating-base observation plan", () => {
  it("maps all 45 humanoid elements: height from odometry, quaternion and body rates from the IMU", () => {
    const plan = planObservation(names, humanoid);
    expect(names.slice(0, 5)).toEqual(["root_z.position", "root_qw.position", "root_qx.position", "root_qy.position", "root_qz.position"]);
    expect(plan.slice(0, 5)).toEqual([
      { kind: "base_position", index: 2 },
      { kind: "base_orientation", index: 0 },
      { kind: "base_orientation", index: 1 },
      { kind: "base_orientation", index: 2 },
      { kind: "base_orientation", index: 3 },
    ]);
    expect(plan.slice(22, 28)).toEqual([
      { kind: "base_linear_velocity", index: 0 },
      { kind: "base_linear_velocity", index: 1 },
      { kind: "base_linear_velocity", index: 2 },
      { kind: "base_angular_velocity", index: 0 },
      { kind: "base_angular_velocity", index: 1 },
      { kind: "base_angular_velocity", index: 2 },
    ]);
    expect(plan.filter((s) => s.kind === "joint_position" || s.kind === "joint_velocity")).toHaveLength(34);
    const needs = observationNeeds(names, plan);
    expect(needs.odometry).toEqual(["root_z.position", "root_x.velocity", "root_y.velocity", "root_z.velocity"]);
    expect(needs.imu).toEqual(["root_qw.position", "root_qx.position", "root_qy.position", "root_qz.position", "root_rx.velocity", "root_ry.velocity", "root_rz.velocity"]);
    // x and y (excluded from Humanoid-v5's observation) would come from the odometry too.
    expect(planObservation(["root_x.position", "root_y.position"], humanoid)).toEqual([{ kind: "base_position", index: 0 }, { kind: "base_position", index: 1 }]);
    expect(() => planObservation(["root_qw.velocity"], humanoid)).toThrow(
      'observation element "root_qw.velocity" has no ROS 2 source: expected <joint>.position|velocity for a joint of robot "humanoid" (abdomen_z,',
    );
    expect(() => planObservation(["root_qw.velocity"], humanoid)).toThrow("or root coordinates root_x.position, root_y.position, root_z.position, root_qw.position");
  });
});

describe("floating base: messages → observation", () => {
  it("hand-computed: a torso yawed +90° moving along its own x moves along world y; rates stay in the body frame", () => {
    const a = new ObservationAssembler(spec.observation, humanoid);
    const s = Math.SQRT1_2;
    // IMU: rotation of +90° about z, ROS order (x, y, z, w); body rates as the IMU reports them.
    a.onImu({ orientation: { x: 0, y: 0, z: s, w: s }, angular_velocity: { x: 0.1, y: -0.2, z: 0.3 } }, 1);
    // Odometry twist in the child (torso) frame: 2 m/s forward, 0.5 m/s up. Its own orientation
    // (identity here, a drifted yaw) is not used: the velocity shares the IMU's world frame.
    const odom: OdometryIn = { pose: { pose: { position: { x: 5, y: -2, z: 1.3 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } }, twist: { twist: { linear: { x: 2, y: 0, z: 0.5 } } } };
    a.onOdometry(odom, 1);
    a.onJointState({ name: [...HINGES], position: HINGES.map((_, k) => k / 100), velocity: HINGES.map((_, k) => -k) }, 1);
    const obs = new Float64Array(names.length);
    a.assemble(obs);
    expect(obs[at("root_z.position")]).toBe(1.3);
    // MuJoCo order w, x, y, z.
    [s, 0, 0, s].forEach((v, k) => expect(obs[at(`root_q${"wxyz"[k]}.position`)]).toBeCloseTo(v, 15));
    // R_z(90°)·(2, 0, 0.5) = (0, 2, 0.5).
    expect(obs[at("root_x.velocity")]).toBeCloseTo(0, 14);
    expect(obs[at("root_y.velocity")]).toBeCloseTo(2, 14);
    expect(obs[at("root_z.velocity")]).toBeCloseTo(0.5, 14);
    expect([obs[at("root_rx.velocity")], obs[at("root_ry.velocity")], obs[at("root_rz.velocity")]]).toEqual([0.1, -0.2, 0.3]);
    expect(obs[at("right_knee.position")]).toBe(0.06);
    expect(obs[at("left_elbow.velocity")]).toBe(-16);
  });

  it("keeps the quaternion's hemisphere as reported (q and −q are the same rotation; no canonicalization)", () => {
    const a = new ObservationAssembler(spec.observation, humanoid);
    a.onImu({ orientation: { x: -0.1, y: 0.2, z: -0.3, w: -0.9 }, angular_velocity: { x: 0, y: 0, z: 0 } }, 0);
    const obs = new Float64Array(names.length);
    a.assemble(obs);
    const n = Math.hypot(0.1, 0.2, 0.3, 0.9);
    expect(obs[at("root_qw.position")]).toBeCloseTo(-0.9 / n, 15);
    expect(obs[at("root_qx.position")]).toBeCloseTo(-0.1 / n, 15);
    expect(obs[at("root_qy.position")]).toBeCloseTo(0.2 / n, 15);
    expect(obs[at("root_qz.position")]).toBeCloseTo(-0.3 / n, 15);
  });
});

describe("floating base: sim observation → sim-robot messages → the same observation", () => {
  it("hand-computed: a torso pitched 0.5 rad moving along world x reports a body-frame twist (cos 0.5, 0, sin 0.5)", () => {
    const obs = observation([0, 1, 0], 0.5);
    obs[at("root_x.velocity")] = 1;
    obs[at("root_y.velocity")] = 0;
    obs[at("root_z.velocity")] = 0;
    const back = new Float64Array(names.length);
    const { odom, imu } = roundTrip(obs, {}, back);
    // R_y(θ)ᵀ·(1, 0, 0) = (cos θ, 0, sin θ): the world x axis seen from a body pitched nose-down by θ.
    expect(odom.twist.twist.linear.x).toBeCloseTo(Math.cos(0.5), 14);
    expect(odom.twist.twist.linear.y).toBeCloseTo(0, 14);
    expect(odom.twist.twist.linear.z).toBeCloseTo(Math.sin(0.5), 14);
    expect(imu.orientation.y).toBeCloseTo(Math.sin(0.25), 15);
    expect(imu.orientation.w).toBeCloseTo(Math.cos(0.25), 15);
    for (let i = 0; i < names.length; i++) expect(Math.abs(back[i]! - obs[i]!), names[i]).toBeLessThan(1e-12);
  });

  for (const [label, angle] of [["w > 0", 2.2], ["w < 0, kept", 4.0]] as const) {
    it(`round trip to 1e-12 with a rotated torso (${label}) and nonzero velocities`, () => {
      const axis: [number, number, number] = [0.3, -0.5, 0.8];
      const n = Math.hypot(...axis);
      const obs = observation([axis[0] / n, axis[1] / n, axis[2] / n], angle);
      const back = new Float64Array(names.length);
      const { js, imu, odom } = roundTrip(obs, { root_x: 3.5, root_y: -1.25 }, back);
      for (let i = 0; i < names.length; i++) expect(Math.abs(back[i]! - obs[i]!), names[i]).toBeLessThan(1e-12);
      expect(Math.sign(back[at("root_qw.position")]!)).toBe(Math.sign(Math.cos(angle / 2)));

      // The messages themselves: JointState by name, IMU = observed quaternion and body rates,
      // odometry = x, y from the sim state, observed z, twist = Rᵀ·(world velocity) in the body frame.
      expect(js.name).toEqual(HINGES);
      expect(imu.angular_velocity).toEqual({ x: 2.5, y: -0.4, z: 1.75 });
      expect(odom.pose.pose.position).toEqual({ x: 3.5, y: -1.25, z: 1.23 });
      expect(odom.pose.pose.orientation).toEqual(imu.orientation);
      expect(odom.twist.twist.angular).toEqual({ x: 2.5, y: -0.4, z: 1.75 });
      const R = matrix(obs[at("root_qw.position")]!, obs[at("root_qx.position")]!, obs[at("root_qy.position")]!, obs[at("root_qz.position")]!);
      const vw = [0.7, -1.1, 0.35];
      const vb = [0, 1, 2].map((c) => R[0]![c]! * vw[0]! + R[1]![c]! * vw[1]! + R[2]![c]! * vw[2]!);
      expect(Math.abs(odom.twist.twist.linear.x - vb[0]!)).toBeLessThan(1e-14);
      expect(Math.abs(odom.twist.twist.linear.y - vb[1]!)).toBeLessThan(1e-14);
      expect(Math.abs(odom.twist.twist.linear.z - vb[2]!)).toBeLessThan(1e-14);
      // A real rotation: body and world velocities differ.
      expect(Math.hypot(vb[0]! - vw[0]!, vb[1]! - vw[1]!, vb[2]! - vw[2]!)).toBeGreaterThan(0.5);
    });
  }

  describe("with the Rapier humanoid's own observation", () => {
    let task: TaskDefinition;
    beforeAll(async () => {
      task = await createHumanoidTask();
    });

    it("maps back to the same float32 observation after random actions tilted and moved the torso", () => {
      const inst = task.createInstance();
      const rng = new Rng(7);
      const obs = new Float32Array(names.length);
      const metrics = new Float32Array(task.spec.metrics.length);
      const action = new Float32Array(task.spec.action.names.length);
      inst.reset(rng, obs);
      for (let t = 0; t < 12; t++) {
        for (let k = 0; k < action.length; k++) action[k] = 0.8 * (rng.uniform() - 0.5);
        inst.step(action, obs, metrics);
      }
      inst.free();
      expect(Math.abs(obs[at("root_qw.position")]!)).toBeLessThan(0.99999);
      expect(Math.hypot(obs[at("root_x.velocity")]!, obs[at("root_y.velocity")]!, obs[at("root_z.velocity")]!)).toBeGreaterThan(0.01);
      const back = new Float32Array(names.length);
      roundTrip(obs, { root_x: 0.1, root_y: 0 }, back);
      // float32 data: only the quaternion's renormalization (|q| = 1 ± 1e-7 in float32) moves anything.
      for (let i = 0; i < names.length; i++) expect(Math.abs(back[i]! - obs[i]!), names[i]).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(obs[i]!)));
    });
  });
});
