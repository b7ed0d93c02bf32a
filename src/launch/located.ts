/**
 * Values read from launch files that remember where each part was written, so that after
 * several `train:` fragments from several files are deep-merged, an error about one field
 * still names the file and line it came from.
 */
import type { Origin } from "./errors.js";

export type ScalarValue = string | number | boolean | null;

export interface LocatedScalar {
  readonly kind: "scalar";
  readonly value: ScalarValue;
  /** The text the value was read from (after substitution): what a launch variable stores. */
  readonly text: string;
  readonly origin: Origin;
}

export interface LocatedEntry {
  /** Where the key was written (for "unknown key" errors). */
  readonly key: Origin;
  readonly value: Located;
}

export interface LocatedMap {
  readonly kind: "map";
  readonly entries: ReadonlyMap<string, LocatedEntry>;
  readonly origin: Origin;
}

export interface LocatedSeq {
  readonly kind: "seq";
  readonly items: readonly Located[];
  readonly origin: Origin;
}

export type Located = LocatedScalar | LocatedMap | LocatedSeq;

/** Deep merge, later wins: maps merge key by key; anything else (lists too) is replaced. */
export function mergeLocated(earlier: Located, later: Located): Located {
  if (earlier.kind !== "map" || later.kind !== "map") return later;
  const entries = new Map(earlier.entries);
  for (const [key, entry] of later.entries) {
    const previous = entries.get(key);
    entries.set(key, previous ? { key: entry.key, value: mergeLocated(previous.value, entry.value) } : entry);
  }
  return { kind: "map", entries, origin: later.origin };
}

/** The plain JSON-like value (what the schema validates). */
export function toPlain(node: Located): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map":
      // fromEntries defines own properties, so a key like "__proto__" stays data.
      return Object.fromEntries([...node.entries].map(([k, e]) => [k, toPlain(e.value)]));
  }
}

/**
 * The node at `path`, or the deepest ancestor that exists, together with how far it got.
 * Used to find the origin of a field an error is about.
 */
export function locate(root: Located, path: readonly PropertyKey[]): { node: Located; depth: number } {
  let node = root;
  let depth = 0;
  for (const segment of path) {
    let next: Located | undefined;
    if (node.kind === "map" && typeof segment === "string") next = node.entries.get(segment)?.value;
    else if (node.kind === "seq" && typeof segment === "number") next = node.items[segment];
    if (next === undefined) break;
    node = next;
    depth++;
  }
  return { node, depth };
}

/** Field path text: `train.ppo.clip_range`, `train.policy.hidden[1]`. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
