/**
 * Episode recorder: turns one simulated env's episode into ROS 2 messages on a `TopicSink`
 * (an MCAP file, the live view, or both).
 *
 * Topics (QoS per src/log/topic-sink.ts):
 *   /robot_description          std_msgs/String, latched: the robot's URDF (once, at t = 0)
 *   /clock                      rosgraph_msgs/Clock: sim time, every step
 *   /joint_states               sensor_msgs/JointState: every 1-DoF joint of the robot by URDF
 *                               name — position, velocity (from the sim state) and effort (the
 *                               generalized force its actuator applied during the last step; 0
 *                               for unactuated joints and at t = 0)
 *   /tf                         tf2_msgs/TFMessage: "world" → every link (URDF names)
 *   /policy/observation         std_msgs/Float64MultiArray: the observation the policy saw; one
 *                               layout dimension whose label is the element names joined by ","
 *   /policy/action              std_msgs/Float64MultiArray: the action (normalized action space),
 *                               same layout convention
 *   /<controller>/commands      std_msgs/Float64MultiArray: gear · action in the controller's
 *                               joint order, empty layout — what deploy sends a ros2_control
 *                               forward_command_controller (src/deploy/messages.ts CommandMap)
 *   /reward/total               std_msgs/Float64: the step's reward
 *   /reward/<term>              std_msgs/Float64: each `reward_<term>` metric of the task
 *   /metrics/<name>             std_msgs/Float64: the task's other metrics (e.g. x_position)
 *
 * Time base: log time = publish time = header stamps = sim time since the episode's reset, in
 * ns (step k at k·dt). Observation-side messages (clock, joint states, tf, observation, rewards
 * of the step that led there) are stamped with the time of the state they describe; the action
 * and command chosen from the observation at k·dt are stamped k·dt too and published after it.
 *
 * Metadata records (MCAP Metadata, through `TopicSink.metadata`):
 *   "locomote"                  the session: format, versions, robot/sim/dt, seed, source,
 *                               policy and its sha256, launch file, controller, element names
 *   "locomote.initial_state"    the exact state the episode started from — qpos/qvel (float64,
 *                               JSON numbers: shortest round trip, so exact), the observation,
 *                               env and episode index — written when the episode starts, so a
 *                               killed recording can still be re-simulated
 *   "locomote.episode"          written at the end: length, return, terminated/truncated,
 *                               interrupted, per-term reward sums
 * Values are strings (MCAP metadata is a string map); numbers and lists are JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PortSpec } from "../port/spec.js";
import { packageRoot, robotsDir } from "../robot/load.js";
import type { TaskDefinition, TaskInstance } from "../sim/task.js";
import { ClockEncoder, Float64Encoder, Float64MultiArrayEncoder, JointStateEncoder, TfEncoder } from "./cdr-template.js";
import { locomoteVersion } from "./mcap-log-writer.js";
import { encodeCdr } from "./ros-msgs.js";
import type { ChannelSpec, TopicSink } from "./topic-sink.js";

export const EPISODE_LOG_FORMAT = "locomote.episode_log";
export const EPISODE_LOG_FORMAT_VERSION = 1;
/** Names of the metadata records (see the module comment). */
export const META_SESSION = "locomote";
export const META_INITIAL_STATE = "locomote.initial_state";
export const META_EPISODE = "locomote.episode";
/** Frame every /tf transform is relative to (the URDF world link). */
export const WORLD_FRAME = "world";

/** Where the recorded episodes come from (metadata "source"). */
export type EpisodeSource = "eval" | "train_eval" | "deploy" | "test";

/** The forward_command_controller the commands topic is named after, and its joint order. */
export interface ControllerSpec {
  readonly name: string;
  readonly joints: readonly string[];
}

export interface EpisodeRecorderOptions {
  /** Registry name of the sim (recorded so `replay --resim` can rebuild the task). */
  readonly sim: string;
  readonly source: EpisodeSource;
  /** Seed of the envs' reset noise. */
  readonly seed: number;
  /** Default: `defaultController(task.spec)`. */
  readonly controller?: ControllerSpec;
  /** URDF text for /robot_description; default: robots/<robot>/<robot>.urdf if it exists, else none. */
  readonly robotDescription?: string | null;
  /** Further session metadata (policy, launch file, …), merged into the "locomote" record. */
  readonly session?: Readonly<Record<string, string>>;
}

/** Topic of a reward/metric element. */
export function metricTopic(metric: string): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
  return metric.startsWith("reward_") ? `/reward/${clean(metric.slice("reward_".length))}` : `/metrics/${clean(metric)}`;
}

