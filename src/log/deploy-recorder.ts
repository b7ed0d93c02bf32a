/**
 * Deploy session log: every `locomote deploy` session (transport sim or ROS 2) as ROS 2
 * messages on a `TopicSink` — an MCAP file (`McapLogWriter`: profile "ros2", CDR, `ros2msg`
 * schemas, `offered_qos_profiles`), the live view, or both (`FanOutSink`).
 *
 * Topics (QoS per src/log/topic-sink.ts), published from inside the control loop:
 *   /robot_description       std_msgs/String, latched: robots/<robot>/<robot>.urdf (at t = 0)
 *   /joint_states            sensor_msgs/JointState. sim: the simulated robot's true state
 *                            (every 1-DoF joint by URDF name, position, velocity, the effort its
 *                            actuator applied), once per sim step; ROS 2: what was received —
 *                            the joints the observation reads, by name, unclipped, once per
 *                            received message (stamped with its receipt time; effort, and
 *                            velocity when the observation has none, are NaN: not received)
 *   /tf                      tf2_msgs/TFMessage, sim only: "world" → every link, per sim step
 *   /clock                   rosgraph_msgs/Clock, sim only: sim time (steps · dt), per sim step
 *   /policy/observation      std_msgs/Float64MultiArray: the observation the controller used
 *                            (what the policy saw), in ticks where it was new or the policy ran;
 *                            layout label = the element names joined by ","
 *   /policy/action           std_msgs/Float64MultiArray: the policy's output, in ticks where it
 *                            was evaluated (once per policy period); label = action names
 *   /<controller>/commands   std_msgs/Float64MultiArray: every command sent — each control tick
 *                            and the final passive command — as gear · action in the
 *                            controller's joint order (`ros2.controller_joints`, else the URDF
 *                            <ros2_control> order): exactly the array the ROS 2 transport
 *                            publishes; for the sim, the same mapping of the action it got
 *   /locomote/status         std_msgs/Float64MultiArray, with every command (each tick while
 *                            active): [phase, alpha, tripped, obs_age_ms]; phase indexes
 *                            "inactive, zero, interpolate, fade, policy, stopping" (metadata
 *                            `phases`), alpha is the policy's fade weight
 *   /diagnostics             diagnostic_msgs/DiagnosticArray: every deploy log line (lifecycle,
 *                            phase changes, safety trips with their reason, stop) as one status
 *                            (level OK/WARN/ERROR, values phase, alpha, tripped, trip_reason)
 *   /reward/total, /reward/<term>, /metrics/<name>
 *                            std_msgs/Float64, sim only: the task's reward and metrics of every
 *                            sim step (what training would have counted)
 *
 * Time base: log time = publish time = monotonic clock time since the session's first control
 * tick (ns; for the sim transport that is also activation and sim time 0); the wall-clock time
 * of log time 0 is metadata `start_time_unix_ns` (add it to align with a robot's rosbag).
 * Sim-step messages are logged at the clock time their state corresponds to and stamped
 * (headers, /clock) with sim time; the two agree unless the sim slipped behind the clock
 * (metadata `slips`). Tick messages are logged at the tick's actual clock time. Each sim step
 * applied the last /commands message before it in the file (a zero-order hold).
 *
 * Metadata (MCAP Metadata records):
 *   "locomote"                   the session: format "locomote.deploy_log", versions (locomote,
 *                                node, git commit), robot, transport, sim/seed (sim), rate,
 *                                policy dt and decimation, policy folder and policy_sha256,
 *                                launch file and arguments, the validated deploy config,
 *                                controller and its joints, element names; written at the first tick
 *   "locomote.sim_initial_state" sim only: qpos/qvel (float64, exact) and observation at log time 0.
 *                                Not named "locomote.initial_state" (an evaluation log's): a deploy's
 *                                sim steps apply the recorded /<controller>/commands (start-up, fade
 *                                and safety commands included), which is how `replay --resim`
 *                                re-runs a deploy log (src/log/resim.ts)
 *   "locomote.episode"           at the end: policy steps (= /policy/action messages), return and
 *                                reward terms (sim), stop reason (interrupted = a signal or a
 *                                lifecycle shutdown, truncated = duration_s), safety trips,
 *                                loop timing, sim steps/falls/slips
 *
 * Crash safety: the writer closes a chunk when it reaches 256 KiB / 4096 messages / 1 s of log
 * time; besides, `idle()` (called in the loop's slack before a tick) closes it every 0.25 s of
 * log time, so a killed process loses at most the last quarter second and the write happens
 * outside the tick. `close()` (Deployment.shutdown) writes the end record and finalizes the
 * file; a `process.exit` that skips it still gets the file finalized by open-logs' exit hook
 * (without the end record). A write error (disk full) stops the recording, not the loop.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { DeployConfig } from "../launch/deploy-config.js";
import type { PortBuffers } from "../port/port.js";
import type { FrozenPolicy } from "../policy/frozen.js";
import type { RobotDescription } from "../robot/description.js";
import type { TaskDefinition } from "../sim/task.js";
import { findPackageRoot } from "../util/package-root.js";
import { CommandMap, ObservationAssembler } from "../deploy/messages.js";
import type { DeployLog, LogLevel } from "../deploy/log.js";
import { PHASES, type Phase } from "../deploy/recorder.js";
import type { RobotPort } from "../deploy/robot-port.js";
import type { SimStepObserver } from "../deploy/sim-transport.js";
import type { TickObserver } from "../deploy/controller.js";
import { ClockEncoder, Float64Encoder, Float64MultiArrayEncoder, JointStateEncoder, splitNs, TfEncoder } from "./cdr-template.js";
import { META_EPISODE, META_SESSION, metricTopic, robotUrdf, WORLD_FRAME } from "./episode-recorder.js";
import { policySessionMeta } from "./eval-recorder.js";
import { locomoteVersion, McapLogWriter } from "./mcap-log-writer.js";
import { encodeCdr } from "./ros-msgs.js";
import { FanOutSink, type ChannelSpec, type TopicSink } from "./topic-sink.js";

export const DEPLOY_LOG_FORMAT = "locomote.deploy_log";
export const DEPLOY_LOG_FORMAT_VERSION = 1;
/** Metadata record of the sim transport's initial state (see the module comment). */
export const META_SIM_INITIAL_STATE = "locomote.sim_initial_state";
/** Topics of the deploy-specific channels. */
export const STATUS_TOPIC = "/locomote/status";
export const DIAGNOSTICS_TOPIC = "/diagnostics";
export const STATUS_FIELDS = ["phase", "alpha", "tripped", "obs_age_ms"] as const;
/** Close the open chunk from `idle()` once it spans this much log time (ns). */
const FLUSH_EVERY_NS = 250_000_000;

