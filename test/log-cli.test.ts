/**
 * Episode logs as a user meets them (compiled `dist/`, real processes): `eval --record`,
 * `replay` (summary, --json, --resim, one-line errors), and crash safety — a recording killed
 * with SIGKILL mid-episode reads back up to its last chunk, one interrupted with SIGINT is a
 * complete file.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpisodeRecorder } from "../src/log/episode-recorder.js";
import { McapLogWriter } from "../src/log/mcap-log-writer.js";
import { savePolicy } from "../src/policy/artifact.js";
import { Rng } from "../src/util/rng.js";
import { loadTask } from "../src/sim/registry.js";
import { makeBody, randomLayers } from "./policy-fixtures.js";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const DIST = pathToFileURL(join(process.cwd(), "dist")).href;
const tmp = mkdtempSync(join(tmpdir(), "locomote-log-cli-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let policyDir: string;
beforeAll(async () => {
  const task = await loadTask("hopper");
  const spec = task.spec;
  const od = spec.observation.names.length;
  const ad = spec.action.names.length;
  const body = makeBody(od, [16], ad, { spec, robot: spec.robot, sim: "hopper", joints: spec.actuators.map((a) => a.joint), observation_normalization: null, action_scaling: { squash: "tanh", low: [...spec.action.low], high: [...spec.action.high] } });
  policyDir = join(tmp, "policy");
  const layers = randomLayers([od, 16, ad], 7).map((l) => ({ ...l, kernel: l.kernel.map((x) => x * 0.3) }));
  await savePolicy(policyDir, { manifest: { ...body, network: { ...body.network, obs_dim: od, act_dim: ad, hidden: [16] } }, layers });
});

/** Records `steps` steps of the hopper under a sinusoidal action, in chunks of 100 messages. */
async function recordHopper(file: string, steps: number): Promise<void> {
  const task = await loadTask("hopper");
  const rec = await EpisodeRecorder.create(task, { sim: "hopper", source: "test", seed: 1 });
  const inst = task.createInstance();
  const obs = new Float32Array(task.spec.observation.names.length);
  const action = new Float32Array(task.spec.action.names.length);
  const metrics = new Float32Array(task.spec.metrics.length);
  inst.reset(new Rng(1, 0), obs);
  const w = new McapLogWriter(file, { chunkMessages: 100 });
  const stream = rec.begin(w, inst, obs, { envIndex: 0, episodeIndex: 0 });
  for (let k = 0; k < steps; k++) {
    for (let i = 0; i < action.length; i++) action[i] = Math.sin(0.05 * k + i);
    stream.step(action, obs, Math.fround(inst.step(action, obs, metrics)), metrics);
  }
  stream.end({ terminated: false, truncated: true });
  w.close();
  inst.free();
}

async function indexedMessageCount(file: string): Promise<bigint> {
  const handle = await open(file, "r");
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    expect(reader.header.profile).toBe("ros2");
    expect(reader.statistics).toBeDefined();
    let n = 0n;
    for await (const _ of reader.readMessages()) n++;
    expect(n).toBe(reader.statistics!.messageCount);
    return n;
  } finally {
    await handle.close();
  }
}

/** Messages a streaming reader gets out of `bytes`, and whether it reached a valid footer. */
function streamRead(bytes: Uint8Array): { messages: number; chunks: number; done: boolean } {
  const reader = new McapStreamReader({ includeChunks: true });
  reader.append(bytes);
  let messages = 0;
  let chunks = 0;
  for (let r; (r = reader.nextRecord()); ) {
    if (r.type === "Message") messages++;
    else if (r.type === "Chunk") chunks++;
  }
  return { messages, chunks, done: reader.done() };
}

const until = async (what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> => {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });

