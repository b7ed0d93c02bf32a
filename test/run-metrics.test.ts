/**
 * metrics.jsonl / metrics.csv: round trip, crash tolerance (partial last line, kill -9) and
 * resume (append, truncate to the checkpoint's update).
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetricsLog, MetricsLogError } from "../src/run/metrics-log.js";
import { STANDARD_COLUMNS, type MetricsRow } from "../src/run/metrics-row.js";
import { parseMetricsCsv, parseMetricsJsonl, readMetricsCsv, readMetricsJsonl } from "../src/run/read-metrics.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "locomote-run-metrics-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function row(update: number, extra: Record<string, number> = {}): MetricsRow {
  return {
    update,
    env_steps: update * 4096,
    wall_seconds: update * 1.5,
    env_steps_per_second: 4096 / 1.5,
    episode_return_mean: 10 * update + 0.125,
    episode_length_mean: 100 + update,
    episodes: 3,
    policy_loss: -0.0123,
    value_loss: 45.6,
    entropy: 5.5,
    approx_kl: 0.0101,
    clip_fraction: 0.2,
    explained_variance: 0.5,
    learning_rate: 3e-4,
    log_std_mean: -0.25,
    ...extra,
  };
}

describe("MetricsLog round trip", () => {
  it("writes JSONL and CSV that read back to the same rows", () => {
    const log = new MetricsLog(dir, { resume: false });
    const rows = [row(1, { reward_forward: 1.5, reward_ctrl: -0.25 }), row(2, { reward_forward: 2.5, reward_ctrl: -0.5 })];
    for (const r of rows) log.append(r);
    log.close();

    const jsonl = readMetricsJsonl(join(dir, "metrics.jsonl"));
    expect(jsonl.skipped).toEqual([]);
    expect(jsonl.rows).toEqual(rows);

    const csv = readMetricsCsv(join(dir, "metrics.csv"));
    expect(csv.skipped).toEqual([]);
    expect(csv.columns).toEqual([...STANDARD_COLUMNS, "reward_forward", "reward_ctrl"]);
    expect(csv.rows).toEqual(rows);
    // Header written once.
    const text = readFileSync(join(dir, "metrics.csv"), "utf8");
    expect(text.split("\n").filter((l) => l.startsWith("update,")).length).toBe(1);
  });

  it("fixes CSV columns at the first row; later keys go to JSONL only; gaps are empty fields", () => {
    const log = new MetricsLog(dir, { resume: false });
    log.append({ update: 1, env_steps: 10, reward_alive: 1 });
    log.append({ update: 2, env_steps: 20, reward_alive: 1, reward_new: 7 });
    log.close();
    const csv = readMetricsCsv(join(dir, "metrics.csv"));
    expect(csv.columns).not.toContain("reward_new");
    expect(csv.columns[csv.columns.length - 1]).toBe("reward_alive");
    expect(csv.rows[1]?.["env_steps"]).toBe(20);
    expect(csv.rows[1]?.["entropy"]).toBeNaN();
    const jsonl = readMetricsJsonl(join(dir, "metrics.jsonl"));
    expect(jsonl.rows[1]?.["reward_new"]).toBe(7);
    expect(jsonl.columns).toEqual(["update", "env_steps", "reward_alive", "reward_new"]);
  });

  it("spells non-finite values so both files stay parseable", () => {
    const log = new MetricsLog(dir, { resume: false });
    log.append({ update: 1, episode_return_mean: NaN, value_loss: Infinity, policy_loss: -Infinity });
    log.close();
    const jsonlText = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    expect(jsonlText).toContain('"episode_return_mean":null');
    const back = readMetricsJsonl(join(dir, "metrics.jsonl")).rows[0];
    expect(back?.["episode_return_mean"]).toBeNaN();
    expect(back?.["value_loss"]).toBeNaN(); // JSON has no Infinity
    const csv = readMetricsCsv(join(dir, "metrics.csv")).rows[0];
    expect(csv?.["episode_return_mean"]).toBeNaN();
    expect(csv?.["value_loss"]).toBe(Infinity);
    expect(csv?.["policy_loss"]).toBe(-Infinity);
  });

  it("quotes CSV column names that need it", () => {
    const log = new MetricsLog(dir, { resume: false });
    log.append({ update: 1, 'odd,"name"': 3 });
    log.close();
    const csv = readMetricsCsv(join(dir, "metrics.csv"));
    expect(csv.columns).toContain('odd,"name"');
    expect(csv.rows[0]?.['odd,"name"']).toBe(3);
  });

  it("rejects rows without a valid, increasing update", () => {
    const log = new MetricsLog(dir, { resume: false });
    expect(() => log.append({ env_steps: 1 })).toThrow(MetricsLogError);
    expect(() => log.append({ update: 1.5 })).toThrow(/non-negative integer, got 1.5/);
    log.append({ update: 3 });
    expect(() => log.append({ update: 3 })).toThrow(/update 3 is not after the last logged update 3/);
    log.close();
    expect(() => log.append({ update: 4 })).toThrow(/closed/);
  });
});

describe("crash tolerance", () => {
  it("skips a truncated last line (crash mid-write) and keeps every complete row", () => {
    const log = new MetricsLog(dir, { resume: false });
    log.append(row(1));
    log.append(row(2));
    log.close();
    const full = JSON.stringify(row(3));
    appendFileSync(join(dir, "metrics.jsonl"), full.slice(0, full.length / 2));
    appendFileSync(join(dir, "metrics.csv"), "3,12288,4.5,2730.6");

    const jsonl = readMetricsJsonl(join(dir, "metrics.jsonl"));
    expect(jsonl.rows.map((r) => r["update"])).toEqual([1, 2]);
    expect(jsonl.skipped).toEqual([{ line: 3, reason: expect.stringMatching(/truncated/) }]);

    const csv = readMetricsCsv(join(dir, "metrics.csv"));
    expect(csv.rows.map((r) => r["update"])).toEqual([1, 2]);
    expect(csv.skipped).toEqual([{ line: 4, reason: expect.stringMatching(/no newline/) }]);
  });

  it("a CSV row cut exactly at a field boundary is still skipped (no newline)", () => {
    const parsed = parseMetricsCsv("update,env_steps\n1,10\n2,2");
    expect(parsed.rows).toEqual([{ update: 1, env_steps: 10 }]);
    expect(parsed.skipped.length).toBe(1);
  });

  it("skips malformed lines anywhere and reports them", () => {
    const parsed = parseMetricsJsonl('{"update":1}\n[1,2]\n{"update":"x"}\n\n{"update":2,"a":"s"}\n{"update":3}\n');
    expect(parsed.rows).toEqual([{ update: 1 }, { update: 3 }]);
    expect(parsed.skipped.map((s) => s.line)).toEqual([2, 3, 5]);
  });

  it("every row appended before kill -9 is readable", () => {
    const script = [
      `import { MetricsLog } from ${JSON.stringify(fileURLToPath(new URL("../src/run/metrics-log.ts", import.meta.url)))};`,
      `const log = new MetricsLog(${JSON.stringify(dir)}, { resume: false });`,
      `for (let u = 1; u <= 5; u++) log.append({ update: u, env_steps: u * 100 });`,
      `process.kill(process.pid, "SIGKILL");`,
    ].join("\n");
    const file = join(dir, "child.ts");
    writeFileSync(file, script);
    const child = spawnSync(fileURLToPath(new URL("../node_modules/.bin/vite-node", import.meta.url)), [file], { encoding: "utf8", timeout: 60_000 });
    expect(child.signal).toBe("SIGKILL");
    expect(readMetricsJsonl(join(dir, "metrics.jsonl")).rows.map((r) => r["update"])).toEqual([1, 2, 3, 4, 5]);
    expect(readMetricsCsv(join(dir, "metrics.csv")).rows.map((r) => r["env_steps"])).toEqual([100, 200, 300, 400, 500]);
  });
});

describe("resume", () => {
  it("appends to the existing log and keeps the header once", () => {
    const first = new MetricsLog(dir, { resume: false });
    first.append(row(1, { reward_forward: 1 }));
    first.append(row(2, { reward_forward: 2 }));
    first.close();

    const second = new MetricsLog(dir, { resume: true });
    expect(second.rows().map((r) => r["update"])).toEqual([1, 2]);
    expect(second.columns()).toContain("reward_forward");
    second.append(row(3, { reward_forward: 3 }));
    second.close();

    expect(readMetricsJsonl(join(dir, "metrics.jsonl")).rows.map((r) => r["update"])).toEqual([1, 2, 3]);
    const csvText = readFileSync(join(dir, "metrics.csv"), "utf8");
    expect(csvText.match(/^update,/gm)?.length).toBe(1);
    expect(readMetricsCsv(join(dir, "metrics.csv")).rows.map((r) => r["reward_forward"])).toEqual([1, 2, 3]);
  });

  it("drops rows after the resumed checkpoint's update and a partial last line", () => {
    const first = new MetricsLog(dir, { resume: false });
    for (let u = 1; u <= 5; u++) first.append(row(u));
    first.close();
    appendFileSync(join(dir, "metrics.jsonl"), '{"update":6,"env_st');
    appendFileSync(join(dir, "metrics.csv"), "6,245");

    const resumed = new MetricsLog(dir, { resume: true, fromUpdate: 3 });
    expect(resumed.rows().map((r) => r["update"])).toEqual([1, 2, 3]);
    resumed.append(row(4));
    resumed.close();

    const jsonl = readMetricsJsonl(join(dir, "metrics.jsonl"));
    expect(jsonl.skipped).toEqual([]);
    expect(jsonl.rows).toEqual([row(1), row(2), row(3), row(4)]);
    const csv = readMetricsCsv(join(dir, "metrics.csv"));
    expect(csv.skipped).toEqual([]);
    expect(csv.rows).toEqual([row(1), row(2), row(3), row(4)]);
  });

  it("resuming where no log exists starts one", () => {
    const log = new MetricsLog(dir, { resume: true, fromUpdate: 0 });
    expect(log.rows()).toEqual([]);
    log.append(row(1));
    log.close();
    expect(readMetricsCsv(join(dir, "metrics.csv")).rows).toEqual([row(1)]);
  });

  it("refuses to start a new log over an existing one unless told to overwrite", () => {
    const log = new MetricsLog(dir, { resume: false });
    log.append(row(1));
    log.close();
    expect(() => new MetricsLog(dir, { resume: false })).toThrow(/already has metrics/);
    const fresh = new MetricsLog(dir, { resume: false, overwrite: true });
    expect(fresh.rows()).toEqual([]);
    fresh.close();
    expect(readMetricsJsonl(join(dir, "metrics.jsonl")).rows).toEqual([]);
  });
});
