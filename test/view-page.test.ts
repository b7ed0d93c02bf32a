/**
 * The live view's web page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
 * it connects to the server as a Foxglove client, draws the hopper's capsules from /tf (fed by
 * the simulated hopper) at the poses the sim published, and plots the reward. A screenshot is
 * written under the OS temp dir (its path is printed).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { loadTask } from "../src/sim/registry.js";
import type { TaskDefinition } from "../src/sim/task.js";
import { buildViewPage } from "../src/view/build-page.js";
import { LiveViewServer } from "../src/view/live-view-server.js";
import { feedViewFromSim, robotUrdf } from "../src/view/sim-feed.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`view-page: skipped: ${CHROMIUM} is missing (install Debian's chromium package)`);

type Vec3 = [number, number, number];
interface DrawnShape {
  link: string;
  kind: string;
  world: Vec3[];
  screen: [number, number][];
  radiusPx: number;
  color: string;
}
interface Snapshot {
  status: string;
  serverName: string;
  robot?: string;
  plane?: string;
  tfMessages: number;
  tfDrawn: number;
  drawn: DrawnShape[];
  canvas: { width: number; height: number; dpr: number };
  rewardPoints: number;
  rewardTerms: Record<string, number>;
  counts: Record<string, number>;
  decodeErrors: number;
}

function rotate(q: ArrayLike<number>, v: Vec3): Vec3 {
  const [qx, qy, qz, qw] = [q[0]!, q[1]!, q[2]!, q[3]!];
  const tx = 2 * (qy * v[2] - qz * v[1]), ty = 2 * (qz * v[0] - qx * v[2]), tz = 2 * (qx * v[1] - qy * v[0]);
  return [v[0] + qw * tx + (qy * tz - qz * ty), v[1] + qw * ty + (qz * tx - qx * tz), v[2] + qw * tz + (qx * ty - qy * tx)];
}

/** Distance from point p to segment ab (2D). */
function segDist(p: [number, number], a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

const rgb = (css: string): number[] => {
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (!hex) throw new Error(`not a #rrggbb color: ${css}`);
  const n = parseInt(hex[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};

describe.skipIf(!hasChromium)("live view page in headless Chromium", () => {
  let server: LiveViewServer;
  let context: BrowserContext;
  let page: Page;
  let task: TaskDefinition;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "locomote-view-"));
    const bundle = await buildViewPage(join(tmp, "page.js"));
    task = await loadTask("hopper");
    server = await LiveViewServer.start({ port: 0, name: "locomote test (hopper, random actions)", pageBundle: bundle });
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(join(tmp, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 760 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  });

  afterAll(async () => {
    await context?.close(); // ends the chromium process
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  const snapshot = (): Promise<Snapshot> =>
    page.evaluate(() => (window as unknown as { locomoteView: { snapshot: () => unknown } }).locomoteView.snapshot()) as Promise<Snapshot>;

  it("connects, draws the hopper's capsules at the /tf poses and plots the reward", async () => {
    await page.goto(server.url);
    await page.waitForFunction(
      () => (window as unknown as { locomoteView?: { snapshot: () => { status: string } } }).locomoteView?.snapshot().status === "connected",
      undefined,
      { timeout: 20_000 },
    );
    expect(server.clientCount).toBe(1);

    // The hopper with random actions, at 2x real time, once the page subscribes to its channels
    // (which it does as they are advertised).
    const steps = 240;
    const result = await feedViewFromSim({
      sink: server,
      task,
      steps,
      actions: "random",
      seed: 7,
      speed: 2,
      ready: async (channels) => {
        const t0 = Date.now();
        while (!channels.every((c) => server.isSubscribed(c))) {
          if (Date.now() - t0 > 20_000) throw new Error("the page did not subscribe to the channels");
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    });
    // Every /tf message received and the last one drawn.
    const N = result.tfMessages;
    await page
      .waitForFunction(
        (n) => {
          const s = (window as unknown as { locomoteView: { snapshot: () => { tfMessages: number; tfDrawn: number } } }).locomoteView.snapshot();
          return s.tfMessages === n && s.tfDrawn === n;
        },
        N,
        { timeout: 20_000 },
      )
      .catch(async (err: unknown) => {
        console.error("page state:", JSON.stringify({ ...(await snapshot()), drawn: undefined }));
        throw err;
      });
    await page.waitForTimeout(150);
    const snap = await snapshot();

    const shot = join(tmpdir(), `locomote-live-view-${process.pid}.png`);
    await page.screenshot({ path: shot });
    console.log(`live view screenshot: ${shot}`);

    expect(snap.status).toBe("connected");
    expect(snap.serverName).toBe("locomote test (hopper, random actions)");
    expect(snap.robot).toBe("hopper");
    expect(snap.plane).toBe("xz");
    expect(snap.decodeErrors).toBe(0);
    expect(snap.tfMessages).toBe(N);
    expect(snap.counts["/tf"]).toBe(N);
    expect(snap.counts["/reward/total"]).toBe(steps);
    expect(snap.counts["/robot_description"]).toBe(1);
    expect(snap.tfDrawn).toBe(snap.tfMessages);

    // The four capsules, at the last published link poses (URDF origins: torso 0, thigh
    // -0.225, leg -0.25 along z, the foot along x at +0.065), lengths 0.4 / 0.45 / 0.5 / 0.39.
    const links = result.links;
    const geoms: Record<string, { origin: Vec3; half: Vec3; radius: number }> = {
      torso: { origin: [0, 0, 0], half: [0, 0, 0.2], radius: 0.05 },
      thigh: { origin: [0, 0, -0.225], half: [0, 0, 0.225], radius: 0.05 },
      leg: { origin: [0, 0, -0.25], half: [0, 0, 0.25], radius: 0.04 },
      foot: { origin: [0.065, 0, 0], half: [0.195, 0, 0], radius: 0.06 },
    };
    expect(snap.drawn.map((d) => d.link).sort()).toEqual(Object.keys(geoms).sort());
    const { width, height, dpr } = snap.canvas;
    for (const d of snap.drawn) {
      const g = geoms[d.link]!;
      const k = links.indexOf(d.link);
      const pose = result.poses.subarray(7 * k, 7 * k + 7);
      const c = rotate(pose.subarray(3), g.origin).map((v, i) => v + pose[i]!) as Vec3;
      const h = rotate(pose.subarray(3), g.half);
      const ends = [c.map((v, i) => v - h[i]!), c.map((v, i) => v + h[i]!)];
      // Either end order (the foot's cylinder axis is local z rotated onto ∓x).
      const [a, b] = d.world as [Vec3, Vec3];
      const match = (p: Vec3, q: number[]): boolean => p.every((v, i) => Math.abs(v - q[i]!) < 1e-6);
      expect(d.kind).toBe("capsule");
      expect((match(a, ends[0]!) && match(b, ends[1]!)) || (match(a, ends[1]!) && match(b, ends[0]!)), d.link).toBe(true);
      // On the canvas, with the radius to scale.
      for (const [x, y] of d.screen) {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(width);
        expect(y).toBeGreaterThan(0);
        expect(y).toBeLessThan(height);
      }
      expect(d.radiusPx).toBeGreaterThan(4);
    }
    // Side view: screen x grows with world x, screen y falls with world z; same scale both ways.
    const torso = snap.drawn.find((d) => d.link === "torso")!;
    const sx = (torso.screen[1]![0] - torso.screen[0]![0]) / (torso.world[1]![0] - torso.world[0]![0] || Infinity);
    const sz = (torso.screen[1]![1] - torso.screen[0]![1]) / (torso.world[1]![2] - torso.world[0]![2] || Infinity);
    const scale = torso.radiusPx / 0.05;
    if (Number.isFinite(sx) && Math.abs(torso.world[1]![0] - torso.world[0]![0]) > 0.05) expect(sx).toBeCloseTo(scale, 3);
    if (Number.isFinite(sz) && Math.abs(torso.world[1]![2] - torso.world[0]![2]) > 0.05) expect(sz).toBeCloseTo(-scale, 3);

    // Canvas pixels: beside each capsule's axis (clear of the highlight) is its fill color,
    // unless a capsule drawn later covers that spot.
    let checked = 0;
    for (let i = 0; i < snap.drawn.length; i++) {
      const d = snap.drawn[i]!;
      const [a, b] = d.screen as [[number, number], [number, number]];
      const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
      const n: [number, number] = [-(b[1] - a[1]) / len, (b[0] - a[0]) / len];
      const p: [number, number] = [(a[0] + b[0]) / 2 + n[0] * d.radiusPx * 0.65, (a[1] + b[1]) / 2 + n[1] * d.radiusPx * 0.65];
      const covered = snap.drawn.slice(i + 1).some((e) => segDist(p, e.screen[0]!, e.screen[1]!) < e.radiusPx + 2);
      if (covered) continue;
      const px = await page.evaluate(
        ([x, y]) => {
          const c = document.getElementById("robot-canvas") as HTMLCanvasElement;
          return Array.from(c.getContext("2d")!.getImageData(Math.round(x!), Math.round(y!), 1, 1).data);
        },
        [p[0] * dpr, p[1] * dpr],
      );
      const want = rgb(d.color);
      for (let ch = 0; ch < 3; ch++) expect(Math.abs(px[ch]! - want[ch]!), `${d.link} pixel ${String(px)} vs ${d.color}`).toBeLessThanOrEqual(6);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);

    // Reward plot: the last episode's /reward/total samples and the hopper's terms.
    expect(snap.rewardPoints).toBeGreaterThan(0);
    expect(snap.rewardPoints).toBe(result.lastEpisodeRewards);
    expect(Object.keys(snap.rewardTerms).sort()).toEqual(["ctrl", "forward", "healthy"]);
    const bluePixels = await page.evaluate(() => {
      const c = document.getElementById("reward-canvas") as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 0x2d) < 20 && Math.abs(d[i + 1]! - 0x6c) < 20 && Math.abs(d[i + 2]! - 0xdf) < 20) n++;
      return n;
    });
    expect(bluePixels).toBeGreaterThan(100); // the "total" line (and its legend swatch)
    console.log(
      `view-page: ${snap.tfMessages}/${result.tfMessages} tf frames, ${result.episodes} episode(s), ` +
        `${snap.rewardPoints} reward points in the last, ${checked} capsule pixels checked`,
    );
  });

  it("draws the robot for a client that connects after the episode (latched URDF, latest /tf)", async () => {
    // The server still holds /robot_description and the last /tf from the previous test.
    const late = await context.newPage();
    try {
      await late.goto(server.url);
      await late.waitForFunction(
        () => {
          const s = (window as unknown as { locomoteView?: { snapshot: () => { drawn: unknown[]; tfDrawn: number } } }).locomoteView?.snapshot();
          return s !== undefined && s.tfDrawn === 1 && s.drawn.length === 4;
        },
        undefined,
        { timeout: 20_000 },
      );
    } finally {
      await late.close();
    }
    expect(robotUrdf("hopper")).toContain('<robot name="hopper">');
  });
});
