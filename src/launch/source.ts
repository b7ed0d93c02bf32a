/**
 * Reading one launch file: YAML parsing with line numbers, and turning YAML nodes into
 * located values with substitutions applied.
 */
import { readFile } from "node:fs/promises";
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { LaunchError, type Origin } from "./errors.js";
import { formatPath, type Located, type LocatedEntry, type ScalarValue } from "./located.js";
import { hasSubstitution, isWholeSubstitution, substitute, type SubstitutionContext } from "./substitute.js";

/** A parsed launch file. */
export interface LaunchSource {
  /** Absolute path. */
  readonly path: string;
  /** Path as shown in messages. */
  readonly display: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Reads and parses a launch file; YAML syntax errors become one-line LaunchErrors. */
export async function readLaunchSource(path: string, display: string): Promise<LaunchSource> {
  const text = await readFile(path, "utf8");
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const [error] = doc.errors;
  if (error) {
    const pos = lines.linePos(error.pos[0]);
    // yaml's messages end in " at line L, column C" plus a source excerpt; we say it our way.
    const reason = (error.message.split("\n")[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, "");
    throw new LaunchError({ file: display, line: pos.line, detail: `YAML syntax error at column ${pos.col}: ${reason}` });
  }
  return { path, display, doc, lines };
}

/** Origin of a YAML node in a source. */
export function originOf(src: LaunchSource, node: unknown, fallback?: Origin): Origin {
  if (isNode(node) && node.range) return { file: src.display, line: src.lines.linePos(node.range[0]).line };
  return fallback ?? { file: src.display };
}

function isNode(node: unknown): node is Node {
  return isScalar(node) || isMap(node) || isSeq(node) || isAlias(node);
}

/** How to read YAML nodes of one file: its source and the substitution scope in effect. */
export interface ReadContext {
  readonly src: LaunchSource;
  readonly subst: SubstitutionContext;
}

/**
 * Converts a YAML node to a located value, applying substitutions to string scalars.
 * A plain (unquoted) scalar that is exactly one substitution is re-read as a YAML scalar, so
 * `seed: $(var seed)` gives a number; quote it (`"$(var seed)"`) to keep a string.
 */
export function readNode(node: unknown, path: string, cx: ReadContext, fallback: Origin): Located {
  const origin = originOf(cx.src, node, fallback);
  if (isAlias(node)) {
    const target = node.resolve(cx.src.doc);
    if (!target) throw LaunchError.at(origin, path, `got alias *${node.source}, expected a defined anchor`);
    return readNode(target, path, cx, origin);
  }
  if (node === null || node === undefined) return { kind: "scalar", value: null, text: "", origin };
  if (isMap(node)) {
    const entries = new Map<string, LocatedEntry>();
    for (const pair of node.items) {
      const keyOrigin = originOf(cx.src, pair.key, origin);
      const key = scalarKey(pair.key);
      if (key === undefined) {
        throw LaunchError.at(keyOrigin, path, `got a ${describeNode(pair.key)} as a map key, expected a plain name`);
      }
      entries.set(key, { key: keyOrigin, value: readNode(pair.value, formatPath(path, [key]), cx, keyOrigin) });
    }
    return { kind: "map", entries, origin };
  }
  if (isSeq(node)) {
    return { kind: "seq", items: node.items.map((item, i) => readNode(item, `${path}[${i}]`, cx, origin)), origin };
  }
  if (isScalar(node)) return readScalar(node.value, node.type, node.source, path, cx, origin);
  throw LaunchError.at(origin, path, `got ${describeNode(node)}, expected a YAML scalar, list or map`);
}

function readScalar(
  value: unknown,
  type: string | undefined,
  source: string | undefined,
  path: string,
  cx: ReadContext,
  origin: Origin,
): Located {
  if (typeof value === "string" && hasSubstitution(value)) {
    const text = substitute(value, cx.subst, { origin, path });
    const via = { ...origin, via: value };
    if (type === "PLAIN" && isWholeSubstitution(value)) {
      return { kind: "scalar", value: reparseScalar(text), text, origin: via };
    }
    return { kind: "scalar", value: text, text, origin: via };
  }
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") {
    return { kind: "scalar", value, text: source ?? String(value), origin };
  }
  const expected = "expected a string, number, boolean or null";
  throw LaunchError.at(origin, path, `got an unsupported YAML value ${String(value)}, ${expected}`);
}

/** Reads substituted text as a YAML scalar (`3` → 3, `true`, `null`, `1e-4`); anything else stays text. */
export function reparseScalar(text: string): ScalarValue {
  if (text.trim() === "") return text;
  const doc = parseDocument(text);
  const node = doc.contents;
  if (doc.errors.length > 0 || !isScalar(node) || node.comment || doc.commentBefore || doc.comment) return text;
  const value = node.value;
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : text;
}

function scalarKey(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = key.value;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return key.source ?? String(v);
  return undefined;
}

function describeNode(node: unknown): string {
  if (isMap(node)) return "map";
  if (isSeq(node)) return "list";
  if (isScalar(node)) return `scalar ${JSON.stringify(node.value)}`;
  return "nothing";
}
