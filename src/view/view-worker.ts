/**
 * Worker entry of `LiveViewThread` (./view-thread.ts): owns a `LiveViewServer` and plays the
 * episodes it is sent at the pace of their log times, on this thread's own event loop, so the
 * view stays smooth and responsive while the main thread is busy (a training update blocks it
 * for ~0.5 s at a time). Protocol: `ViewRequest` in, `ViewReply` out (defined in view-thread.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ChannelSpec, TopicSink } from "../log/topic-sink.js";
import { EpisodeBuffer } from "./episode-buffer.js";
import { LiveViewServer, type LiveViewOptions } from "./live-view-server.js";
import type { ViewReply, ViewRequest } from "./view-thread.js";

/**
 * One server channel per (topic, type): every episode played registers its channels again,
 * and viewers should keep seeing one /tf, not one per episode.
 */
class SharedChannels implements TopicSink {
  private readonly byKey = new Map<string, number>();
  constructor(private readonly target: TopicSink) {}

  addChannel(spec: ChannelSpec): number {
    const key = `${spec.topic}\u0000${spec.type}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.target.addChannel(spec);
      this.byKey.set(key, id);
    }
    return id;
  }

  publish(channel: number, timeNs: bigint, data: Uint8Array): void {
    this.target.publish(channel, timeNs, data);
  }
}

const port = parentPort;
if (!port) throw new Error("view-worker: not started as a worker thread");
const post = (reply: ViewReply): void => port.postMessage(reply);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(options: LiveViewOptions): Promise<void> {
  let server: LiveViewServer;
  try {
    server = await LiveViewServer.start(options);
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const sink = new SharedChannels(server);
  let current: { id: number; abort: AbortController } | null = null;
  const stopCurrent = (): void => {
    if (!current) return;
    current.abort.abort();
    post({ type: "done", id: current.id, completed: false });
    current = null;
  };

  port!.on("message", (msg: ViewRequest) => {
    if (msg.type === "play") {
      stopCurrent();
      const abort = new AbortController();
      const playing = { id: msg.id, abort };
      current = playing;
      const buffer = EpisodeBuffer.fromTransfer(msg.episode);
      buffer.advertise(sink);
      void (async () => {
        if (msg.waitForSubscriber) {
          while (!server.hasSubscribers && !abort.signal.aborted) await sleep(50);
          // A client subscribes channel by channel: give the rest of its subscriptions a moment.
          if (!abort.signal.aborted) await sleep(250);
        }
        if (!abort.signal.aborted) {
          await buffer.playTo(sink, {
            speed: msg.speed,
            loop: msg.loop,
            ...(msg.loopPauseMs !== undefined ? { loopPauseMs: msg.loopPauseMs } : {}),
            signal: abort.signal,
          });
        }
        if (current === playing) {
          current = null;
          post({ type: "done", id: msg.id, completed: !abort.signal.aborted });
        }
      })().catch((err: unknown) => {
        post({ type: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      });
    } else if (msg.type === "stop") {
      stopCurrent();
    } else if (msg.type === "close") {
      stopCurrent();
      void server.close().then(() => {
        post({ type: "closed" });
        port!.close();
      });
    }
  });
  post({ type: "ready", host: server.host, port: server.port, url: server.url, wsUrl: server.wsUrl });
}

void main((workerData as { options: LiveViewOptions }).options);
