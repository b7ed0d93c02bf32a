/**
 * A deployment: the lifecycle around the control loop, for either transport.
 *
 *   configure  load the policy, check it against the robot description (and, for the sim, the
 *              task's port spec), build the transport, the safety layer and the controller;
 *   activate   start-up sequence (zero → default pose → fade-in), at the next tick;
 *   deactivate safe command for stop_s, then the passive command;
 *   shutdown   deactivate if needed, stop the loop, write the recording, finalize the session
 *              log, close the transport.
 *
 * The session log (src/log/deploy-recorder.ts) is an MCAP file in `log_dir` (default
 * runs/deploy/<robot>-<YYYYMMDD-HHMMSS>.mcap) and/or extra sinks (the live view); it sees every
 * tick and command through the controller's observer and every sim step through the sim transport.
 *
 * `run()` ticks the loop until a stop was requested and the controller is inactive. The CLI maps
 * Ctrl-C to `requestStop`; the ROS 2 adapter maps lifecycle transitions to these requests.
 */
import type { DeployConfig } from "../launch/deploy-config.js";
import { deployLogPath, DeploySessionRecorder } from "../log/deploy-recorder.js";
import type { TopicSink } from "../log/topic-sink.js";
import { loadPolicy } from "../policy/artifact.js";
import type { FrozenPolicy } from "../policy/frozen.js";
import { specMismatch } from "../policy/manifest.js";
import type { RobotDescription } from "../robot/description.js";
import { loadRobot } from "../robot/load.js";
import { loadTask } from "../sim/registry.js";
import { actuatedJoints, type ActuatedJoint } from "./actuation.js";
import { checkPolicyForRobot, checkRos2Sources, policyDecimation } from "./check.js";
import { DeployController } from "./controller.js";
import { DeployError } from "./errors.js";
import { MessageMappingError } from "./messages.js";
import { StreamLog, TeeLog, type DeployLog } from "./log.js";
import { RateLimiter, type RateLimiterOptions } from "./rate-limiter.js";
import { TickRecorder } from "./recorder.js";
import { systemClock, type Clock, type RobotPort } from "./robot-port.js";
import { SafetyLayer } from "./safety.js";
import { SimRealtimePort } from "./sim-transport.js";
import { LoopStats, type LoopTiming } from "./stats.js";

/** Builds the transport once the policy and robot are known (ROS 2: src/ros2). */
export type TransportFactory = (ctx: TransportContext) => Promise<RobotPort>;

export interface TransportContext {
  readonly config: DeployConfig;
  readonly policy: FrozenPolicy;
  readonly robot: RobotDescription;
  /** Diagnostics; a transport may add a sink (ROS 2: /rosout). */
  readonly log: TeeLog;
  readonly clock: Clock;
  /** The launch file, for error messages. */
  readonly where: string;
}

export interface DeploymentOptions {
  /** Launch file as displayed, for error messages. */
  readonly where: string;
  readonly log?: DeployLog;
  readonly clock?: Clock;
  /** Transport for `transport: ros2` (the CLI passes src/ros2's; tests may pass their own). */
  readonly ros2Transport?: TransportFactory;
  readonly rateLimiter?: RateLimiterOptions;
  /** Capacity of the timing sample buffers (ticks); default: duration or 10 minutes of ticks. */
  readonly statsCapacity?: number;
  /** Further sinks of the session log's messages (the live view), besides the MCAP file of `log_dir`. */
  readonly sessionSinks?: readonly TopicSink[];
  /** Extra session metadata (the CLI: launch arguments). */
  readonly sessionMeta?: Readonly<Record<string, string>>;
}

export interface DeploymentResult {
  /** Why the loop ended. */
  readonly stopReason: string;
  /** Latched safety trip reason at the end, if any (the first one). */
  readonly trips: readonly string[];
  readonly timing: LoopTiming;
  readonly policySteps: number;
  readonly recordFile: string | null;
  /** The session log (MCAP), if one is written. */
  readonly logFile: string | null;
}

export class Deployment {
  readonly controller: DeployController;
  readonly safety: SafetyLayer;
  readonly stats: LoopStats;
  readonly limiter: RateLimiter;
  readonly recorder: TickRecorder | null;
  /** The session log (MCAP file and/or live view), null when neither is wanted. */
  readonly session: DeploySessionRecorder | null;
  readonly joints: readonly ActuatedJoint[];
  private stopReason: string | null = null;
  private activateRequested = false;
  private startedAt = NaN;
  private readonly trips: string[] = [];
  private running = false;

