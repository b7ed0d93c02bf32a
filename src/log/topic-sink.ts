/**
 * Where episode messages go: an MCAP file (`src/log/`), the live view (`src/view/`), or both.
 * A producer (the episode recorder) registers its channels once, then publishes CDR-encoded
 * messages; sinks never see unencoded values, so a file and a WebSocket carry the same bytes.
 */
import type { RosMessageType } from "./ros-msgs.js";

/**
 * Offered QoS of a channel, as rosbag2 records it (`offered_qos_profiles`):
 * - `sensor`: best effort, keep last 10, volatile (joint states, observations, /tf, /clock);
 * - `reliable`: reliable, keep last 1, volatile (commands, actions, reward terms);
 * - `latched`: reliable, keep last 1, transient local (/robot_description, /tf_static).
 */
export type ChannelQos = "sensor" | "reliable" | "latched";

export interface ChannelSpec {
  readonly topic: string;
  readonly type: RosMessageType;
  readonly qos: ChannelQos;
}

export interface TopicSink {
  /** Registers a channel; the returned id is passed to `publish`. */
  addChannel(spec: ChannelSpec): number;
  /**
   * One CDR-encoded message of the channel's type; `timeNs` is its log time (ns). A sink may
   * keep `data` (producers never reuse the bytes of a published message) but must not modify
   * it: the same bytes go to every sink of a FanOutSink, and a latched message (e.g.
   * /robot_description) may be the same bytes in every episode.
   */
  publish(channel: number, timeNs: bigint, data: Uint8Array): void;
  /**
   * A named record of string key/values about the session (an MCAP Metadata record in a file;
   * a live view may ignore it). Optional: producers call it only when present.
   */
  metadata?(name: string, data: Readonly<Record<string, string>>): void;
}

/** Publishes to several sinks as one (channel ids are mapped per sink). */
export class FanOutSink implements TopicSink {
  private readonly ids: number[][] = [];
  constructor(private readonly sinks: readonly TopicSink[]) {}

  addChannel(spec: ChannelSpec): number {
    this.ids.push(this.sinks.map((s) => s.addChannel(spec)));
    return this.ids.length - 1;
  }

  publish(channel: number, timeNs: bigint, data: Uint8Array): void {
    const ids = this.ids[channel];
    if (!ids) throw new Error(`FanOutSink: unknown channel ${channel}`);
    for (let i = 0; i < this.sinks.length; i++) this.sinks[i]!.publish(ids[i]!, timeNs, data);
  }

  metadata(name: string, data: Readonly<Record<string, string>>): void {
    for (const s of this.sinks) s.metadata?.(name, data);
  }
}
