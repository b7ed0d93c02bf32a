/**
 * `locomote deploy` / `sim-robot` as a user runs them (compiled dist/, real child processes):
 * Ctrl-C (SIGINT) and the e-stop input (SIGUSR1) produce the safe command before the process
 * stops, configure refuses a policy that does not fit the robot, and ROS 2 missing is one line.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = join(process.cwd(), "dist/src/cli/bin.js");
const POLICY = "test/fixtures/deploy-hopper-policy";
const LAUNCH = "launch/deploy_hopper.launch.yaml";
const tmp = mkdtempSync(join(tmpdir(), "locomote-deploy-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: "1" };
  delete e["ROS_DISTRO"];
  return e;
};

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: env() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `locomote deploy`, sends `signal` once the policy is in control, and collects the outcome. */
async function deployAndSignal(signal: NodeJS.Signals, extra: string[], thenSigint = false) {
  const record = join(tmp, `${signal}.csv`);
  const child = spawn(process.execPath, [BIN, "deploy", LAUNCH, `policy:=${POLICY}`, `record:=${record}`, "tilt_limit:=10", "duration:=30", "log_dir:=null", ...extra], { env: env() });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  let signalled = false;
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (!signalled && stderr.includes("phase policy")) {
      signalled = true;
      setTimeout(() => {
        child.kill(signal);
        if (thenSigint) setTimeout(() => child.kill("SIGINT"), 400);
      }, 300);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, stdout, stderr, csv: readFileSync(record, "utf8") };
}

function table(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split("\n");
  const cols = header!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])));
}

/** −kd·q̇/gear clamped to [−1, 1]: the hopper's damping command in action units. */
function damping(row: Record<string, string>, joint: string): number {
  const kd = 10;
  const gear = 200;
  return Math.min(1, Math.max(-1, (-kd * Number(row[`obs.${joint}.velocity`])) / gear));
}

describe("locomote deploy (child processes)", () => {
  it("prints help with the launch file's arguments", () => {
    const r = cli(["deploy", LAUNCH, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("transport:=ros2");
    expect(r.stdout).toMatch(/policy:=\s+\[default: runs\/hopper_ppo\/policy\]/);
  });

  it("Ctrl-C: safe command (damping) for stop_s, then the passive command, exit 130", async () => {
    const r = await deployAndSignal("SIGINT", []);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("SIGINT: stopping (safe command first)");
    expect(r.stderr).toContain("deactivate (Ctrl-C): safe command damping for 0.5 s, then passive");
    expect(r.stderr).toContain("stopped (stop time elapsed): final command [0, 0, 0] (effort)");
    expect(r.stdout).toContain("deploy: stopped (Ctrl-C)");
    const rows = table(r.csv);
    const stopping = rows.filter((row) => row.phase === "stopping");
    expect(stopping.length).toBeGreaterThan(50); // 0.5 s at 500 Hz, minus overruns
    for (const row of stopping) {
      for (const j of ["thigh_joint", "leg_joint", "foot_joint"]) expect(Number(row[`cmd.${j}`])).toBeCloseTo(damping(row, j), 5);
    }
    expect(rows.at(-1)!.phase).toBe("stopping");
  });

  it("e-stop input (SIGUSR1): safety trip with the reason logged, damping command until Ctrl-C", async () => {
    const r = await deployAndSignal("SIGUSR1", [], true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SAFETY TRIP in phase policy: e-stop asserted → safe command damping/);
    expect(r.stdout).toContain("safety trips: e-stop asserted");
    const rows = table(r.csv);
    const first = rows.findIndex((row) => row.tripped === "1");
    expect(first).toBeGreaterThan(0);
    for (const row of rows.slice(first)) {
      for (const j of ["thigh_joint", "leg_joint", "foot_joint"]) expect(Number(row[`cmd.${j}`])).toBeCloseTo(damping(row, j), 5);
    }
  });

  it("configure refuses a policy whose joints do not match the robot (one line, exit 2)", () => {
    const bad = join(tmp, "swapped");
    cpSync(POLICY, bad, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(bad, "manifest.json"), "utf8")) as { joints: string[]; spec: { actuators: { joint: string }[] } };
    manifest.joints = ["leg_joint", "thigh_joint", "foot_joint"];
    manifest.spec.actuators[0]!.joint = "leg_joint";
    manifest.spec.actuators[1]!.joint = "thigh_joint";
    writeFileSync(join(bad, "manifest.json"), JSON.stringify(manifest));
    const r = cli(["deploy", LAUNCH, `policy:=${bad}`, "duration:=1"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`locomote: ${bad}: joints[0]: policy commands "leg_joint", robot hopper's actuator 0 drives "thigh_joint" (same joints in the same order expected)`);
  });

  it("a loop rate that is not a multiple of the policy rate is refused", () => {
    const r = cli(["deploy", LAUNCH, `policy:=${POLICY}`, "rate_hz:=300"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "locomote: launch/deploy_hopper.launch.yaml: deploy.rate_hz: got 300 Hz, expected a whole multiple of the policy rate 1/0.008 s = 125 Hz (e.g. 125, 250, 500, 625, 1250)",
    );
  });

  it("transport:=ros2 and sim-robot without ROS 2 sourced: one line saying so", () => {
    const r = cli(["deploy", LAUNCH, `policy:=${POLICY}`, "transport:=ros2"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("locomote: ROS 2 is not sourced (ROS_DISTRO is not set): run `source /opt/ros/<distro>/setup.bash` first, or use transport:=sim");
    const s = cli(["sim-robot", "hopper"]);
    expect(s.code).toBe(2);
    expect(s.stderr.trim()).toBe("locomote: ROS 2 is not sourced (ROS_DISTRO is not set): run `source /opt/ros/<distro>/setup.bash` first, or use transport:=sim");
  });
});
