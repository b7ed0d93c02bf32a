import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyArtifactError, loadPolicy, readPolicyArtifact, savePolicy } from "../src/policy/artifact.js";
import { FrozenPolicy } from "../src/policy/frozen.js";
import { parseManifest, specMismatch } from "../src/policy/manifest.js";
import { makeBody, makeSpec, randomInput, randomLayers } from "./policy-fixtures.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "locomote-policy-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
async function savedPolicy(): Promise<string> {
  const dir = join(root, `p${dirCount++}`, "policy");
  await savePolicy(dir, { manifest: makeBody(5, [8, 6], 2), layers: randomLayers([5, 8, 6, 2], 11) });
  return dir;
}

type Json = Record<string, unknown>;

async function editManifest(dir: string, edit: (m: Json) => void): Promise<void> {
  const file = join(dir, "manifest.json");
  const m = JSON.parse(await readFile(file, "utf8")) as Json;
  edit(m);
  await writeFile(file, JSON.stringify(m));
}

function at(m: Json, ...path: (string | number)[]): Json {
  let v: unknown = m;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v as Json;
}

/** Loads `dir`, expecting a one-line PolicyArtifactError about `file` (basename) and `field`. */
async function expectLoadError(dir: string, file: string, field: string | null, pattern?: RegExp): Promise<PolicyArtifactError> {
  const err = await loadPolicy(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PolicyArtifactError);
  const e = err as PolicyArtifactError;
  expect(e.file).toBe(join(dir, file));
  expect(e.field).toBe(field);
  expect(e.message).not.toContain("\n");
  expect(e.message.startsWith(`${join(dir, file)}: ${field === null ? "" : `${field}: `}`)).toBe(true);
  if (pattern) expect(e.message).toMatch(pattern);
  return e;
}

describe("policy artifact round trip", () => {
  it("loads back the same manifest and bit-identical actions", async () => {
    const dir = join(root, "roundtrip", "policy");
    const body = makeBody(5, [8, 6], 2);
    const layers = randomLayers([5, 8, 6, 2], 11);
    const written = await savePolicy(dir, { manifest: body, layers });

    expect(written).toEqual({ format: "locomote.policy", format_version: 1, ...body, weights: written.weights });
    expect(written.weights.tensors.map((t) => [t.name, t.shape, t.offset])).toEqual([
      ["pi/l0/kernel", [5, 8], 0],
      ["pi/l0/bias", [8], 160],
      ["pi/l1/kernel", [8, 6], 192],
      ["pi/l1/bias", [6], 384],
      ["pi/l2/kernel", [6, 2], 408],
      ["pi/l2/bias", [2], 456],
    ]);
    expect(written.weights.byte_length).toBe(464);

    const loaded = await loadPolicy(dir);
    expect(loaded.manifest).toEqual(written);
    expect(loaded.spec.observation.low[0]).toBe(-Infinity); // survived JSON as "-inf"
    expect(loaded.getWeights()).toEqual(layers);

    const inMemory = new FrozenPolicy(written, layers);
    for (const batch of [1, 13]) {
      const obs = randomInput(batch * 5, batch, 4);
      const a = new Float32Array(batch * 2);
      const b = new Float32Array(batch * 2);
      inMemory.act(obs, batch, a);
      loaded.act(obs, batch, b);
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }

    const text = await readFile(join(dir, "manifest.json"), "utf8");
    expect(text).toContain('"-inf"');
    expect(createHash("sha256").update(await readFile(join(dir, "weights.bin"))).digest("hex")).toBe(written.weights.sha256);
  });

  it("replaces an older policy in the same directory and leaves no temporary files", async () => {
    const dir = join(root, "replace");
    await savePolicy(dir, { manifest: makeBody(5, [8, 6], 2), layers: randomLayers([5, 8, 6, 2], 1) });
    const newer = await savePolicy(dir, { manifest: makeBody(3, [4], 1), layers: randomLayers([3, 4, 1], 2) });
    expect((await readPolicyArtifact(dir)).manifest).toEqual(newer);
    expect((await readdir(dir)).sort()).toEqual(["manifest.json", "weights.bin"]);
  });

  it("reads null spec bounds as unbounded", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "spec", "observation").low = [null, -10, null, -10, null];
      at(m, "spec", "observation").high = [null, 10, "+inf", 10, "inf"];
    });
    const p = await loadPolicy(dir);
    expect(p.spec.observation.low).toEqual([-Infinity, -10, -Infinity, -10, -Infinity]);
    expect(p.spec.observation.high).toEqual([Infinity, 10, Infinity, 10, Infinity]);
  });

  it("refuses to write what it could not load, and writes nothing then", async () => {
    const dir = join(root, "refused");
    const body = makeBody(5, [8, 6], 2);
    await expect(savePolicy(dir, { manifest: body, layers: randomLayers([5, 8, 2], 1) })).rejects.toThrow(/weights\.bin: network obs_dim 5 → hidden \[8, 6\] → act_dim 2 has 3 dense layers, got 2/);
    await expect(savePolicy(dir, { manifest: body, layers: randomLayers([5, 8, 7, 2], 1) })).rejects.toThrow(/pi\/l1\/kernel: expected shape \[8, 6\]/);
    const nanBody = makeBody(5, [8, 6], 2, { observation_normalization: { mean: [0, Number.NaN, 0, 0, 0], var: [1, 1, 1, 1, 1], clip: 5, epsilon: 1e-8 } });
    await expect(savePolicy(dir, { manifest: nanBody, layers: randomLayers([5, 8, 6, 2], 1) })).rejects.toThrow(
      /manifest\.json: observation_normalization\.mean\[1\]: expected a finite number, got "NaN"/,
    );
    const badWeights = randomLayers([5, 8, 6, 2], 1);
    badWeights[1]!.kernel[3] = Number.POSITIVE_INFINITY;
    await expect(savePolicy(dir, { manifest: body, layers: badWeights })).rejects.toThrow(/pi\/l1\/kernel\[3\]: expected a finite float32, got Infinity/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });
});

