/**
 * ROS 2 message mapping (pure TypeScript): JointState matched by name (other order, extra joint,
 * missing joint), IMU/odometry frames, command arrays in the controller's joint order, and the
 * sim-robot direction inverting the deploy direction.
 */
import { describe, expect, it } from "vitest";
import { hopperSpec } from "../sims/hopper/task.js";
import {
  CommandMap, JointStateReader, MessageMappingError, ObservationAssembler, SensorMessageWriter, axisAngle,
  emptyImu, emptyJointState, emptyOdometry, planObservation, twistAngle, type OdometryIn,
} from "../src/deploy/messages.js";
import type { ActuatorSpec } from "../src/port/spec.js";
import { loadRobot } from "../src/robot/load.js";

const hopper = loadRobot("hopper");
const spec = hopperSpec(hopper);
const stamp = { sec: 0, nanosec: 0 };

function jointState(names: string[], position: number[], velocity: number[] = position.map(() => 0)) {
  return { name: names, position: Float64Array.from(position), velocity: Float64Array.from(velocity) };
}

describe("JointState → joints, by name", () => {
  const reader = new JointStateReader(["thigh_joint", "leg_joint", "foot_joint"], true);

  it("reorders joints sent in another order", () => {
    reader.read(jointState(["foot_joint", "thigh_joint", "leg_joint"], [3, 1, 2], [30, 10, 20]));
    expect(Array.from(reader.position)).toEqual([1, 2, 3]);
    expect(Array.from(reader.velocity)).toEqual([10, 20, 30]);
  });

  it("ignores extra joints", () => {
    reader.read(jointState(["gripper", "leg_joint", "thigh_joint", "camera_pan", "foot_joint"], [9, 2, 1, 8, 3]));
    expect(Array.from(reader.position)).toEqual([1, 2, 3]);
  });

  it("follows a change of order between messages", () => {
    reader.read(jointState(["thigh_joint", "leg_joint", "foot_joint"], [1, 2, 3]));
    reader.read(jointState(["leg_joint", "foot_joint", "thigh_joint"], [5, 6, 4]));
    expect(Array.from(reader.position)).toEqual([4, 5, 6]);
  });

  it("a missing joint is a clear error naming it and what the message had", () => {
    const read = (): void => reader.read(jointState(["thigh_joint", "leg_joint"], [1, 2]));
    expect(read).toThrow(MessageMappingError);
    expect(read).toThrow('joint_states: no joint "foot_joint": the message names [thigh_joint, leg_joint], the policy needs [thigh_joint, leg_joint, foot_joint]');
  });

  it("position/velocity arrays must have one value per name", () => {
    expect(() => reader.read({ name: ["thigh_joint", "leg_joint", "foot_joint"], position: [1, 2], velocity: [0, 0, 0] })).toThrow(
      "joint_states: position has 2 values for 3 names",
    );
    expect(() => reader.read({ name: ["thigh_joint", "leg_joint", "foot_joint"], position: [1, 2, 3], velocity: [] })).toThrow(
      "joint_states: velocity has 0 values for 3 names, expected one per name (the observation needs joint velocities)",
    );
  });
});

