/**
 * The one error type of the launch system. Its message is always a single line shaped like a
 * compiler diagnostic, `file:line: field.path: got <value>, expected <what>`, so a CLI can print
 * it as is and an editor can jump to it.
 */
import path from "node:path";

/** Where something was written: a launch file (as displayed) and a 1-based line, if known. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
  /** The substitution text a value came from, e.g. `$(var seed)`, when it was substituted. */
  readonly via?: string;
}

export interface LaunchErrorOptions {
  /** Displayed launch file path; omitted for command-line errors with no file. */
  readonly file?: string;
  readonly line?: number;
  /** Field path such as `train.ppo.clip_range` or `launch[2].include.file`. */
  readonly path?: string;
  /** What went wrong, e.g. `got -0.2, expected a number > 0 and < 1`. */
  readonly detail: string;
  /** Further one-line messages when several problems were found (the message names the first). */
  readonly others?: readonly string[];
}

export class LaunchError extends Error {
  override readonly name = "LaunchError";
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly path: string | undefined;
  readonly detail: string;
  /** Every problem found, one line each; the first is `message`. */
  readonly problems: readonly string[];

  constructor(options: LaunchErrorOptions) {
    const message = formatProblem(options);
    super(message);
    this.file = options.file;
    this.line = options.line;
    this.path = options.path;
    this.detail = options.detail;
    this.problems = [message, ...(options.others ?? [])];
  }

  /** An error at a known origin (file and line) and field path. */
  static at(origin: Origin, fieldPath: string | undefined, detail: string): LaunchError {
    return new LaunchError({ file: origin.file, line: origin.line, path: fieldPath, detail });
  }
}

/** `file:line: path: detail`, with newlines escaped so the result is one line. */
export function formatProblem(p: Omit<LaunchErrorOptions, "others">): string {
  let head = "";
  if (p.file !== undefined) head = p.line !== undefined ? `${p.file}:${p.line}: ` : `${p.file}: `;
  const field = p.path !== undefined && p.path !== "" ? `${p.path}: ` : "";
  return oneLine(`${head}${field}${p.detail}`);
}

/** A value as it appears in messages: strings quoted, long values shortened, always one line. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = "nothing";
  else if (typeof value === "number") text = Object.is(value, -0) ? "-0" : String(value);
  else if (typeof value === "string" || typeof value === "boolean" || value === null) text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** File path for messages: relative to the working directory when inside it, else absolute. */
export function displayPath(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : absolute;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}