  private constructor(
    readonly config: DeployConfig,
    readonly port: RobotPort,
    readonly policy: FrozenPolicy,
    readonly robot: RobotDescription,
    readonly log: DeployLog,
    readonly clock: Clock,
    options: DeploymentOptions,
    joints: readonly ActuatedJoint[],
    decimation: number,
  ) {
    const c = config;
    const periodMs = 1000 / c.rate_hz;
    this.joints = joints;
    this.safety = new SafetyLayer({
      joints,
      observationNames: policy.spec.observation.names,
      observationLimits: c.safety.observation_limits,
      periodMs,
      watchdogPeriods: c.safety.watchdog_periods,
      jointLimitMargin: c.safety.joint_limit_margin,
      velocityLimitScale: c.safety.velocity_limit_scale,
      where: options.where,
    });
    const capacity = options.statsCapacity ?? Math.ceil((c.duration_s ?? 600) * c.rate_hz) + 16;
    this.stats = new LoopStats(capacity, periodMs);
    this.recorder = c.record ? new TickRecorder(policy.spec.observation.names, policy.spec.action.names, c.record_s * c.rate_hz) : null;
    this.limiter = new RateLimiter(c.rate_hz, clock, options.rateLimiter ?? (c.spin_ms !== null ? { yieldLeadMs: c.spin_ms } : {}));
    this.controller = new DeployController({
      port,
      policy,
      joints,
      safety: this.safety,
      rateHz: c.rate_hz,
      decimation,
      startup: { zeroS: c.startup.zero_s, interpolateS: c.startup.interpolate_s, fadeS: c.startup.fade_s },
      safeCommand: c.safety.safe_command,
      stopS: c.safety.stop_s,
      log,
      clock,
      recorder: this.recorder,
      stats: this.stats,
    });
    const sinks = options.sessionSinks ?? [];
    if (c.log_dir !== null || sinks.length > 0) {
      let file: string | null = null;
      try {
        if (c.log_dir !== null) file = deployLogPath(c.log_dir, c.robot);
        this.session = new DeploySessionRecorder({
          config: c,
          policy,
          robot,
          port,
          decimation,
          launchFile: options.where,
          file,
          sinks,
          ...(options.sessionMeta ? { session: options.sessionMeta } : {}),
          clock,
          status: () => ({ phase: this.controller.phase, alpha: this.controller.alpha, tripped: this.safety.tripped, reason: this.safety.reason }),
          // A full disk must not stop the robot: the recorder stops, the loop goes on.
          onError: (message) => log.write("error", message),
        });
      } catch (err) {
        if (err instanceof DeployError) throw err;
        if (err instanceof MessageMappingError) throw new DeployError(options.where, "deploy.ros2", err.message);
        const what = err instanceof Error ? err.message : String(err);
        throw new DeployError(options.where, "deploy.log_dir", `cannot write the session log${file ? ` ${file}` : ""}: ${what}`);
      }
      this.controller.observer = this.session;
      if (log instanceof TeeLog) log.add(this.session);
    } else {
      this.session = null;
    }
  }

  /** The configure transition: loads and checks everything; throws DeployError on a mismatch. */
  static async configure(config: DeployConfig, options: DeploymentOptions): Promise<Deployment> {
    const where = options.where;
    const log = new TeeLog(options.log ?? new StreamLog());
    const clock = options.clock ?? systemClock;
    const robot = loadRobot(config.robot);
    const policy = await loadPolicy(config.policy);
    const policyWhere = config.policy;
    checkPolicyForRobot(policy, robot, policyWhere);
    const decimation = policyDecimation(policy.spec.dt, config.rate_hz, where);
    const joints = actuatedJoints(policy.spec, robot, {
      startupKp: config.startup.kp,
      startupKd: config.startup.kd,
      dampingKd: config.safety.damping_kd,
      holdKp: config.safety.hold_kp,
      defaultPose: config.startup.default_pose,
    }, where);
    for (const j of joints) {
      if (j.obsPosition < 0) throw new DeployError(policyWhere, "spec.observation", `no "${j.joint}.position": the start-up and safe commands need every actuated joint's position`);
      if (j.obsVelocity < 0 && j.interface === "effort") throw new DeployError(policyWhere, "spec.observation", `no "${j.joint}.velocity": damping an effort joint needs its velocity`);
    }

    warmUp(policy);

    let port: RobotPort;
    if (config.transport === "sim") {
      const task = await loadTask(config.sim);
      const mismatch = specMismatch(policy.spec, task.spec);
      if (mismatch) throw new DeployError(policyWhere, null, `does not fit sim "${task.name}": ${mismatch}`);
      port = new SimRealtimePort(task, { seed: config.sim_transport.seed, resetOnFall: config.sim_transport.reset_on_fall });
    } else {
      // Before ROS 2 is touched: every observation element has a message field and its topic is configured.
      checkRos2Sources(policy.spec.observation, robot, config.ros2, where);
      if (!options.ros2Transport) throw new DeployError(where, "deploy.transport", 'got "ros2", but this build has no ROS 2 transport');
      port = await options.ros2Transport({ config, policy, robot, log, clock, where });
    }
    let deployment: Deployment;
    try {
      deployment = new Deployment(config, port, policy, robot, log, clock, options, joints, decimation);
    } catch (err) {
      port.close();
      throw err;
    }
    const m = policy.manifest;
    log.write(
      "info",
      `configure: policy ${config.policy} (${m.provenance.algo}, ${m.network.obs_dim} obs → [${m.network.hidden.join(", ")}] → ${m.network.act_dim} actions, dt ${m.spec.dt} s) fits robot ${robot.name}: joints ${m.joints.join(", ")}; transport ${port.describe()}; loop ${config.rate_hz} Hz`,
    );
    if (deployment.session?.file) log.write("info", `session log: ${deployment.session.file}`);
    return deployment;
  }

