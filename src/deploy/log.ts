/**
 * Diagnostics of a deployment: one line per event (lifecycle transitions, phase changes, every
 * safety trip with its reason), prefixed with the time since start, e.g.
 * `[deploy +3.214s] SAFETY TRIP: watchdog: newest observation is 22.10 ms old (limit 10 periods = 20.0 ms) → safe command damping`.
 * The ROS 2 adapter also forwards them to the node's logger.
 */
export type LogLevel = "info" | "warn" | "error";

export interface DeployLog {
  write(level: LogLevel, message: string): void;
}

/** Writes to a stream (stderr by default), one line each. */
export class StreamLog implements DeployLog {
  private readonly t0 = performance.now();
  constructor(private readonly out: { write(text: string): unknown } = process.stderr) {}

  write(level: LogLevel, message: string): void {
    const t = ((performance.now() - this.t0) / 1000).toFixed(3);
    const tag = level === "info" ? "" : `${level.toUpperCase()}: `;
    this.out.write(`[deploy +${t}s] ${tag}${message.replace(/\s*\n\s*/g, " ")}\n`);
  }
}

/** Keeps lines in memory (tests), optionally passing them on. */
export class MemoryLog implements DeployLog {
  readonly lines: { level: LogLevel; message: string }[] = [];
  constructor(private readonly next?: DeployLog) {}

  write(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
    this.next?.write(level, message);
  }
}

/** Sends each line to every sink (the CLI's stream, and /rosout once a ROS 2 node exists). */
export class TeeLog implements DeployLog {
  private readonly sinks: DeployLog[];
  constructor(...sinks: DeployLog[]) {
    this.sinks = sinks;
  }

  add(sink: DeployLog): void {
    this.sinks.push(sink);
  }

  write(level: LogLevel, message: string): void {
    for (const s of this.sinks) s.write(level, message);
  }
}
