/**
 * The episode logs a process has open, so that an interrupt can finalize them.
 *
 * `McapLogWriter.close()` is synchronous, so finalizing is safe from any handler. The code that
 * owns the signals (the trainer, `eval --record`, deploy) calls `closeOpenLogs()` when it gives
 * up waiting for a graceful stop (a second Ctrl-C); a process exiting through `process.exit`
 * or running out of work closes whatever is still open from an `exit` listener. This module
 * installs no signal handler of its own: a competing SIGINT handler that exits would cut the
 * trainer's "finish the update, save a checkpoint" short.
 */

export interface ClosableLog {
  /** Finalizes the file (summary, footer). Idempotent, synchronous. */
  close(): void;
}

const open = new Set<ClosableLog>();
let exitHookInstalled = false;

/** Registers an open log (called by McapLogWriter when it opens a file). */
export function trackOpenLog(log: ClosableLog): void {
  open.add(log);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      closeOpenLogs();
    });
  }
}

/** Forgets a log (called by McapLogWriter when it closes). */
export function untrackOpenLog(log: ClosableLog): void {
  open.delete(log);
}

/** Number of logs currently open. */
export function openLogCount(): number {
  return open.size;
}

/** Finalizes every open log; returns how many were closed. Errors are reported on stderr, not thrown. */
export function closeOpenLogs(): number {
  let n = 0;
  for (const log of [...open]) {
    try {
      log.close();
      n++;
    } catch (err) {
      process.stderr.write(`locomote: could not finalize an episode log: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    open.delete(log);
  }
  return n;
}