describe("observation plan and assembly", () => {
  it("maps every hopper observation element to a message field", () => {
    const plan = planObservation(spec.observation.names, hopper);
    expect(plan.map((s) => s.kind)).toEqual([
      "root_position", "root_angle", "joint_position", "joint_position", "joint_position",
      "root_velocity", "root_velocity", "root_angular_velocity", "joint_velocity", "joint_velocity", "joint_velocity",
    ]);
    expect(() => planObservation(["thigh_joint.position", "knee.position"], hopper)).toThrow(
      'observation element "knee.position" has no ROS 2 source: expected <joint>.position|velocity for a joint of robot "hopper" (thigh_joint, leg_joint, foot_joint)',
    );
  });

  it("twist angle about an axis recovers the hinge angle", () => {
    for (const a of [-2.5, -0.3, 0, 0.7, 3]) expect(twistAngle(Object.values(axisAngle([0, 1, 0], a)), [0, 1, 0])).toBeCloseTo(a, 12);
    // A swing about another axis does not leak into the twist.
    const q = axisAngle([1, 0, 0], 0.4);
    expect(twistAngle([q.x, q.y, q.z, q.w], [0, 1, 0])).toBeCloseTo(0, 12);
  });

  it("rotates the odometry twist from the child frame to the odom frame", () => {
    const a = new ObservationAssembler(spec.observation, hopper);
    const pitch = 0.5;
    const q = axisAngle([0, 1, 0], pitch);
    // A body moving along its own x axis while pitched by 0.5 rad about +y moves along (cos, 0, −sin) in the world.
    const odom: OdometryIn = { pose: { pose: { position: { x: 7, y: 0, z: 1.2 }, orientation: q } }, twist: { twist: { linear: { x: 2, y: 0, z: 0 } } } };
    a.onOdometry(odom, 1);
    a.onImu({ orientation: q, angular_velocity: { x: 0, y: 0.3, z: 0 } }, 2);
    a.onJointState(jointState(["thigh_joint", "leg_joint", "foot_joint"], [-0.1, -0.2, 0.3], [1, 2, 3]), 3);
    expect(a.measuredAt()).toBe(1);
    const obs = new Float32Array(11);
    a.assemble(obs);
    const expected = [1.2, pitch, -0.1, -0.2, 0.3, 2 * Math.cos(pitch), -2 * Math.sin(pitch), 0.3, 1, 2, 3];
    expected.forEach((v, i) => expect(obs[i]).toBeCloseTo(v, 5));
  });

  it("clips to the observation box like the sim, and reports −Infinity until every source has arrived", () => {
    const a = new ObservationAssembler(spec.observation, hopper);
    expect(a.measuredAt()).toBe(-Infinity);
    a.onJointState(jointState(["thigh_joint", "leg_joint", "foot_joint"], [0, 0, 0], [50, -50, 0]), 5);
    expect(a.measuredAt()).toBe(-Infinity);
    a.onImu({ orientation: { x: 0, y: 0, z: 0, w: 1 }, angular_velocity: { x: 0, y: 0, z: 0 } }, 6);
    a.onOdometry({ pose: { pose: { position: { x: 0, y: 0, z: 1 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } }, twist: { twist: { linear: { x: 0, y: 0, z: 0 } } } }, 7);
    const obs = new Float32Array(11);
    a.assemble(obs);
    expect([obs[8], obs[9]]).toEqual([10, -10]);
    expect(a.measuredAt()).toBe(5);
  });

  it("sim-robot messages map back to the same observation", () => {
    const writer = new SensorMessageWriter(spec.observation, hopper);
    const obs = Float32Array.from([1.21, -0.15, -0.4, -0.9, 0.2, 1.5, -0.7, 2.5, -3, 4, -5]);
    const js = emptyJointState();
    const imu = emptyImu("torso");
    const odom = emptyOdometry("odom", "torso");
    writer.jointState(obs, stamp, js);
    writer.imu(obs, stamp, imu);
    writer.odometry(obs, { rootx: 12.5 }, stamp, odom);
    expect(js.name).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    expect(odom.pose.pose.position.x).toBeCloseTo(12.5, 12);
    const a = new ObservationAssembler(spec.observation, hopper);
    a.onJointState(js, 0);
    a.onImu(imu, 0);
    a.onOdometry(odom, 0);
    const back = new Float32Array(11);
    a.assemble(back);
    obs.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 5));
  });
});

describe("commands in the controller's joint order", () => {
  const actuators: ActuatorSpec[] = spec.actuators.map((a) => ({ ...a }));

  it("scales by gear and orders by the controller's joints", () => {
    const map = new CommandMap(actuators, ["foot_joint", "thigh_joint", "leg_joint"], "effort_controller");
    const out = new Float64Array(map.length);
    map.toCommand(Float32Array.from([0.5, -0.25, 1]), out);
    expect(map.length).toBe(3);
    expect(Array.from(out)).toEqual([200, 100, -50]);
    const msg = CommandMap.message(out);
    expect(msg.data).toBe(out);
    expect(msg.layout).toEqual({ dim: [], data_offset: 0 });
  });

  it("the inverse (a robot receiving commands) checks the length", () => {
    const map = new CommandMap(actuators, ["leg_joint", "foot_joint", "thigh_joint"], "effort_controller");
    const action = new Float32Array(3);
    map.toAction([20, 40, 60], action);
    expect(Array.from(action)).toEqual([0.3, 0.1, 0.2].map((v) => Math.fround(v)));
    expect(() => map.toAction([1, 2], action)).toThrow("/effort_controller/commands: got 2 values, expected 3 (one per joint: leg_joint, foot_joint, thigh_joint)");
  });

  it("refuses a controller whose joints are not exactly the actuated ones", () => {
    expect(() => new CommandMap(actuators, ["thigh_joint", "leg_joint"], "c")).toThrow('controller "c": joints [thigh_joint, leg_joint] lack the actuated joint "foot_joint"');
    expect(() => new CommandMap(actuators, ["thigh_joint", "leg_joint", "foot_joint", "wrist"], "c")).toThrow('controller "c": joint "wrist" has no actuator in the policy');
    expect(() => new CommandMap(actuators, ["thigh_joint", "thigh_joint", "foot_joint"], "c")).toThrow('joint "thigh_joint" is listed twice');
    const mixed = actuators.map((a, i) => ({ ...a, interface: i === 1 ? ("position" as const) : a.interface }));
    expect(() => new CommandMap(mixed, ["thigh_joint", "leg_joint", "foot_joint"], "c")).toThrow('actuators use both "effort" and "position" interfaces');
  });
});
