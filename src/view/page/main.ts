/**
 * The live view page (bundled into `page.js` by `src/view/build-page.ts`): a Foxglove WebSocket
 * client of the server that served it. It subscribes to every advertised channel (to count
 * messages), decodes /robot_description, /tf, /tf_static and /reward/* from CDR with the
 * channel's own ros2msg schema, draws the robot's capsules from the latest TF and plots the
 * reward per step of the current episode. State for tests: `window.locomoteView.snapshot()`.
 */
import { FoxgloveClient, type Channel, type MessageData } from "@foxglove/ws-protocol";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { drawPlot, drawRobot, fitCanvas, type Camera, type DrawnShape, type Series } from "./render.js";
import { compose, IDENTITY, robotModelFromUrdf, type Pose, type RobotModel } from "./robot-model.js";

interface ChannelInfo {
  readonly channel: Channel;
  /** undefined: not tried yet; null: not decodable (not cdr/ros2msg, or bad schema). */
  reader: MessageReader | null | undefined;
  count: number;
  arrivals: number[];
  subscription: number | undefined;
}

interface TfMsg {
  transforms: {
    header: { frame_id: string };
    child_frame_id: string;
    transform: { translation: { x: number; y: number; z: number }; rotation: { x: number; y: number; z: number; w: number } };
  }[];
}

interface EpisodeSeries {
  t: number[];
  v: number[];
}

type Status = "connecting" | "connected" | "disconnected" | "error";

const TERM_COLORS = ["#e07a2e", "#2fa36b", "#8a5cc7", "#c8465a", "#2aa3b8", "#d4a017", "#5b8c2a"];

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`live view page: missing #${id}`);
  return el as T;
};

const robotCanvas = $<HTMLCanvasElement>("robot-canvas");
const rewardCanvas = $<HTMLCanvasElement>("reward-canvas");
const robotCtx = robotCanvas.getContext("2d")!;
const rewardCtx = rewardCanvas.getContext("2d")!;

const params = new URLSearchParams(location.search);
const wsUrl = params.get("ws") ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;

const state = {
  status: "connecting" as Status,
  serverName: "",
  channels: new Map<number, ChannelInfo>(),
  bySubscription: new Map<number, ChannelInfo>(),
  model: undefined as RobotModel | undefined,
  modelError: undefined as string | undefined,
  tf: new Map<string, { parent: string; pose: Pose }>(),
  tfMessages: 0,
  tfDrawn: 0,
  draws: 0,
  drawn: [] as DrawnShape[],
  simTime: undefined as number | undefined,
  camera: { scale: 0, cx: 0, cy: 0 } as Camera,
  // Reward: the current and the previous episode.
  lastRewardT: -Infinity,
  episodeStart: undefined as number | undefined,
  total: { t: [], v: [] } as EpisodeSeries,
  terms: new Map<string, EpisodeSeries>(),
  prevTotal: undefined as EpisodeSeries | undefined,
  prevReturn: undefined as number | undefined,
  episodeReturn: 0,
  episodes: 0,
  decodeErrors: 0,
  robotDirty: true,
  rewardDirty: true,
};

const MAX_POINTS = 20000;

// ---------------------------------------------------------------------------------------------
// Messages

function readerOf(info: ChannelInfo): MessageReader | null {
  if (info.reader !== undefined) return info.reader;
  const c = info.channel;
  if (c.encoding !== "cdr" || (c.schemaEncoding !== undefined && c.schemaEncoding !== "ros2msg")) {
    info.reader = null;
  } else {
    try {
      info.reader = new MessageReader(parse(c.schema, { ros2: true }));
    } catch (err) {
      console.warn(`live view: cannot parse the schema of ${c.topic}`, err);
      info.reader = null;
    }
  }
  return info.reader;
}

function decode<T>(info: ChannelInfo, data: ArrayBufferView): T | undefined {
  const r = readerOf(info);
  if (!r) return undefined;
  try {
    return r.readMessage<T>(data);
  } catch (err) {
    state.decodeErrors++;
    console.warn(`live view: cannot decode a ${info.channel.topic} message`, err);
    return undefined;
  }
}

function onRewardSample(term: string | undefined, tNs: bigint, value: number): void {
  const t = Number(tNs) / 1e9;
  // Log times restart at each episode: a step back in time starts a new one.
  if (t < state.lastRewardT - 1e-9) newEpisode();
  state.lastRewardT = t;
  state.episodeStart ??= t;
  const series = term === undefined ? state.total : termSeries(term);
  if (series.t.length >= MAX_POINTS) {
    series.t.shift();
    series.v.shift();
  }
  series.t.push(t - state.episodeStart);
  series.v.push(value);
  if (term === undefined) state.episodeReturn += value;
  state.rewardDirty = true;
}

