/**
 * Runs a launch file: declares arguments, applies `name:=value` overrides, evaluates `let`,
 * `include` and `group`, collects the `train:` (and `deploy:`) fragments in order, deep-merges
 * them (later wins) and validates the result (`deploy:`: src/launch/deploy-config.ts).
 *
 * Scoping: an included file sees only the arguments its `include` passes (plus its own
 * defaults and lets), never the includer's variables, and command-line overrides apply to the
 * top file's arguments only. Passing an argument a file does not declare is an error.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, type Pair } from "yaml";
import { displayPath, LaunchError, type Origin } from "./errors.js";
import { mergeLocated, type Located, type LocatedMap } from "./located.js";
import { originOf, readLaunchSource, readNode, type LaunchSource, type ReadContext } from "./source.js";
import { closest, suggestion } from "./suggest.js";
import { validateTrainConfig } from "./validate.js";
import type { TrainConfig } from "./train-config.js";

/** A launch argument as declared by `arg:`. */
export interface DeclaredArg {
  readonly name: string;
  /** Default value (after substitution when loaded; as written when only described). */
  readonly default?: string;
  readonly description?: string;
}

export interface LaunchResult {
  /** Absolute path of the launch file. */
  readonly file: string;
  /** Final value of each argument the launch file declares. */
  readonly args: Readonly<Record<string, string>>;
  readonly declared: readonly DeclaredArg[];
  readonly config: TrainConfig;
  /** Every launch file read (absolute paths), the top file first, in reading order. */
  readonly files: readonly string[];
}

