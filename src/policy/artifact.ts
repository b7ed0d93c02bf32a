/**
 * A policy artifact on disk: `<dir>/manifest.json` + `<dir>/weights.bin` (the mean network's
 * tensors as little-endian float32, laid out per `manifest.weights.tensors`).
 *
 * Loading needs no training code and no tfjs: a robot runs `loadPolicy(dir)` and gets a
 * `FrozenPolicy`. Every failure is one `PolicyArtifactError` line naming the file and field.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { PolicyArtifactError } from "./errors.js";
import { FrozenPolicy } from "./frozen.js";
import {
  MANIFEST_FILE, POLICY_FORMAT, POLICY_FORMAT_VERSION, WEIGHTS_FILE, manifestToJson, parseManifest, policyTensorLayout,
  shapeSize, type PolicyManifest, type PolicyManifestBody, type WeightTensor,
} from "./manifest.js";
import type { DenseLayer } from "./mlp.js";

export { PolicyArtifactError } from "./errors.js";

export interface PolicyParts {
  /** Everything but the format fields and the weights section, which `savePolicy` derives. */
  readonly manifest: PolicyManifestBody;
  /** Mean network, input to output, shapes per `manifest.network`. */
  readonly layers: readonly DenseLayer[];
}

/**
 * Writes `dir/weights.bin` and `dir/manifest.json`, replacing an older policy in `dir`.
 * Validates first with the loader's own checks, so nothing unloadable is ever written.
 * Each file is written to a temporary name, synced, then renamed over the old one (weights
 * first): a reader never sees a partial file, and one that catches the moment between the two
 * renames gets a sha256 mismatch instead of a mix of two policies. Returns the manifest written.
 */
export async function savePolicy(dir: string, parts: PolicyParts): Promise<PolicyManifest> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const body = parts.manifest;

  const layout = policyTensorLayout(body.network);
  if (parts.layers.length * 2 !== layout.length) {
    throw new PolicyArtifactError(weightsPath, null, `network ${describeNet(body)} has ${layout.length / 2} dense layers, got ${parts.layers.length}`);
  }
  const tensors: WeightTensor[] = [];
  const data: Float32Array[] = [];
  let offset = 0;
  for (let j = 0; j < layout.length; j++) {
    const { name, shape } = layout[j]!;
    const layer = parts.layers[j >> 1]!;
    const values = j % 2 === 0 ? layer.kernel : layer.bias;
    const dims = j % 2 === 0 ? [layer.inDim, layer.outDim] : [layer.outDim];
    if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i]) || values.length !== shapeSize(shape)) {
      throw new PolicyArtifactError(weightsPath, name, `expected shape [${shape.join(", ")}] (network ${describeNet(body)}), got [${dims.join(", ")}] with ${values.length} values`);
    }
    const bad = firstNonFinite(values);
    if (bad >= 0) throw new PolicyArtifactError(weightsPath, `${name}[${bad}]`, `expected a finite float32, got ${values[bad]}`);
    tensors.push({ name, shape, offset });
    data.push(values);
    offset += 4 * values.length;
  }
  const bytes = Buffer.alloc(offset);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let j = 0; j < data.length; j++) {
    const values = data[j]!;
    const at = tensors[j]!.offset;
    for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i]!, true);
  }

  const draft: PolicyManifest = {
    format: POLICY_FORMAT,
    format_version: POLICY_FORMAT_VERSION,
    robot: body.robot,
    sim: body.sim,
    joints: body.joints,
    spec: body.spec,
    observation_normalization: body.observation_normalization,
    action_scaling: body.action_scaling,
    network: body.network,
    weights: { file: WEIGHTS_FILE, dtype: "float32", byte_length: bytes.byteLength, sha256: sha256(bytes), tensors },
    provenance: body.provenance,
  };
  const json = manifestToJson(draft);
  const manifest = parseManifest(JSON.parse(json) as unknown, manifestPath);

  await mkdir(dir, { recursive: true });
  const tag = `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const weightsTmp = weightsPath + tag;
  const manifestTmp = manifestPath + tag;
  try {
    await writeSynced(weightsTmp, bytes);
    await writeSynced(manifestTmp, Buffer.from(json, "utf8"));
    await rename(weightsTmp, weightsPath);
    await rename(manifestTmp, manifestPath);
  } catch (err) {
    await rm(weightsTmp, { force: true });
    await rm(manifestTmp, { force: true });
    throw new PolicyArtifactError(dir, null, `cannot write policy (${errorText(err)})`);
  }
  return manifest;
}

/** Reads and cross-checks an artifact: validated manifest plus the mean network's layers. */
export async function readPolicyArtifact(dir: string): Promise<{ manifest: PolicyManifest; layers: DenseLayer[] }> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);

  const text = (await readOrThrow(manifestPath)).toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyArtifactError(manifestPath, null, `invalid JSON (${errorText(err)})`);
  }
  const manifest = parseManifest(raw, manifestPath);

  const bytes = await readOrThrow(weightsPath);
  const w = manifest.weights;
  if (bytes.byteLength !== w.byte_length) {
    throw new PolicyArtifactError(
      weightsPath, null,
      `file has ${bytes.byteLength} bytes, ${MANIFEST_FILE} weights.byte_length says ${w.byte_length} (truncated, or from another policy?)`,
    );
  }
  const digest = sha256(bytes);
  if (digest !== w.sha256) {
    throw new PolicyArtifactError(weightsPath, null, `sha256 mismatch (${MANIFEST_FILE} weights.sha256 says ${w.sha256}, file has ${digest})`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (name: string): Float32Array => {
    const t = w.tensors.find((x) => x.name === name)!; // presence checked by parseManifest
    const out = new Float32Array(shapeSize(t.shape));
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(t.offset + 4 * i, true);
    const bad = firstNonFinite(out);
    if (bad >= 0) throw new PolicyArtifactError(weightsPath, `${name}[${bad}]`, `expected a finite float32, got ${out[bad]}`);
    return out;
  };
  const layout = policyTensorLayout(manifest.network);
  const layers: DenseLayer[] = [];
  for (let j = 0; j < layout.length; j += 2) {
    const [inDim, outDim] = layout[j]!.shape as [number, number];
    layers.push({ inDim, outDim, kernel: read(layout[j]!.name), bias: read(layout[j + 1]!.name) });
  }
  return { manifest, layers };
}

/** Loads `dir` as a ready-to-run `FrozenPolicy`. */
export async function loadPolicy(dir: string): Promise<FrozenPolicy> {
  const { manifest, layers } = await readPolicyArtifact(dir);
  return new FrozenPolicy(manifest, layers);
}

function describeNet(body: PolicyManifestBody): string {
  const n = body.network;
  return `obs_dim ${n.obs_dim} → hidden [${n.hidden.join(", ")}] → act_dim ${n.act_dim}`;
}

function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function readOrThrow(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read (${errorText(err)})`;
    throw new PolicyArtifactError(file, null, why);
  }
}

async function writeSynced(file: string, data: Uint8Array): Promise<void> {
  const fh = await open(file, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
}