function termSeries(term: string): EpisodeSeries {
  let s = state.terms.get(term);
  if (!s) {
    s = { t: [], v: [] };
    state.terms.set(term, s);
  }
  return s;
}

function newEpisode(): void {
  if (state.total.t.length > 0) {
    state.prevTotal = state.total;
    state.prevReturn = state.episodeReturn;
  }
  state.episodes++;
  state.total = { t: [], v: [] };
  for (const s of state.terms.values()) {
    s.t.length = 0;
    s.v.length = 0;
  }
  state.episodeReturn = 0;
  state.episodeStart = undefined;
}

function onMessage(event: MessageData): void {
  const info = state.bySubscription.get(event.subscriptionId);
  if (!info) return;
  info.count++;
  info.arrivals.push(performance.now());
  if (info.arrivals.length > 400) info.arrivals.splice(0, info.arrivals.length - 200);
  const topic = info.channel.topic;
  const type = info.channel.schemaName;

  if (topic === "/robot_description" && type.endsWith("String")) {
    const msg = decode<{ data: string }>(info, event.data);
    if (msg) setRobotDescription(msg.data);
  } else if (type === "tf2_msgs/msg/TFMessage" || type === "tf2_msgs/TFMessage") {
    const msg = decode<TfMsg>(info, event.data);
    if (!msg) return;
    for (const tr of msg.transforms) {
      const { translation: p, rotation: q } = tr.transform;
      state.tf.set(tr.child_frame_id, { parent: tr.header.frame_id, pose: { p: [p.x, p.y, p.z], q: [q.x, q.y, q.z, q.w] } });
    }
    if (topic === "/tf") {
      state.tfMessages++;
      state.simTime = Number(event.timestamp) / 1e9;
    }
    state.robotDirty = true;
  } else if (topic === "/reward/total" || topic.startsWith("/reward/")) {
    const msg = decode<{ data: number }>(info, event.data);
    if (!msg || typeof msg.data !== "number") return;
    onRewardSample(topic === "/reward/total" ? undefined : topic.slice("/reward/".length), event.timestamp, msg.data);
  }
}

function setRobotDescription(xml: string): void {
  try {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length > 0) throw new Error("robot_description: malformed XML");
    state.model = robotModelFromUrdf(doc);
    state.modelError = undefined;
    state.camera = { scale: 0, cx: 0, cy: 0 };
    $("robot-title").textContent = `Robot — ${state.model.name}`;
  } catch (err) {
    state.model = undefined;
    state.modelError = err instanceof Error ? err.message : String(err);
  }
  state.robotDirty = true;
}

