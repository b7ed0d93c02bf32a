/**
 * An in-memory TopicSink that keeps one episode's messages and plays them to another sink at
 * the pace of their log times. For `train --view`: record each deterministic eval episode into
 * a buffer and, when it is the best so far, play it to the live view (in a loop, until a better
 * one replaces it), so viewers see the best policy so far rather than noisy training rollouts.
 *
 * ```ts
 * const view = await LiveViewServer.start({ name: "locomote train hopper" });
 * let best = -Infinity, playing: AbortController | undefined;
 * // each eval: const buf = new EpisodeBuffer(); recorder → buf; run the episode; then
 * if (ret > best) {
 *   best = ret;
 *   playing?.abort();
 *   playing = new AbortController();
 *   void buf.playTo(view, { loop: true, signal: playing.signal });
 * }
 * ```
 */
import type { ChannelSpec, TopicSink } from "../log/topic-sink.js";

/**
 * An episode as plain transferable arrays (for a worker thread, `postMessage` with
 * `episodeTransferList`): message i is on channel `channels[i]` at `times[i]`, its bytes are
 * `bytes[ends[i-1] .. ends[i])`.
 */
export interface EpisodeTransfer {
  readonly specs: readonly ChannelSpec[];
  readonly channels: Int32Array;
  readonly times: BigInt64Array;
  readonly ends: Float64Array;
  readonly bytes: Uint8Array;
}

/** The buffers to transfer (not copy) with an `EpisodeTransfer`. */
export function episodeTransferList(t: EpisodeTransfer): ArrayBuffer[] {
  return [t.channels.buffer, t.times.buffer, t.ends.buffer, t.bytes.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

interface Recorded {
  readonly channel: number;
  readonly timeNs: bigint;
  readonly data: Uint8Array;
}

export interface PlayOptions {
  /** 1 = real time (default), 2 = twice as fast, 0 = all at once. */
  readonly speed?: number;
  /** Start over at the end until aborted. */
  readonly loop?: boolean;
  /** Pause between loops (ms, default 1000). */
  readonly loopPauseMs?: number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

export class EpisodeBuffer implements TopicSink {
  private readonly specs: ChannelSpec[] = [];
  private readonly messages: Recorded[] = [];
  /** Channel ids of this buffer's channels in each target sink (added once per target). */
  private readonly targets = new WeakMap<TopicSink, number[]>();

  addChannel(spec: ChannelSpec): number {
    this.specs.push(spec);
    return this.specs.length - 1;
  }

  /** Keeps `data` by reference: do not mutate it after publishing. */
  publish(channel: number, timeNs: bigint, data: Uint8Array): void {
    if (channel < 0 || channel >= this.specs.length) throw new Error(`EpisodeBuffer: unknown channel ${channel}`);
    this.messages.push({ channel, timeNs, data });
  }

  /** Messages held. */
  get size(): number {
    return this.messages.length;
  }

  /** Drops the messages (channels stay). */
  clear(): void {
    this.messages.length = 0;
  }

  /** Log time span from the first to the last message (ns; 0 when empty). */
  get durationNs(): bigint {
    const first = this.messages[0];
    const last = this.messages[this.messages.length - 1];
    return first && last ? last.timeNs - first.timeNs : 0n;
  }

  /** A copy of the episode as transferable arrays (see `EpisodeTransfer`). */
  toTransfer(): EpisodeTransfer {
    const n = this.messages.length;
    const channels = new Int32Array(n);
    const times = new BigInt64Array(n);
    const ends = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const m = this.messages[i]!;
      channels[i] = m.channel;
      times[i] = m.timeNs;
      total += m.data.byteLength;
      ends[i] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0, at = 0; i < n; i++) {
      const d = this.messages[i]!.data;
      bytes.set(d, at);
      at += d.byteLength;
    }
    return { specs: this.specs.slice(), channels, times, ends, bytes };
  }

  /** The episode of a transfer (messages are views into its `bytes`). */
  static fromTransfer(t: EpisodeTransfer): EpisodeBuffer {
    const buf = new EpisodeBuffer();
    for (const spec of t.specs) buf.addChannel(spec);
    for (let i = 0, start = 0; i < t.channels.length; i++) {
      const end = t.ends[i]!;
      buf.publish(t.channels[i]!, t.times[i]!, t.bytes.subarray(start, end));
      start = end;
    }
    return buf;
  }

  /** Registers this buffer's channels on `target` (once; `playTo` reuses them), e.g. to advertise them before playing. */
  advertise(target: TopicSink): void {
    let ids = this.targets.get(target);
    if (!ids) {
      ids = [];
      this.targets.set(target, ids);
    }
    for (let i = ids.length; i < this.specs.length; i++) ids.push(target.addChannel(this.specs[i]!));
  }

  /**
   * Publishes the messages to `target` in order, sleeping so that log-time gaps take
   * gap / speed of wall time. Resolves when done (or aborted).
   */
  async playTo(target: TopicSink, options: PlayOptions = {}): Promise<void> {
    const speed = options.speed ?? 1;
    const { signal } = options;
    this.advertise(target);
    const ids = this.targets.get(target)!;
    const messages = this.messages.slice();
    do {
      const t0 = messages[0]?.timeNs ?? 0n;
      const wall0 = performance.now();
      for (let i = 0; i < messages.length; i++) {
        if (signal?.aborted) return;
        const m = messages[i]!;
        if (speed > 0) {
          const due = Number(m.timeNs - t0) / 1e6 / speed - (performance.now() - wall0);
          if (due > 1) await sleep(due, signal);
          if (signal?.aborted) return;
        } else if (i % 500 === 499) {
          await sleep(0);
        }
        target.publish(ids[m.channel]!, m.timeNs, m.data);
      }
      if (options.loop) await sleep(options.loopPauseMs ?? 1000, signal);
    } while (options.loop && !signal?.aborted && messages.length > 0);
  }
}
