/**
 * `locomote deploy`: runs a deploy launch file — configure, activate, then the control loop
 * until Ctrl-C (or the launch file's duration) — and `locomote sim-robot`: the simulated robot
 * as a ROS 2 ros2_control robot. Ctrl-C sends the safe command for stop_s before exiting (130);
 * a second Ctrl-C sends the passive command at once. SIGUSR1 asserts the e-stop input.
 *
 * The session log (`log_dir`, an MCAP file) is finalized on every way out: a normal stop,
 * Ctrl-C/SIGTERM (after the safe stop), a safety trip followed by a stop, an error in the loop
 * (Deployment.shutdown in `finally`), and `process.exit` (open-logs' exit hook). A third signal
 * while the stop is stuck finalizes the open logs and exits at once. SIGKILL leaves every closed
 * chunk readable (at most the last quarter second is lost).
 *
 * `--view [port]` starts a live view (src/view/live-view-server.ts) that gets the same channels
 * as the session log.
 */
import { displayPath } from "../launch/errors.js";
import type { DeployLaunchResult } from "../launch/index.js";
import { Deployment, type DeploymentResult, type TransportContext } from "../deploy/deployment.js";
import { StreamLog } from "../deploy/log.js";
import type { RobotPort } from "../deploy/robot-port.js";
import { closeOpenLogs } from "../log/open-logs.js";
import type { LiveViewServer } from "../view/live-view-server.js";
import { ViewFlagError, type ViewCliOptions } from "./view-options.js";

export interface RunDeployOptions {
  /** `--view`: a live view fed with the session's channels (src/cli/view-options.ts parses the flags). */
  readonly view?: ViewCliOptions | null;
}

interface Attachable {
  attach(handlers: { activate(): void; deactivate(why: string): void; shutdown(why: string): void }): void;
}

function isAttachable(port: RobotPort): port is RobotPort & Attachable {
  return typeof (port as Partial<Attachable>).attach === "function";
}

export async function runDeploy(launch: DeployLaunchResult, options: RunDeployOptions = {}): Promise<number> {
  const where = displayPath(launch.file);
  const log = new StreamLog(process.stderr);
  let view: LiveViewServer | null = null;
  if (options.view) {
    const { LiveViewServer } = await import("../view/live-view-server.js");
    const v = options.view;
    try {
      view = await LiveViewServer.start({ host: v.host, port: v.port, allowRemote: v.allowRemote, name: `locomote deploy ${launch.config.robot}` });
    } catch (err) {
      throw new ViewFlagError(`deploy: --view: ${err instanceof Error ? err.message : String(err)}`);
    }
    log.write("info", `live view: ${view.url}  (Foxglove: open connection ${view.wsUrl})`);
  }
  let deployment: Deployment;
  try {
    deployment = await Deployment.configure(launch.config, {
      where,
      log,
      ros2Transport: async (ctx: TransportContext) => (await import("../ros2/transport.js")).createRos2Transport(ctx),
      ...(view ? { sessionSinks: [view] } : {}),
      sessionMeta: { launch_args: JSON.stringify(launch.args), command: ["locomote", ...process.argv.slice(2)].join(" ") },
    });
  } catch (err) {
    await view?.close();
    throw err;
  }
  let interrupted = false;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    signals++;
    if (signals >= 3) {
      // The stop is stuck (the loop does not end): passive command, finalize the logs, leave.
      log.write("warn", `${signal} a third time: passive command, finalizing the session log and exiting now`);
      try {
        deployment.shutdown();
      } finally {
        closeOpenLogs();
        process.exit(130);
      }
    }
    log.write("info", `${signal}: stopping (safe command first)`);
    deployment.requestStop(signal === "SIGINT" ? "Ctrl-C" : signal);
  };
  const onEstop = (): void => {
    deployment.port.estop[0] = 1;
    log.write("info", "SIGUSR1: e-stop input asserted");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGUSR1", onEstop);
  let result: DeploymentResult;
  try {
    const port = deployment.port;
    if (isAttachable(port)) {
      port.attach({
        activate: () => deployment.requestActivate(),
        deactivate: (why) => void deployment.requestDeactivate(why),
        shutdown: (why) => deployment.requestStop(why),
      });
    }
    result = await deployment.run({ activate: !isAttachable(port) });
  } finally {
    try {
      deployment.shutdown();
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("SIGUSR1", onEstop);
      await view?.close();
    }
  }
  process.stdout.write(formatResult(result, deployment));
  return interrupted ? 130 : 0;
}

function formatResult(r: DeploymentResult, d: Deployment): string {
  const t = r.timing;
  const f = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
  const lines = [
    `deploy: stopped (${r.stopReason}); ${t.ticks} ticks at ${d.config.rate_hz} Hz, ${t.overruns} overruns, ${r.policySteps} policy steps`,
    `  loop period jitter: p50 ${f(t.loop_jitter_ms.p50, 3)} ms, p99 ${f(t.loop_jitter_ms.p99, 3)} ms, max ${f(t.loop_jitter_ms.max, 3)} ms`,
    `  policy inference (batch 1): p50 ${f(t.inference_us.p50, 1)} µs, p99 ${f(t.inference_us.p99, 1)} µs`,
    `  safety trips: ${r.trips.length === 0 ? "none" : r.trips.join("; ")}`,
  ];
  const summary = d.port.summary?.();
  if (summary) lines.push(`  ${summary}`);
  if (r.recordFile) lines.push(`  recording: ${r.recordFile}`);
  if (r.logFile) lines.push(`  session log: ${r.logFile} (locomote replay ${r.logFile})`);
  return `${lines.join("\n")}\n`;
}

export async function runSimRobot(robot: string, options: { sim?: string; controller: string; rateHz?: number; seed: number }): Promise<number> {
  const { runSimRobotNode } = await import("../ros2/sim-robot.js");
  const log = new StreamLog(process.stderr);
  return runSimRobotNode({ robot, sim: options.sim ?? robot, controller: options.controller, rateHz: options.rateHz ?? null, seed: options.seed, log });
}
