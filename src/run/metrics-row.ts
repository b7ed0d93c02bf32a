/**
 * One row of a run's metrics: the numbers logged after each PPO update, and how a row is
 * spelled in `metrics.jsonl` and `metrics.csv`.
 *
 * A row is a flat record of numbers. `update` is required (a non-negative integer, strictly
 * increasing within a run); the other standard columns are listed in `STANDARD_COLUMNS`, in the
 * order the CSV uses. Any other numeric key (per-term rewards such as `reward_forward`,
 * diagnostics) is allowed and kept.
 *
 * Non-finite numbers: JSON has no NaN or Infinity, so JSONL writes `null` for all of them and
 * reads `null` back as NaN. CSV writes NaN as an empty field and infinities as `inf` / `-inf`,
 * which pandas and spreadsheets read as numbers.
 */

export type MetricsRow = Readonly<Record<string, number>>;

/** Columns every run logs, in CSV order. */
export const STANDARD_COLUMNS = [
  "update",
  "env_steps",
  "wall_seconds",
  "env_steps_per_second",
  "episode_return_mean",
  "episode_length_mean",
  "episodes",
  "policy_loss",
  "value_loss",
  "entropy",
  "approx_kl",
  "clip_fraction",
  "explained_variance",
  "learning_rate",
  "log_std_mean",
] as const;

export type StandardColumn = (typeof STANDARD_COLUMNS)[number];

export const METRICS_JSONL = "metrics.jsonl";
export const METRICS_CSV = "metrics.csv";

const STANDARD_SET: ReadonlySet<string> = new Set(STANDARD_COLUMNS);

/** Standard columns first, then the row's other keys in their insertion order. */
export function columnsOf(row: MetricsRow): string[] {
  const extras = Object.keys(row).filter((key) => !STANDARD_SET.has(key));
  return [...STANDARD_COLUMNS, ...extras];
}

/** The row's keys ordered standard-first (only keys present in the row). */
function orderedKeys(row: MetricsRow): string[] {
  const standard = STANDARD_COLUMNS.filter((key) => key in row);
  const extras = Object.keys(row).filter((key) => !STANDARD_SET.has(key));
  return [...standard, ...extras];
}

/** One JSONL line, without the newline. */
export function encodeJsonlRow(row: MetricsRow): string {
  const out: Record<string, number | null> = {};
  for (const key of orderedKeys(row)) {
    const value = row[key];
    if (value === undefined) continue;
    out[key] = Number.isFinite(value) ? value : null;
  }
  return JSON.stringify(out);
}

/** One CSV line for `columns`, without the newline; keys of `row` not in `columns` are dropped. */
export function encodeCsvRow(row: MetricsRow, columns: readonly string[]): string {
  return columns.map((column) => encodeCsvNumber(row[column])).join(",");
}

export function encodeCsvHeader(columns: readonly string[]): string {
  return columns.map(quoteCsvField).join(",");
}

function encodeCsvNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return String(value);
}

/** Parses a CSV number field as written by `encodeCsvRow` (and common spellings of inf/nan). */
export function decodeCsvNumber(field: string): number {
  const text = field.trim().toLowerCase();
  if (text === "" || text === "nan") return NaN;
  if (text === "inf" || text === "+inf" || text === "infinity" || text === "+infinity") return Infinity;
  if (text === "-inf" || text === "-infinity") return -Infinity;
  return Number(text);
}

function quoteCsvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** Splits one CSV line into fields (RFC 4180 quoting; no newlines inside fields). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Why a row cannot be logged, or `undefined` if it can. */
export function rowProblem(row: MetricsRow): string | undefined {
  const update = row["update"];
  if (update === undefined) return "missing required key 'update'";
  if (!Number.isInteger(update) || update < 0) {
    return `'update' must be a non-negative integer, got ${String(update)}`;
  }
  for (const [key, value] of Object.entries(row)) {
    if (typeof value !== "number") return `'${key}' must be a number, got ${typeof value}`;
    if (key.length === 0) return "empty column name";
  }
  return undefined;
}
