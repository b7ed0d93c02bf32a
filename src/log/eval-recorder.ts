/**
 * Recording evaluation episodes: an `EvaluationObserver` that writes each counted episode of
 * `evaluatePolicy` on a `SimPort` to its own MCAP file, `<dir>/<prefix>episode-NNNN.mcap`, NNNN
 * being the episode's index in the evaluation result (`returns[NNNN]`), so the files sort in
 * result order, and/or to a sink of its own (`episodeSink`, e.g. an `EpisodeBuffer` for the
 * live view). It only reads the sim (state, link poses, efforts), so the evaluation is the
 * same with and without it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PortBuffers } from "../port/port.js";
import type { Provenance } from "../policy/manifest.js";
import type { EvaluationObserver } from "../rl/evaluate.js";
import type { SimPort } from "../sim/sim-port.js";
import type { EpisodeRecorder, EpisodeStream } from "./episode-recorder.js";
import { McapLogWriter, type McapLogWriterOptions } from "./mcap-log-writer.js";
import type { TopicSink } from "./topic-sink.js";
import { FanOutSink } from "./topic-sink.js";

export interface EvalRecordOptions {
  /** Folder of the episode files (created if missing); none: no files (only `episodeSink`/`extraSinks`). */
  readonly dir?: string;
  /** File name prefix, e.g. "update-000120_" (default ""). */
  readonly prefix?: string;
  readonly writer?: McapLogWriterOptions;
  /** Extra sinks every episode is also published to (each episode adds its channels again). */
  readonly extraSinks?: readonly TopicSink[];
  /**
   * A sink of the episode's own, also published to (e.g. a fresh `EpisodeBuffer` per episode
   * for the live view), or null. Called when the episode starts.
   */
  readonly episodeSink?: (episode: { readonly index: number; readonly env: number; readonly episode: number }) => TopicSink | null;
  /** Called when an episode ends (also an interrupted one, after its file is finalized). */
  readonly onEpisodeEnd?: (episode: RecordedEpisode & { readonly interrupted: boolean }) => void;
}

/** A recorded episode. */
export interface RecordedEpisode {
  /** Its file (null without `dir`). */
  readonly file: string | null;
  readonly index: number;
  readonly env: number;
  readonly episode: number;
  readonly return: number;
  readonly length: number;
}

interface Open {
  writer: McapLogWriter | null;
  stream: EpisodeStream;
  file: string | null;
  index: number;
  episode: number;
}

export class EvalEpisodeRecorder implements EvaluationObserver {
  readonly files: RecordedEpisode[] = [];
  private readonly open: (Open | null)[];
  private readonly metricRows: Float64Array[];
  private readonly od: number;
  private readonly ad: number;

  constructor(
    private readonly port: SimPort,
    private readonly recorder: EpisodeRecorder,
    private readonly options: EvalRecordOptions,
  ) {
    if (options.dir !== undefined) mkdirSync(options.dir, { recursive: true });
    this.open = Array.from({ length: port.numEnvs }, () => null);
    this.metricRows = Array.from({ length: port.numEnvs }, () => new Float64Array(port.spec.metrics.length));
    this.od = port.spec.observation.names.length;
    this.ad = port.spec.action.names.length;
  }

  episodeStart(env: number, episode: number, index: number, buffers: PortBuffers): void {
    this.finish(env, { terminated: false, truncated: false, interrupted: true });
    const file = this.options.dir === undefined ? null : join(this.options.dir, `${this.options.prefix ?? ""}episode-${String(index).padStart(4, "0")}.mcap`);
    const writer = file === null ? null : new McapLogWriter(file, this.options.writer);
    const own = this.options.episodeSink?.({ index, env, episode }) ?? null;
    const sinks: TopicSink[] = [...(writer ? [writer] : []), ...(own ? [own] : []), ...(this.options.extraSinks ?? [])];
    const sink: TopicSink = sinks.length === 1 ? sinks[0]! : new FanOutSink(sinks);
    const obs = buffers.obs.subarray(env * this.od, (env + 1) * this.od);
    try {
      const stream = this.recorder.begin(sink, this.port.instance(env), obs, { envIndex: env, episodeIndex: episode });
      this.open[env] = { writer, stream, file, index, episode };
    } catch (err) {
      writer?.close();
      throw err;
    }
  }

  step(env: number, buffers: PortBuffers): void {
    const o = this.open[env];
    if (!o) return;
    const row = this.metricRows[env]!;
    const names = this.port.spec.metrics;
    for (let m = 0; m < names.length; m++) row[m] = buffers.metrics[names[m]!]![env]!;
    o.stream.step(
      buffers.action.subarray(env * this.ad, (env + 1) * this.ad),
      buffers.obs.subarray(env * this.od, (env + 1) * this.od),
      buffers.reward[env]!,
      row,
    );
  }

  episodeEnd(env: number, result: { return: number; length: number; terminated: boolean; truncated: boolean }): void {
    this.finish(env, { terminated: result.terminated, truncated: result.truncated });
  }

  /** Ends and finalizes every episode still open (an interrupted evaluation). Idempotent. */
  close(): void {
    for (let env = 0; env < this.open.length; env++) this.finish(env, { terminated: false, truncated: false, interrupted: true });
  }

  private finish(env: number, flags: { terminated: boolean; truncated: boolean; interrupted?: boolean }): void {
    const o = this.open[env];
    if (!o) return;
    this.open[env] = null;
    let recorded: RecordedEpisode;
    try {
      const info = o.stream.end(flags);
      recorded = { file: o.file, index: o.index, env, episode: o.episode, return: info.return, length: info.length };
      this.files.push(recorded);
    } finally {
      o.writer?.close();
    }
    this.options.onEpisodeEnd?.({ ...recorded, interrupted: flags.interrupted ?? false });
  }
}

/**
 * Session metadata of a policy artifact: its folder, `policy_sha256` = SHA-256 of manifest.json
 * followed by weights.bin (identifies the artifact byte for byte), the weights' own SHA-256 from
 * the manifest, and its provenance (algorithm, launch file, training seed, git commit).
 */
export function policySessionMeta(dir: string, manifest: { weights: { sha256: string; file: string }; provenance: Provenance }): Record<string, string> {
  const hash = createHash("sha256");
  hash.update(readFileSync(join(dir, "manifest.json")));
  hash.update(readFileSync(join(dir, manifest.weights.file)));
  const p = manifest.provenance;
  return {
    policy: dir,
    policy_sha256: hash.digest("hex"),
    policy_weights_sha256: manifest.weights.sha256,
    policy_algo: p.algo,
    policy_launch_file: p.launch_file,
    policy_train_seed: String(p.seed),
    policy_env_steps: String(p.env_steps),
    policy_git_commit: p.git_commit ?? "",
    policy_locomote_version: p.locomote_version,
  };
}