export interface LoadLaunchOptions {
  /** Environment for `$(env NAME)`; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const ACTIONS = ["arg", "let", "include", "group", "train", "deploy"] as const;
type ActionName = (typeof ACTIONS)[number];
/** Actions whose bodies are collected as fragments and validated by the command that runs them. */
type FragmentAction = "train" | "deploy";
const FRAGMENT_WHAT: Record<FragmentAction, string> = { train: "training settings", deploy: "deploy settings" };
const ROS_ONLY_ACTIONS = new Set(["node", "executable", "push-ros-namespace", "set_parameter", "set_remap"]);
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Loads a launch file with `name:=value` overrides for its declared arguments. */
export async function loadLaunch(
  file: string,
  overrides: Readonly<Record<string, string>>,
  options: LoadLaunchOptions = {},
): Promise<LaunchResult> {
  const run = await runLaunchActions(file, overrides, options);
  if (run.fragments.train.length === 0) {
    const detail = 'no train action, expected at least one "train:" action in the launch: list';
    throw new LaunchError({ file: run.display, detail });
  }
  const merged = run.fragments.train.reduce(mergeLocated);
  const config = validateTrainConfig(merged, run.displayedFiles);
  return { file: run.file, args: run.args, declared: run.declared, config, files: run.files };
}

/** A launch file run: its arguments and the unvalidated fragments of each locomote action, in reading order. */
export interface LaunchRunResult {
  /** Absolute path of the top file, and as displayed. */
  readonly file: string;
  readonly display: string;
  readonly args: Readonly<Record<string, string>>;
  readonly declared: readonly DeclaredArg[];
  /** Every launch file read (absolute), top first, and the same as displayed. */
  readonly files: readonly string[];
  readonly displayedFiles: readonly string[];
  readonly fragments: Readonly<Record<FragmentAction, readonly Located[]>>;
}

/**
 * Runs a launch file (args, lets, includes, groups) and collects the `train:` and `deploy:`
 * fragments without validating them; each command validates the action it runs.
 */
export async function runLaunchActions(
  file: string,
  overrides: Readonly<Record<string, string>>,
  options: LoadLaunchOptions = {},
): Promise<LaunchRunResult> {
  const absolute = path.resolve(file);
  const display = displayPath(absolute);
  await requireFile(absolute, () => notFound(display, absolute));
  const given = new Map<string, GivenArg>(
    Object.entries(overrides).map(([name, value]) => [name, { value, site: { kind: "command line" } }]),
  );
  const run = new LaunchRun(options.env ?? process.env);
  const top = await run.file(absolute, given, []);
  return {
    file: absolute,
    display,
    args: top.args,
    declared: top.declared,
    files: run.files,
    displayedFiles: run.files.map(displayPath),
    fragments: run.fragments,
  };
}

/** Declared arguments of a launch file as written (defaults unsubstituted), for `--help`. */
export async function describeLaunchArgs(file: string): Promise<DeclaredArg[]> {
  const absolute = path.resolve(file);
  const display = displayPath(absolute);
  await requireFile(absolute, () => notFound(display, absolute));
  const src = await readLaunchSource(absolute, display);
  return scanArgs(launchList(src).items);
}

/** Human-readable list of arguments: one per line, name, default (or "required"), description. */
export function formatLaunchArgs(declared: readonly DeclaredArg[]): string {
  if (declared.length === 0) return "Launch arguments: none";
  const rows = declared.map((a) => [
    `${a.name}:=`,
    a.default === undefined ? "(required)" : `[default: ${a.default === "" ? '""' : a.default}]`,
    a.description ?? "",
  ]);
  const w0 = Math.max(...rows.map((r) => r[0]?.length ?? 0));
  const w1 = Math.max(...rows.map((r) => r[1]?.length ?? 0));
  const lines = rows.map(([n = "", d = "", text = ""]) => `  ${n.padEnd(w0)}  ${d.padEnd(w1)}  ${text}`.trimEnd());
  return ["Launch arguments (pass as name:=value):", ...lines].join("\n");
}

// ---------------------------------------------------------------------------------------------

/** Who passed an argument value: the command line, or an `include` action's `arg:` entry. */
type GivenSite =
  | { readonly kind: "command line" }
  | { readonly kind: "include"; readonly origin: Origin; readonly path: string };

interface GivenArg {
  readonly value: string;
  readonly site: GivenSite;
}

/** Per-file state while its actions run. */
interface FileState {
  readonly src: LaunchSource;
  readonly given: ReadonlyMap<string, GivenArg>;
  /** Where this file was included from (undefined for the top file). */
  readonly includedAt: Origin | undefined;
  /** Absolute paths from the top file down to this one, for cycle detection. */
  readonly chain: readonly string[];
  readonly declared: DeclaredArg[];
  readonly args: Record<string, string>;
}

class LaunchRun {
  readonly fragments: Record<FragmentAction, Located[]> = { train: [], deploy: [] };
  readonly files: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  async file(
    absolute: string,
    given: ReadonlyMap<string, GivenArg>,
    chain: readonly string[],
    includedAt?: Origin,
  ): Promise<{ declared: DeclaredArg[]; args: Record<string, string> }> {
    const src = await readLaunchSource(absolute, displayPath(absolute));
    this.files.push(absolute);
    const list = launchList(src);
    checkGivenAreDeclared(src, given, scanArgs(list.items).map((a) => a.name));
    const state: FileState = { src, given, includedAt, chain: [...chain, absolute], declared: [], args: {} };
    await this.actions(state, list.items, "launch", new Map());
    return { declared: state.declared, args: state.args };
  }

