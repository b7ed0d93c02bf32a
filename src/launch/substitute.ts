/**
 * ROS 2 launch substitutions inside string scalars: `$(var name)`, `$(env NAME)`,
 * `$(env NAME default words)`, `$(dirname)`. Substitutions nest: `$(var $(env WHICH))`.
 */
import { LaunchError, type Origin } from "./errors.js";

/** What substitutions can see while one launch file is processed. */
export interface SubstitutionContext {
  /** Launch configurations (declared args and `let` values) in scope. */
  readonly vars: ReadonlyMap<string, string>;
  /** Absolute directory of the launch file being processed, for `$(dirname)`. */
  readonly dirname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Where the text being substituted was written, for error messages. */
export interface TextSite {
  readonly origin: Origin;
  readonly path: string;
}

export function hasSubstitution(text: string): boolean {
  return text.includes("$(");
}

/** True when the whole text is exactly one substitution, e.g. `$(var seed)`. */
export function isWholeSubstitution(text: string): boolean {
  return text.startsWith("$(") && closingParen(text, 2) === text.length - 1;
}

/** Replaces every substitution in `text`; throws a LaunchError naming the site on failure. */
export function substitute(text: string, ctx: SubstitutionContext, site: TextSite): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("$(", i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    const end = closingParen(text, start + 2);
    if (end < 0) {
      const expected = `expected a ")" closing the "$(" at character ${start + 1}`;
      throw LaunchError.at(site.origin, site.path, `got ${JSON.stringify(text)}, ${expected}`);
    }
    const raw = text.slice(start, end + 1);
    const inner = substitute(text.slice(start + 2, end), ctx, site);
    out += evaluate(inner, raw, ctx, site);
    i = end + 1;
  }
  return out;
}

function evaluate(inner: string, raw: string, ctx: SubstitutionContext, site: TextSite): string {
  const words = inner.trim().split(/\s+/).filter((w) => w !== "");
  const [kind, ...args] = words;
  const fail = (expected: string): LaunchError =>
    LaunchError.at(site.origin, site.path, `got ${JSON.stringify(raw)}, expected ${expected}`);
  switch (kind) {
    case "var": {
      const [name] = args;
      if (name === undefined || args.length !== 1) throw fail("$(var NAME) with exactly one name");
      const value = ctx.vars.get(name);
      if (value === undefined) {
        const defined = ctx.vars.size > 0 ? [...ctx.vars.keys()].join(", ") : "none";
        const hint = `(defined here: ${defined}; declare it with arg: or let:)`;
        throw LaunchError.at(site.origin, site.path, `undefined variable "${name}" in ${JSON.stringify(raw)} ${hint}`);
      }
      return value;
    }
    case "env": {
      const [name, ...fallback] = args;
      if (name === undefined) throw fail("$(env NAME) or $(env NAME default)");
      const value = ctx.env[name];
      if (value !== undefined) return value;
      if (fallback.length > 0) return fallback.join(" ");
      const hint = `(set it, or give a default: $(env ${name} default))`;
      throw LaunchError.at(site.origin, site.path, `environment variable ${name} is not set in ${JSON.stringify(raw)} ${hint}`);
    }
    case "dirname":
      if (args.length !== 0) throw fail("$(dirname) with no arguments");
      return ctx.dirname;
    default:
      throw fail("one of $(var NAME), $(env NAME), $(env NAME default), $(dirname)");
  }
}

/** Index of the ")" closing a "$(" whose content starts at `from`, or -1. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}
