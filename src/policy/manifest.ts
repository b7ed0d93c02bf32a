/**
 * The policy manifest (`manifest.json`, format_version 1): everything besides the raw weights
 * that a robot needs to run a frozen policy — the port spec it was trained on, observation
 * normalization, action scaling, joint order, network shape and weight layout, provenance.
 *
 * JSON has no Infinity, so unbounded spec bounds are written as "inf" / "-inf"; `null` is also
 * read (as -Infinity in `low`, +Infinity in `high`).
 */
import { z } from "zod";
import type { PortSpec } from "../port/spec.js";
import { PolicyArtifactError } from "./errors.js";
import type { MlpActivation } from "./mlp.js";

export const POLICY_FORMAT = "locomote.policy";
export const POLICY_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "manifest.json";
export const WEIGHTS_FILE = "weights.bin";

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** z = clamp((x − mean) / sqrt(var + epsilon), −clip, clip), element-wise. */
export interface ObservationNormalization {
  readonly mean: readonly number[];
  readonly var: readonly number[];
  readonly clip: number;
  readonly epsilon: number;
}

/** env action = low + (tanh(u) + 1) / 2 · (high − low), u = mean-network output. */
export interface ActionScaling {
  readonly squash: "tanh";
  readonly low: readonly number[];
  readonly high: readonly number[];
}

export interface NetworkDescription {
  readonly obs_dim: number;
  readonly act_dim: number;
  /** Hidden layer widths; empty for a linear policy. */
  readonly hidden: readonly number[];
  /** Activation of the hidden layers; the output layer is linear. */
  readonly activation: MlpActivation;
  /** State-independent log standard deviation of the Gaussian (unused by the deterministic action). */
  readonly log_std: readonly number[];
}

export interface WeightTensor {
  /** `pi/l{k}/kernel` ([in, out], row-major) or `pi/l{k}/bias` ([out]). */
  readonly name: string;
  readonly shape: readonly number[];
  /** Byte offset in the weights file (multiple of 4). */
  readonly offset: number;
}

export interface WeightsDescription {
  readonly file: typeof WEIGHTS_FILE;
  /** Little-endian IEEE 754 binary32. */
  readonly dtype: "float32";
  readonly byte_length: number;
  /** Hex SHA-256 of the whole weights file. */
  readonly sha256: string;
  readonly tensors: readonly WeightTensor[];
}

export interface Provenance {
  readonly algo: string;
  readonly launch_file: string;
  readonly seed: number;
  readonly env_steps: number;
  readonly updates: number;
  readonly git_commit: string | null;
  /** ISO 8601 date-time. */
  readonly created: string;
  readonly locomote_version: string;
}

export interface PolicyManifest {
  readonly format: typeof POLICY_FORMAT;
  readonly format_version: typeof POLICY_FORMAT_VERSION;
  readonly robot: string;
  /** Task name in the sim registry (`loadTask`). */
  readonly sim: string;
  /** Joint commanded by each action element, in order (= `spec.actuators[i].joint`). */
  readonly joints: readonly string[];
  readonly spec: PortSpec;
  readonly observation_normalization: ObservationNormalization | null;
  readonly action_scaling: ActionScaling;
  readonly network: NetworkDescription;
  readonly weights: WeightsDescription;
  readonly provenance: Provenance;
}

/** What a writer supplies: `savePolicy` fills in the format fields and the weights section. */
export type PolicyManifestBody = Omit<PolicyManifest, "format" | "format_version" | "weights">;

// ---------------------------------------------------------------------------------------------
// Schema (structure and per-field ranges); cross-field checks are in `checkManifest`.
// ---------------------------------------------------------------------------------------------

const expect = (expected: string): { error: string } => ({ error: expected });