describe("corrupt policy artifacts", () => {
  it("missing manifest.json", async () => {
    const dir = await savedPolicy();
    await rm(join(dir, "manifest.json"));
    await expectLoadError(dir, "manifest.json", null, /file not found/);
  });

  it("missing weights.bin", async () => {
    const dir = await savedPolicy();
    await rm(join(dir, "weights.bin"));
    await expectLoadError(dir, "weights.bin", null, /file not found/);
  });

  it("bad JSON", async () => {
    const dir = await savedPolicy();
    await writeFile(join(dir, "manifest.json"), '{"format": "locomote.policy",');
    await expectLoadError(dir, "manifest.json", null, /invalid JSON/);
  });

  it("wrong field type", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "network").hidden = [8, "6"];
    });
    await expectLoadError(dir, "manifest.json", "network.hidden[1]", /expected a positive integer, got "6"$/);
  });

  it("out-of-range value, with the exact wording", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "network").hidden = [8, -3];
    });
    const e = await expectLoadError(dir, "manifest.json", "network.hidden[1]");
    expect(e.message).toBe(`${join(dir, "manifest.json")}: network.hidden[1]: expected a positive integer, got -3`);
  });

  it("missing field", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      delete at(m, "provenance").seed;
    });
    await expectLoadError(dir, "manifest.json", "provenance.seed", /expected an integer, got nothing \(field missing\)/);
  });

  it("unknown field", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "network").dropout = 0.1;
    });
    await expectLoadError(dir, "manifest.json", "network.dropout", /unexpected field/);
  });

  it("bad enum value and bad bound", async () => {
    let dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "network").activation = "gelu";
    });
    await expectLoadError(dir, "manifest.json", "network.activation", /expected "tanh" or "relu", got "gelu"/);
    dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "spec", "observation", "low")[0] = "minus infinity";
    });
    await expectLoadError(dir, "manifest.json", "spec.observation.low[0]", /expected a number, null, "inf" or "-inf", got "minus infinity"/);
  });

  it("tensor shapes that do not chain", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "weights", "tensors", 2).shape = [7, 6];
    });
    await expectLoadError(dir, "manifest.json", "weights.tensors[2].shape", /pi\/l1\/kernel: expected \[8, 6\] to chain network obs_dim 5 → hidden \[8, 6\] → act_dim 2, got \[7, 6\]/);
  });

  it("missing and overlapping tensors", async () => {
    let dir = await savedPolicy();
    await editManifest(dir, (m) => {
      (at(m, "weights").tensors as unknown[]).splice(3, 1);
    });
    await expectLoadError(dir, "manifest.json", "weights.tensors", /missing tensor "pi\/l1\/bias"/);
    dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "weights", "tensors", 1).offset = 156;
    });
    await expectLoadError(dir, "manifest.json", "weights.tensors[1].offset", /overlapping pi\/l0\/kernel/);
  });

  it("dims that disagree with the spec", async () => {
    let dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "network").obs_dim = 6;
    });
    await expectLoadError(dir, "manifest.json", "network.obs_dim", /got 6, expected 5 \(spec.observation has 5 elements\)/);
    dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "joints")[1] = "elbow";
    });
    await expectLoadError(dir, "manifest.json", "joints[1]", /got "elbow", expected "joint_1" \(spec.actuators\[1\].joint\)/);
  });

  it("normalization and scaling out of range", async () => {
    let dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "observation_normalization", "var")[1] = -0.5;
    });
    await expectLoadError(dir, "manifest.json", "observation_normalization.var[1]", /expected a variance \(finite number ≥ 0\), got -0.5/);
    dir = await savedPolicy();
    await editManifest(dir, (m) => {
      (at(m, "observation_normalization", "mean") as unknown as number[]).pop();
    });
    await expectLoadError(dir, "manifest.json", "observation_normalization.mean", /expected 5 elements \(one per observation element\), got 4/);
    dir = await savedPolicy();
    await editManifest(dir, (m) => {
      at(m, "action_scaling").low = [1, -1];
    });
    await expectLoadError(dir, "manifest.json", "action_scaling.low[0]", /expected low < high, got low 1, high 1/);
  });

  it("sha256 mismatch", async () => {
    const dir = await savedPolicy();
    const file = join(dir, "weights.bin");
    const bytes = await readFile(file);
    bytes[17] = bytes[17]! ^ 0x40;
    await writeFile(file, bytes);
    await expectLoadError(dir, "weights.bin", null, /sha256 mismatch \(manifest\.json weights\.sha256 says [0-9a-f]{64}, file has [0-9a-f]{64}\)/);
  });

  it("truncated weights.bin", async () => {
    const dir = await savedPolicy();
    const file = join(dir, "weights.bin");
    await writeFile(file, (await readFile(file)).subarray(0, 400));
    await expectLoadError(dir, "weights.bin", null, /file has 400 bytes, manifest\.json weights\.byte_length says 464/);
  });

  it("non-finite weights", async () => {
    const dir = await savedPolicy();
    const file = join(dir, "weights.bin");
    const bytes = await readFile(file);
    bytes.writeFloatLE(Number.NaN, 192 + 4 * 5); // pi/l1/kernel[5]
    await writeFile(file, bytes);
    await editManifest(dir, (m) => {
      at(m, "weights").sha256 = createHash("sha256").update(bytes).digest("hex");
    });
    await expectLoadError(dir, "weights.bin", "pi/l1/kernel[5]", /expected a finite float32, got NaN/);
  });

  it("future format_version", async () => {
    const dir = await savedPolicy();
    await editManifest(dir, (m) => {
      m.format_version = 2;
      m.new_section = { anything: true };
    });
    const e = await expectLoadError(dir, "manifest.json", "format_version");
    expect(e.message).toBe(`${join(dir, "manifest.json")}: format_version: got 2, this locomote reads format_version 1`);
  });

  it("not a policy manifest at all", () => {
    expect(() => parseManifest([1, 2], "x/manifest.json")).toThrow("x/manifest.json: expected a JSON object, got [1,2]");
    expect(() => parseManifest({ format: "onnx" }, "x/manifest.json")).toThrow('x/manifest.json: format: expected "locomote.policy", got "onnx"');
  });
});

