/**
 * TrainingProgress: plain lines without ANSI codes when the stream is not a terminal, a bar when
 * it is, throttled output, and a clean, idempotent stop.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ProgressStream, TrainingProgress } from "../src/run/progress.js";

class FakeStream implements ProgressStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 160,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join("");
  }
  lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
}

/** A clock the test advances by hand (milliseconds). */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("plain mode (not a TTY)", () => {
  it("prints one plain line per interval with steps, rate, return, update and ETA", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const progress = new TrainingProgress({
      totalSteps: 100_000,
      stream,
      label: "hopper",
      plainIntervalSeconds: 5,
      now: clock.now,
    });
    expect(progress.outputMode).toBe("plain");
    progress.start();
    for (let i = 1; i <= 40; i++) {
      clock.advance(500); // 2,000 steps/s
      if (i % 4 === 0) {
        progress.recordEpisode(10);
        progress.recordEpisode(20);
      }
      progress.tick(i * 1000);
      if (i % 10 === 0) progress.completeUpdate(i / 10, i * 1000);
    }
    // 20 s of training at one line per ≥5 s: lines at the first call after 5, 10, 15, 20 s.
    const lines = stream.lines();
    expect(lines.length).toBe(4);
    const last = lines[lines.length - 1] ?? "";
    expect(last).toMatch(/^\[hopper\] update \d+ \| steps 40,000\/100,000 \(40\.0%\) \| 2,000 steps\/s \| return 15\.0 \(20 ep\) \| elapsed 20s \| ETA 30s$/);
    expect(stream.text).not.toContain("\x1b");
    expect(stream.text).not.toContain("\r");

    progress.stop();
    progress.stop(); // idempotent
    expect(stream.lines().length).toBe(5); // one final line
    progress.tick(50_000); // after stop: silent
    progress.completeUpdate(5, 50_000);
    expect(stream.lines().length).toBe(5);
  });

  it("with interval 0 prints at every update", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const progress = new TrainingProgress({ totalSteps: 10, stream, plainIntervalSeconds: 0, now: clock.now });
    progress.start();
    for (let u = 1; u <= 3; u++) {
      clock.advance(100);
      progress.completeUpdate(u, u * 2);
    }
    expect(stream.lines().map((l) => l.split(" | ")[0])).toEqual(["update 1", "update 2", "update 3"]);
    progress.stop();
  });

  it("averages the last `returnWindow` episodes only", () => {
    const progress = new TrainingProgress({ totalSteps: 10, stream: new FakeStream(false), returnWindow: 3 });
    expect(progress.recentMeanReturn()).toBeNaN();
    for (const r of [100, 1, 2, 3, NaN]) progress.recordEpisode(r);
    expect(progress.recentMeanReturn()).toBe(2);
  });

  it("log() prints a plain message", () => {
    const stream = new FakeStream(false);
    const progress = new TrainingProgress({ totalSteps: 10, stream });
    progress.start();
    progress.log("checkpoint saved");
    expect(stream.lines()).toEqual(["checkpoint saved"]);
    progress.stop();
  });

  it("is plain in CI even on a terminal, and a bar on a terminal otherwise", () => {
    vi.stubEnv("CI", "true");
    expect(new TrainingProgress({ totalSteps: 1, stream: new FakeStream(true) }).outputMode).toBe("plain");
    vi.stubEnv("CI", "");
    expect(new TrainingProgress({ totalSteps: 1, stream: new FakeStream(true) }).outputMode).toBe("bar");
    expect(new TrainingProgress({ totalSteps: 1, stream: new FakeStream(false), mode: "off" }).outputMode).toBe("off");
  });

  it("resumed runs measure throughput from the resume point", () => {
    const clock = manualClock();
    const progress = new TrainingProgress({
      totalSteps: 1_000_000,
      startSteps: 500_000,
      startUpdate: 100,
      stream: new FakeStream(false),
      now: clock.now,
    });
    progress.start();
    clock.advance(1000);
    progress.tick(501_000);
    expect(progress.stepsPerSecond()).toBe(1000);
    expect(progress.statusLine()).toMatch(/^update 100 \| steps 501,000\/1,000,000 \(50\.1%\) \| 1,000 steps\/s .* ETA 8m19s$/);
    progress.stop();
  });
});

describe("bar mode (TTY)", () => {
  it("draws a cli-progress bar, throttles redraws, and stops cleanly", () => {
    const stream = new FakeStream(true);
    const clock = manualClock();
    const progress = new TrainingProgress({
      totalSteps: 10_000,
      stream,
      mode: "bar",
      redrawIntervalMs: 1000,
      now: clock.now,
    });
    progress.start();
    const afterStart = stream.chunks.length;
    for (let i = 1; i <= 9; i++) {
      clock.advance(100); // 0.9 s total: below the redraw interval
      progress.tick(i * 100);
    }
    expect(stream.chunks.length).toBe(afterStart);
    progress.recordEpisode(42);
    progress.completeUpdate(1, 1000); // update boundaries always redraw
    expect(stream.text).toContain("upd 1");
    expect(stream.text).toContain("1k/10k steps");
    expect(stream.text).toContain("ETA 9s");
    expect(stream.text).toContain("return 42.0 (1 ep)");
    expect(stream.text).toMatch(/█+░+ 10%/);
    progress.log("hello");
    expect(stream.text).toContain("hello\n");
    progress.stop();
    progress.stop();
    expect(stream.text.endsWith("\n")).toBe(true);
    // No terminal state changes that a killed run would leave behind.
    expect(stream.text).not.toContain("\x1b[?25l");
    expect(stream.text).not.toContain("\x1b[?7l");
  });
});
