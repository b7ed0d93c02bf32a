/**
 * The live view from the CLI (compiled `dist/`, real processes, a real Foxglove client):
 * `train --view` shows evaluation episodes while training and keeps serving after it,
 * `eval --view` plays every episode, `replay --serve` streams a log at its log times (× 1/rate),
 * and the flags' errors are one line. Also the view thread run from the TypeScript sources.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Channel, MessageData } from "@foxglove/ws-protocol";
import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readEpisodeLog, topicMessages } from "../src/log/mcap-read.js";
import { encodeCdr } from "../src/log/ros-msgs.js";
import { EpisodeBuffer } from "../src/view/episode-buffer.js";
import { LiveViewThread } from "../src/view/view-thread.js";
import { FoxgloveClient } from "../src/view/ws-protocol.js";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const tmp = mkdtempSync(join(tmpdir(), "locomote-view-cli-"));
const children: ChildProcess[] = [];
const clients: FoxgloveClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

const until = async (what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> => {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A CLI process with its output collected. */
function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: "1" } });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** The Foxglove URL a command printed. */
async function wsUrlOf(p: { err: () => string; out: () => string }): Promise<string> {
  await until("the live view URL", () => /ws:\/\/127\.0\.0\.1:\d+/.test(p.err()), 60_000).catch((e: unknown) => {
    throw new Error(`${String(e)}\nstdout: ${p.out()}\nstderr: ${p.err()}`);
  });
  return /ws:\/\/127\.0\.0\.1:\d+/.exec(p.err())![0];
}

interface Received {
  topic: string;
  timestamp: bigint;
  at: number;
}

/** A Foxglove client subscribing to `topics` (all when omitted) as they are advertised. */
function connect(url: string, topics?: readonly string[]): { advertised: string[]; messages: Received[] } {
  const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
  clients.push(client);
  const advertised: string[] = [];
  const subs = new Map<number, Channel>();
  const messages: Received[] = [];
  client.on("advertise", (chs) => {
    for (const c of chs) {
      advertised.push(c.topic);
      if (topics === undefined || topics.includes(c.topic)) subs.set(client.subscribe(c.id), c);
    }
  });
  client.on("message", (m: MessageData) => {
    messages.push({ topic: subs.get(m.subscriptionId)!.topic, timestamp: m.timestamp, at: performance.now() });
  });
  return { advertised, messages };
}

/** A tiny point-mass training launch file (4 updates of 512 steps, 2 evaluation episodes). */
function launchFile(): string {
  const file = join(tmp, "pm.launch.yaml");
  writeFileSync(
    file,
    `launch:
  - arg: {name: run_dir}
  - arg: {name: every, default: "1"}
  - train:
      robot: point_mass
      sim: point_mass
      seed: 1
      total_steps: 2048
      run_dir: $(var run_dir)
      num_envs: 4
      policy: {hidden: [16, 16], activation: tanh, log_std_init: 0.0, value_hidden: [16, 16]}
      ppo: {n_steps: 128, n_epochs: 2, num_minibatches: 2, learning_rate: 3.0e-3, gamma: 0.95}
      eval: {episodes: 2, every_updates: $(var every)}
`,
  );
  return file;
}

let runDir: string;

describe("train --view", () => {
  beforeAll(() => {
    runDir = join(tmp, "run");
  });

  it("shows the best evaluation episode while training, keeps serving afterwards, and exits 0 on Ctrl-C", async () => {
    const p = start(["train", launchFile(), `run_dir:=${runDir}`, "--view", "0", "--progress", "plain"]);
    const url = await wsUrlOf(p);
    const c = connect(url, ["/tf", "/joint_states"]);
    await until("/tf messages", () => c.messages.filter((m) => m.topic === "/tf").length >= 5);
    await until("the end of training", () => /done: 2,048 env steps/.test(p.out()));
    await until("the keep-serving note", () => /playing the best evaluation episode, .*Ctrl-C to exit/.test(p.err()));
    expect(p.out()).toMatch(/live view: now playing the best evaluation episode so far: evaluation at update 1, episode \d/);
    // Still playing after training (in a loop).
    const n = c.messages.length;
    await until("more messages after training", () => c.messages.length > n + 10, 20_000);
    // One channel per topic, whatever the number of episodes played (the same as the logs').
    expect(c.advertised).toHaveLength(new Set(c.advertised).size);
    const logged = readEpisodeLog(join(runDir, "episodes", "update-000001_episode-0000.mcap")).channels.map((ch) => ch.topic);
    expect([...c.advertised].sort()).toEqual([...logged].sort());
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    // The periodic evaluations were recorded as usual.
    expect(readdirSync(join(runDir, "episodes")).filter((f) => /^update-00000[1-4]_episode-000[01]\.mcap$/.test(f))).toHaveLength(8);
  });

  it("with eval.every_updates 0, evaluates an episode for the view during training", async () => {
    const p = start(["train", launchFile(), `run_dir:=${join(tmp, "run0")}`, "every:=0", "--view=0", "--progress", "plain"]);
    const url = await wsUrlOf(p);
    expect(p.err()).toMatch(/one episode for the view after update 1 and every 10 updates/);
    const c = connect(url, ["/tf"]);
    await until("/tf messages", () => c.messages.length >= 3);
    await until("the end of training", () => /done:/.test(p.out()));
    expect(p.out()).toMatch(/now playing the best evaluation episode so far: view evaluation at update 1, episode 0/);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    // The view's own evaluation writes no files (only the final evaluation does).
    expect(readdirSync(join(tmp, "run0", "episodes")).every((f) => f.includes("_final_"))).toBe(true);
  });
});