/** A frame's pose in the world: TF chain to "world" (or a URDF root), or a welded link's parent. */
function worldPose(frame: string, depth = 0): Pose | undefined {
  if (depth > 64) return undefined;
  if (frame === "world" || state.model?.roots.includes(frame)) return IDENTITY;
  const t = state.tf.get(frame);
  if (t) {
    const parent = worldPose(t.parent, depth + 1);
    return parent ? compose(parent, t.pose) : undefined;
  }
  const j = state.model?.parents.get(frame);
  if (j?.fixed) {
    const parent = worldPose(j.parent, depth + 1);
    return parent ? compose(parent, j.origin) : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Connection

function setStatus(s: Status, text?: string): void {
  state.status = s;
  const el = $("status");
  el.className = `pill ${s}`;
  el.textContent = text ?? s;
}

function subscribeAll(client: FoxgloveClient, channels: Channel[]): void {
  for (const c of channels) {
    const info: ChannelInfo = { channel: c, reader: undefined, count: 0, arrivals: [], subscription: undefined };
    state.channels.set(c.id, info);
    info.subscription = client.subscribe(c.id);
    state.bySubscription.set(info.subscription, info);
  }
  renderTopics();
}

function connect(): void {
  setStatus("connecting", "connecting…");
  $("ws-url").textContent = wsUrl;
  let ws: WebSocket;
  try {
    ws = new WebSocket(wsUrl, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  } catch (err) {
    setStatus("error", `bad url: ${String(err)}`);
    return;
  }
  const client = new FoxgloveClient({ ws });
  client.on("open", () => setStatus("connected", "connected"));
  client.on("serverInfo", (info) => {
    state.serverName = info.name;
    $("server-name").textContent = info.name;
  });
  client.on("advertise", (channels) => subscribeAll(client, channels));
  client.on("unadvertise", (ids) => {
    for (const id of ids) {
      const info = state.channels.get(id);
      if (info?.subscription !== undefined) state.bySubscription.delete(info.subscription);
      state.channels.delete(id);
    }
    renderTopics();
  });
  client.on("message", onMessage);
  client.on("error", () => {
    // followed by close
  });
  client.on("close", () => {
    setStatus("disconnected", "disconnected — retrying");
    state.channels.clear();
    state.bySubscription.clear();
    renderTopics();
    setTimeout(connect, 1000);
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderTopics(): void {
  const body = $("topics");
  const now = performance.now();
  const rows = [...state.channels.values()].sort((a, b) => a.channel.topic.localeCompare(b.channel.topic));
  body.replaceChildren(
    ...rows.map((info) => {
      const tr = document.createElement("tr");
      const recent = info.arrivals.filter((t) => now - t < 2000);
      const span = recent.length >= 2 ? (recent[recent.length - 1]! - recent[0]!) / 1000 : 0;
      const hz = span > 0 ? (recent.length - 1) / span : 0;
      const cells: [string, string][] = [
        [info.channel.topic, "topic"],
        [info.channel.schemaName.replace("/msg/", "/"), "type"],
        [String(info.count), "num"],
        [hz > 0 ? hz.toFixed(hz >= 20 ? 0 : 1) : "–", "num"],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        td.className = cls;
        tr.append(td);
      }
      return tr;
    }),
  );
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 4;
    td.className = "note";
    td.textContent = state.status === "connected" ? "no channels advertised yet" : "not connected";
    tr.append(td);
    body.append(tr);
  }
}

function rewardSeries(): Series[] {
  const out: Series[] = [];
  if (state.prevTotal) out.push({ name: "previous total", color: "#b9c3cf", width: 1.5, dashed: true, ...state.prevTotal });
  let i = 0;
  for (const [term, s] of [...state.terms].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push({ name: term, color: TERM_COLORS[i++ % TERM_COLORS.length]!, width: 1.25, ...s });
  }
  out.push({ name: "total", color: "#2d6cdf", width: 2.25, ...state.total });
  return out;
}

function frame(): void {
  if (state.robotDirty) {
    state.robotDirty = false;
    const { w, h } = fitCanvas(robotCanvas, robotCtx);
    const message = state.modelError
      ? state.modelError
      : !state.model
        ? state.status === "connected"
          ? "waiting for /robot_description…"
          : "connecting…"
        : state.tf.size === 0
          ? "waiting for /tf…"
          : undefined;
    state.drawn = drawRobot(robotCtx, w, h, state.model, (link) => worldPose(link), state.camera, message);
    state.tfDrawn = state.tfMessages;
    state.draws++;
    $("stat-time").textContent = state.simTime === undefined ? "–" : `${state.simTime.toFixed(2)} s`;
    $("stat-tf").textContent = String(state.tfMessages);
    const root = state.model ? worldPose(state.model.rootLink) : undefined;
    $("stat-x").textContent = root ? `${root.p[0].toFixed(2)} m` : "–";
    $("stat-view").textContent = state.model ? (state.model.plane === "xz" ? "side view" : "top view") : "";
  }
  if (state.rewardDirty) {
    state.rewardDirty = false;
    const { w, h } = fitCanvas(rewardCanvas, rewardCtx);
    drawPlot(rewardCtx, w, h, rewardSeries(), "episode time (s)");
    $("stat-return").textContent = state.total.t.length > 0 ? state.episodeReturn.toFixed(2) : "–";
    $("stat-prev").textContent = state.prevReturn === undefined ? "–" : state.prevReturn.toFixed(2);
    $("stat-episodes").textContent = String(state.episodes + (state.total.t.length > 0 ? 1 : 0));
  }
  requestAnimationFrame(frame);
}

/** What tests read (plain data). */
function snapshot(): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const info of state.channels.values()) counts[info.channel.topic] = info.count;
  return {
    status: state.status,
    serverName: state.serverName,
    robot: state.model?.name,
    plane: state.model?.plane,
    modelError: state.modelError,
    tfMessages: state.tfMessages,
    tfDrawn: state.tfDrawn,
    draws: state.draws,
    drawn: state.drawn,
    canvas: { width: robotCanvas.clientWidth, height: robotCanvas.clientHeight, dpr: window.devicePixelRatio || 1 },
    rewardPoints: state.total.t.length,
    rewardTerms: Object.fromEntries([...state.terms].map(([k, s]) => [k, s.t.length])),
    episodeReturn: state.episodeReturn,
    episodes: state.episodes,
    counts,
    decodeErrors: state.decodeErrors,
  };
}

(window as unknown as { locomoteView: { snapshot: () => Record<string, unknown> } }).locomoteView = { snapshot };

window.addEventListener("resize", () => {
  state.robotDirty = true;
  state.rewardDirty = true;
});
setInterval(renderTopics, 500);
connect();
requestAnimationFrame(frame);