describe("specMismatch", () => {
  it("names the first field that differs", () => {
    const a = makeSpec(4, 2);
    expect(specMismatch(a, makeSpec(4, 2))).toBeNull();
    expect(specMismatch(a, { ...a, metrics: [] })).toBeNull();
    expect(specMismatch(a, makeSpec(5, 2))).toBe("observation: policy has 4 elements, port has 5");
    expect(specMismatch(a, { ...a, action: { ...a.action, high: [1, 2] } })).toBe("action.high[1] (joint_1.effort): policy has 1, port has 2");
    expect(specMismatch(a, { ...a, actuators: [a.actuators[0]!, { ...a.actuators[1]!, interface: "position" }] })).toBe(
      'actuators[1].interface: policy has "effort", port has "position"',
    );
    expect(specMismatch(a, { ...a, dt: 0.01 })).toBe("dt: policy has 0.008, port has 0.01");
  });
});

describe("policy loading dependencies", () => {
  it("reaches no training code and no tfjs from src/policy/artifact.ts", async () => {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(file, "utf8");
      for (const m of source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) await visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
        else external.add(spec);
      }
    };
    await visit(join(repo, "src/policy/artifact.ts"));
    const files = [...seen].map((f) => relative(repo, f)).sort();
    expect(files.every((f) => f.startsWith("src/policy/") || f === "src/port/spec.ts")).toBe(true);
    expect([...external].sort()).toEqual(["node:crypto", "node:fs/promises", "node:path", "zod"]);
  });
});
