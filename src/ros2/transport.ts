/**
 * transport:=ros2 — the thin rclnodejs adapter: a lifecycle node whose subscriptions feed the
 * message mapping (src/deploy/messages.ts) and whose publisher sends its command array. All
 * logic (mapping, safety, loop) lives in src/deploy and is tested without ROS 2.
 *
 *   subscribes  <joint_states_topic> sensor_msgs/JointState, <imu_topic> sensor_msgs/Imu,
 *               <odometry_topic> nav_msgs/Odometry (when the observation needs them): best effort;
 *               <estop_topic> std_msgs/Bool: reliable;
 *   publishes   /<controller>/commands std_msgs/Float64MultiArray, reliable, depth 1, in the
 *               controller's joint order (forward_command_controller).
 * Lifecycle: configure creates the entities and waits for a first complete observation;
 * activate arms (start-up sequence); deactivate/shutdown send the safe command before stopping.
 */
import type { TransportContext } from "../deploy/deployment.js";
import { checkRos2Sources } from "../deploy/check.js";
import { DeployError } from "../deploy/errors.js";
import { CommandMap, MessageMappingError, ObservationAssembler, type Float64MultiArrayMsg } from "../deploy/messages.js";
import type { RobotPort } from "../deploy/robot-port.js";
import { allocBuffers, type PortBuffers } from "../port/port.js";
import type { PortSpec } from "../port/spec.js";
import { loadRclnodejs } from "./load.js";
import {
  BEST_EFFORT, CALLBACK_FAILURE, CALLBACK_SUCCESS, KEEP_LAST, RELIABLE, VOLATILE,
  type CallbackReturn, type RclLifecycleNode, type RclModule, type RclPublisher,
} from "./rclnodejs-api.js";

/** What lifecycle transitions request of the deployment. */
export interface LifecycleHandlers {
  activate(): void;
  deactivate(why: string): void;
  shutdown(why: string): void;
}

export class Ros2Port implements RobotPort {
  readonly spec: PortSpec;
  readonly numEnvs = 1;
  readonly buffers: PortBuffers;
  readonly obsTime = new Float64Array([-Infinity]);
  readonly estop = new Uint8Array(1);
  readonly assembler: ObservationAssembler;
  readonly commands: CommandMap;
  private readonly commandData: Float64Array;
  private readonly commandMsg: Float64MultiArrayMsg;
  private publisher: RclPublisher<Float64MultiArrayMsg> | null = null;
  private lastMappingError = "";
  private handlers: LifecycleHandlers | null = null;

  constructor(
    private readonly rcl: RclModule,
    readonly node: RclLifecycleNode,
    private readonly ctx: TransportContext,
  ) {
    const { policy, robot, config, where } = ctx;
    this.spec = policy.spec;
    this.buffers = allocBuffers(policy.spec, 1);
    checkRos2Sources(policy.spec.observation, robot, config.ros2, where);
    try {
      this.assembler = new ObservationAssembler(policy.spec.observation, robot);
      const fromUrdf = robot.ros2Control?.joints.map((j) => j.name).filter((j) => policy.joints.includes(j)) ?? [...policy.joints];
      this.commands = new CommandMap(policy.spec.actuators, config.ros2.controller_joints ?? fromUrdf, config.ros2.controller);
    } catch (err) {
      if (err instanceof MessageMappingError) throw new DeployError(where, "deploy.ros2", err.message);
      throw err;
    }
    this.commandData = new Float64Array(this.commands.length);
    this.commandMsg = CommandMap.message(this.commandData);
  }

  describe(): string {
    const c = this.ctx.config.ros2;
    return `ROS 2 ${process.env["ROS_DISTRO"] ?? ""} node ${c.namespace}/${c.node_name} → /${c.controller}/commands [${this.commands.joints.join(", ")}] (${this.commands.interfaceName})`;
  }