/** The sim transport as the recorder needs it (SimRealtimePort). */
export interface SimSource {
  readonly task: TaskDefinition;
  stepObserver: SimStepObserver | null;
  readState(qpos: Float64Array, qvel: Float64Array): void;
  readLinkPoses(out: Float64Array): void;
  readEfforts(out: Float64Array): void;
  readonly steps: number;
  readonly falls: number;
  readonly slips: number;
}

function isSimSource(port: RobotPort): port is RobotPort & SimSource {
  const p = port as Partial<SimSource>;
  return typeof p.readState === "function" && typeof p.readLinkPoses === "function" && p.task !== undefined && "stepObserver" in port;
}

/** The ROS 2 transport's received sensor messages (Ros2Port.assembler). */
function receivedSensors(port: RobotPort): ObservationAssembler | null {
  const a = (port as { assembler?: unknown }).assembler;
  return a instanceof ObservationAssembler ? a : null;
}

/** Controller state for /diagnostics values. */
export interface DeployStatus {
  readonly phase: Phase;
  readonly alpha: number;
  readonly tripped: boolean;
  readonly reason: string;
}

export interface DeploySessionOptions {
  readonly config: DeployConfig;
  readonly policy: FrozenPolicy;
  readonly robot: RobotDescription;
  readonly port: RobotPort;
  /** Control ticks per policy step. */
  readonly decimation: number;
  /** The launch file as displayed. */
  readonly launchFile: string;
  /** MCAP file to write (null: none, only `sinks`). */
  readonly file: string | null;
  /** Further sinks (the live view). */
  readonly sinks?: readonly TopicSink[];
  /** Extra "locomote" metadata (launch arguments, …). */
  readonly session?: Readonly<Record<string, string>>;
  /** Clock of the loop (ms), for the diagnostics' times and `start_time_unix_ns`. */
  readonly clock: { now(): number };
  /** Reads the controller's state (for /diagnostics). */
  readonly status: () => DeployStatus;
  /**
   * Called once if writing fails (disk full, …); the recorder then stops recording, so that a
   * logging problem never stops the control loop. Default: rethrow.
   */
  readonly onError?: (message: string) => void;
}

