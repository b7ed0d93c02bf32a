/**
 * Reading episode logs back: every record of an MCAP file in file order (a streaming read, so
 * a file cut short by a crash yields everything up to its last complete chunk), the CDR
 * messages decoded with the file's own `ros2msg` schemas, and the summary `locomote replay`
 * prints: episode length, return, reward terms, topics and rates, metadata.
 *
 * Every problem a user can cause (missing file, not MCAP, truncated to nothing, not an episode
 * log) is one `EpisodeLogError` line naming the file and what was expected.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { McapStreamReader, type McapTypes } from "@mcap/core";
import { META_EPISODE, META_INITIAL_STATE, META_SESSION } from "./episode-recorder.js";
import { decodeCdr } from "./ros-msgs.js";

export class EpisodeLogError extends Error {
  override readonly name = "EpisodeLogError";
}

export interface LogChannel {
  readonly id: number;
  readonly topic: string;
  readonly schemaName: string;
  readonly schemaEncoding: string;
  readonly schemaText: string;
  readonly messageEncoding: string;
  readonly metadata: ReadonlyMap<string, string>;
}

export interface LogMessage {
  readonly channel: LogChannel;
  readonly logTime: bigint;
  readonly data: Uint8Array;
}

export interface EpisodeLogFile {
  readonly file: string;
  readonly profile: string;
  readonly library: string;
  /** The file ends with a footer (finalized); false: cut short, `messages` is what was readable. */
  readonly complete: boolean;
  /** Bytes at the end that did not form a complete record (a chunk being written at a crash). */
  readonly unreadBytes: number;
  /** Why reading stopped early (a corrupt record), if it did. */
  readonly readError: string | null;
  readonly chunks: number;
  readonly channels: readonly LogChannel[];
  /** Messages in file order (which for locomote's logs is log-time order). */
  readonly messages: readonly LogMessage[];
  /** Metadata records in file order. */
  readonly metadata: readonly { readonly name: string; readonly data: Readonly<Record<string, string>> }[];
  readonly statistics: McapTypes.Statistics | null;
}

const MAGIC = [0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a];

/** Reads every record of `file`; throws EpisodeLogError for a missing or non-MCAP file. */
export function readEpisodeLog(file: string): EpisodeLogFile {
  if (!existsSync(file)) throw new EpisodeLogError(`${file}: no such file (expected an .mcap episode log)`);
  if (!statSync(file).isFile()) throw new EpisodeLogError(`${file}: is a folder, expected an .mcap episode log file`);
  const bytes = readFileSync(file);
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new EpisodeLogError(`${file}: not an MCAP file (expected the MCAP magic bytes "\\x89MCAP0\\r\\n" at the start, got ${bytes.length === 0 ? "an empty file" : `${Math.min(bytes.length, 8)} other bytes`})`);
  }
  const reader = new McapStreamReader({ validateCrcs: true, includeChunks: true });
  reader.append(bytes);
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, LogChannel>();
  const messages: LogMessage[] = [];
  const metadata: { name: string; data: Record<string, string> }[] = [];
  let header: McapTypes.Header | null = null;
  let statistics: McapTypes.Statistics | null = null;
  let chunks = 0;
  let readError: string | null = null;
  let sawFooter = false;
  for (;;) {
    let record: McapTypes.TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch (err) {
      readError = err instanceof Error ? err.message : String(err);
      break;
    }
    if (!record) break;
    switch (record.type) {
      case "Header":
        header = record;
        break;
      case "Schema":
        schemas.set(record.id, record);
        break;
      case "Channel": {
        if (channels.has(record.id)) break;
        const schema = schemas.get(record.schemaId);
        channels.set(record.id, {
          id: record.id,
          topic: record.topic,
          schemaName: schema?.name ?? "",
          schemaEncoding: schema?.encoding ?? "",
          schemaText: schema ? new TextDecoder().decode(schema.data) : "",
          messageEncoding: record.messageEncoding,
          metadata: record.metadata,
        });
        break;
      }
      case "Message": {
        const channel = channels.get(record.channelId);
        if (channel) messages.push({ channel, logTime: record.logTime, data: record.data });
        break;
      }
      case "Metadata":
        metadata.push({ name: record.name, data: Object.fromEntries(record.metadata) });
        break;
      case "Statistics":
        statistics = record;
        break;
      case "Chunk":
        chunks++;
        break;
      case "Footer":
        sawFooter = true;
        break;
      default:
        break;
    }
  }
  return {
    file,
    profile: header?.profile ?? "",
    library: header?.library ?? "",
    complete: sawFooter && reader.done(),
    unreadBytes: reader.bytesRemaining(),
    readError,
    chunks,
    channels: [...channels.values()],
    messages,
    metadata,
    statistics,
  };
}

/** Decodes a CDR message with its channel's schema. */
export function decodeLogMessage<T>(message: LogMessage): T {
  const ch = message.channel;
  if (ch.messageEncoding !== "cdr" || ch.schemaEncoding !== "ros2msg") {
    throw new EpisodeLogError(`topic ${ch.topic}: message encoding "${ch.messageEncoding}" / schema encoding "${ch.schemaEncoding}", expected "cdr" / "ros2msg" (ROS 2)`);
  }
  return decodeCdr<T>(ch.schemaName, message.data, ch.schemaText);
}

/** The last metadata record named `name` (a later one supersedes an earlier one). */
export function metadataRecord(log: EpisodeLogFile, name: string): Readonly<Record<string, string>> | null {
  for (let i = log.metadata.length - 1; i >= 0; i--) if (log.metadata[i]!.name === name) return log.metadata[i]!.data;
  return null;
}