const text = z.string(expect("expected a string"));
const name = z.string(expect("expected a non-empty string")).min(1, expect("expected a non-empty string"));
const finite = z.number(expect("expected a finite number"));
const positive = z.number(expect("expected a finite number > 0")).positive(expect("expected a finite number > 0"));
const nonNegative = z.number(expect("expected a finite number ≥ 0")).min(0, expect("expected a finite number ≥ 0"));
const positiveInt = z.int(expect("expected a positive integer")).min(1, expect("expected a positive integer"));
const nonNegativeInt = z.int(expect("expected a non-negative integer")).min(0, expect("expected a non-negative integer"));
const integer = z.int(expect("expected an integer"));
const list = <T extends z.ZodType>(item: T) => z.array(item, expect("expected an array"));
const record = <S extends z.core.$ZodLooseShape>(shape: S, expected = "expected an object") =>
  z.strictObject(shape, { error: (issue) => (issue.code === "invalid_type" ? expected : undefined) });

const bound = z.union([z.number(), z.null(), z.enum(["inf", "+inf", "-inf"])], expect('expected a number, null, "inf" or "-inf"'));
const decodeBound = (v: number | null | "inf" | "+inf" | "-inf", nullMeans: number): number =>
  v === null ? nullMeans : v === "-inf" ? -Infinity : v === "inf" || v === "+inf" ? Infinity : v;

const boxSchema = record({
  names: list(name),
  low: list(bound).transform((a) => a.map((v) => decodeBound(v, -Infinity))),
  high: list(bound).transform((a) => a.map((v) => decodeBound(v, Infinity))),
});

const specSchema = record({
  robot: name,
  observation: boxSchema,
  action: boxSchema,
  actuators: list(record({ joint: name, interface: z.enum(["effort", "position", "velocity"]), gear: finite })),
  dt: positive,
  metrics: list(name),
  observationLayout: name.optional(),
});

const manifestSchema = record({
  format: z.literal(POLICY_FORMAT),
  format_version: z.literal(POLICY_FORMAT_VERSION),
  robot: name,
  sim: name,
  joints: list(name),
  spec: specSchema,
  observation_normalization: record({
    mean: list(finite),
    var: list(z.number(expect("expected a variance (finite number ≥ 0)")).min(0, expect("expected a variance (finite number ≥ 0)"))),
    clip: positive,
    epsilon: nonNegative,
  }, "expected an object or null").nullable(),
  action_scaling: record({ squash: z.literal("tanh"), low: list(finite), high: list(finite) }),
  network: record({
    obs_dim: positiveInt,
    act_dim: positiveInt,
    hidden: list(positiveInt),
    activation: z.enum(["tanh", "relu"]),
    log_std: list(finite),
  }),
  weights: record({
    file: z.literal(WEIGHTS_FILE),
    dtype: z.literal("float32"),
    byte_length: nonNegativeInt,
    sha256: z.string(expect("expected 64 lowercase hex digits")).regex(/^[0-9a-f]{64}$/, expect("expected 64 lowercase hex digits")),
    tensors: list(record({ name: name, shape: list(positiveInt), offset: nonNegativeInt })),
  }),
  provenance: record({
    algo: name,
    launch_file: text,
    seed: integer,
    env_steps: nonNegativeInt,
    updates: nonNegativeInt,
    git_commit: z.string(expect("expected a string or null")).nullable(),
    created: z.iso.datetime({ offset: true, error: "expected an ISO 8601 date-time such as 2025-01-31T12:00:00.000Z" }),
    locomote_version: name,
  }),
});

