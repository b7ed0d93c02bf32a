/**
 * `locomote replay <file.mcap>`: summary of an episode log (default), `--resim`, or `--serve`.
 *
 * `--serve [port]` streams the log's messages over a live view (src/view/view-thread.ts) at
 * their log times (× 1/`--rate`), starting when the first client subscribes (the channels are
 * advertised meanwhile), then keeps serving the last state (latched /robot_description, the
 * last /tf) until Ctrl-C, which exits 0; `--loop` starts over instead.
 */
import type { ChannelQos } from "../log/topic-sink.js";
import { readEpisodeLog, requireEpisodeTopics, summarizeEpisodeLog, truncationNote, type EpisodeLogFile, type EpisodeLogSummary } from "../log/mcap-read.js";
import { isRosMessageType } from "../log/ros-msgs.js";
import type { ResimReport } from "../log/resim.js";
import { EpisodeBuffer } from "../view/episode-buffer.js";
import { startView, untilSignal, type ViewCliOptions } from "./view-options.js";

export interface ReplayOptions {
  summary?: boolean;
  resim?: boolean;
  json?: boolean;
  /** Stream the log over a live view. */
  serve?: ViewCliOptions;
  /** Playback speed of --serve (1 = real time). */
  rate?: number;
  /** --serve: start over at the end, until Ctrl-C. */
  loop?: boolean;
}