describe("replay --serve and eval --view", () => {
  /** Arrival times and stamps of /joint_states while serving `file` at `rate`. */
  async function serve(file: string, rate: number, expected: number): Promise<Received[]> {
    const p = start(["replay", file, "--serve", "0", "--rate", String(rate)]);
    const url = await wsUrlOf(p);
    const c = connect(url);
    await until("the end of the replay", () => /replay: done/.test(p.err()), 60_000);
    expect(p.err()).toMatch(/serving the last state until Ctrl-C/);
    // The last messages may still be on their way.
    await until("every /joint_states", () => c.messages.filter((m) => m.topic === "/joint_states").length >= expected, 10_000);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    return c.messages.filter((m) => m.topic === "/joint_states");
  }

  it("streams the recorded /joint_states in order with their log times, and --rate 2 halves the wall time", async () => {
    const file = join(runDir, "episodes", "update-000001_episode-0000.mcap");
    const recorded = topicMessages(readEpisodeLog(file), "/joint_states").map((m) => m.logTime);
    expect(recorded.length).toBe(101); // 100 steps of 0.05 s: 5 s of log time
    const span = (ms: readonly Received[]): number => ms.at(-1)!.at - ms[0]!.at;

    const atOne = await serve(file, 1, recorded.length);
    expect(atOne.map((m) => m.timestamp)).toEqual(recorded);
    const atTwo = await serve(file, 2, recorded.length);
    expect(atTwo.map((m) => m.timestamp)).toEqual(recorded);
    const logSpanMs = Number(recorded.at(-1)! - recorded[0]!) / 1e6;
    expect(span(atOne)).toBeGreaterThan(0.9 * logSpanMs);
    expect(span(atOne)).toBeLessThan(1.5 * logSpanMs);
    const ratio = span(atTwo) / span(atOne);
    expect(ratio).toBeGreaterThan(0.35);
    expect(ratio).toBeLessThan(0.7);
  });

  it("eval --view plays every episode in result order, then keeps the last state", async () => {
    const p = start(["eval", "--view", "0", join(runDir, "policy"), "--episodes", "2", "--num-envs", "2", "--rate", "10"]);
    const url = await wsUrlOf(p);
    const c = connect(url, ["/clock", "/joint_states"]);
    await until("both episodes", () => /all 2 episodes played/.test(p.err()));
    expect(p.out()).toMatch(/2 episodes, deterministic action, seed 0/);
    await until("every /joint_states", () => c.messages.filter((m) => m.topic === "/joint_states").length >= 2 * 101, 10_000);
    const js = c.messages.filter((m) => m.topic === "/joint_states");
    expect(js).toHaveLength(2 * 101);
    // Each episode's sim time restarts at 0.
    expect(js[0]!.timestamp).toBe(0n);
    expect(js[101]!.timestamp).toBe(0n);
    expect(js[100]!.timestamp).toBe(5_000_000_000n);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
  });

  it("reports a bad view flag or a port in use in one line", async () => {
    const cli = (args: string[]): { code: number | null; stderr: string } => {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });
      return { code: r.status, stderr: r.stderr };
    };
    const remote = cli(["replay", "x.mcap", "--serve", "--view-host", "0.0.0.0"]);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/^locomote: replay: --view-host 0\.0\.0\.0 is not a loopback address.*--view-allow-remote/);
    const badPort = cli(["eval", "some/policy", "--view", "99999"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/eval: --view \[port\]: expected a port number/);
    expect(cli(["replay", "x.mcap", "--loop"]).stderr).toMatch(/--loop needs --serve/);

    const busy = await LiveViewThread.start({ port: 0 });
    try {
      const r = cli(["replay", join(runDir, "episodes", "update-000001_episode-0000.mcap"), "--serve", String(busy.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`live view: port ${busy.port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      await busy.close();
    }
  });
});

describe("LiveViewThread (from the TypeScript sources)", () => {
  it("plays an episode on its thread, one channel per topic across episodes, and reports when it is done", async () => {
    const view = await LiveViewThread.start({ port: 0 });
    try {
      const episode = (): EpisodeBuffer => {
        const b = new EpisodeBuffer();
        const ch = b.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
        for (let i = 0; i < 5; i++) b.publish(ch, BigInt(i) * 20_000_000n, encodeCdr("std_msgs/msg/Float64", { data: i }));
        return b;
      };
      const c = connect(view.wsUrl);
      const first = view.play(episode(), { waitForSubscriber: true });
      await until("the advertisement", () => c.advertised.length === 1, 10_000);
      const t0 = performance.now();
      expect(await first).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(70); // 80 ms of log time, after the subscription grace
      await until("the 5 messages", () => c.messages.length >= 5, 10_000);
      expect(c.messages.map((m) => m.timestamp)).toEqual([0n, 20_000_000n, 40_000_000n, 60_000_000n, 80_000_000n]);
      const looping = view.play(episode(), { loop: true, loopPauseMs: 5, speed: 4 });
      await until("a few loops", () => c.messages.length >= 20, 10_000);
      const replaced = view.play(episode(), { speed: 0 });
      expect(await looping).toBe(false);
      expect(await replaced).toBe(true);
      expect(c.advertised).toEqual(["/reward/total"]);
    } finally {
      await view.close();
    }
  });
});