/**
 * `<dir>/<robot>-<YYYYMMDD-HHMMSS>.mcap` in local time; `-1`, `-2`, … appended when that name
 * is taken (two sessions in one second). Creates the folder.
 */
export function deployLogPath(dir: string, robot: string, date = new Date()): string {
  mkdirSync(dir, { recursive: true });
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const stamp = `${date.getFullYear()}${p2(date.getMonth() + 1)}${p2(date.getDate())}-${p2(date.getHours())}${p2(date.getMinutes())}${p2(date.getSeconds())}`;
  let file = join(dir, `${robot}-${stamp}.mcap`);
  for (let k = 1; existsSync(file); k++) file = join(dir, `${robot}-${stamp}-${k}.mcap`);
  return file;
}

/**
 * The forward_command_controller joints of a deployment, in its order: `ros2.controller_joints`,
 * else the URDF `<ros2_control>` joints the policy commands, else the policy's joints (what the
 * ROS 2 transport publishes).
 */
export function controllerJoints(config: DeployConfig, robot: RobotDescription, policy: FrozenPolicy): readonly string[] {
  return config.ros2.controller_joints ?? robot.ros2Control?.joints.map((j) => j.name).filter((j) => policy.joints.includes(j)) ?? [...policy.joints];
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: findPackageRoot(), stdio: ["ignore", "pipe", "ignore"], timeout: 2000 }).toString().trim();
  } catch {
    return "";
  }
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));

/** Per-sim-step state of the sim transport. */
interface SimPart {
  readonly source: SimSource;
  readonly dtNs: number;
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly position: Float64Array;
  readonly velocity: Float64Array;
  readonly effort: Float64Array;
  readonly efforts: Float64Array;
  readonly poses: Float64Array;
  readonly effortSource: Int32Array;
  readonly metrics: readonly string[];
  readonly termSums: Float64Array;
  readonly jointState: JointStateEncoder;
  readonly tf: TfEncoder;
  readonly clock: ClockEncoder;
  readonly ch: { clock: number; joints: number; tf: number; reward: number; metrics: number[] };
  ret: number;
}

/** Received joint states of the ROS 2 transport. */
interface Ros2Part {
  readonly assembler: ObservationAssembler;
  readonly jointState: JointStateEncoder;
  readonly velocity: Float64Array;
  readonly effort: Float64Array;
  readonly hasVelocity: boolean;
  readonly ch: number;
  lastTime: number;
}