/** Messages of one topic, in order. */
export function topicMessages(log: EpisodeLogFile, topic: string): LogMessage[] {
  return log.messages.filter((m) => m.channel.topic === topic);
}

export interface TopicSummary {
  topic: string;
  type: string;
  count: number;
  /** Messages per second over the topic's span of log time (null with fewer than 2 messages). */
  rate_hz: number | null;
  first_s: number | null;
  last_s: number | null;
}

export interface EpisodeLogSummary {
  file: string;
  profile: string;
  library: string;
  complete: boolean;
  /** Messages readable (all of them when complete). */
  messages: number;
  /** Log time from the first to the last message, seconds. */
  duration_s: number;
  episode: {
    /** Steps (= /policy/action messages). */
    length: number;
    /** Sum of /reward/total in order (the undiscounted return). */
    return: number;
    /** Per `reward_<term>` metric: the sum of /reward/<term>. */
    reward_terms: Record<string, number>;
    terminated: boolean | null;
    truncated: boolean | null;
    interrupted: boolean | null;
  };
  topics: TopicSummary[];
  /** Metadata records by name (the last of each name). */
  metadata: Record<string, Record<string, string>>;
}

/** A summary of an episode log; throws EpisodeLogError when it lacks the episode topics. */
export function summarizeEpisodeLog(log: EpisodeLogFile): EpisodeLogSummary {
  requireEpisodeTopics(log);
  const byTopic = new Map<string, { type: string; count: number; first: bigint; last: bigint }>();
  for (const ch of log.channels) byTopic.set(ch.topic, { type: ch.schemaName, count: 0, first: 0n, last: 0n });
  let t0: bigint | null = null;
  let t1: bigint | null = null;
  let length = 0;
  let ret = 0;
  const terms: Record<string, number> = {};
  for (const m of log.messages) {
    const s = byTopic.get(m.channel.topic)!;
    if (s.count === 0) s.first = m.logTime;
    s.last = m.logTime;
    s.count++;
    if (t0 === null || m.logTime < t0) t0 = m.logTime;
    if (t1 === null || m.logTime > t1) t1 = m.logTime;
    const topic = m.channel.topic;
    if (topic === "/policy/action") length++;
    else if (topic === "/reward/total") ret += decodeLogMessage<{ data: number }>(m).data;
    else if (topic.startsWith("/reward/")) {
      const key = `reward_${topic.slice("/reward/".length)}`;
      terms[key] = (terms[key] ?? 0) + decodeLogMessage<{ data: number }>(m).data;
    }
  }
  const topics: TopicSummary[] = [...byTopic.entries()]
    .map(([topic, s]) => {
      const span = Number(s.last - s.first) / 1e9;
      return {
        topic,
        type: s.type,
        count: s.count,
        rate_hz: s.count > 1 && span > 0 ? (s.count - 1) / span : null,
        first_s: s.count > 0 ? Number(s.first) / 1e9 : null,
        last_s: s.count > 0 ? Number(s.last) / 1e9 : null,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic));
  const metadata: Record<string, Record<string, string>> = {};
  for (const m of log.metadata) metadata[m.name] = { ...m.data };
  const ep = metadata[META_EPISODE];
  const flag = (key: string): boolean | null => (ep && ep[key] !== undefined ? ep[key] === "true" : null);
  return {
    file: log.file,
    profile: log.profile,
    library: log.library,
    complete: log.complete,
    messages: log.messages.length,
    duration_s: t0 !== null && t1 !== null ? Number(t1 - t0) / 1e9 : 0,
    episode: { length, return: ret, reward_terms: terms, terminated: flag("terminated"), truncated: flag("truncated"), interrupted: flag("interrupted") },
    topics,
    metadata,
  };
}

/** Throws EpisodeLogError unless the log has the topics of an episode log. */
export function requireEpisodeTopics(log: EpisodeLogFile): void {
  const topics = new Set(log.channels.map((c) => c.topic));
  // A deploy session on a robot has no reward (only the sim computes one).
  const deploy = metadataRecord(log, "locomote")?.["source"] === "deploy";
  const required = deploy ? ["/policy/action", "/joint_states", "/policy/observation"] : ["/policy/action", "/reward/total", "/joint_states", "/policy/observation"];
  const missing = required.filter((t) => !topics.has(t));
  if (missing.length > 0) {
    if (log.channels.length === 0 && !log.complete) {
      throw new EpisodeLogError(`${log.file}: truncated before its first complete chunk (0 messages readable; ${log.unreadBytes} bytes of an unfinished chunk)`);
    }
    throw new EpisodeLogError(
      `${log.file}: not a locomote episode log: no ${missing.join(", ")} topic${missing.length > 1 ? "s" : ""} (expected ${required.join(", ")}; the file has ${[...topics].join(", ") || "no topics"})`,
    );
  }
}

/** One line describing a log that was cut short, or null for a complete one. */
export function truncationNote(log: EpisodeLogFile): string | null {
  if (log.complete) return null;
  const why = log.readError ? `a corrupt record (${log.readError})` : "no summary or footer: the recording stopped without finalizing the file";
  return `${log.file}: truncated — ${why}; ${log.messages.length} messages were readable${log.unreadBytes > 0 ? `, ${log.unreadBytes} bytes at the end were not` : ""}`;
}

/** Session, initial-state and episode metadata of a locomote log (null when absent). */
export function locomoteMetadata(log: EpisodeLogFile): {
  session: Readonly<Record<string, string>> | null;
  initialState: Readonly<Record<string, string>> | null;
  episode: Readonly<Record<string, string>> | null;
} {
  return { session: metadataRecord(log, META_SESSION), initialState: metadataRecord(log, META_INITIAL_STATE), episode: metadataRecord(log, META_EPISODE) };
}