  /** Requests activation at the next tick. */
  requestActivate(): void {
    this.activateRequested = true;
  }

  /** Requests deactivation (safe stop); the loop keeps running. */
  requestDeactivate(why: string): Promise<void> {
    this.activateRequested = false;
    return this.controller.deactivate(why);
  }

  /**
   * Requests the end of the run: deactivate (safe command for stop_s), then stop the loop. A
   * second request while stopping sends the passive command at once.
   */
  requestStop(why: string): void {
    if (this.stopReason !== null) {
      this.controller.stopNow(`${why} again`);
      return;
    }
    this.stopReason = why;
    this.activateRequested = false;
    void this.controller.deactivate(why);
  }

  /** Runs the loop (activating first when `activate`) until a stop was requested and the robot is safe. */
  async run(options: { activate?: boolean } = {}): Promise<DeploymentResult> {
    if (this.running) throw new Error("Deployment.run: already running");
    this.running = true;
    if (options.activate ?? true) this.activateRequested = true;
    const duration = this.config.duration_s;
    await this.limiter.loop((now, scheduled) => {
      if (this.activateRequested && this.stopReason === null) {
        this.activateRequested = false;
        this.startedAt = scheduled;
        this.controller.activate(scheduled);
      }
      const wasTripped = this.safety.tripped;
      this.controller.tick(now, scheduled);
      if (!wasTripped && this.safety.tripped) this.trips.push(this.safety.reason);
      if (duration !== null && this.stopReason === null && scheduled - this.startedAt >= duration * 1000) this.requestStop(`duration ${duration} s`);
      return !(this.stopReason !== null && !this.controller.active);
    }, this.clock.now(), (deadline) => {
      this.controller.prepare(deadline);
      this.session?.idle();
    });
    this.running = false;
    return this.result();
  }

  /**
   * Closes the transport, writes the recording and finalizes the session log (after `run`, or
   * instead of it). Idempotent for the log.
   */
  shutdown(): string | null {
    this.controller.stopNow("shutdown");
    this.closeSession();
    let file: string | null = null;
    if (this.recorder && this.config.record) {
      this.recorder.write(this.config.record);
      file = this.config.record;
      this.log.write("info", `recorded the last ${this.config.record_s} s of ticks to ${file}`);
    }
    this.port.close();
    return file;
  }

  /** Writes the session log's end record and finalizes the file (errors are logged, not thrown). */
  private closeSession(): void {
    const session = this.session;
    if (!session || session.isClosed) return;
    const r = this.result();
    const t = r.timing;
    const stop = this.stopReason;
    const num = (v: number): string => (Number.isFinite(v) ? String(+v.toPrecision(6)) : "");
    try {
      session.close({
        stop_reason: stop ?? "shutdown",
        truncated: String(stop !== null && stop.startsWith("duration")),
        interrupted: String(stop === null || !stop.startsWith("duration")),
        trips: JSON.stringify(r.trips),
        policy_steps: String(r.policySteps),
        ticks: String(t.ticks),
        overruns: String(t.overruns),
        loop_jitter_ms_p50: num(t.loop_jitter_ms.p50),
        loop_jitter_ms_p99: num(t.loop_jitter_ms.p99),
        loop_jitter_ms_max: num(t.loop_jitter_ms.max),
        inference_us_p50: num(t.inference_us.p50),
        inference_us_p99: num(t.inference_us.p99),
      });
      if (session.file) this.log.write("info", `session log: ${session.file} (${session.messages} messages)`);
    } catch (err) {
      this.log.write("error", `could not finalize the session log ${session.file ?? ""}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private result(): DeploymentResult {
    return {
      stopReason: this.stopReason ?? "stopped",
      trips: [...this.trips],
      timing: this.stats.summary(this.limiter.ticks, this.limiter.overruns),
      policySteps: this.controller.policySteps,
      recordFile: this.config.record,
      logFile: this.session?.file ?? null,
    };
  }
}

/** Runs the policy a few thousand times so the first control ticks do not pay for JIT compilation. */
function warmUp(policy: FrozenPolicy): void {
  const obs = new Float32Array(policy.obsDim);
  const out = new Float32Array(policy.actDim);
  const mean = policy.manifest.observation_normalization?.mean;
  if (mean) obs.set(mean);
  for (let i = 0; i < 3000; i++) {
    obs[i % obs.length] = obs[i % obs.length]! + 1e-3;
    policy.act(obs, 1, out);
  }
}