/** Fallback wording for issues whose schema carries no message of its own. */
const fallbackMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_value":
      return issue.values.length > 2
        ? `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`
        : `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "invalid_type":
      return `expected ${issue.expected}`;
    default:
      return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// Reading and writing
// ---------------------------------------------------------------------------------------------

/**
 * Validates parsed JSON as a manifest (structure, then cross-field consistency) and decodes the
 * infinite bounds. `file` only labels errors. Throws `PolicyArtifactError` on the first problem.
 */
export function parseManifest(raw: unknown, file: string): PolicyManifest {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new PolicyArtifactError(file, null, `expected a JSON object, got ${describeValue(raw)}`);
  }
  const top = raw as Record<string, unknown>;
  if (top.format !== POLICY_FORMAT) {
    throw new PolicyArtifactError(file, "format", `expected "${POLICY_FORMAT}", got ${describeValue(top.format)}`);
  }
  // Gate on the version before anything else: a newer manifest may differ anywhere, and the
  // useful message is "too new", not the first field that changed.
  if (top.format_version !== POLICY_FORMAT_VERSION) {
    throw new PolicyArtifactError(
      file, "format_version", `got ${describeValue(top.format_version)}, this locomote reads format_version ${POLICY_FORMAT_VERSION}`,
    );
  }
  const result = manifestSchema.safeParse(raw, { reportInput: true, error: fallbackMessage });
  if (!result.success) {
    const issues = result.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    const { field, detail } = describeIssue(issues[0]!);
    throw new PolicyArtifactError(file, field, detail + more);
  }
  const manifest: PolicyManifest = result.data;
  const problem = checkManifest(manifest);
  if (problem) throw new PolicyArtifactError(file, problem.field, problem.detail);
  return manifest;
}

/** Manifest as pretty JSON (±Infinity → "inf"/"-inf"; NaN → "NaN", which no reader accepts). */
export function manifestToJson(manifest: PolicyManifest): string {
  return `${JSON.stringify(manifest, (_key, v: unknown) => {
    if (typeof v !== "number" || Number.isFinite(v)) return v;
    return Number.isNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";
  }, 2)}\n`;
}

/** Tensors of the mean network in file order: kernel then bias of each layer, input to output. */
export function policyTensorLayout(network: Pick<NetworkDescription, "obs_dim" | "act_dim" | "hidden">): { name: string; shape: [number] | [number, number] }[] {
  const widths = [network.obs_dim, ...network.hidden, network.act_dim];
  const out: { name: string; shape: [number] | [number, number] }[] = [];
  for (let k = 0; k + 1 < widths.length; k++) {
    out.push({ name: `pi/l${k}/kernel`, shape: [widths[k]!, widths[k + 1]!] });
    out.push({ name: `pi/l${k}/bias`, shape: [widths[k + 1]!] });
  }
  return out;
}

/** Number of elements of a tensor shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Cross-field checks
// ---------------------------------------------------------------------------------------------

/** A cross-field problem: field path and what is wrong. */
export interface ManifestProblem {
  field: string;
  detail: string;
}

/** First cross-field inconsistency of a structurally valid manifest, or null. */
export function checkManifest(m: PolicyManifest): ManifestProblem | null {
  const obsDim = m.spec.observation.names.length;
  const actDim = m.spec.action.names.length;
  const p =
    checkBox(m.spec.observation, "spec.observation") ??
    checkBox(m.spec.action, "spec.action") ??
    (m.robot !== m.spec.robot ? { field: "robot", detail: `got ${describeValue(m.robot)}, expected spec.robot ${describeValue(m.spec.robot)}` } : null) ??
    checkLength(m.spec.actuators, actDim, "spec.actuators", "one per action element") ??
    checkLength(m.joints, actDim, "joints", "one per action element") ??
    checkJoints(m) ??
    (m.network.obs_dim !== obsDim ? { field: "network.obs_dim", detail: `got ${m.network.obs_dim}, expected ${obsDim} (spec.observation has ${obsDim} elements)` } : null) ??
    (m.network.act_dim !== actDim ? { field: "network.act_dim", detail: `got ${m.network.act_dim}, expected ${actDim} (spec.action has ${actDim} elements)` } : null) ??
    checkLength(m.network.log_std, actDim, "network.log_std", "one per action element") ??
    checkNormalization(m.observation_normalization, obsDim) ??
    checkLength(m.action_scaling.low, actDim, "action_scaling.low", "one per action element") ??
    checkLength(m.action_scaling.high, actDim, "action_scaling.high", "one per action element") ??
    checkScalingBounds(m.action_scaling) ??
    checkTensors(m);
  return p;
}

function checkBox(box: PortSpec["observation"], label: string): ManifestProblem | null {
  const n = box.names.length;
  const lengths = checkLength(box.low, n, `${label}.low`, "one per name") ?? checkLength(box.high, n, `${label}.high`, "one per name");
  if (lengths) return lengths;
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const nm = box.names[i]!;
    if (seen.has(nm)) return { field: `${label}.names[${i}]`, detail: `duplicate name ${describeValue(nm)}` };
    seen.add(nm);
    if (!(box.low[i]! <= box.high[i]!)) {
      return { field: `${label}.low[${i}]`, detail: `expected low ≤ high, got [${box.low[i]}, ${box.high[i]}] for ${describeValue(nm)}` };
    }
  }
  return null;
}

function checkLength(a: readonly unknown[], n: number, field: string, why: string): ManifestProblem | null {
  return a.length === n ? null : { field, detail: `expected ${n} elements (${why}), got ${a.length}` };
}

function checkJoints(m: PolicyManifest): ManifestProblem | null {
  for (let i = 0; i < m.joints.length; i++) {
    const actuator = m.spec.actuators[i]!.joint;
    if (m.joints[i] !== actuator) {
      return { field: `joints[${i}]`, detail: `got ${describeValue(m.joints[i])}, expected ${describeValue(actuator)} (spec.actuators[${i}].joint)` };
    }
  }
  return null;
}

function checkNormalization(norm: ObservationNormalization | null, obsDim: number): ManifestProblem | null {
  if (norm === null) return null;
  const lengths =
    checkLength(norm.mean, obsDim, "observation_normalization.mean", "one per observation element") ??
    checkLength(norm.var, obsDim, "observation_normalization.var", "one per observation element");
  if (lengths) return lengths;
  for (let i = 0; i < obsDim; i++) {
    if (!(norm.var[i]! + norm.epsilon > 0)) {
      return { field: `observation_normalization.var[${i}]`, detail: `got ${norm.var[i]} with epsilon ${norm.epsilon}: var + epsilon must be > 0` };
    }
  }
  return null;
}

function checkScalingBounds(s: ActionScaling): ManifestProblem | null {
  for (let i = 0; i < s.low.length; i++) {
    if (!(s.low[i]! < s.high[i]!)) {
      return { field: `action_scaling.low[${i}]`, detail: `expected low < high, got low ${s.low[i]}, high ${s.high[i]}` };
    }
  }
  return null;
}

function checkTensors(m: PolicyManifest): ManifestProblem | null {
  const { tensors, byte_length: byteLength } = m.weights;
  const layout = policyTensorLayout(m.network);
  const chain = `obs_dim ${m.network.obs_dim} → hidden [${m.network.hidden.join(", ")}] → act_dim ${m.network.act_dim}`;
  const byName = new Map<string, number>();
  for (let j = 0; j < tensors.length; j++) {
    const t = tensors[j]!;
    if (byName.has(t.name)) return { field: `weights.tensors[${j}].name`, detail: `duplicate tensor ${describeValue(t.name)}` };
    byName.set(t.name, j);
    if (!layout.some((l) => l.name === t.name)) {
      return { field: `weights.tensors[${j}].name`, detail: `unexpected tensor ${describeValue(t.name)}: network ${chain} has ${layout.map((l) => l.name).join(", ")}` };
    }
  }
  for (const l of layout) {
    const j = byName.get(l.name);
    if (j === undefined) return { field: "weights.tensors", detail: `missing tensor "${l.name}" (network ${chain})` };
    const t = tensors[j]!;
    if (t.shape.length !== l.shape.length || t.shape.some((d, i) => d !== l.shape[i])) {
      return { field: `weights.tensors[${j}].shape`, detail: `${l.name}: expected [${l.shape.join(", ")}] to chain network ${chain}, got [${t.shape.join(", ")}]` };
    }
    if (t.offset % 4 !== 0) return { field: `weights.tensors[${j}].offset`, detail: `expected a multiple of 4 (float32), got ${t.offset}` };
    const end = t.offset + 4 * shapeSize(t.shape);
    if (end > byteLength) {
      return { field: `weights.tensors[${j}].offset`, detail: `${l.name} spans bytes [${t.offset}, ${end}), beyond weights.byte_length ${byteLength}` };
    }
  }
  const spans = tensors.map((t, j) => ({ j, start: t.offset, end: t.offset + 4 * shapeSize(t.shape) })).sort((a, b) => a.start - b.start);
  for (let s = 1; s < spans.length; s++) {
    const prev = spans[s - 1]!;
    const cur = spans[s]!;
    if (cur.start < prev.end) {
      return { field: `weights.tensors[${cur.j}].offset`, detail: `got ${cur.start}, overlapping ${tensors[prev.j]!.name} (bytes [${prev.start}, ${prev.end}))` };
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Spec comparison (manifest vs the port a policy is about to drive)
// ---------------------------------------------------------------------------------------------

/**
 * First difference between the spec a policy was trained on and the spec of a port, as
 * `"<field>: policy has <a>, port has <b>"`, or null when they agree on everything that changes
 * the meaning of an observation or an action (robot, element names and bounds, actuators, dt).
 * Metrics are diagnostics and may differ.
 */
export function specMismatch(policy: PortSpec, port: PortSpec): string | null {
  const diff = (field: string, a: unknown, b: unknown): string => `${field}: policy has ${describeValue(a)}, port has ${describeValue(b)}`;
  if (policy.robot !== port.robot) return diff("robot", policy.robot, port.robot);
  for (const key of ["observation", "action"] as const) {
    const a = policy[key];
    const b = port[key];
    if (a.names.length !== b.names.length) return `${key}: policy has ${a.names.length} elements, port has ${b.names.length}`;
    for (let i = 0; i < a.names.length; i++) {
      if (a.names[i] !== b.names[i]) return diff(`${key}.names[${i}]`, a.names[i], b.names[i]);
      if (a.low[i] !== b.low[i]) return diff(`${key}.low[${i}] (${a.names[i]})`, a.low[i], b.low[i]);
      if (a.high[i] !== b.high[i]) return diff(`${key}.high[${i}] (${a.names[i]})`, a.high[i], b.high[i]);
    }
  }
  if (policy.actuators.length !== port.actuators.length) {
    return `actuators: policy has ${policy.actuators.length}, port has ${port.actuators.length}`;
  }
  for (let i = 0; i < policy.actuators.length; i++) {
    const a = policy.actuators[i]!;
    const b = port.actuators[i]!;
    for (const f of ["joint", "interface", "gear"] as const) {
      if (a[f] !== b[f]) return diff(`actuators[${i}].${f}`, a[f], b[f]);
    }
  }
  if (policy.dt !== port.dt) return diff("dt", policy.dt, port.dt);
  if (policy.observationLayout !== port.observationLayout) return diff("observationLayout", policy.observationLayout, port.observationLayout);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Error wording
// ---------------------------------------------------------------------------------------------

function describeIssue(issue: z.core.$ZodIssue): ManifestProblem {
  if (issue.code === "unrecognized_keys") {
    const [first, ...rest] = issue.keys;
    const also = rest.length > 0 ? `; also ${rest.map((k) => JSON.stringify(k)).join(", ")}` : "";
    return {
      field: fieldPath([...issue.path, first ?? ""]),
      detail: `unexpected field (format_version ${POLICY_FORMAT_VERSION} has no such field${also})`,
    };
  }
  return { field: fieldPath(issue.path) || "(root)", detail: `${issue.message}, got ${describeValue(issue.input)}` };
}

/** `["network", "hidden", 1]` → `network.hidden[1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const part of path) {
    if (typeof part === "number") s += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) s += s === "" ? part : `.${part}`;
    else s += `[${JSON.stringify(String(part))}]`;
  }
  return s;
}

/** A value as it would appear in the file, shortened to keep the error on one short line. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
