/**
 * Sim-in-the-loop, in real time: the committed hopper policy (test/fixtures/deploy-hopper-policy,
 * 64-64 PPO) runs through `Deployment` on the Rapier hopper at 500 Hz on the wall clock. It must
 * hop forward; a sensor bus that dies trips the watchdog on the first tick past k periods; the
 * fade-in is monotone. Thresholds are loose on purpose: the machine may be loaded and the
 * physics may still change slightly, so this checks hopping, not a return.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Deployment } from "../src/deploy/deployment.js";
import { MemoryLog } from "../src/deploy/log.js";
import type { SimRealtimePort } from "../src/deploy/sim-transport.js";
import { loadDeployLaunch } from "../src/launch/index.js";

const POLICY = "test/fixtures/deploy-hopper-policy";
const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-loop-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Row {
  t: number;
  phase: string;
  alpha: number;
  tripped: boolean;
  age: number;
  z: number;
}

function rows(csv: string): Row[] {
  const [header, ...lines] = csv.trim().split("\n");
  const cols = header!.split(",");
  const at = (name: string): number => cols.indexOf(name);
  return lines.map((line) => {
    const c = line.split(",");
    return {
      t: Number(c[at("t_s")]),
      phase: c[at("phase")]!,
      alpha: Number(c[at("alpha")]),
      tripped: c[at("tripped")] === "1",
      age: Number(c[at("obs_age_ms")]),
      z: Number(c[at("obs.rootz.position")]),
    };
  });
}

async function deployment(args: Record<string, string>) {
  const { config } = await loadDeployLaunch("launch/deploy_hopper.launch.yaml", { policy: POLICY, log_dir: "null", ...args });
  const log = new MemoryLog();
  const d = await Deployment.configure(config, { where: "launch/deploy_hopper.launch.yaml", log });
  return { d, log, port: d.port as SimRealtimePort };
}

describe("deploy: sim-in-the-loop in real time", () => {
  // One retry: on a machine overloaded by other processes, a stall of a few hundred ms can make
  // even a good policy fall (the same loop on a hand-driven clock: test/deploy-controller.test.ts).
  it("the hopper policy hops forward through deploy, with a monotone fade-in", { retry: 1 }, async () => {
    const { d, port, log } = await deployment({ duration: "4", record: join(tmp, "hop.csv") });
    // Sample the robot from the event loop while the loop runs (it yields once per tick).
    let xAtTrip = NaN;
    let policyStart = NaN;
    let trippedAt = NaN;
    const t0 = performance.now();
    const probe = setInterval(() => {
      const t = (performance.now() - t0) / 1000;
      if (Number.isNaN(policyStart) && d.controller.phase === "policy") policyStart = t;
      if (!d.safety.tripped) xAtTrip = port.buffers.metrics["x_position"]![0]!;
      else if (Number.isNaN(trippedAt)) trippedAt = t;
    }, 10);
    const result = await d.run();
    clearInterval(probe);
    const recording = rows(d.recorder!.toCsv());
    d.shutdown();

    const phases = [...new Set(recording.map((r) => r.phase))];
    expect(phases.slice(0, 4)).toEqual(["zero", "interpolate", "fade", "policy"]);
    const alphas = recording.map((r) => r.alpha);
    for (let k = 1; k < alphas.length; k++) expect(alphas[k]!).toBeGreaterThanOrEqual(alphas[k - 1]!);
    expect(alphas.at(-1)).toBe(1);

    const controlled = (Number.isNaN(trippedAt) ? (performance.now() - t0) / 1000 : trippedAt) - policyStart;
    console.log(
      `deploy-sim-loop: x ${xAtTrip.toFixed(2)} m in ${controlled.toFixed(2)} s of policy control; trips: ${result.trips.join("; ") || "none"}; ` +
        `${result.policySteps} policy steps, ${result.timing.overruns} overruns, jitter p99 ${result.timing.loop_jitter_ms.p99.toFixed(3)} ms`,
    );
    expect(result.policySteps).toBeGreaterThan(50);
    expect(controlled).toBeGreaterThan(0.5);
    expect(xAtTrip).toBeGreaterThan(1.0);
    // Hopping: while upright the torso rises and falls (flight and stance), it does not just lean.
    const upright = recording.filter((r) => r.phase === "policy" && !r.tripped).map((r) => r.z);
    let turns = 0;
    for (let k = 10; k + 10 < upright.length; k += 5) {
      const a = upright[k - 10]!, b = upright[k]!, c = upright[k + 10]!;
      if ((b > a && b > c) || (b < a && b < c)) turns++;
    }
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(log.lines.some((l) => l.message.startsWith("configure: policy test/fixtures/deploy-hopper-policy"))).toBe(true);
  });

  it("a dead sensor bus trips the watchdog within one control period of going stale", async () => {
    const { d, port, log } = await deployment({ duration: "2", record: join(tmp, "watchdog.csv"), tilt_limit: "10" });
    const freeze = setTimeout(() => port.freezeSensors(), 600);
    await d.run();
    clearTimeout(freeze);
    const recording = rows(d.recorder!.toCsv());
    d.shutdown();
    const limit = d.safety.staleAfterMs;
    const first = recording.findIndex((r) => r.tripped);
    expect(first).toBeGreaterThan(0);
    expect(d.safety.reason).toMatch(/^watchdog: /);
    // The tick before the trip still had a fresh-enough observation; the trip tick is the first past the limit.
    expect(recording[first - 1]!.age).toBeLessThanOrEqual(limit);
    expect(recording[first]!.age).toBeGreaterThan(limit);
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("SAFETY TRIP") && l.message.includes("watchdog"))).toBe(true);
  });
});