  /** configure transition: subscriptions (best effort) and the command publisher (reliable, depth 1). */
  createEntities(): void {
    const { rcl, node, ctx } = this;
    const c = ctx.config.ros2;
    const clock = ctx.clock;
    const sensors = { qos: new rcl.QoS(KEEP_LAST, 1, BEST_EFFORT, VOLATILE), enableTypedArray: true };
    const a = this.assembler;
    node.createSubscription("sensor_msgs/msg/JointState", c.joint_states_topic, sensors, (msg) => this.guard(() => a.onJointState(msg, clock.now())));
    if (a.needsImu && c.imu_topic) node.createSubscription("sensor_msgs/msg/Imu", c.imu_topic, sensors, (msg) => this.guard(() => a.onImu(msg, clock.now())));
    if (a.needsOdometry && c.odometry_topic) {
      node.createSubscription("nav_msgs/msg/Odometry", c.odometry_topic, sensors, (msg) => this.guard(() => a.onOdometry(msg, clock.now())));
    }
    node.createSubscription("std_msgs/msg/Bool", c.estop_topic, { qos: new rcl.QoS(KEEP_LAST, 10, RELIABLE, VOLATILE) }, (msg) => {
      this.estop[0] = msg.data ? 1 : 0;
    });
    this.publisher = node.createPublisher("std_msgs/msg/Float64MultiArray", `/${c.controller}/commands`, { qos: new rcl.QoS(KEEP_LAST, 1, RELIABLE, VOLATILE) });
  }

  /** Waits (event loop free) until every source the observation needs has arrived once. */
  async waitForState(seconds: number): Promise<void> {
    const deadline = this.ctx.clock.now() + seconds * 1000;
    while (this.assembler.measuredAt() === -Infinity) {
      if (this.lastMappingError) throw new DeployError(this.ctx.where, "deploy.ros2", this.lastMappingError);
      if (this.ctx.clock.now() > deadline) {
        const c = this.ctx.config.ros2;
        const a = this.assembler;
        const missing = [
          a.jointTime === -Infinity ? c.joint_states_topic : null,
          a.needsImu && a.imuTime === -Infinity ? c.imu_topic : null,
          a.needsOdometry && a.odomTime === -Infinity ? c.odometry_topic : null,
        ].filter((t) => t !== null);
        throw new DeployError(this.ctx.where, "deploy.ros2", `no message on ${missing.join(", ")} within wait_for_state_s ${seconds} s (is the robot or \`locomote sim-robot\` running?)`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Registers the lifecycle callbacks and triggers activate (autostart). */
  attach(handlers: LifecycleHandlers): void {
    this.handlers = handlers;
    const on = (request: (h: LifecycleHandlers) => void) => (): CallbackReturn => {
      if (this.handlers) request(this.handlers);
      return CALLBACK_SUCCESS;
    };
    this.node.registerOnActivate(on((h) => h.activate()));
    this.node.registerOnDeactivate(on((h) => h.deactivate("lifecycle deactivate")));
    this.node.registerOnShutdown(on((h) => h.shutdown("lifecycle shutdown")));
    this.node.activate();
  }

  sense(): void {
    const a = this.assembler;
    const t = a.measuredAt();
    if (t === -Infinity) return;
    a.assemble(this.buffers.obs);
    this.obsTime[0] = t;
  }

  step(): void {
    if (!this.publisher) return;
    this.commands.toCommand(this.buffers.action, this.commandData);
    this.publisher.publish(this.commandMsg);
  }

  seed(): void {}
  resetAll(): void {}
  resetEnv(): void {}
  resetEnvs(): void {}

  close(): void {
    try {
      this.node.shutdown();
    } catch {
      // already finalized
    }
    this.node.destroy();
    if (!this.rcl.isShutdown()) this.rcl.shutdown();
  }

  /** A message that cannot be mapped is logged (once per distinct reason) and leaves the observation stale. */
  private guard(read: () => void): void {
    try {
      read();
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (text !== this.lastMappingError) {
        this.lastMappingError = text;
        this.ctx.log.write("error", text);
      }
    }
  }
}

/** The TransportFactory for `transport: ros2`. */
export async function createRos2Transport(ctx: TransportContext): Promise<Ros2Port> {
  const rcl = await loadRclnodejs();
  const c = ctx.config.ros2;
  const node = new rcl.lifecycle.LifecycleNode(c.node_name, c.namespace);
  const port = new Ros2Port(rcl, node, ctx);
  let configureError: unknown = null;
  node.registerOnConfigure(() => {
    try {
      port.createEntities();
      return CALLBACK_SUCCESS;
    } catch (err) {
      configureError = err;
      return CALLBACK_FAILURE;
    }
  });
  node.spin();
  node.configure();
  if (configureError) throw configureError;
  // Deploy diagnostics (trips and their reasons) also go to /rosout.
  const logger = node.getLogger();
  ctx.log.add({ write: (level, message) => void logger[level](message) });
  await port.waitForState(c.wait_for_state_s);
  return port;
}
