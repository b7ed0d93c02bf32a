/**
 * The live-view options shared by `train --view`, `eval --view` and `replay --serve`: where the
 * server listens, starting it on its thread (src/view/view-thread.ts) with the URLs printed,
 * and waiting for Ctrl-C while it keeps serving.
 */
import { isLoopbackHost } from "../view/live-view-server.js";
import type { LiveViewThread } from "../view/view-thread.js";

export interface ViewCliOptions {
  /** TCP port (0 = any free port). */
  readonly port: number;
  /** Interface to bind (loopback unless `allowRemote`). */
  readonly host: string;
  /** Allow a non-loopback host (the view has no authentication). */
  readonly allowRemote: boolean;
}

export const DEFAULT_VIEW_PORT = 8765;
export const DEFAULT_VIEW_HOST = "127.0.0.1";

/** `--view [port]` (or `--serve [port]`), `--view-host`, `--view-allow-remote` as commander parses them. */
export interface ViewFlags {
  readonly port: string | boolean | undefined;
  readonly viewHost?: string | undefined;
  readonly viewAllowRemote?: boolean | undefined;
}

/** A bad view flag: one line, exit status 2 (main.ts prints errors named UsageError as they are). */
export class ViewFlagError extends Error {
  override readonly name = "UsageError";
}

/**
 * Commander gives an optional `--view [port]` the word after it, also when that word is the
 * command's file or a `name:=value`: such a word goes back in front of the positional words.
 */
export function giveBackViewWord(port: string | boolean | undefined, words: readonly string[]): { port: string | boolean | undefined; words: string[] } {
  if (typeof port !== "string" || /^\d+$/.test(port)) return { port, words: [...words] };
  return { port: true, words: [port, ...words] };
}

/** The view settings of the flags (null without `flag`); throws a one-line ViewFlagError. */
export function parseViewFlags(flags: ViewFlags, command: string, flag = "--view"): ViewCliOptions | null {
  if (flags.port === undefined || flags.port === false) {
    if (flags.viewHost !== undefined) throw new ViewFlagError(`${command}: --view-host needs ${flag}`);
    if (flags.viewAllowRemote) throw new ViewFlagError(`${command}: --view-allow-remote needs ${flag}`);
    return null;
  }
  let port = DEFAULT_VIEW_PORT;
  if (typeof flags.port === "string") {
    port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port > 65535) {
      throw new ViewFlagError(`${command}: ${flag} [port]: expected a port number 0-65535 (0: any free port), got "${flags.port}"`);
    }
  }
  const host = flags.viewHost ?? DEFAULT_VIEW_HOST;
  const allowRemote = flags.viewAllowRemote ?? false;
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new ViewFlagError(
      `${command}: --view-host ${host} is not a loopback address: the live view has no authentication and would be reachable from other machines; add --view-allow-remote to allow it`,
    );
  }
  return { port, host, allowRemote };
}

/** Starts the live view and prints where to find it (stderr, so stdout stays the command's output). */
export async function startView(options: ViewCliOptions, name: string): Promise<LiveViewThread> {
  const { LiveViewThread } = await import("../view/view-thread.js");
  const view = await LiveViewThread.start({ port: options.port, host: options.host, allowRemote: options.allowRemote, name });
  process.stderr.write(`locomote: live view: ${view.url}  (Foxglove / Lichtblick: open connection → Foxglove WebSocket → ${view.wsUrl})\n`);
  return view;
}

/** Resolves on the next SIGINT or SIGTERM (handled: the process does not exit by itself). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}