/**
 * The controller a sim log's commands are named after: the robot's deploy launch file
 * (`launch/deploy_<robot>.launch.yaml`, its `ros2.controller` / `controller_joints`) when there
 * is one, else "effort_controller" (or `<interface>_controller`) over the actuated joints in
 * action order.
 */
export async function defaultController(spec: PortSpec, launchDir?: string): Promise<ControllerSpec> {
  const actuated = spec.actuators.map((a) => a.joint);
  const iface = spec.actuators[0]?.interface ?? "effort";
  const fallback: ControllerSpec = { name: `${iface}_controller`, joints: actuated };
  const file = join(launchDir ?? join(packageRoot(), "launch"), `deploy_${spec.robot}.launch.yaml`);
  if (!existsSync(file)) return fallback;
  try {
    const { loadDeployLaunch } = await import("../launch/deploy-config.js");
    const { config } = await loadDeployLaunch(file, {});
    const joints = config.ros2.controller_joints ?? actuated;
    const sameSet = joints.length === actuated.length && joints.every((j) => actuated.includes(j));
    return sameSet ? { name: config.ros2.controller, joints } : fallback;
  } catch {
    return fallback;
  }
}

/** robots/<robot>/<robot>.urdf as text, or null when the robot has no description folder. */
export function robotUrdf(robot: string): string | null {
  const path = join(robotsDir(), robot, `${robot}.urdf`);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

const json = (v: unknown): string => JSON.stringify(v);

/** Episode bookkeeping reported at the end. */
export interface EpisodeLogInfo {
  readonly envIndex: number;
  readonly episodeIndex: number;
  readonly length: number;
  readonly return: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly interrupted: boolean;
  readonly rewardTerms: Readonly<Record<string, number>>;
}

/**
 * Per task: the message encoders and names, shared by every episode recorded from it. Start an
 * episode with `begin` (one sink per episode, e.g. one MCAP file).
 */
export class EpisodeRecorder {
  readonly spec: PortSpec;
  readonly controller: ControllerSpec;
  /** Control period in ns (times are k · dtNs; exact as a number below 2^53 ns, ~104 days). */
  readonly dtNs: number;
  /** Index of each JointState joint's actuator in the action vector (−1: unactuated). */
  readonly effortSource: Int32Array;
  /** Source action index of each command element, and its gear. */
  readonly commandSource: Int32Array;
  readonly commandGear: Float64Array;
  readonly metricTopics: readonly string[];
  private readonly urdf: string | null;
  /** The /robot_description message (encoded once). */
  private urdfCdr: Uint8Array | null = null;
  private readonly sessionMeta: Record<string, string>;
  // Encoders (shared: each encode returns fresh bytes).
  readonly jointState: JointStateEncoder;
  readonly tf: TfEncoder;
  readonly clock = new ClockEncoder();
  readonly observation: Float64MultiArrayEncoder;
  readonly action: Float64MultiArrayEncoder;
  readonly command: Float64MultiArrayEncoder;
  readonly scalar = new Float64Encoder();

  constructor(readonly task: TaskDefinition, readonly options: EpisodeRecorderOptions & { readonly controller: ControllerSpec }) {
    const spec = task.spec;
    this.spec = spec;
    this.controller = options.controller;
    this.dtNs = Math.round(spec.dt * 1e9);
    const state = task.state;
    const actuated = spec.actuators.map((a) => a.joint);
    this.effortSource = Int32Array.from(state.joints, (j) => actuated.indexOf(j.name));
    this.commandSource = Int32Array.from(this.controller.joints, (j) => {
      const i = actuated.indexOf(j);
      if (i < 0) throw new Error(`episode recorder: controller "${this.controller.name}" joint "${j}" has no actuator (actuated: ${actuated.join(", ")})`);
      return i;
    });
    this.commandGear = Float64Array.from(this.commandSource, (i) => spec.actuators[i]!.gear);
    this.metricTopics = spec.metrics.map(metricTopic);
    this.urdf = options.robotDescription === undefined ? robotUrdf(spec.robot) : options.robotDescription;
    this.jointState = new JointStateEncoder(state.joints.map((j) => j.name));
    this.tf = new TfEncoder(WORLD_FRAME, state.links);
    this.observation = new Float64MultiArrayEncoder(spec.observation.names.length, spec.observation.names.join(","));
    this.action = new Float64MultiArrayEncoder(spec.action.names.length, spec.action.names.join(","));
    this.command = new Float64MultiArrayEncoder(this.controller.joints.length, null);
    this.sessionMeta = {
      format: EPISODE_LOG_FORMAT,
      format_version: String(EPISODE_LOG_FORMAT_VERSION),
      locomote_version: locomoteVersion(),
      source: options.source,
      robot: spec.robot,
      sim: options.sim,
      task: task.name,
      dt: json(spec.dt),
      seed: String(options.seed),
      time_base: "sim time since the episode reset (ns); step k at k*dt",
      controller: this.controller.name,
      controller_joints: json(this.controller.joints),
      observation_names: json(spec.observation.names),
      action_names: json(spec.action.names),
      metrics: json(spec.metrics),
      qpos_names: json(state.qposNames),
      qvel_names: json(state.qvelNames),
      joints: json(state.joints.map((j) => j.name)),
      links: json(state.links),
      ...(options.session ?? {}),
    };
  }

  /** Builds a recorder with the default controller (see `defaultController`). */
  static async create(task: TaskDefinition, options: EpisodeRecorderOptions): Promise<EpisodeRecorder> {
    const controller = options.controller ?? (await defaultController(task.spec));
    return new EpisodeRecorder(task, { ...options, controller });
  }

  /** The channels of an episode (in registration order). */
  channels(): ChannelSpec[] {
    const out: ChannelSpec[] = [];
    if (this.urdf !== null) out.push({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" });
    out.push(
      { topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" },
      { topic: "/joint_states", type: "sensor_msgs/msg/JointState", qos: "sensor" },
      { topic: "/tf", type: "tf2_msgs/msg/TFMessage", qos: "sensor" },
      { topic: "/policy/observation", type: "std_msgs/msg/Float64MultiArray", qos: "sensor" },
      { topic: "/policy/action", type: "std_msgs/msg/Float64MultiArray", qos: "reliable" },
      { topic: `/${this.controller.name}/commands`, type: "std_msgs/msg/Float64MultiArray", qos: "reliable" },
      { topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" },
    );
    for (const topic of this.metricTopics) out.push({ topic, type: "std_msgs/msg/Float64", qos: "reliable" });
    return out;
  }

  /**
   * Starts recording an episode of `instance`, which was just reset (or set) and whose
   * observation is `obs`: registers the channels on `sink`, writes the session and
   * initial-state metadata and the t = 0 messages.
   */
  begin(sink: TopicSink, instance: TaskInstance, obs: ArrayLike<number>, ids: { envIndex: number; episodeIndex: number }): EpisodeStream {
    return new EpisodeStream(this, sink, instance, obs, ids, this.urdf !== null ? this.robotDescriptionCdr() : null, this.sessionMeta);
  }

  private robotDescriptionCdr(): Uint8Array {
    this.urdfCdr ??= encodeCdr("std_msgs/msg/String", { data: this.urdf ?? "" });
    return this.urdfCdr;
  }
}

/** One episode being recorded. */
export class EpisodeStream {
  private k = 0;
  private ret = 0;
  private readonly termSums: Float64Array;
  private readonly qpos: Float64Array;
  private readonly qvel: Float64Array;
  private readonly position: Float64Array;
  private readonly velocity: Float64Array;
  private readonly effort: Float64Array;
  private readonly efforts: Float64Array;
  private readonly poses: Float64Array;
  private readonly commandData: Float64Array;
  private readonly ch: {
    clock: number;
    joints: number;
    tf: number;
    obs: number;
    action: number;
    command: number;
    reward: number;
    metrics: number[];
  };
  private ended = false;

  constructor(
    private readonly rec: EpisodeRecorder,
    private readonly sink: TopicSink,
    private readonly instance: TaskInstance,
    obs: ArrayLike<number>,
    private readonly ids: { envIndex: number; episodeIndex: number },
    urdfCdr: Uint8Array | null,
    session: Readonly<Record<string, string>>,
  ) {
    const state = rec.task.state;
    this.qpos = new Float64Array(state.nq);
    this.qvel = new Float64Array(state.nv);
    this.position = new Float64Array(state.joints.length);
    this.velocity = new Float64Array(state.joints.length);
    this.effort = new Float64Array(state.joints.length);
    this.efforts = new Float64Array(rec.spec.action.names.length);
    this.poses = new Float64Array(7 * state.links.length);
    this.commandData = new Float64Array(rec.controller.joints.length);
    this.termSums = new Float64Array(rec.spec.metrics.length);

    const specs = rec.channels();
    const ids2 = specs.map((s) => sink.addChannel(s));
    let at = 0;
    const description = urdfCdr !== null ? ids2[at++]! : -1;
    this.ch = {
      clock: ids2[at++]!,
      joints: ids2[at++]!,
      tf: ids2[at++]!,
      obs: ids2[at++]!,
      action: ids2[at++]!,
      command: ids2[at++]!,
      reward: ids2[at++]!,
      metrics: ids2.slice(at),
    };

    instance.readState(this.qpos, this.qvel);
    sink.metadata?.(META_SESSION, session);
    sink.metadata?.(META_INITIAL_STATE, {
      env_index: String(ids.envIndex),
      episode_index: String(ids.episodeIndex),
      qpos: json(Array.from(this.qpos)),
      qvel: json(Array.from(this.qvel)),
      observation: json(Array.from(obs)),
    });
    // One encoded message shared by every episode: sinks must not modify the bytes they are given.
    if (urdfCdr !== null) sink.publish(description, 0n, urdfCdr);
    this.publishState(0, obs, false);
  }

  /** Steps recorded so far. */
  get length(): number {
    return this.k;
  }

  /** Undiscounted return so far (float64 sum of the float32 rewards, in order). */
  get return(): number {
    return this.ret;
  }

  /**
   * Records one step: `action` was applied at the current time, leading to `obs`, `reward` and
   * `metrics` (spec.metrics order); the instance's state is the state after the step.
   */
  step(action: ArrayLike<number>, obs: ArrayLike<number>, reward: number, metrics: ArrayLike<number>): void {
    const rec = this.rec;
    const sink = this.sink;
    const t0 = BigInt(this.k * rec.dtNs);
    sink.publish(this.ch.action, t0, rec.action.encode(action));
    const cmd = this.commandData;
    for (let j = 0; j < cmd.length; j++) cmd[j] = rec.commandGear[j]! * action[rec.commandSource[j]!]!;
    sink.publish(this.ch.command, t0, rec.command.encode(cmd));

    this.k++;
    const tNs = this.k * rec.dtNs;
    const t = this.publishState(tNs, obs, true);
    this.ret += reward;
    sink.publish(this.ch.reward, t, rec.scalar.encode(reward));
    for (let m = 0; m < this.ch.metrics.length; m++) {
      const v = metrics[m]!;
      this.termSums[m] = this.termSums[m]! + v;
      sink.publish(this.ch.metrics[m]!, t, rec.scalar.encode(v));
    }
  }

  /** Writes the episode record (call once, before closing the sink). */
  end(flags: { terminated: boolean; truncated: boolean; interrupted?: boolean }): EpisodeLogInfo {
    if (this.ended) throw new Error("EpisodeStream.end: already ended");
    this.ended = true;
    const rewardTerms: Record<string, number> = {};
    this.rec.spec.metrics.forEach((name, m) => {
      if (name.startsWith("reward_")) rewardTerms[name] = this.termSums[m]!;
    });
    const info: EpisodeLogInfo = {
      envIndex: this.ids.envIndex,
      episodeIndex: this.ids.episodeIndex,
      length: this.k,
      return: this.ret,
      terminated: flags.terminated,
      truncated: flags.truncated,
      interrupted: flags.interrupted ?? false,
      rewardTerms,
    };
    this.sink.metadata?.(META_EPISODE, {
      env_index: String(info.envIndex),
      episode_index: String(info.episodeIndex),
      length: String(info.length),
      return: json(info.return),
      terminated: String(info.terminated),
      truncated: String(info.truncated),
      interrupted: String(info.interrupted),
      reward_terms: json(rewardTerms),
      end_time_ns: String(this.k * this.rec.dtNs),
    });
    return info;
  }

  /** Publishes the state-side messages at `tNs`; returns the time as a bigint. */
  private publishState(tNs: number, obs: ArrayLike<number>, stepped: boolean): bigint {
    const rec = this.rec;
    const sink = this.sink;
    const t = BigInt(tNs);
    const sec = Math.floor(tNs / 1e9);
    const nsec = tNs - sec * 1e9;
    this.instance.readState(this.qpos, this.qvel);
    const joints = rec.task.state.joints;
    for (let j = 0; j < joints.length; j++) {
      this.position[j] = this.qpos[joints[j]!.qposIndex]!;
      this.velocity[j] = this.qvel[joints[j]!.qvelIndex]!;
    }
    if (stepped) {
      this.instance.readEfforts(this.efforts);
      for (let j = 0; j < joints.length; j++) {
        const src = rec.effortSource[j]!;
        this.effort[j] = src >= 0 ? this.efforts[src]! : 0;
      }
    }
    this.instance.readLinkPoses(this.poses);
    sink.publish(this.ch.clock, t, rec.clock.encode(sec, nsec));
    sink.publish(this.ch.joints, t, rec.jointState.encode(sec, nsec, this.position, this.velocity, this.effort));
    sink.publish(this.ch.tf, t, rec.tf.encode(sec, nsec, this.poses));
    sink.publish(this.ch.obs, t, rec.observation.encode(obs));
    return t;
  }
}