  private async actions(
    state: FileState,
    items: readonly unknown[],
    listPath: string,
    vars: Map<string, string>,
  ): Promise<void> {
    for (const [i, item] of items.entries()) {
      const actionPath = `${listPath}[${i}]`;
      const { name, pair } = actionOf(state.src, item, actionPath);
      const keyOrigin = originOf(state.src, pair.key);
      const cx: ReadContext = { src: state.src, subst: { vars, dirname: path.dirname(state.src.path), env: this.env } };
      const where = `${actionPath}.${name}`;
      switch (name) {
        case "arg":
          this.arg(state, readNode(pair.value, where, cx, keyOrigin), where, vars);
          break;
        case "let": {
          const body = fields(readNode(pair.value, where, cx, keyOrigin), where, ["name", "value"], ["name", "value"]);
          vars.set(argName(body, where), scalarText(body, "value", where) ?? "");
          break;
        }
        case "include":
          await this.include(state, readNode(pair.value, where, cx, keyOrigin), where, keyOrigin);
          break;
        case "group":
          await this.group(state, pair.value, where, vars, keyOrigin);
          break;
        case "train":
        case "deploy": {
          const body = readNode(pair.value, name, cx, keyOrigin);
          if (body.kind !== "map") {
            throw LaunchError.at(body.origin, name, `got ${describeLocated(body)}, expected a map of ${FRAGMENT_WHAT[name]}`);
          }
          this.fragments[name].push({ ...body, origin: keyOrigin });
          break;
        }
      }
    }
  }

  private arg(state: FileState, node: Located, where: string, vars: Map<string, string>): void {
    const body = fields(node, where, ["name", "default", "description"], ["name"]);
    const name = argName(body, where);
    if (state.declared.some((a) => a.name === name)) {
      throw LaunchError.at(fieldOrigin(body, "name"), `${where}.name`, `argument "${name}" is declared twice`);
    }
    const fallback = scalarText(body, "default", where);
    const description = scalarText(body, "description", where);
    const value = state.given.get(name)?.value ?? fallback;
    if (value === undefined) {
      const how = state.includedAt
        ? `pass it in the arg: list of the include at ${state.includedAt.file}:${state.includedAt.line ?? "?"}`
        : `pass ${name}:=<value> on the command line`;
      throw LaunchError.at(body.origin, where, `missing required argument "${name}" (no default; ${how})`);
    }
    state.declared.push({
      name,
      ...(fallback !== undefined && { default: fallback }),
      ...(description !== undefined && { description }),
    });
    state.args[name] = value;
    vars.set(name, value);
  }

  private async include(state: FileState, node: Located, where: string, includeOrigin: Origin): Promise<void> {
    const body = fields(node, where, ["file", "arg"], ["file"]);
    const fileText = scalarText(body, "file", where) ?? "";
    const fileOrigin = fieldOrigin(body, "file");
    const target = path.resolve(path.dirname(state.src.path), fileText);
    await requireFile(target, () =>
      LaunchError.at(
        fileOrigin,
        `${where}.file`,
        `got ${JSON.stringify(fileText)}, expected an existing launch file (looked for ${target})`,
      ),
    );
    if (state.chain.includes(target)) {
      const cycle = [...state.chain.slice(state.chain.indexOf(target)), target].map(displayPath).join(" -> ");
      throw LaunchError.at(fileOrigin, `${where}.file`, `include cycle: ${cycle}`);
    }
    const given = new Map<string, GivenArg>();
    const list = body.entries.get("arg")?.value;
    if (list !== undefined && list.kind !== "seq") {
      throw LaunchError.at(list.origin, `${where}.arg`, `got ${describeLocated(list)}, expected a list of {name, value} maps`);
    }
    for (const [i, entry] of (list?.items ?? []).entries()) {
      const entryPath = `${where}.arg[${i}]`;
      const argBody = fields(entry, entryPath, ["name", "value"], ["name", "value"]);
      const name = argName(argBody, entryPath);
      if (given.has(name)) {
        throw LaunchError.at(fieldOrigin(argBody, "name"), `${entryPath}.name`, `argument "${name}" is passed twice`);
      }
      given.set(name, {
        value: scalarText(argBody, "value", entryPath) ?? "",
        site: { kind: "include", origin: fieldOrigin(argBody, "name"), path: `${entryPath}.name` },
      });
    }
    await this.file(target, given, state.chain, includeOrigin);
  }

