/**
 * Atomic writes (src/util/fs.ts): the target is replaced whole or not at all. A process that
 * dies between writing the temporary file and renaming it is simulated by running only the
 * first phase (`writeTmpFile`) — exactly the state a kill at that moment leaves on disk.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  atomicWriteFile,
  atomicWriteFileSync,
  atomicWriteJson,
  commitTmpFile,
  isTmpFileName,
  removeStaleTmpFiles,
  tmpPathFor,
  writeTmpFile,
} from "../src/util/fs.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "locomote-run-fs-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("atomicWriteFile", () => {
  it("replaces the file and leaves no temporary file behind", async () => {
    const target = join(dir, "summary.json");
    writeFileSync(target, "old");
    await atomicWriteFile(target, "new contents");
    expect(readFileSync(target, "utf8")).toBe("new contents");
    expect(readdirSync(dir)).toEqual(["summary.json"]);
  });

  it("writes bytes and JSON", async () => {
    const bin = join(dir, "w.bin");
    await atomicWriteFile(bin, new Uint8Array([1, 2, 255]));
    expect([...readFileSync(bin)]).toEqual([1, 2, 255]);
    const json = join(dir, "s.json");
    await atomicWriteJson(json, { a: 1, b: [true, null] });
    expect(JSON.parse(readFileSync(json, "utf8"))).toEqual({ a: 1, b: [true, null] });
    expect(readFileSync(json, "utf8").endsWith("\n")).toBe(true);
  });

  it("has a synchronous twin for exit handlers", () => {
    const target = join(dir, "a.txt");
    atomicWriteFileSync(target, "one");
    atomicWriteFileSync(target, "two");
    expect(readFileSync(target, "utf8")).toBe("two");
    expect(readdirSync(dir)).toEqual(["a.txt"]);
  });

  it("leaves the old file intact when the process dies before the rename", async () => {
    const target = join(dir, "policy.bin");
    writeFileSync(target, "old checkpoint");
    // Phase 1 only: what is on disk if the process is killed right before rename().
    const tmp = await writeTmpFile(target, "new checkpoint");
    expect(readFileSync(target, "utf8")).toBe("old checkpoint");
    expect(readFileSync(tmp, "utf8")).toBe("new checkpoint");
    // The temporary file is beside the target (same filesystem, so rename is atomic),
    // hidden, and recognisable as a leftover.
    expect(dirname(tmp)).toBe(dir);
    expect(basename(tmp)).toMatch(/^\.policy\.bin\.\d+\.\d+\.tmp$/);
    expect(isTmpFileName(basename(tmp))).toBe(true);
    expect(isTmpFileName("policy.bin")).toBe(false);
    // On restart, leftovers are removed and the old file is still the one readers get.
    expect(removeStaleTmpFiles(dir)).toEqual([basename(tmp)]);
    expect(readdirSync(dir)).toEqual(["policy.bin"]);
    expect(readFileSync(target, "utf8")).toBe("old checkpoint");
  });

  it("commits phase 2 with a rename", async () => {
    const target = join(dir, "x.txt");
    writeFileSync(target, "old");
    const tmp = await writeTmpFile(target, "new");
    await commitTmpFile(tmp, target);
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(existsSync(tmp)).toBe(false);
  });

  it("gives every write its own temporary name, so concurrent writers never collide", async () => {
    const target = join(dir, "curve.svg");
    expect(tmpPathFor(target)).not.toBe(tmpPathFor(target));
    await Promise.all(Array.from({ length: 8 }, (_, i) => atomicWriteFile(target, `version ${i}`)));
    expect(readFileSync(target, "utf8")).toMatch(/^version [0-7]$/);
    expect(readdirSync(dir)).toEqual(["curve.svg"]);
  });

  it("fails without touching the target when the directory is missing", async () => {
    await expect(atomicWriteFile(join(dir, "missing", "f.txt"), "x")).rejects.toThrow(/ENOENT/);
  });
});
