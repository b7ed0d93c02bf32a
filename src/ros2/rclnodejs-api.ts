/**
 * The part of rclnodejs locomote uses, as structural types. rclnodejs is an optional
 * dependency loaded at run time (`loadRclnodejs`), so the build cannot depend on its typings;
 * instead `typecheck/ros2/` proves, against the typings rclnodejs publishes on npm, that the
 * real module is assignable to `RclModule`, that the messages it delivers fit what
 * src/deploy/messages.ts reads and that what we publish fits its message types, and compiles
 * the calls made here against the real signatures (test/deploy-ros2-typings.test.ts runs it).
 */
import type { BoolMsg, Float64MultiArrayMsg, ImuIn, JointStateIn, JointStateMsg, ImuMsg, OdometryIn, OdometryMsg } from "../deploy/messages.js";

/** rmw QoS policy values (rclnodejs `QoS.HistoryPolicy` etc.). */
export const KEEP_LAST = 1;
export const RELIABLE = 1;
export const BEST_EFFORT = 2;
export const VOLATILE = 2;

/** lifecycle_msgs/Transition TRANSITION_CALLBACK_SUCCESS / FAILURE / ERROR. */
export const CALLBACK_SUCCESS = 97;
export const CALLBACK_FAILURE = 98;
export type CallbackReturn = 97 | 98 | 99;

/** An rclnodejs `QoS` instance. */
export interface RclQoS {
  history: number;
  depth: number;
  reliability(): number;
  durability: number;
  liveliness: number;
  avoidRosNameSpaceConventions: boolean;
}

export interface SubscriptionOptions {
  qos?: RclQoS;
  /** Deliver `float64[]` as Float64Array (no per-message array of boxed numbers). */
  enableTypedArray?: boolean;
}

export interface RclEntity {
  readonly topic: string;
}

export interface RclPublisher<M> extends RclEntity {
  publish(message: M): void;
}

export interface RclLogger {
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
}

/** The node methods locomote calls, one overload per message type it uses. */
export interface RclNode {
  createSubscription(typeClass: "sensor_msgs/msg/JointState", topic: string, options: SubscriptionOptions, callback: (msg: JointStateIn) => void): unknown;
  createSubscription(typeClass: "sensor_msgs/msg/Imu", topic: string, options: SubscriptionOptions, callback: (msg: ImuIn) => void): unknown;
  createSubscription(typeClass: "nav_msgs/msg/Odometry", topic: string, options: SubscriptionOptions, callback: (msg: OdometryIn) => void): unknown;
  createSubscription(typeClass: "std_msgs/msg/Bool", topic: string, options: SubscriptionOptions, callback: (msg: BoolMsg) => void): unknown;
  createSubscription(typeClass: "std_msgs/msg/Float64MultiArray", topic: string, options: SubscriptionOptions, callback: (msg: { readonly data: ArrayLike<number> }) => void): unknown;
  createPublisher(typeClass: "std_msgs/msg/Float64MultiArray", topic: string, options?: SubscriptionOptions): RclPublisher<Float64MultiArrayMsg>;
  createPublisher(typeClass: "sensor_msgs/msg/JointState", topic: string, options?: SubscriptionOptions): RclPublisher<JointStateMsg>;
  createPublisher(typeClass: "sensor_msgs/msg/Imu", topic: string, options?: SubscriptionOptions): RclPublisher<ImuMsg>;
  createPublisher(typeClass: "nav_msgs/msg/Odometry", topic: string, options?: SubscriptionOptions): RclPublisher<OdometryMsg>;
  getLogger(): RclLogger;
  spin(timeout?: number): void;
  destroy(): void;
}

export interface RclLifecycleNode extends RclNode {
  registerOnConfigure(cb: (prev: unknown) => CallbackReturn): void;
  registerOnActivate(cb: (prev: unknown) => CallbackReturn): void;
  registerOnDeactivate(cb: (prev: unknown) => CallbackReturn): void;
  registerOnCleanup(cb: (prev: unknown) => CallbackReturn): void;
  registerOnShutdown(cb: (prev: unknown) => CallbackReturn): void;
  configure(): unknown;
  activate(): unknown;
  deactivate(): unknown;
  shutdown(): unknown;
}

export interface RclModule {
  init(): Promise<void>;
  shutdown(): void;
  isShutdown(): boolean;
  /** rclnodejs shuts the context down on SIGINT unless removed; locomote stops safely first. */
  removeSignalHandlers(): void;
  QoS: new (history?: 1, depth?: number, reliability?: 1 | 2, durability?: 2) => RclQoS;
  Node: new (nodeName: string, namespace?: string) => RclNode;
  lifecycle: { LifecycleNode: new (nodeName: string, namespace?: string) => RclLifecycleNode };
}