  private async group(
    state: FileState,
    value: unknown,
    where: string,
    vars: Map<string, string>,
    keyOrigin: Origin,
  ): Promise<void> {
    if (isSeq(value)) {
      await this.actions(state, value.items, where, new Map(vars));
      return;
    }
    if (!isMap(value)) {
      const expected = "expected a list of actions or {launch: [...], scoped: true}";
      throw LaunchError.at(originOf(state.src, value, keyOrigin), where, `got ${describeRaw(value)}, ${expected}`);
    }
    let scoped = true;
    let actions: readonly unknown[] | undefined;
    for (const pair of value.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const at = originOf(state.src, pair.key, keyOrigin);
      if (key === "launch") {
        if (!isSeq(pair.value)) {
          throw LaunchError.at(at, `${where}.launch`, `got ${describeRaw(pair.value)}, expected a list of actions`);
        }
        actions = pair.value.items;
      } else if (key === "scoped") {
        const v = isScalar(pair.value) ? pair.value.value : undefined;
        if (typeof v !== "boolean") {
          throw LaunchError.at(at, `${where}.scoped`, `got ${describeRaw(pair.value)}, expected true or false`);
        }
        scoped = v;
      } else {
        throw LaunchError.at(at, `${where}.${key}`, `unknown key${suggestion(key, ["launch", "scoped"])}`);
      }
    }
    if (actions === undefined) {
      throw LaunchError.at(originOf(state.src, value, keyOrigin), `${where}.launch`, "missing, expected a list of actions");
    }
    await this.actions(state, actions, `${where}.launch`, scoped ? new Map(vars) : vars);
  }
}

// ---------------------------------------------------------------------------------------------
// Structure helpers

/** The root `launch:` list of a source. */
function launchList(src: LaunchSource): { items: readonly unknown[] } {
  const root = src.doc.contents;
  const expected = 'expected a map with a "launch:" list of actions at the top';
  if (!isMap(root)) throw new LaunchError({ file: src.display, line: 1, detail: `got ${describeRaw(root)}, ${expected}` });
  let list: { items: readonly unknown[] } | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const origin = originOf(src, pair.key);
    if (key !== "launch") throw LaunchError.at(origin, key, `unknown key${suggestion(key, ["launch"])}`);
    if (!isSeq(pair.value)) {
      throw LaunchError.at(origin, "launch", `got ${describeRaw(pair.value)}, expected a list of actions`);
    }
    list = pair.value;
  }
  if (!list) throw new LaunchError({ file: src.display, line: 1, detail: `got an empty map, ${expected}` });
  return list;
}

/** Splits a list item into its action name and (key, body) pair. */
function actionOf(src: LaunchSource, item: unknown, where: string): { name: ActionName; pair: Pair } {
  const expected = `a map with one action key (${ACTIONS.join(", ")})`;
  if (!isMap(item) || item.items.length !== 1) {
    const keys = isMap(item) ? item.items.map((p) => (isScalar(p.key) ? String(p.key.value) : "?")) : [];
    const got = isMap(item) ? `a map with keys ${keys.join(", ")}` : describeRaw(item);
    throw LaunchError.at(originOf(src, item), where, `got ${got}, expected ${expected}`);
  }
  const pair = item.items[0] as Pair;
  const key = isScalar(pair.key) ? String(pair.key.value) : "";
  if (!(ACTIONS as readonly string[]).includes(key)) {
    const hint = ROS_ONLY_ACTIONS.has(key)
      ? ` (a ROS 2 action locomote does not run; expected one of: ${ACTIONS.join(", ")})`
      : suggestion(key, ACTIONS);
    throw LaunchError.at(originOf(src, pair.key), where, `unknown action "${key}"${hint}`);
  }
  return { name: key as ActionName, pair };
}

