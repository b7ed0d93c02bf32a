/**
 * Crash-safe file writes.
 *
 * `atomicWriteFile(path, data)` writes `data` to a temporary file in the same directory, fsyncs
 * it, renames it over `path` and fsyncs the directory. A reader (or a process resuming after a
 * crash) therefore sees either the complete old file or the complete new one, never a mix.
 * Rename is only atomic within one filesystem, which is why the temporary file lives beside the
 * target instead of in /tmp.
 *
 * Temporary files are named `.<basename>.<pid>.<counter>.tmp` (see `tmpPathFor`), so that
 * concurrent writers of the same target never share one, and so that leftovers of a killed
 * process can be recognised and removed (`removeStaleTmpFiles`) without touching real files.
 *
 *   await atomicWriteJson(join(runDir, "summary.json"), summary);
 *   await atomicWriteFile(join(ckptDir, "policy.bin"), bytes);
 *   atomicWriteFileSync(path, text);               // for exit/SIGINT handlers
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export type FileData = string | Uint8Array;

/** Matches names produced by `tmpPathFor`; group 1 is the target basename. */
const TMP_NAME = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

let tmpCounter = 0;

/** Temporary path used for an atomic write of `path`: same directory, hidden, unique per call. */
export function tmpPathFor(path: string): string {
  tmpCounter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter}.tmp`);
}

/** True if `name` (a basename) is a temporary file of an atomic write, e.g. left by a crash. */
export function isTmpFileName(name: string): boolean {
  return TMP_NAME.test(name);
}

/**
 * Phase 1 of an atomic write: writes and fsyncs `data` into a fresh temporary file beside
 * `path` and returns its path. Until `commitTmpFile` runs, `path` is untouched.
 */
export async function writeTmpFile(path: string, data: FileData): Promise<string> {
  const tmp = tmpPathFor(path);
  const handle = await open(tmp, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  return tmp;
}

/** Phase 2 of an atomic write: renames `tmp` over `path` and makes the rename durable. */
export async function commitTmpFile(tmp: string, path: string): Promise<void> {
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

/** Replaces `path` with `data` so that a crash at any point leaves the old or the new file whole. */
export async function atomicWriteFile(path: string, data: FileData): Promise<void> {
  const tmp = await writeTmpFile(path, data);
  await commitTmpFile(tmp, path);
}

/** `atomicWriteFile` of `JSON.stringify(value, null, 2)` plus a trailing newline. */
export async function atomicWriteJson(path: string, value: unknown): Promise<void> {
  await atomicWriteFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Synchronous `atomicWriteFile`, for code that cannot await (exit and signal handlers). */
export function atomicWriteFileSync(path: string, data: FileData): void {
  const tmp = tmpPathFor(path);
  const fd = openSync(tmp, "wx");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let written = 0;
    while (written < bytes.byteLength) {
      written += writeSync(fd, bytes, written, bytes.byteLength - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

/** Synchronous `atomicWriteJson`. */
export function atomicWriteJsonSync(path: string, value: unknown): void {
  atomicWriteFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Deletes temporary files of atomic writes in `dir` (not recursive), as left by a process that
 * died between writing and renaming. Only call it when no other process writes into `dir`.
 * Returns the removed basenames.
 */
export function removeStaleTmpFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!isTmpFileName(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Flushes a directory entry change (create, rename) to disk. Best effort: some platforms and
 * filesystems cannot open or fsync a directory, and the data file itself is already synced.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows); the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