export async function runReplay(file: string, opts: ReplayOptions): Promise<number> {
  const log = readEpisodeLog(file);
  requireEpisodeTopics(log); // a file with nothing readable fails here, in one line
  const note = truncationNote(log);
  if (note) process.stderr.write(`locomote: warning: ${note}\n`);
  if (opts.serve) return serve(log, opts.serve, opts.rate ?? 1, opts.loop ?? false);
  if (opts.resim) {
    const { resimulate } = await import("../log/resim.js");
    const report = await resimulate(log);
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(formatResim(report));
    return 0;
  }
  const s = summarizeEpisodeLog(log);
  if (opts.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else process.stdout.write(formatSummary(s));
  return 0;
}

/** The QoS a channel was recorded with (its rosbag2 `offered_qos_profiles`). */
function recordedQos(metadata: ReadonlyMap<string, string>): ChannelQos {
  const profiles = metadata.get("offered_qos_profiles") ?? "";
  if (/durability:\s*(1|transient_local)\b/.test(profiles)) return "latched";
  if (/reliability:\s*(2|best_effort)\b/.test(profiles)) return "sensor";
  return "reliable";
}

/** The log as an in-memory episode (channels of unknown message types are left out, with a warning). */
export function logToEpisode(log: EpisodeLogFile): EpisodeBuffer {
  const buffer = new EpisodeBuffer();
  const ids = new Map<number, number>();
  const skipped: string[] = [];
  for (const ch of log.channels) {
    if (ch.messageEncoding !== "cdr" || !isRosMessageType(ch.schemaName)) {
      skipped.push(`${ch.topic} (${ch.schemaName || ch.messageEncoding})`);
      continue;
    }
    ids.set(ch.id, buffer.addChannel({ topic: ch.topic, type: ch.schemaName, qos: recordedQos(ch.metadata) }));
  }
  if (skipped.length > 0) process.stderr.write(`locomote: warning: not served (message types the live view does not know): ${skipped.join(", ")}\n`);
  for (const m of log.messages) {
    const id = ids.get(m.channel.id);
    if (id !== undefined) buffer.publish(id, m.logTime, m.data);
  }
  return buffer;
}

async function serve(log: EpisodeLogFile, options: ViewCliOptions, rate: number, loop: boolean): Promise<number> {
  const episode = logToEpisode(log);
  const view = await startView(options, `locomote replay ${log.file}`);
  try {
    const seconds = Number(episode.durationNs) / 1e9;
    process.stderr.write(
      `locomote: replay: ${episode.size} messages over ${num(seconds)} s of log time, at ${rate}× (${num(seconds / rate)} s)${loop ? ", in a loop" : ""}; ` +
        `starts when a client subscribes; Ctrl-C to exit\n`,
    );
    const signal = untilSignal();
    const t0 = performance.now();
    const played = view.play(episode, { speed: rate, loop, waitForSubscriber: true });
    const finished = await Promise.race([played, signal.then(() => false)]);
    if (finished) {
      process.stderr.write(`locomote: replay: done (${((performance.now() - t0) / 1000).toFixed(2)} s since start, incl. the wait for a client); serving the last state until Ctrl-C\n`);
      await signal;
    }
    return 0;
  } finally {
    await view.close();
  }
}

const num = (v: number, digits = 3): string => (Number.isInteger(v) ? String(v) : v.toFixed(digits));

export function formatSummary(s: EpisodeLogSummary): string {
  const session = s.metadata["locomote"] ?? {};
  const init = s.metadata["locomote.initial_state"] ?? {};
  const e = s.episode;
  const lines: string[] = [];
  lines.push(`${s.file}: ${s.complete ? "complete" : "TRUNCATED"} MCAP, profile "${s.profile}", ${s.library}; ${s.messages} messages over ${num(s.duration_s)} s`);
  const who = [
    session["robot"] ? `robot ${session["robot"]}` : null,
    session["sim"] ? `sim ${session["sim"]}` : null,
    session["source"] ? `source ${session["source"]}` : null,
    session["seed"] !== undefined ? `seed ${session["seed"]}` : null,
    init["env_index"] !== undefined ? `env ${init["env_index"]} episode ${init["episode_index"]}` : null,
  ].filter((x) => x !== null);
  if (who.length > 0) lines.push(`  ${who.join(", ")}`);
  if (session["policy"]) lines.push(`  policy ${session["policy"]} (sha256 ${(session["policy_sha256"] ?? "?").slice(0, 16)}…, ${session["policy_algo"] ?? "?"})`);
  if (session["launch_file"]) lines.push(`  launch file ${session["launch_file"]}`);
  const ending = e.terminated ? "terminated" : e.truncated ? "truncated (time limit)" : e.interrupted ? "interrupted" : s.complete ? "" : "cut short";
  lines.push(`  episode: ${e.length} steps, return ${num(e.return)}${ending ? `, ${ending}` : ""}`);
  const terms = Object.entries(e.reward_terms);
  if (terms.length > 0) lines.push(`  reward terms: ${terms.map(([k, v]) => `${k} ${num(v)}`).join(", ")}`);
  lines.push(`  topics (${s.topics.length}):`);
  const w = Math.max(...s.topics.map((t) => t.topic.length));
  const tw = Math.max(...s.topics.map((t) => t.type.length));
  for (const t of s.topics) {
    lines.push(`    ${t.topic.padEnd(w)}  ${t.type.padEnd(tw)}  ${String(t.count).padStart(6)} msgs  ${t.rate_hz === null ? "      -" : `${t.rate_hz.toFixed(1).padStart(7)} Hz`}`);
  }
  return `${lines.join("\n")}\n`;
}

const sig = (x: number): string => (x === 0 ? "0" : x === Infinity ? "inf (NaN on one side)" : x.toPrecision(3));

export function formatResim(r: ResimReport): string {
  if (r.kind !== "episode") return formatDeployResim(r);
  const lines = [`${r.file}: re-simulated ${r.steps} steps of sim "${r.sim}" from the recorded initial state`];
  if (r.exact) {
    lines.push("  divergence: exactly 0 (every joint position and velocity, observation element and reward is bit-identical)");
    return `${lines.join("\n")}\n`;
  }
  lines.push(`  divergence: max |Δ| ${r.max_abs.toPrecision(3)}, first at step ${r.first_divergent_step}`);
  lines.push("  per joint, max |Δ| (at step):");
  const w = Math.max(...r.joints.map((j) => j.name.length));
  const d = (x: { max_abs: number; step: number | null }): string => (x.step === null ? "0" : `${x.max_abs.toPrecision(3)} (${x.step})`);
  for (const j of r.joints) lines.push(`    ${j.name.padEnd(w)}  position ${d(j.position).padEnd(20)} velocity ${d(j.velocity)}`);
  const worst = [...r.observation].sort((a, b) => b.max_abs - a.max_abs)[0];
  if (worst) lines.push(`  observation: max |Δ| ${d(worst)} in ${worst.name}`);
  if (r.reward) lines.push(`  reward: max |Δ| ${d(r.reward)}`);
  return `${lines.join("\n")}\n`;
}

/** A deploy session log's re-simulation: exactness (sim transport) or the sim-to-real gap (robot). */
function formatDeployResim(r: ResimReport): string {
  const robot = r.kind === "deploy_robot";
  const lines = [
    robot
      ? `${r.file}: deploy session log of a robot (transport ros2) — sim-to-real gap report`
      : `${r.file}: deploy session log of the simulated robot (transport sim) — re-simulation check`,
    `  re-ran sim "${r.sim}" for ${r.steps} steps (${num(r.duration_s)} s at dt ${r.dt} s) on the recorded ${r.commands_topic ?? "/policy/action"}`,
  ];
  for (const n of r.notes) lines.push(`  - ${n}`);
  if (r.exact && !robot) {
    lines.push(`  divergence: exactly 0 (every joint position and velocity at each of the ${r.steps} sim steps, every /policy/observation and reward is bit-identical to the recording)`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    robot
      ? "  Δ = sim − robot per joint: how far the simulation, driven by the robot's commands from the robot's initial state, drifts from what the robot did"
      : `  divergence: max |Δ| ${sig(r.max_abs)}, first at sim step ${r.first_divergent_step} — not bit-identical: another build, physics or sim transport than the recording's`,
  );
  const at = r.joints[0]?.position.at.map((a) => `at ${a.time_s} s`) ?? [];
  const header = ["joint", "", "max |Δ|", "at t (s)", "RMS", ...at];
  const rows: string[][] = [];
  for (const j of r.joints) {
    for (const [what, d] of [["position", j.position], ["velocity", j.velocity]] as const) {
      if (d.samples === 0) {
        rows.push([j.name, what, "not recorded", "", "", ...d.at.map(() => "")]);
        continue;
      }
      rows.push([j.name, what, sig(d.max_abs), d.time_s === null ? "-" : d.time_s.toFixed(3), sig(d.rms), ...d.at.map((a) => (a.abs === null ? "-" : sig(a.abs)))]);
    }
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmt = (row: readonly string[]): string => `    ${row.map((x, c) => (c < 2 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join("  ")}`.trimEnd();
  lines.push(fmt(header));
  for (const row of rows) lines.push(fmt(row));
  lines.push("  (positions in rad or m, velocities in rad/s or m/s, as the joint is a hinge or a slide; '-': the log is shorter)");
  if (!robot) {
    const worst = [...r.observation].sort((a, b) => b.max_abs - a.max_abs)[0];
    if (worst) lines.push(`  observation: max |Δ| ${sig(worst.max_abs)} in ${worst.name}`);
    if (r.reward) lines.push(`  reward: max |Δ| ${sig(r.reward.max_abs)}`);
  }
  return `${lines.join("\n")}\n`;
}
