/**
 * Conformance of src/ros2 with rclnodejs's published typings (compiled by ./tsconfig.json only).
 *   1. The module rclnodejs declares is assignable to `RclModule`, the subset the adapter calls.
 *   2. Every call the adapter makes, written against the real signatures: topics, QoS, message
 *      types in both directions (what arrives fits what src/deploy/messages.ts reads — callbacks
 *      typed with our message types are accepted only if rclnodejs's message is assignable to
 *      them; what we publish fits what rclnodejs accepts), lifecycle callbacks and return codes.
 */
import * as rclnodejs from "rclnodejs";
import {
  CommandMap, emptyImu, emptyJointState, emptyOdometry,
  type BoolMsg, type ImuIn, type JointStateIn, type OdometryIn,
} from "../../src/deploy/messages.js";
import {
  BEST_EFFORT, CALLBACK_FAILURE, CALLBACK_SUCCESS, KEEP_LAST, RELIABLE, VOLATILE, type RclModule,
} from "../../src/ros2/rclnodejs-api.js";

// 1. The real module as the adapter sees it.
export const asUsed: RclModule = rclnodejs;

// 2. The adapter's calls against the real API.
export async function adapterCalls(): Promise<void> {
  await rclnodejs.init();
  rclnodejs.removeSignalHandlers();
  const node = new rclnodejs.lifecycle.LifecycleNode("locomote_deploy", "");
  const sensors = { qos: new rclnodejs.QoS(KEEP_LAST, 1, BEST_EFFORT, VOLATILE), enableTypedArray: true };
  const reliable = { qos: new rclnodejs.QoS(KEEP_LAST, 1, RELIABLE, VOLATILE) };
  node.createSubscription("sensor_msgs/msg/JointState", "/joint_states", sensors, (msg: JointStateIn) => {
    const read: JointStateIn = msg;
    void read;
  });
  node.createSubscription("sensor_msgs/msg/Imu", "/imu", sensors, (msg: ImuIn) => {
    const read: ImuIn = msg;
    void read;
  });
  node.createSubscription("nav_msgs/msg/Odometry", "/odom", sensors, (msg: OdometryIn) => {
    const read: OdometryIn = msg;
    void read;
  });
  node.createSubscription("std_msgs/msg/Bool", "/estop", reliable, (msg: BoolMsg) => {
    const read: BoolMsg = msg;
    void read;
  });
  const commands = node.createPublisher("std_msgs/msg/Float64MultiArray", "/effort_controller/commands", reliable);
  commands.publish(CommandMap.message(new Float64Array(3)));
  node.registerOnConfigure(() => CALLBACK_SUCCESS);
  node.registerOnActivate(() => CALLBACK_SUCCESS);
  node.registerOnDeactivate(() => CALLBACK_FAILURE);
  node.registerOnShutdown(() => CALLBACK_SUCCESS);
  node.spin();
  node.configure();
  node.activate();
  node.getLogger().warn("trip");

  // sim-robot
  const sim = new rclnodejs.Node("locomote_sim_hopper");
  sim.createPublisher("sensor_msgs/msg/JointState", "/joint_states", reliable).publish(emptyJointState());
  sim.createPublisher("sensor_msgs/msg/Imu", "/imu", reliable).publish(emptyImu("torso"));
  sim.createPublisher("nav_msgs/msg/Odometry", "/odom", reliable).publish(emptyOdometry("odom", "torso"));
  sim.createSubscription("std_msgs/msg/Float64MultiArray", "/effort_controller/commands", sensors, (msg: { readonly data: ArrayLike<number> }) => {
    const data: ArrayLike<number> = msg.data;
    void data;
  });
  node.shutdown();
  node.destroy();
  if (!rclnodejs.isShutdown()) rclnodejs.shutdown();
}
