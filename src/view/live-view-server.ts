/**
 * Live view: a Foxglove WebSocket protocol server (`foxglove.websocket.v1`) that is also a
 * `TopicSink`, plus a self-contained web page (robot drawn from /tf, reward plot) served by the
 * same HTTP server. Foxglove / Lichtblick connect to `ws://host:port`; a browser opens
 * `http://host:port/`.
 *
 * Channels carry exactly what the MCAP logs carry: CDR payloads with `ros2msg` schemas
 * (`src/log/ros-msgs.ts`). Latched channels (`qos: "latched"`, e.g. /robot_description) and
 * the latest /tf (and /tf_static) are kept and replayed to each client when it subscribes, so
 * a client that connects mid-episode still gets the URDF and draws the robot at once.
 *
 * Cost: with no client subscribed to a channel, `publish` is a bounds check and, for the kept
 * channels, two field stores. Training can publish unconditionally.
 *
 * How the commands should use it (the CLI owns the `--view` flags):
 *
 * ```ts
 * const view = await LiveViewServer.start({ port: 8765, name: `locomote ${command} ${robot}` });
 * console.error(`live view: ${view.url}  (Foxglove: open connection ${view.wsUrl})`);
 * const sink = mcapSink ? new FanOutSink([mcapSink, view]) : view;
 * // …give `sink` to the episode recorder; it adds its channels and publishes…
 * await view.close(); // at exit (also on Ctrl-C)
 * ```
 *
 * - `eval`, `deploy`, `replay`: publish every episode as it runs (replay: at the log's pace).
 * - `train`: show the best deterministic eval episode so far, not the training rollouts: record
 *   each eval episode into an `EpisodeBuffer` (`./episode-buffer.ts`) and play the best one to
 *   the view in a loop (see there). `hasSubscribers` / `isSubscribed(id)` tell a producer
 *   whether anyone is watching, to skip encoding work.
 * - Binding anything but loopback (127.0.0.0/8, ::1, localhost) needs `allowRemote: true`,
 *   behind an explicit CLI opt-in: the server has no authentication.
 * - Message times are log times (ns); publish /robot_description (latched) before the episode.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { join } from "node:path";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { schemaText } from "../log/ros-msgs.js";
import type { ChannelSpec, TopicSink } from "../log/topic-sink.js";
import { packageRoot } from "../robot/load.js";
import { viewPageHtml } from "./page-html.js";
import { FoxgloveServer } from "./ws-protocol.js";

export const FOXGLOVE_SUBPROTOCOL = "foxglove.websocket.v1";

export interface LiveViewOptions {
  /** Interface to bind (default 127.0.0.1). Non-loopback needs `allowRemote`. */
  readonly host?: string;
  /** TCP port (default 8765; 0 = any free port, read it back from `port`). */
  readonly port?: number;
  /** Allow binding a non-loopback interface (reachable from other machines, no auth). */
  readonly allowRemote?: boolean;
  /** Server name shown by Foxglove and the page (default "locomote"). */
  readonly name?: string;
  /** The page's JS bundle (default: `dist/view/page.js` of the package, built by `npm run build`). */
  readonly pageBundle?: string;
}

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped 127.x) and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v = isIP(h);
  if (v === 4) return h.split(".")[0] === "127";
  if (v === 6) {
    if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.split(".")[0] === "127";
  }
  return false;
}

/** A channel as the sink knows it. */
interface ViewChannel {
  readonly spec: ChannelSpec;
  readonly foxId: number;
  /** Latched channels and /tf: the last message is replayed to new subscribers. */
  readonly keepLatest: boolean;
  subscribed: boolean;
  lastTimeNs: bigint;
  lastData: Uint8Array | undefined;
}

/** Per-connection subscriptions (subscription id → channel), mirrored from the client's ops. */
interface ClientState {
  readonly subs: Map<number, number>;
  readonly channels: Set<number>;
}

const MESSAGE_DATA_OPCODE = 1;

function defaultPageBundle(): string {
  return join(packageRoot(), "dist", "view", "page.js");
}

function frameMessageData(subId: number, timeNs: bigint, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(13 + data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, MESSAGE_DATA_OPCODE);
  dv.setUint32(1, subId, true);
  dv.setBigUint64(5, BigInt.asUintN(64, timeNs), true);
  out.set(data, 13);
  return out;
}

function rawToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

