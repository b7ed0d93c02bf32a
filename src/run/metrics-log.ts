/**
 * `MetricsLog`: appends one row per PPO update to `metrics.jsonl` and `metrics.csv` in a run
 * directory, so that every completed row survives Ctrl-C, `kill -9` or a crash.
 *
 *   const log = new MetricsLog(runDir, { resume: false });
 *   log.append({ update: 1, env_steps: 4096, episode_return_mean: 12.5, reward_forward: 3.1 });
 *   log.rows();       // every row of this run so far (including rows found on resume)
 *   log.close();
 *
 *   // resuming from a checkpoint taken after update 40: rows 41.. (written after that
 *   // checkpoint, before the crash) are dropped so the log matches the restored state.
 *   const log = new MetricsLog(runDir, { resume: true, fromUpdate: 40 });
 *
 * Durability: each row is written with a single `write` of the complete line (so a kill leaves
 * at most one partial last line, which readers skip) and, unless `fsync: false`, fsynced so it
 * also survives a power cut. One row per update makes this cheap.
 *
 * Columns: JSONL keeps every key of every row. The CSV header is fixed by the first row ever
 * written (standard columns, then that row's extra keys); keys first seen later go to JSONL
 * only, and missing values are empty fields.
 *
 * Resume: existing rows are read back, a partial last line is removed, and with `fromUpdate`
 * rows with a larger `update` are removed; the cleaned files are written atomically before
 * appending continues. Without `resume`, an existing non-empty log is an error unless
 * `overwrite: true`, so a run is never silently mixed with another.
 */
import { closeSync, existsSync, fsyncSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { atomicWriteFileSync } from "../util/fs.js";
import {
  METRICS_CSV,
  METRICS_JSONL,
  type MetricsRow,
  columnsOf,
  encodeCsvHeader,
  encodeCsvRow,
  encodeJsonlRow,
  rowProblem,
} from "./metrics-row.js";
import { readMetricsCsv, readMetricsJsonl } from "./read-metrics.js";

export interface MetricsLogOptions {
  /** Continue an existing log (true) or start a new one (false). */
  resume: boolean;
  /** On resume: drop rows whose `update` is greater than this (the restored checkpoint's update). */
  fromUpdate?: number;
  /** Without `resume`: replace an existing log instead of failing. Default false. */
  overwrite?: boolean;
  /** fsync after each row (survives power loss, not only process death). Default true. */
  fsync?: boolean;
}

export class MetricsLogError extends Error {
  override readonly name = "MetricsLogError";
}

export class MetricsLog {
  readonly jsonlPath: string;
  readonly csvPath: string;
  private jsonlFd: number | undefined;
  private csvFd: number | undefined;
  private csvColumns: string[] | undefined;
  private readonly all: MetricsRow[] = [];
  private readonly fsync: boolean;

  constructor(dir: string, options: MetricsLogOptions) {
    this.jsonlPath = join(dir, METRICS_JSONL);
    this.csvPath = join(dir, METRICS_CSV);
    this.fsync = options.fsync ?? true;
    if (options.resume) {
      this.prepareResume(options.fromUpdate);
    } else {
      this.prepareFresh(options.overwrite ?? false);
    }
    this.jsonlFd = openSync(this.jsonlPath, "a");
    this.csvFd = openSync(this.csvPath, "a");
  }

  /** Rows of this run so far, oldest first (includes rows found on resume). Do not mutate. */
  rows(): readonly MetricsRow[] {
    return this.all;
  }

  /** Same as `rows()`; named for symmetry with `readMetricsJsonl`. */
  readAll(): readonly MetricsRow[] {
    return this.all;
  }

  /** `update` of the last row, or undefined if the log is empty. */
  lastUpdate(): number | undefined {
    return this.all[this.all.length - 1]?.["update"];
  }

  /** CSV columns, or undefined until the first row fixes them. */
  columns(): readonly string[] | undefined {
    return this.csvColumns;
  }

  /** Appends one row to both files (a copy is kept for `rows()`). */
  append(row: MetricsRow): void {
    if (this.jsonlFd === undefined || this.csvFd === undefined) {
      throw new MetricsLogError(`append on a closed MetricsLog (${this.jsonlPath})`);
    }
    const problem = rowProblem(row);
    if (problem !== undefined) throw new MetricsLogError(`invalid metrics row: ${problem}`);
    const update = row["update"] ?? 0;
    const last = this.lastUpdate();
    if (last !== undefined && update <= last) {
      throw new MetricsLogError(
        `metrics row update ${update} is not after the last logged update ${last}` +
          ` in ${this.jsonlPath}; when resuming from an earlier checkpoint pass fromUpdate`,
      );
    }
    const copy: MetricsRow = { ...row };
    writeLine(this.jsonlFd, `${encodeJsonlRow(copy)}\n`);
    let csv = "";
    if (this.csvColumns === undefined) {
      this.csvColumns = columnsOf(copy);
      csv += `${encodeCsvHeader(this.csvColumns)}\n`;
    }
    csv += `${encodeCsvRow(copy, this.csvColumns)}\n`;
    writeLine(this.csvFd, csv);
    if (this.fsync) {
      fsyncSync(this.jsonlFd);
      fsyncSync(this.csvFd);
    }
    this.all.push(copy);
  }

  /** Closes the files. Idempotent; safe to call from a SIGINT handler. */
  close(): void {
    if (this.jsonlFd !== undefined) closeSync(this.jsonlFd);
    if (this.csvFd !== undefined) closeSync(this.csvFd);
    this.jsonlFd = undefined;
    this.csvFd = undefined;
  }

  private prepareFresh(overwrite: boolean): void {
    for (const path of [this.jsonlPath, this.csvPath]) {
      if (existsSync(path) && statSync(path).size > 0 && !overwrite) {
        throw new MetricsLogError(
          `${path} already has metrics; expected a new run directory, resume: true, or overwrite: true`,
        );
      }
    }
    atomicWriteFileSync(this.jsonlPath, "");
    atomicWriteFileSync(this.csvPath, "");
  }

  private prepareResume(fromUpdate: number | undefined): void {
    if (fromUpdate !== undefined && (!Number.isInteger(fromUpdate) || fromUpdate < 0)) {
      throw new MetricsLogError(`fromUpdate must be a non-negative integer, got ${fromUpdate}`);
    }
    const keep = (row: MetricsRow): boolean => fromUpdate === undefined || (row["update"] ?? 0) <= fromUpdate;

    const jsonl = readMetricsJsonl(this.jsonlPath);
    const jsonlRows = jsonl.rows.filter(keep);
    this.all.push(...jsonlRows);
    atomicWriteFileSync(this.jsonlPath, jsonlRows.map((row) => `${encodeJsonlRow(row)}\n`).join(""));

    const csv = readMetricsCsv(this.csvPath);
    if (csv.columns.length > 0) {
      this.csvColumns = csv.columns;
      const columns = csv.columns;
      const lines = [encodeCsvHeader(columns), ...csv.rows.filter(keep).map((row) => encodeCsvRow(row, columns))];
      atomicWriteFileSync(this.csvPath, lines.map((line) => `${line}\n`).join(""));
    } else {
      atomicWriteFileSync(this.csvPath, "");
    }
  }
}

function writeLine(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let written = 0;
  while (written < bytes.byteLength) {
    written += writeSync(fd, bytes, written, bytes.byteLength - written);
  }
}
