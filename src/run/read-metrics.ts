/**
 * Reads a run's metrics back from `metrics.jsonl` / `metrics.csv` (for plots on resume, for
 * `MetricsLog` resume, for tests and tools).
 *
 *   const { rows, skipped } = readMetricsJsonl(join(runDir, "metrics.jsonl"));
 *
 * Reading is tolerant: a line that cannot be parsed is skipped and reported in `skipped`
 * instead of throwing, because the usual cause is a run killed in the middle of writing its last
 * line. In the CSV, a last line without its newline is always skipped (a cut-off number such as
 * `0.12` of `0.1234` would otherwise parse); a JSONL line cut anywhere fails to parse.
 * A missing file reads as empty.
 */
import { existsSync, readFileSync } from "node:fs";
import { type MetricsRow, decodeCsvNumber, splitCsvLine } from "./metrics-row.js";

export interface SkippedLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
}

export interface MetricsFileContent {
  readonly rows: MetricsRow[];
  /** Column names in first-seen order (CSV: the header). */
  readonly columns: string[];
  readonly skipped: SkippedLine[];
}

const EMPTY = (): MetricsFileContent => ({ rows: [], columns: [], skipped: [] });

export function readMetricsJsonl(path: string): MetricsFileContent {
  return existsSync(path) ? parseMetricsJsonl(readFileSync(path, "utf8")) : EMPTY();
}

export function readMetricsCsv(path: string): MetricsFileContent {
  return existsSync(path) ? parseMetricsCsv(readFileSync(path, "utf8")) : EMPTY();
}

export function parseMetricsJsonl(text: string): MetricsFileContent {
  const rows: MetricsRow[] = [];
  const columns: string[] = [];
  const seen = new Set<string>();
  const skipped: SkippedLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    const parsed = parseJsonRow(line);
    if (typeof parsed === "string") {
      skipped.push({ line: i + 1, reason: parsed });
      continue;
    }
    for (const key of Object.keys(parsed)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
    rows.push(parsed);
  }
  return { rows, columns, skipped };
}

/** The row, or a reason it is not one. */
function parseJsonRow(line: string): MetricsRow | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not valid JSON (truncated write?)";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`;
  }
  const row: Record<string, number> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null) row[key] = NaN;
    else if (typeof field === "number") row[key] = field;
    else return `'${key}' must be a number or null, got ${JSON.stringify(field)}`;
  }
  const update = row["update"];
  if (update === undefined || !Number.isInteger(update)) return "missing or non-integer 'update'";
  return row;
}

export function parseMetricsCsv(text: string): MetricsFileContent {
  const lines = text.split("\n");
  // `text.split` yields a last element after the final newline: "" for a complete file.
  const complete = lines.length - 1;
  const headerLine = lines[0];
  if (complete < 1 || headerLine === undefined) {
    const skipped = text.trim() === "" ? [] : [{ line: 1, reason: "incomplete header line" }];
    return { rows: [], columns: [], skipped };
  }
  const columns = splitCsvLine(stripCr(headerLine));
  const rows: MetricsRow[] = [];
  const skipped: SkippedLine[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i] ?? "");
    const isLast = i === lines.length - 1;
    if (line.trim() === "") continue;
    if (isLast) {
      skipped.push({ line: i + 1, reason: "last line has no newline (truncated write?)" });
      continue;
    }
    const fields = splitCsvLine(line);
    if (fields.length !== columns.length) {
      skipped.push({ line: i + 1, reason: `expected ${columns.length} fields, got ${fields.length}` });
      continue;
    }
    const row: Record<string, number> = {};
    columns.forEach((column, c) => {
      row[column] = decodeCsvNumber(fields[c] ?? "");
    });
    const update = row["update"];
    if (update === undefined || !Number.isInteger(update)) {
      skipped.push({ line: i + 1, reason: "missing or non-integer 'update'" });
      continue;
    }
    rows.push(row);
  }
  return { rows, columns, skipped };
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
