/**
 * `locomote sim-robot <robot>`: the Rapier simulation of a robot, in real time, behind the same
 * topics a ros2_control robot with a joint_state_broadcaster, an IMU, odometry and a
 * forward_command_controller has — so `locomote deploy … transport:=ros2` can be tried against
 * the sim over real DDS. Publishes /joint_states, /imu, /odom (reliable); obeys
 * /<controller>/commands (held until the next one, as forward_command_controller does).
 * A floating base (the humanoid) gets the torso quaternion and body rates on /imu, and on /odom
 * its x, y (from the sim state), height, the same orientation and the body-frame twist.
 */
import { RateLimiter } from "../deploy/rate-limiter.js";
import type { DeployLog } from "../deploy/log.js";
import {
  CommandMap, MessageMappingError, SensorMessageWriter, emptyImu, emptyJointState, emptyOdometry, stampFromMs,
} from "../deploy/messages.js";
import { systemClock } from "../deploy/robot-port.js";
import { SimRealtimePort } from "../deploy/sim-transport.js";
import { loadRobot } from "../robot/load.js";
import { loadTask } from "../sim/registry.js";
import { loadRclnodejs } from "./load.js";
import { BEST_EFFORT, KEEP_LAST, RELIABLE, VOLATILE } from "./rclnodejs-api.js";

export interface SimRobotOptions {
  readonly robot: string;
  readonly sim: string;
  readonly controller: string;
  /** Publish/step rate; null: the task rate. */
  readonly rateHz: number | null;
  readonly seed: number;
  readonly log: DeployLog;
}

export async function runSimRobotNode(o: SimRobotOptions): Promise<number> {
  const rcl = await loadRclnodejs();
  const robot = loadRobot(o.robot);
  const task = await loadTask(o.sim);
  const port = new SimRealtimePort(task, { seed: o.seed });
  const spec = task.spec;
  const writer = new SensorMessageWriter(spec.observation, robot);
  const joints = robot.ros2Control?.joints.map((j) => j.name).filter((j) => spec.actuators.some((a) => a.joint === j)) ?? spec.actuators.map((a) => a.joint);
  const commands = new CommandMap(spec.actuators, joints, o.controller);

  const node = new rcl.Node(`locomote_sim_${robot.name}`);
  const reliable = { qos: new rcl.QoS(KEEP_LAST, 10, RELIABLE, VOLATILE) };
  const jointStates = node.createPublisher("sensor_msgs/msg/JointState", "/joint_states", reliable);
  const imu = node.createPublisher("sensor_msgs/msg/Imu", "/imu", reliable);
  const odom = node.createPublisher("nav_msgs/msg/Odometry", "/odom", reliable);
  const action = port.buffers.action;
  node.createSubscription("std_msgs/msg/Float64MultiArray", `/${o.controller}/commands`, { qos: new rcl.QoS(KEEP_LAST, 1, BEST_EFFORT, VOLATILE), enableTypedArray: true }, (msg) => {
    try {
      commands.toAction(msg.data, action);
      port.step();
    } catch (err) {
      if (err instanceof MessageMappingError) o.log.write("error", err.message);
      else throw err;
    }
  });
  node.spin();

  const jsMsg = emptyJointState();
  const imuMsg = emptyImu(`${robot.root.link}`);
  const odomMsg = emptyOdometry("odom", robot.root.link);
  const rootPositions: Record<string, number> = {};
  const xName = robot.root.coordinates.find((c) => c.type === "slide")?.name;
  // A floating base's x, y are not observed (Gymnasium excludes them): odometry takes them from the sim state.
  const floatingXy = robot.root.floating ? robot.root.floating.qpos.slice(0, 2).map((n) => [n, task.state.qposNames.indexOf(n)] as const) : [];
  const qpos = new Float64Array(task.state.nq);
  const qvel = new Float64Array(task.state.nv);
  const rateHz = o.rateHz ?? 1 / spec.dt;
  const limiter = new RateLimiter(rateHz, systemClock);
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  o.log.write("info", `sim-robot: ${port.describe()} → /joint_states, /imu, /odom at ${rateHz} Hz; commands on /${o.controller}/commands [${commands.joints.join(", ")}] (${commands.interfaceName})`);
  await limiter.loop((_now, scheduled) => {
    port.sense(scheduled);
    const obs = port.buffers.obs;
    const stamp = stampFromMs(Date.now());
    const x = port.buffers.metrics["x_position"]?.[0];
    if (xName !== undefined && x !== undefined) rootPositions[xName] = x;
    if (floatingXy.length > 0) {
      port.readState(qpos, qvel);
      for (const [name, k] of floatingXy) if (k >= 0) rootPositions[name] = qpos[k]!;
    }
    writer.jointState(obs, stamp, jsMsg);
    writer.imu(obs, stamp, imuMsg);
    writer.odometry(obs, rootPositions, stamp, odomMsg);
    jointStates.publish(jsMsg);
    imu.publish(imuMsg);
    odom.publish(odomMsg);
    return !stop;
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  port.close();
  node.destroy();
  rcl.shutdown();
  return 0;
}