export class DeploySessionRecorder implements TickObserver, SimStepObserver, DeployLog {
  /** The MCAP file, or null when only other sinks are fed. */
  readonly file: string | null;
  private readonly writer: McapLogWriter | null;
  private readonly sink: TopicSink;
  private readonly o: DeploySessionOptions;
  private readonly commands: CommandMap;
  private readonly commandData: Float64Array;
  private readonly statusData = new Float64Array(STATUS_FIELDS.length);
  private readonly observationEnc: Float64MultiArrayEncoder;
  private readonly actionEnc: Float64MultiArrayEncoder;
  private readonly commandEnc: Float64MultiArrayEncoder;
  private readonly statusEnc: Float64MultiArrayEncoder;
  private readonly scalar = new Float64Encoder();
  private readonly ch: { description: number; obs: number; action: number; command: number; status: number; diagnostics: number };
  private readonly sim: SimPart | null;
  private readonly ros2: Ros2Part | null;
  private readonly urdfCdr: Uint8Array | null;
  private readonly sessionMeta: Record<string, string>;
  /** Clock time (ms) of log time 0: the first tick's deadline; NaN until then. */
  private t0 = NaN;
  private lastObsTime = NaN;
  private lastPublishNs = 0;
  private lastFlushNs = 0;
  private policySteps = 0;
  private commandsSent = 0;
  private closed = false;
  /** Why recording stopped early (a write error), or null. */
  failure: string | null = null;

