/** `locomote replay <file.mcap>`: summary of an episode log (default) or `--resim`. */
import { readEpisodeLog, requireEpisodeTopics, summarizeEpisodeLog, truncationNote, type EpisodeLogSummary } from "../log/mcap-read.js";
import type { ResimReport } from "../log/resim.js";

export interface ReplayOptions {
  summary?: boolean;
  resim?: boolean;
  json?: boolean;
}

export async function runReplay(file: string, opts: ReplayOptions): Promise<number> {
  const log = readEpisodeLog(file);
  requireEpisodeTopics(log); // a file with nothing readable fails here, in one line
  const note = truncationNote(log);
  if (note) process.stderr.write(`locomote: warning: ${note}\n`);
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

export function formatResim(r: ResimReport): string {
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
  lines.push(`  reward: max |Δ| ${d(r.reward)}`);
  return `${lines.join("\n")}\n`;
}
