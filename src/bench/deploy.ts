/**
 * Deploy benchmark: the real control loop (`Deployment`, launch/deploy_hopper.launch.yaml) at
 * 500 Hz against the sim transport in real time, with the committed 64-64 hopper policy.
 * Reports policy inference latency at batch 1 inside the loop (p50/p99 µs) and control-loop
 * period jitter |t_k − t_(k−1) − T| (p50/p99/max ms). The simulated hopper is put back up when
 * it falls and the tilt limit is off, so the policy keeps running for the whole duration.
 *
 *   npm run bench:deploy [-- --json] [-- --duration 60] [-- --rate 500] [-- --policy DIR]
 *
 * --json prints one object: {"inference_us": {"p50", "p99"}, "loop_jitter_ms": {"p50", "p99", "max"}}.
 * Targets: inference p99 < 50 µs (64-64), jitter p99 < 0.5 ms.
 */
import { Deployment } from "../deploy/deployment.js";
import { MemoryLog, StreamLog } from "../deploy/log.js";
import { loadDeployLaunch } from "../launch/index.js";
import { findPackageRoot } from "../util/package-root.js";
import { parseBenchArgs } from "./args.js";

const { values } = parseBenchArgs(
  "npm run bench:deploy",
  "The real control loop (launch/deploy_hopper.launch.yaml) at --rate Hz against the sim transport in\n" +
    "real time: policy inference latency in the loop (p50/p99 µs) and loop period jitter (p50/p99/max ms).\n" +
    "--policy defaults to the committed 64-64 hopper policy; --spin-ms overrides the launch file's busy-wait.",
  {
    json: { type: "boolean", default: false },
    duration: { type: "string", default: "60" },
    rate: { type: "string", default: "500" },
    policy: { type: "string" },
    "spin-ms": { type: "string" },
  },
);
const duration = Number(values.duration);
if (!(duration > 0)) throw new Error(`--duration: expected seconds > 0, got "${values.duration}"`);
const root = findPackageRoot();
const policy = values.policy ?? `${root}/test/fixtures/deploy-hopper-policy`;

const { config } = await loadDeployLaunch(`${root}/launch/deploy_hopper.launch.yaml`, {
  policy,
  rate_hz: values.rate,
  duration: String(duration),
  reset_on_fall: "true",
  // --spin-ms overrides the launch file's busy-wait before each tick (null: sleep until 0.25 ms before).
  ...(values["spin-ms"] !== undefined ? { spin_ms: values["spin-ms"] } : {}),
});
const log = values.json ? new MemoryLog() : new StreamLog(process.stderr);
const deployment = await Deployment.configure(
  { ...config, safety: { ...config.safety, observation_limits: {} } },
  { where: "launch/deploy_hopper.launch.yaml", log },
);
const result = await deployment.run();
deployment.shutdown();
const t = result.timing;

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      inference_us: { p50: round(t.inference_us.p50, 2), p99: round(t.inference_us.p99, 2) },
      loop_jitter_ms: { p50: round(t.loop_jitter_ms.p50, 4), p99: round(t.loop_jitter_ms.p99, 4), max: round(t.loop_jitter_ms.max, 4) },
    })}\n`,
  );
} else {
  const ok = (v: number, target: number): string => (v < target ? "ok" : "MISSED");
  process.stdout.write(
    [
      `bench:deploy — ${duration} s at ${config.rate_hz} Hz, sim transport in real time, policy ${policy}`,
      `  ticks ${t.ticks}, overruns ${t.overruns}, policy steps ${result.policySteps}, ${deployment.port.summary?.() ?? ""}`,
      `  inference (batch 1, in the loop): p50 ${t.inference_us.p50.toFixed(2)} µs, p99 ${t.inference_us.p99.toFixed(2)} µs, max ${t.inference_us.max.toFixed(1)} µs  [target p99 < 50 µs: ${ok(t.inference_us.p99, 50)}]`,
      `  loop period jitter: p50 ${t.loop_jitter_ms.p50.toFixed(4)} ms, p99 ${t.loop_jitter_ms.p99.toFixed(4)} ms, max ${t.loop_jitter_ms.max.toFixed(3)} ms  [target p99 < 0.5 ms: ${ok(t.loop_jitter_ms.p99, 0.5)}]`,
      `  safety trips: ${result.trips.length === 0 ? "none" : result.trips.join("; ")}`,
      "",
    ].join("\n"),
  );
}

function round(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}