  constructor(options: DeploySessionOptions) {
    this.o = options;
    const { config, policy, robot, port } = options;
    const spec = policy.spec;
    this.commands = new CommandMap(spec.actuators, controllerJoints(config, robot, policy), config.ros2.controller);
    this.commandData = new Float64Array(this.commands.length);
    this.observationEnc = new Float64MultiArrayEncoder(spec.observation.names.length, spec.observation.names.join(","));
    this.actionEnc = new Float64MultiArrayEncoder(spec.action.names.length, spec.action.names.join(","));
    this.commandEnc = new Float64MultiArrayEncoder(this.commands.length, null);
    this.statusEnc = new Float64MultiArrayEncoder(STATUS_FIELDS.length, STATUS_FIELDS.join(","));
    const urdf = robotUrdf(config.robot);
    this.urdfCdr = urdf === null ? null : encodeCdr("std_msgs/msg/String", { data: urdf });

    this.file = options.file;
    this.writer = options.file === null ? null : new McapLogWriter(options.file);
    try {
      const sinks: TopicSink[] = [...(this.writer ? [this.writer] : []), ...(options.sinks ?? [])];
      if (sinks.length === 0) throw new Error("DeploySessionRecorder: no file and no sink");
      this.sink = sinks.length === 1 ? sinks[0]! : new FanOutSink(sinks);
      const add = (spec2: ChannelSpec): number => this.sink.addChannel(spec2);
      const sim = isSimSource(port) ? port : null;
      const description = this.urdfCdr !== null ? add({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" }) : -1;
      const clockCh = sim ? add({ topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" }) : -1;
      const jointsCh = add({ topic: "/joint_states", type: "sensor_msgs/msg/JointState", qos: "sensor" });
      const tfCh = sim ? add({ topic: "/tf", type: "tf2_msgs/msg/TFMessage", qos: "sensor" }) : -1;
      this.ch = {
        description,
        obs: add({ topic: "/policy/observation", type: "std_msgs/msg/Float64MultiArray", qos: "sensor" }),
        action: add({ topic: "/policy/action", type: "std_msgs/msg/Float64MultiArray", qos: "reliable" }),
        command: add({ topic: `/${config.ros2.controller}/commands`, type: "std_msgs/msg/Float64MultiArray", qos: "reliable" }),
        status: add({ topic: STATUS_TOPIC, type: "std_msgs/msg/Float64MultiArray", qos: "reliable" }),
        diagnostics: add({ topic: DIAGNOSTICS_TOPIC, type: "diagnostic_msgs/msg/DiagnosticArray", qos: "reliable" }),
      };
      if (sim) {
        const state = sim.task.state;
        const actuated = sim.task.spec.actuators.map((a) => a.joint);
        const metrics = sim.task.spec.metrics;
        const reward = add({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
        const metricChannels = metrics.map((m) => add({ topic: metricTopic(m), type: "std_msgs/msg/Float64", qos: "reliable" }));
        this.sim = {
          source: sim,
          dtNs: Math.round(sim.task.spec.dt * 1e9),
          qpos: new Float64Array(state.nq),
          qvel: new Float64Array(state.nv),
          position: new Float64Array(state.joints.length),
          velocity: new Float64Array(state.joints.length),
          effort: new Float64Array(state.joints.length),
          efforts: new Float64Array(actuated.length),
          poses: new Float64Array(7 * state.links.length),
          effortSource: Int32Array.from(state.joints, (j) => actuated.indexOf(j.name)),
          metrics,
          termSums: new Float64Array(metrics.length),
          jointState: new JointStateEncoder(state.joints.map((j) => j.name)),
          tf: new TfEncoder(WORLD_FRAME, state.links),
          clock: new ClockEncoder(),
          ch: { clock: clockCh, joints: jointsCh, tf: tfCh, reward, metrics: metricChannels },
          ret: 0,
        };
        this.ros2 = null;
      } else {
        this.sim = null;
        const assembler = receivedSensors(port);
        if (assembler) {
          const names = assembler.jointStates.joints;
          this.ros2 = {
            assembler,
            jointState: new JointStateEncoder(names),
            velocity: new Float64Array(names.length).fill(NaN),
            effort: new Float64Array(names.length).fill(NaN),
            hasVelocity: assembler.sources.some((s) => s.kind === "joint_velocity"),
            ch: jointsCh,
            lastTime: -Infinity,
          };
        } else {
          this.ros2 = null;
        }
      }
      this.sessionMeta = this.buildSessionMeta();
      if (this.sim) this.sim.source.stepObserver = this;
    } catch (err) {
      this.writer?.close();
      throw err;
    }
  }

  /** True once `close()` ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Messages written to the file so far (0 without a file). */
  get messages(): number {
    return this.writer?.messages ?? 0;
  }

  /** Policy evaluations logged. */
  get policyStepsLogged(): number {
    return this.policySteps;
  }

  /** Commands logged. */
  get commandsLogged(): number {
    return this.commandsSent;
  }

  // -- TickObserver ------------------------------------------------------------------------------

  tickStart(scheduled: number): void {
    if (Number.isNaN(this.t0)) this.start(scheduled);
  }

  sensed(now: number): void {
    const r = this.ros2;
    if (!r) return;
    const a = r.assembler;
    if (a.jointTime === r.lastTime || a.jointTime === -Infinity) return;
    r.lastTime = a.jointTime;
    const js = a.jointStates;
    const tNs = this.logNs(Math.min(a.jointTime, now));
    const { sec, nsec } = splitNs(tNs);
    this.publish(r.ch, tNs, r.jointState.encode(sec, nsec, js.position, r.hasVelocity ? js.velocity : r.velocity, r.effort));
  }

  sent(now: number, phase: Phase, alpha: number, tripped: boolean, obs: Float32Array | null, obsAgeMs: number, action: Float32Array, policyAction: Float32Array | null): void {
    if (this.closed) return;
    const tNs = this.logNs(now);
    if (obs !== null) {
      const obsTime = this.o.port.obsTime[0]!;
      if (obsTime !== this.lastObsTime || policyAction !== null) {
        this.lastObsTime = obsTime;
        this.publish(this.ch.obs, tNs, this.observationEnc.encode(obs));
      }
    }
    if (policyAction !== null) {
      this.policySteps++;
      this.publish(this.ch.action, tNs, this.actionEnc.encode(policyAction));
    }
    this.commands.toCommand(action, this.commandData);
    this.publish(this.ch.command, tNs, this.commandEnc.encode(this.commandData));
    this.commandsSent++;
    const s = this.statusData;
    s[0] = PHASES.indexOf(phase);
    s[1] = alpha;
    s[2] = tripped ? 1 : 0;
    s[3] = obsAgeMs;
    this.publish(this.ch.status, tNs, this.statusEnc.encode(s));
  }

  // -- SimStepObserver ---------------------------------------------------------------------------

  simStep(simTimeMs: number, steps: number, buffers: PortBuffers): void {
    const p = this.sim;
    if (!p || this.closed) return;
    const tNs = this.logNs(simTimeMs);
    this.publishSimState(p, tNs, steps);
    const reward = buffers.reward[0]!;
    p.ret += reward;
    this.publish(p.ch.reward, tNs, this.scalar.encode(reward));
    for (let m = 0; m < p.metrics.length; m++) {
      const v = buffers.metrics[p.metrics[m]!]![0]!;
      p.termSums[m] = p.termSums[m]! + v;
      this.publish(p.ch.metrics[m]!, tNs, this.scalar.encode(v));
    }
  }

  /** /clock, /joint_states and /tf of the sim's current state, stamped with sim time steps · dt. */
  private publishSimState(p: SimPart, tNs: number, steps: number): void {
    const { sec, nsec } = splitNs(steps * p.dtNs);
    const src = p.source;
    src.readState(p.qpos, p.qvel);
    src.readEfforts(p.efforts);
    src.readLinkPoses(p.poses);
    const joints = src.task.state.joints;
    for (let j = 0; j < joints.length; j++) {
      p.position[j] = p.qpos[joints[j]!.qposIndex]!;
      p.velocity[j] = p.qvel[joints[j]!.qvelIndex]!;
      const e = p.effortSource[j]!;
      p.effort[j] = e >= 0 && steps > 0 ? p.efforts[e]! : 0;
    }
    this.publish(p.ch.clock, tNs, p.clock.encode(sec, nsec));
    this.publish(p.ch.joints, tNs, p.jointState.encode(sec, nsec, p.position, p.velocity, p.effort));
    this.publish(p.ch.tf, tNs, p.tf.encode(sec, nsec, p.poses));
  }

  // -- DeployLog: every diagnostics line on /diagnostics -----------------------------------------

  write(level: LogLevel, message: string): void {
    if (this.closed) return;
    const tNs = Number.isNaN(this.t0) ? 0 : this.logNs(this.o.clock.now());
    const { sec, nsec } = splitNs(tNs);
    const st = this.o.status();
    const msg = {
      header: { stamp: { sec, nanosec: nsec }, frame_id: "" },
      status: [
        {
          level: level === "info" ? 0 : level === "warn" ? 1 : 2,
          name: `locomote_deploy: ${this.o.config.robot}`,
          message: message.replace(/\s*\n\s*/g, " "),
          hardware_id: this.o.config.robot,
          values: [
            { key: "phase", value: st.phase },
            { key: "alpha", value: String(st.alpha) },
            { key: "tripped", value: String(st.tripped) },
            { key: "trip_reason", value: st.reason },
          ],
        },
      ],
    };
    this.publish(this.ch.diagnostics, tNs, encodeCdr("diagnostic_msgs/msg/DiagnosticArray", msg));
  }

  // -- lifecycle ---------------------------------------------------------------------------------

  /**
   * Slack time before a tick: closes the open chunk once it spans FLUSH_EVERY_NS of log time,
   * so the write happens here rather than inside a tick.
   */
  idle(): void {
    if (!this.writer || this.closed || this.failure !== null) return;
    if (this.lastPublishNs - this.lastFlushNs >= FLUSH_EVERY_NS) {
      this.lastFlushNs = this.lastPublishNs;
      try {
        this.writer.flushChunk();
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Writes the end record ("locomote.episode") and finalizes the file. Idempotent. */
  close(end: Readonly<Record<string, string>> = {}): void {
    if (this.closed) return;
    try {
      if (Number.isNaN(this.t0)) this.start(this.o.clock.now());
      const p = this.sim;
      const rewardTerms: Record<string, number> = {};
      p?.metrics.forEach((name, m) => {
        if (name.startsWith("reward_")) rewardTerms[name] = p.termSums[m]!;
      });
      this.metadata(META_EPISODE, {
        length: String(this.policySteps),
        return: p ? json(p.ret) : "",
        reward_terms: json(rewardTerms),
        terminated: "false",
        commands: String(this.commandsSent),
        ...(p ? { sim_steps: String(p.source.steps), falls: String(p.source.falls), slips: String(p.source.slips) } : {}),
        end_time_ns: String(this.lastPublishNs),
        ...end,
      });
    } finally {
      this.closed = true;
      if (this.sim) this.sim.source.stepObserver = null;
      if (this.writer && !this.writer.closed) this.writer.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private start(t0: number): void {
    this.t0 = t0;
    const startUnixMs = Date.now() - (this.o.clock.now() - t0);
    this.metadata(META_SESSION, { ...this.sessionMeta, start_time_unix_ns: String(BigInt(Math.round(startUnixMs * 1000)) * 1000n) });
    const p = this.sim;
    if (p) {
      p.source.readState(p.qpos, p.qvel);
      this.metadata(META_SIM_INITIAL_STATE, {
        qpos: json(Array.from(p.qpos)),
        qvel: json(Array.from(p.qvel)),
        observation: json(Array.from(this.o.port.buffers.obs)),
        seed: String(this.o.config.sim_transport.seed),
        sim_steps: String(p.source.steps),
      });
    }
    if (this.urdfCdr !== null) this.publish(this.ch.description, 0, this.urdfCdr);
    // The state at log time 0 (the sim anchors its clock at this tick's sense, without a step).
    if (p) this.publishSimState(p, 0, p.source.steps);
  }

  private buildSessionMeta(): Record<string, string> {
    const { config, policy, decimation, launchFile } = this.o;
    const spec = policy.spec;
    const sim = this.sim;
    const meta: Record<string, string> = {
      format: DEPLOY_LOG_FORMAT,
      format_version: String(DEPLOY_LOG_FORMAT_VERSION),
      locomote_version: locomoteVersion(),
      node_version: process.version,
      git_commit: gitCommit(),
      host: hostname(),
      source: "deploy",
      robot: config.robot,
      transport: config.transport,
      ...(sim ? { sim: config.sim, task: sim.source.task.name, seed: String(config.sim_transport.seed), reset_on_fall: String(config.sim_transport.reset_on_fall) } : {}),
      dt: json(spec.dt),
      rate_hz: json(config.rate_hz),
      decimation: String(decimation),
      launch_file: launchFile,
      time_base:
        "log time = monotonic clock since the first control tick (ns), wall clock of 0 in start_time_unix_ns; sim-step messages at the clock time of their state, stamped with sim time (/clock)",
      controller: config.ros2.controller,
      controller_joints: json(this.commands.joints),
      controller_interface: this.commands.interfaceName,
      observation_names: json(spec.observation.names),
      action_names: json(spec.action.names),
      phases: json(PHASES),
      status_fields: json(STATUS_FIELDS),
      deploy_config: json(config),
      ...policySessionMeta(config.policy, policy.manifest),
    };
    if (sim) {
      const state = sim.source.task.state;
      meta["metrics"] = json(sim.metrics);
      meta["qpos_names"] = json(state.qposNames);
      meta["qvel_names"] = json(state.qvelNames);
      meta["joints"] = json(state.joints.map((j) => j.name));
      meta["links"] = json(state.links);
    } else if (this.ros2) {
      meta["joints"] = json(this.ros2.assembler.jointStates.joints);
    }
    return { ...meta, ...(this.o.session ?? {}) };
  }

  private logNs(tMs: number): number {
    const d = tMs - this.t0;
    return d > 0 ? Math.round(d * 1e6) : 0;
  }

  private publish(channel: number, tNs: number, data: Uint8Array): void {
    if (this.failure !== null || this.closed) return;
    if (tNs > this.lastPublishNs) this.lastPublishNs = tNs;
    try {
      this.sink.publish(channel, BigInt(tNs), data);
    } catch (err) {
      this.fail(err);
    }
  }

  private metadata(name: string, data: Readonly<Record<string, string>>): void {
    if (this.failure !== null) return;
    try {
      this.sink.metadata?.(name, data);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Stops recording after a write error; the file keeps what was written (finalized if possible). */
  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err instanceof Error ? err.message : String(err);
    if (!this.o.onError) throw err;
    try {
      this.writer?.close();
    } catch {
      // the file keeps its closed chunks
    }
    this.o.onError(`session log: recording stopped: ${this.failure}`);
  }
}