describe("eval --record and replay", () => {
  let recordDir: string;
  let evalJson: { returns: number[]; lengths: number[]; episode_logs: string[] };

  beforeAll(() => {
    recordDir = join(tmp, "rec");
    const r = cli(["eval", policyDir, "--episodes", "3", "--num-envs", "2", "--seed", "2", "--json", "--record", recordDir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    evalJson = JSON.parse(r.stdout) as typeof evalJson;
    const plain = JSON.parse(cli(["eval", policyDir, "--episodes", "3", "--num-envs", "2", "--seed", "2", "--json"]).stdout) as typeof evalJson;
    expect(evalJson.returns).toEqual(plain.returns);
  });

  it("writes one file per episode; replay --json reports its length and return", async () => {
    expect(readdirSync(recordDir).sort()).toEqual(["episode-0000.mcap", "episode-0001.mcap", "episode-0002.mcap"]);
    for (let k = 0; k < 3; k++) {
      const file = join(recordDir, `episode-000${k}.mcap`);
      expect(await indexedMessageCount(file)).toBeGreaterThan(0n);
      const r = cli(["replay", file, "--json"]);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as { complete: boolean; episode: { length: number; return: number; reward_terms: Record<string, number> }; topics: { topic: string; count: number; rate_hz: number | null }[]; metadata: Record<string, Record<string, string>> };
      expect(s.complete).toBe(true);
      expect(s.episode.return).toBe(evalJson.returns[k]);
      expect(s.episode.length).toBe(evalJson.lengths[k]);
      expect(Object.keys(s.episode.reward_terms).sort()).toEqual(["reward_ctrl", "reward_forward", "reward_healthy"]);
      const js = s.topics.find((t) => t.topic === "/joint_states")!;
      expect(js.count).toBe(evalJson.lengths[k]! + 1);
      expect(js.rate_hz).toBeCloseTo(125, 6);
      expect(s.metadata["locomote"]).toMatchObject({ robot: "hopper", seed: "2" });
    }
  });

  it("prints a readable summary by default, and --resim reports exactly 0", () => {
    const file = join(recordDir, "episode-0001.mcap");
    const r = cli(["replay", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("complete MCAP, profile \"ros2\"");
    expect(r.stdout).toMatch(new RegExp(`episode: ${evalJson.lengths[1]} steps, return ${evalJson.returns[1]!.toFixed(3)}`));
    expect(r.stdout).toMatch(/\/joint_states\s+sensor_msgs\/msg\/JointState\s+\d+ msgs\s+125\.0 Hz/);
    const resim = cli(["replay", file, "--resim"]);
    expect(resim.code).toBe(0);
    expect(resim.stdout).toContain("divergence: exactly 0");
    const json = JSON.parse(cli(["replay", file, "--resim", "--json"]).stdout) as { exact: boolean; max_abs: number; steps: number };
    expect(json).toMatchObject({ exact: true, max_abs: 0, steps: evalJson.lengths[1] });
  });

  it("reports a missing file, a non-MCAP file, a truncated one and a foreign one in one line", () => {
    const oneLine = (r: { code: number | null; stderr: string }, pattern: RegExp): void => {
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    oneLine(cli(["replay", join(tmp, "nope.mcap")]), /nope\.mcap: no such file/);
    oneLine(cli(["replay", join(recordDir, "episode-0000.mcap"), "--rate", "2"]), /^locomote: replay: --rate is the playback speed of --serve; it needs --serve$/);
    oneLine(cli(["eval", "test/fixtures/deploy-hopper-policy", "--rate", "2"]), /^locomote: eval: --rate is the live view's playback speed; it needs --view$/);
    const text = join(tmp, "not.mcap");
    writeFileSync(text, "hello, world\n");
    oneLine(cli(["replay", text]), /not\.mcap: not an MCAP file \(expected the MCAP magic bytes/);
    // Cut before the first chunk ended: nothing readable.
    const src = readFileSync(join(recordDir, "episode-0000.mcap"));
    const cut = join(tmp, "cut0.mcap");
    writeFileSync(cut, src.subarray(0, 400));
    oneLine(cli(["replay", cut]), /cut0\.mcap: truncated before its first complete chunk \(0 messages readable/);
    // An MCAP without the episode topics.
    const foreign = join(tmp, "foreign.mcap");
    const w = spawnSync(process.execPath, ["--input-type=module", "-e", `
      const { McapLogWriter } = await import(${JSON.stringify(`${DIST}/src/log/mcap-log-writer.js`)});
      const w = new McapLogWriter(${JSON.stringify(foreign)});
      w.addChannel({ topic: "/chatter", type: "std_msgs/msg/String", qos: "reliable" });
      w.close();`], { encoding: "utf8" });
    expect(w.stderr).toBe("");
    oneLine(cli(["replay", foreign]), /foreign\.mcap: not a locomote episode log: no \/policy\/action, .* topics .*the file has \/chatter/);
  });

  it("summarizes a truncated file with a warning naming how many messages were readable", async () => {
    const full = join(tmp, "long.mcap");
    await recordHopper(full, 150);
    const src = readFileSync(full);
    const cut = join(tmp, "cut1.mcap");
    writeFileSync(cut, src.subarray(0, Math.floor(src.length * 0.7)));
    const expected = streamRead(src.subarray(0, Math.floor(src.length * 0.7))).messages;
    expect(expected).toBeGreaterThan(0);
    const r = cli(["replay", cut, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`cut1\\.mcap: truncated .* ${expected} messages were readable`));
    const s = JSON.parse(r.stdout) as { complete: boolean; messages: number };
    expect(s).toMatchObject({ complete: false, messages: expected });
    // The readable part still re-simulates exactly.
    const resim = cli(["replay", cut, "--resim", "--json"]);
    expect(JSON.parse(resim.stdout)).toMatchObject({ exact: true });
  });
});

describe("crash safety", () => {
  it("a recording killed with SIGKILL mid-episode reads back up to its last complete chunk", async () => {
    const file = join(tmp, "killed.mcap");
    // An endless hopper episode (it falls and lies there), chunks of 100 messages.
    const script = `
      const d = ${JSON.stringify(DIST)};
      const { loadTask } = await import(d + "/src/sim/registry.js");
      const { EpisodeRecorder } = await import(d + "/src/log/episode-recorder.js");
      const { McapLogWriter } = await import(d + "/src/log/mcap-log-writer.js");
      const { Rng } = await import(d + "/src/util/rng.js");
      const task = await loadTask("hopper");
      const rec = await EpisodeRecorder.create(task, { sim: "hopper", source: "test", seed: 0 });
      const inst = task.createInstance();
      const obs = new Float32Array(task.spec.observation.names.length);
      const action = new Float32Array(task.spec.action.names.length);
      const metrics = new Float32Array(task.spec.metrics.length);
      inst.reset(new Rng(0, 0), obs);
      const w = new McapLogWriter(${JSON.stringify(file)}, { chunkMessages: 100 });
      const stream = rec.begin(w, inst, obs, { envIndex: 0, episodeIndex: 0 });
      for (let k = 0; ; k++) {
        for (let i = 0; i < action.length; i++) action[i] = Math.sin(0.05 * k + i);
        stream.step(action, obs, Math.fround(inst.step(action, obs, metrics)), metrics);
        if (k % 20 === 0) await new Promise((r) => setTimeout(r, 1));
      }`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    // Wait until at least 5 chunks are on disk.
    await until("5 chunks on disk", () => existsSync(file) && streamRead(readFileSync(file)).chunks >= 5);
    child.kill("SIGKILL");
    const end = await exited(child);
    expect(end.signal).toBe("SIGKILL");
    expect(stderr).toBe("");
    const bytes = readFileSync(file);
    const read = streamRead(bytes);
    expect(read.done).toBe(false); // no footer: cut short
    expect(read.chunks).toBeGreaterThanOrEqual(5);
    expect(read.messages).toBe(read.chunks * 100); // every complete chunk, nothing more
    // replay says so, summarizes and re-simulates what was readable.
    const r = cli(["replay", file, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`truncated .* ${read.messages} messages were readable`));
    expect(JSON.parse(r.stdout)).toMatchObject({ complete: false, messages: read.messages });
    expect(JSON.parse(cli(["replay", file, "--resim", "--json"]).stdout)).toMatchObject({ exact: true });
  });

  it("eval --record interrupted with SIGINT exits 130 and leaves complete files", async () => {
    const dir = join(tmp, "sigint");
    const child = spawn(process.execPath, [BIN, "eval", policyDir, "--episodes", "100000", "--num-envs", "1", "--record", dir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "1" },
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    await until("3 episode files", () => existsSync(dir) && readdirSync(dir).length >= 3);
    child.kill("SIGINT");
    const end = await exited(child);
    expect(end.code).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopping after this step/);
    expect(stderr).toMatch(/evaluation interrupted with \d+ of 100000 episodes done/);
    const files = readdirSync(dir).sort();
    for (const f of files) expect(await indexedMessageCount(join(dir, f))).toBeGreaterThan(0n);
    // The episode running at the interrupt is complete and marked interrupted.
    const last = JSON.parse(cli(["replay", join(dir, files[files.length - 1]!), "--json"]).stdout) as { complete: boolean; episode: { interrupted: boolean } };
    expect(last).toMatchObject({ complete: true, episode: { interrupted: true } });
  });
});
