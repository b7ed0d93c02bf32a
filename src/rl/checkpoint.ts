/**
 * Training checkpoints: everything needed to continue a run exactly where it stopped —
 * update and env-step counters, wall time, network parameters, Adam moments and step,
 * observation-normalizer and reward-scaler state, and the random streams.
 *
 *   run_dir/checkpoints/
 *     update-000040/state.json   counters, normalizers, rng states, tensor index
 *     update-000040/tensors.bin  float32 params, then Adam m and v, little-endian
 *     latest.json                {"dir": "update-000040"} — written last, atomically
 *
 * A checkpoint directory is complete before `latest.json` points at it, so a crash mid-write
 * leaves the previous checkpoint in force. Older checkpoints beyond `keep` are removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFileSync, atomicWriteJsonSync } from "../util/fs.js";

const StatsSchema = z.object({ mean: z.array(z.number()), var: z.array(z.number()), count: z.number() });

export const CheckpointStateSchema = z.object({
  format: z.literal("locomote.checkpoint"),
  format_version: z.literal(1),
  update: z.number().int().nonnegative(),
  env_steps: z.number().int().nonnegative(),
  wall_seconds: z.number().nonnegative(),
  config_digest: z.string(),
  tensors: z.array(z.object({ name: z.string(), length: z.number().int().nonnegative() })),
  adam_step: z.number().int().nonnegative(),
  learning_rate: z.number(),
  obs_stats: StatsSchema,
  reward_scaler: z.object({ stats: StatsSchema, returns: z.array(z.number()) }),
  rng: z.record(z.string(), z.array(z.number())),
  /** What the algorithm carries between updates (PPO-Penalty: β); absent in older checkpoints. */
  algo_state: z.record(z.string(), z.number()).optional(),
});
export type CheckpointState = z.infer<typeof CheckpointStateSchema>;

export interface CheckpointData {
  state: CheckpointState;
  params: Float32Array[];
  adamM: Float32Array[];
  adamV: Float32Array[];
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export function checkpointDirName(update: number): string {
  return `update-${String(update).padStart(6, "0")}`;
}

/** Writes a checkpoint synchronously (also safe inside a SIGINT handler) and prunes old ones. */
export function writeCheckpoint(root: string, data: CheckpointData, keep: number): string {
  const name = checkpointDirName(data.state.update);
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const arrays = [...data.params, ...data.adamM, ...data.adamV];
  let total = 0;
  for (const a of arrays) total += a.length;
  const flat = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    flat.set(a, off);
    off += a.length;
  }
  atomicWriteFileSync(join(dir, "tensors.bin"), new Uint8Array(flat.buffer));
  atomicWriteJsonSync(join(dir, "state.json"), data.state);
  atomicWriteJsonSync(join(root, "latest.json"), { dir: name });
  prune(root, keep, name);
  return dir;
}

function prune(root: string, keep: number, current: string): void {
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^update-\d+$/.test(d.name))
    .map((d) => d.name)
    .sort();
  const excess = dirs.length - keep;
  for (let i = 0; i < excess; i++) {
    const d = dirs[i]!;
    if (d !== current) rmSync(join(root, d), { recursive: true, force: true });
  }
}

/** Reads the checkpoint `latest.json` points to, or null when the run has none. */
export function readLatestCheckpoint(root: string): CheckpointData | null {
  const latestPath = join(root, "latest.json");
  if (!existsSync(latestPath)) return null;
  let dirName: string;
  try {
    const latest = JSON.parse(readFileSync(latestPath, "utf8")) as { dir?: unknown };
    if (typeof latest.dir !== "string") throw new Error("no dir");
    dirName = latest.dir;
  } catch {
    throw new CheckpointError(`${latestPath}: dir: expected the name of a checkpoint folder`);
  }
  const dir = join(root, dirName);
  const statePath = join(dir, "state.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(statePath, "utf8"));
  } catch (err) {
    throw new CheckpointError(`${statePath}: expected a readable JSON file (${(err as Error).message})`);
  }
  const parsed = CheckpointStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CheckpointError(`${statePath}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const state = parsed.data;
  const bytes = readFileSync(join(dir, "tensors.bin"));
  const n = state.tensors.reduce((s, t) => s + t.length, 0);
  if (bytes.byteLength !== 3 * n * 4) {
    throw new CheckpointError(`${join(dir, "tensors.bin")}: expected ${3 * n * 4} bytes, found ${bytes.byteLength}`);
  }
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let off = 0;
  const take = (): Float32Array[] =>
    state.tensors.map((t) => {
      const a = flat.slice(off, off + t.length);
      off += t.length;
      return a;
    });
  const params = take();
  const adamM = take();
  const adamV = take();
  return { state, params, adamM, adamV };
}