/** Argument names declared by `arg:` actions of a list (and its groups), as written. */
function scanArgs(items: readonly unknown[]): DeclaredArg[] {
  const out: DeclaredArg[] = [];
  for (const item of items) {
    if (!isMap(item) || item.items.length !== 1) continue;
    const pair = item.items[0] as Pair;
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key === "arg" && isMap(pair.value)) {
      const text = (k: string): string | undefined => {
        const v = pair.value && isMap(pair.value) ? pair.value.get(k, true) : undefined;
        return isScalar(v) ? (v.source ?? String(v.value)) : undefined;
      };
      const name = text("name");
      if (name === undefined) continue;
      const fallback = text("default");
      const description = text("description");
      out.push({
        name,
        ...(fallback !== undefined && { default: fallback }),
        ...(description !== undefined && { description }),
      });
    } else if (key === "group") {
      const body = pair.value;
      const inner = isSeq(body) ? body : isMap(body) ? body.get("launch", true) : undefined;
      if (isSeq(inner)) out.push(...scanArgs(inner.items));
    }
  }
  return out;
}

function checkGivenAreDeclared(src: LaunchSource, given: ReadonlyMap<string, GivenArg>, declared: readonly string[]): void {
  for (const [name, arg] of given) {
    if (declared.includes(name)) continue;
    const list = declared.length > 0 ? declared.join(", ") : "none";
    if (arg.site.kind === "command line") {
      const detail = `unknown argument "${name}" in "${name}:=${arg.value}" (declared: ${list})`;
      throw new LaunchError({ file: src.display, detail });
    }
    const near = closest(name, declared);
    const hint = near !== undefined ? `did you mean "${near}"? declared: ${list}` : `declared: ${list}`;
    const expected = `expected an argument declared by ${src.display} (${hint})`;
    throw LaunchError.at(arg.site.origin, arg.site.path, `got "${name}", ${expected}`);
  }
}

/** Checks a located action body is a map with only `allowed` keys and all `required` keys. */
function fields(node: Located, where: string, allowed: readonly string[], required: readonly string[]): LocatedMap {
  if (node.kind !== "map") {
    const expected = `expected a map with keys ${allowed.join(", ")}`;
    throw LaunchError.at(node.origin, where, `got ${describeLocated(node)}, ${expected}`);
  }
  for (const [key, entry] of node.entries) {
    if (!allowed.includes(key)) throw LaunchError.at(entry.key, `${where}.${key}`, `unknown key${suggestion(key, allowed)}`);
  }
  for (const key of required) {
    if (!node.entries.has(key)) throw LaunchError.at(node.origin, `${where}.${key}`, "missing, expected a value");
  }
  return node;
}

/** Text of a scalar field (numbers and booleans as written), or undefined if absent. */
function scalarText(body: LocatedMap, key: string, where: string): string | undefined {
  const value = body.entries.get(key)?.value;
  if (value === undefined) return undefined;
  if (value.kind !== "scalar") {
    const expected = "expected a single value (text or number)";
    throw LaunchError.at(value.origin, `${where}.${key}`, `got ${describeLocated(value)}, ${expected}`);
  }
  return value.text;
}

function argName(body: LocatedMap, where: string): string {
  const value = body.entries.get("name")?.value;
  const name = value?.kind === "scalar" ? value.value : undefined;
  if (typeof name !== "string" || !ARG_NAME.test(name)) {
    throw LaunchError.at(
      value?.origin ?? body.origin,
      `${where}.name`,
      `got ${value ? describeLocated(value) : "nothing"}, expected a name of letters, digits and _ not starting with a digit`,
    );
  }
  return name;
}

function fieldOrigin(body: LocatedMap, key: string): Origin {
  return body.entries.get(key)?.value.origin ?? body.origin;
}

function describeLocated(node: Located): string {
  if (node.kind === "scalar") return JSON.stringify(node.value);
  return node.kind === "map" ? "a map" : "a list";
}

function describeRaw(node: unknown): string {
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return JSON.stringify(node.value);
  return "nothing";
}

function notFound(display: string, absolute: string): LaunchError {
  return new LaunchError({ file: display, detail: `launch file not found (looked for ${absolute})` });
}

async function requireFile(file: string, error: () => LaunchError): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw error();
}