export class LiveViewServer implements TopicSink {
  private readonly channels: ViewChannel[] = [];
  private readonly byFoxId = new Map<number, ViewChannel>();
  private readonly clients = new Map<WebSocket, ClientState>();
  private closed = false;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly fox: FoxgloveServer,
    readonly host: string,
    readonly port: number,
    readonly name: string,
  ) {}

  /**
   * Starts the HTTP + WebSocket server. Rejects when `host` is not loopback and `allowRemote`
   * is not set, or when the port is taken.
   */
  static async start(options: LiveViewOptions = {}): Promise<LiveViewServer> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 8765;
    const name = options.name ?? "locomote";
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`live view: port must be an integer in [0, 65535] (0 = any free port), got ${port}`);
    }
    if (!isLoopbackHost(host) && options.allowRemote !== true) {
      throw new Error(
        `live view: refusing to bind ${host}: it is not a loopback address, so the live view ` +
          `(no authentication) would be reachable from other machines. Bind 127.0.0.1, ::1 or ` +
          `localhost, or allow it explicitly with allowRemote: true (the CLI's explicit ` +
          `remote opt-in).`,
      );
    }
    const pageBundle = options.pageBundle ?? defaultPageBundle();

    const fox = new FoxgloveServer({ name, capabilities: [], supportedEncodings: ["cdr"] });
    let self: LiveViewServer | undefined;
    const http = createServer((req, res) => {
      void serveHttp(req, res, pageBundle, () => self?.name ?? name);
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        http.off("listening", onListening);
        if (err.code === "EADDRINUSE") {
          reject(new Error(`live view: port ${port} on ${host} is already in use (another live view?); choose another port, or 0 for any free port`));
        } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
          reject(new Error(`live view: cannot bind ${host}: no such local address (${err.code})`));
        } else {
          reject(new Error(`live view: cannot listen on ${host}:${port}: ${err.message}`));
        }
      };
      const onListening = (): void => {
        http.off("error", onError);
        resolve();
      };
      http.once("error", onError);
      http.once("listening", onListening);
      http.listen(port, host);
    });
    // Attached once listening (ws re-emits the server's errors, e.g. EADDRINUSE, on itself).
    const wss = new WebSocketServer({
      server: http,
      handleProtocols: (protocols) => (protocols.has(FOXGLOVE_SUBPROTOCOL) ? FOXGLOVE_SUBPROTOCOL : false),
    });
    wss.on("error", () => {
      // Only listen errors are re-emitted here, and listening already succeeded.
    });
    const bound = (http.address() as AddressInfo).port;
    self = new LiveViewServer(http, wss, fox, host, bound, name);
    self.attach();
    return self;
  }

  /** `http://host:port/`: the web page. */
  get url(): string {
    return `http://${this.hostForUrl()}:${this.port}/`;
  }

  /** `ws://host:port`: what Foxglove / Lichtblick connect to ("Foxglove WebSocket"). */
  get wsUrl(): string {
    return `ws://${this.hostForUrl()}:${this.port}`;
  }

  /** Connected WebSocket clients (Foxglove, pages). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** True when some client subscribes to at least one channel. */
  get hasSubscribers(): boolean {
    for (const c of this.channels) if (c.subscribed) return true;
    return false;
  }

  /**
   * True when a client subscribes to `channel`: producers may skip encoding a message nobody
   * receives (keep publishing latched channels and /tf, which late subscribers get).
   */
  isSubscribed(channel: number): boolean {
    return this.channels[channel]?.subscribed ?? false;
  }

  addChannel(spec: ChannelSpec): number {
    if (this.closed) throw new Error("live view: addChannel after close");
    const foxId = this.fox.addChannel({
      topic: spec.topic,
      encoding: "cdr",
      schemaName: spec.type,
      schema: schemaText(spec.type),
      schemaEncoding: "ros2msg",
    });
    const ch: ViewChannel = {
      spec,
      foxId,
      keepLatest: spec.qos === "latched" || spec.topic === "/tf" || spec.topic === "/tf_static",
      subscribed: false,
      lastTimeNs: 0n,
      lastData: undefined,
    };
    this.channels.push(ch);
    this.byFoxId.set(foxId, ch);
    return this.channels.length - 1;
  }

  /**
   * Sends to subscribed clients. `data` is kept by reference on latched channels and /tf
   * (replayed to late subscribers): do not mutate it after publishing.
   */
  publish(channel: number, timeNs: bigint, data: Uint8Array): void {
    const ch = this.channels[channel];
    if (ch === undefined) throw new Error(`live view: unknown channel ${channel}`);
    if (ch.keepLatest) {
      ch.lastTimeNs = timeNs;
      ch.lastData = data;
    }
    if (!ch.subscribed) return;
    // (BufferSource excludes SharedArrayBuffer-backed views in the types only; ws sends any view.)
    this.fox.sendMessage(ch.foxId, timeNs, data as Uint8Array<ArrayBuffer>);
  }

  /** Closes every connection and the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private hostForUrl(): string {
    const h = this.host === "0.0.0.0" ? "127.0.0.1" : this.host === "::" ? "::1" : this.host;
    return isIP(h) === 6 ? `[${h}]` : h;
  }

  private attach(): void {
    this.fox.on("subscribe", (id) => {
      const ch = this.byFoxId.get(id);
      if (ch) ch.subscribed = true;
    });
    this.fox.on("unsubscribe", (id) => {
      const ch = this.byFoxId.get(id);
      if (ch) ch.subscribed = false;
    });
    this.fox.on("error", () => {
      // A malformed client message: FoxgloveServer already ignored it.
    });
    this.wss.on("connection", (ws, req) => {
      if (ws.protocol !== FOXGLOVE_SUBPROTOCOL) {
        ws.close(1002, `expected subprotocol ${FOXGLOVE_SUBPROTOCOL}`);
        return;
      }
      const state: ClientState = { subs: new Map(), channels: new Set() };
      this.clients.set(ws, state);
      this.fox.handleConnection(ws, `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`);
      // Registered after FoxgloveServer's own handler, so a subscription is in place when this
      // runs: replay the kept messages of newly subscribed channels to this client only.
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        this.onClientText(ws, state, rawToText(data));
      });
      ws.on("close", () => this.clients.delete(ws));
      ws.on("error", () => this.clients.delete(ws));
    });
  }

  private onClientText(ws: WebSocket, state: ClientState, text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    const op = (msg as { op?: unknown }).op;
    if (op === "subscribe") {
      const subs = (msg as { subscriptions?: unknown }).subscriptions;
      if (!Array.isArray(subs)) return;
      for (const s of subs as unknown[]) {
        if (typeof s !== "object" || s === null) continue;
        const { id, channelId } = s as { id?: unknown; channelId?: unknown };
        if (typeof id !== "number" || typeof channelId !== "number") continue;
        // Same acceptance rules as FoxgloveServer.
        if (state.subs.has(id) || state.channels.has(channelId)) continue;
        const ch = this.byFoxId.get(channelId);
        if (!ch) continue;
        state.subs.set(id, channelId);
        state.channels.add(channelId);
        if (ch.keepLatest && ch.lastData !== undefined && ws.readyState === ws.OPEN) {
          ws.send(frameMessageData(id, ch.lastTimeNs, ch.lastData));
        }
      }
    } else if (op === "unsubscribe") {
      const ids = (msg as { subscriptionIds?: unknown }).subscriptionIds;
      if (!Array.isArray(ids)) return;
      for (const id of ids as unknown[]) {
        if (typeof id !== "number") continue;
        const chId = state.subs.get(id);
        if (chId === undefined) continue;
        state.subs.delete(id);
        state.channels.delete(chId);
      }
    }
  }
}

async function serveHttp(
  req: IncomingMessage,
  res: ServerResponse,
  pageBundle: string,
  name: () => string,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const headers = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { ...headers, Allow: "GET, HEAD", "Content-Type": "text/plain" }).end("method not allowed\n");
    return;
  }
  if (path === "/" || path === "/index.html") {
    res
      .writeHead(200, {
        ...headers,
        "Content-Type": "text/html; charset=utf-8",
        // Self-contained: nothing but this server (HTTP + its WebSocket).
        "Content-Security-Policy":
          "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:",
      })
      .end(req.method === "HEAD" ? undefined : viewPageHtml(name()));
    return;
  }
  if (path === "/page.js") {
    try {
      const js = await readFile(pageBundle);
      res.writeHead(200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" }).end(req.method === "HEAD" ? undefined : js);
    } catch {
      res
        .writeHead(404, { ...headers, "Content-Type": "text/plain" })
        .end(`live view page bundle not found at ${pageBundle}: run \`npm run build\`\n`);
    }
    return;
  }
  if (path === "/favicon.ico") {
    res.writeHead(204, headers).end();
    return;
  }
  res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end("not found\n");
}
