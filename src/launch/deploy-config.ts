/**
 * The `deploy:` launch action: how a frozen policy drives a robot (simulated or real) through
 * `locomote deploy`. One zod schema, strict objects, every check worded as what is expected, so
 * a problem reads `file:line: deploy.field: got <value>, expected <what>` (as for `train:`).
 * Several `deploy:` actions (an include's defaults, then the file's own) deep-merge, later wins.
 *
 * Robot-specific safety (which safe command, gains, limits) lives here, per robot, in
 * `launch/deploy_<robot>.launch.yaml`: the URDF and sidecar describe the robot, this says how to
 * run it.
 */
import { z } from "zod";
import { LaunchError } from "./errors.js";
import { mergeLocated, type Located } from "./located.js";
import { runLaunchActions, type DeclaredArg, type LoadLaunchOptions } from "./loader.js";
import { validateAction } from "./validate.js";

export const TRANSPORTS = ["sim", "ros2"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const SAFE_COMMANDS = ["damping", "hold_pose"] as const;
export type SafeCommandKind = (typeof SAFE_COMMANDS)[number];

// ---------------------------------------------------------------------------------------------
// Field builders (each issue's message is the expected text).

function num(what: string, check?: (s: z.ZodNumber) => z.ZodNumber): z.ZodNumber {
  const s = z.number({ error: what });
  return check ? check(s) : s;
}
const positive = (): z.ZodNumber => num("a number > 0", (s) => s.gt(0, { error: "a number > 0" }));
const nonNegative = (): z.ZodNumber => num("a number >= 0", (s) => s.gte(0, { error: "a number >= 0" }));
const positiveInt = (): z.ZodNumber => z.int({ error: "an integer >= 1" }).gte(1, { error: "an integer >= 1" });
const name = (what: string): z.ZodString => z.string({ error: `a non-empty string (${what})` }).min(1, { error: `a non-empty string (${what})` });
const topic = (): z.ZodString =>
  z.string({ error: 'a ROS 2 topic name such as "/joint_states"' }).regex(/^[~/A-Za-z_][A-Za-z0-9_/~{}]*$/, { error: 'a ROS 2 topic name such as "/joint_states"' });
function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `one of ${values.map((v) => JSON.stringify(v)).join(", ")}` });
}
function section<S extends z.core.$ZodLooseShape>(what: string, shape: S): z.ZodObject<S, z.core.$strict> {
  return z.strictObject(shape, { error: `a map of ${what}` });
}
/** A gain: one number for every joint, or a map joint → number. */
const gain = (): z.ZodUnion<[z.ZodNumber, z.ZodRecord<z.ZodString, z.ZodNumber>]> =>
  z.union([nonNegative(), z.record(z.string(), nonNegative())], { error: "a number >= 0, or a map of joint name to number >= 0" });
/** `[low, high]`; null (YAML `~`/`null`) or ".inf" for an open side. */
const interval = z
  .tuple([z.number().nullable(), z.number().nullable()], { error: "[low, high] (numbers or null for no bound)" })
  .transform(([lo, hi]) => [lo ?? -Infinity, hi ?? Infinity] as const)
  .refine(([lo, hi]) => lo <= hi, { error: "[low, high] with low <= high" });

// ---------------------------------------------------------------------------------------------
// Sections

export const StartupConfigSchema = section("start-up settings", {
  /** Seconds of zero command after activation (actuators armed, no torque/motion). */
  zero_s: nonNegative().default(0.1),
  /** Seconds to move from the measured pose to the default pose (PD targets, linear in time). */
  interpolate_s: nonNegative().default(1),
  /** Seconds to fade the policy in: command = (1 − α)·hold default pose + α·policy, α linear 0 → 1. */
  fade_s: nonNegative().default(1),
  /** Proportional gain of the start-up PD (N·m/rad or N/m) for effort joints. */
  kp: gain().default(50),
  /** Derivative gain of the start-up PD (N·m·s/rad) for effort joints. */
  kd: gain().default(5),
  /** Default pose by joint name (rad or m); unnamed joints take the robot description's initial pose. */
  default_pose: z.record(z.string(), z.number({ error: "a number (rad or m)" }), { error: "a map of joint name to position" }).default({}),
});

export const SafetyConfigSchema = section("safety settings", {
  /**
   * Command after a trip, on deactivate, shutdown and Ctrl-C: `damping` (effort −kd·q̇, velocity 0,
   * position = measured) or `hold_pose` (PD to the pose at the trip for effort joints, the pose
   * itself for position joints).
   */
  safe_command: oneOf(SAFE_COMMANDS).default("damping"),
  /** Damping gain of the safe command (N·m·s/rad) for effort joints. */
  damping_kd: gain().default(5),
  /** Stiffness of `hold_pose` for effort joints (N·m/rad). */
  hold_kp: gain().default(50),
  /** The watchdog trips when the freshest complete observation is older than this many control periods. */
  watchdog_periods: positiveInt().default(10),
  /** Seconds the safe command is sent on deactivate/Ctrl-C before the final command and stop. */
  stop_s: nonNegative().default(0.5),
  /** Trip when a joint is this far beyond its URDF position limit (rad or m). */
  joint_limit_margin: nonNegative().default(0.2),
  /** Trip when |joint velocity| exceeds this times its URDF velocity limit. */
  velocity_limit_scale: positive().default(1),
  /**
   * Extra limits on observation elements by name (e.g. `rooty.position: [-0.6, 0.6]`, a tilt
   * limit); each is checked besides the finite check and the joint limits.
   */
  observation_limits: z.record(z.string(), interval, { error: "a map of observation name to [low, high]" }).default({}),
});

export const Ros2ConfigSchema = section("ROS 2 settings", {
  /** Lifecycle node name. */
  node_name: name("a ROS 2 node name").default("locomote_deploy"),
  /** Node namespace ("" = none). */
  namespace: z.string({ error: "a string" }).default(""),
  /** forward_command_controller name: commands go to /<controller>/commands. */
  controller: name("a controller name").default("forward_command_controller"),
  /**
   * The controller's `joints` parameter, in its order; default: the URDF <ros2_control> joints
   * that have an actuator, in file order.
   */
  controller_joints: z.array(name("a joint name"), { error: "a list of joint names" }).nullable().default(null),
  joint_states_topic: topic().default("/joint_states"),
  /**
   * sensor_msgs/Imu of the root link: a hinge root's angle and rate; a floating root's
   * orientation quaternion and body-frame angular velocity.
   */
  imu_topic: topic().nullable().default("/imu"),
  /**
   * nav_msgs/Odometry of the root link: slide root coordinates, or a floating root's height and
   * (body-frame twist rotated by the IMU orientation) world-frame velocity; null when the
   * observation needs none.
   */
  odometry_topic: topic().nullable().default(null),
  /** std_msgs/Bool: true trips the safety layer (e-stop). */
  estop_topic: topic().default("/estop"),
  /** Seconds `configure` waits for a first complete observation. */
  wait_for_state_s: positive().default(5),
});

export const SimTransportConfigSchema = section("sim transport settings", {
  /** Seed of the sim's reset noise. */
  seed: z.int({ error: "an integer >= 0" }).gte(0, { error: "an integer >= 0" }).default(0),
  /** Reset the simulated robot when the task reports a fall (benchmarks; a real robot cannot). */
  reset_on_fall: z.boolean({ error: "true or false" }).default(false),
});

const deployShape = {
  /** Robot description: a folder in robots/. */
  robot: name("a folder in robots/"),
  /** Simulation task for transport sim; defaults to the robot's name. */
  sim: name("a folder in sims/").optional(),
  /** Frozen policy folder (manifest.json + weights.bin). */
  policy: name("a policy folder"),
  /** sim: Rapier in real time in this process; ros2: topics of a ros2_control robot through rclnodejs. */
  transport: oneOf(TRANSPORTS).default("sim"),
  /** Control loop rate (Hz); the policy runs every policy_dt × rate_hz ticks (an integer). */
  rate_hz: num("a number > 0 and <= 5000", (s) => s.gt(0, { error: "a number > 0 and <= 5000" }).lte(5000, { error: "a number > 0 and <= 5000" })).default(500),
  /**
   * Busy-wait this long before each tick instead of sleeping (ms; null: the rate limiter's
   * short default, 0.25 ms at 500 Hz). A value ≥ the period spins through it: one core stays
   * busy, as real-time control loops do, and the thread never wakes cold (bench:deploy on an
   * idle VM: jitter p99 1.38 → 0.027 ms, inference p99 84 → 18 µs).
   */
  spin_ms: positive().nullable().default(null),
  /** Stop after this many seconds of activation (null: run until Ctrl-C). */
  duration_s: positive().nullable().default(null),
  /** Write the last `record_s` seconds of ticks (time, phase, fade, observation, command) to this CSV on stop. */
  record: name("a CSV file path").nullable().default(null),
  record_s: positive().default(60),
  /**
   * Session log: every session writes `<log_dir>/<robot>-<YYYYMMDD-HHMMSS>.mcap` (local time; the
   * folder is created, relative paths are from the working directory) — a ROS 2 MCAP of joint
   * states, observations, policy actions, every command sent, the start-up phase and safety
   * trips, and for the sim /tf, /clock and rewards (src/log/deploy-recorder.ts). null: no log.
   */
  log_dir: name("a folder path, or null for no session log").nullable().default("runs/deploy"),
  startup: StartupConfigSchema.prefault({}),
  safety: SafetyConfigSchema.prefault({}),
  ros2: Ros2ConfigSchema.prefault({}),
  sim_transport: SimTransportConfigSchema.prefault({}),
};

export const DeployConfigSchema = section("deploy settings", deployShape).transform((c) => ({ ...c, sim: c.sim ?? c.robot }));

export type DeployConfig = z.output<typeof DeployConfigSchema>;
export type DeployConfigInput = z.input<typeof DeployConfigSchema>;
export type Gain = DeployConfig["startup"]["kp"];

const sections: Readonly<Record<string, z.ZodObject>> = {
  startup: StartupConfigSchema,
  safety: SafetyConfigSchema,
  ros2: Ros2ConfigSchema,
  sim_transport: SimTransportConfigSchema,
};

/** Keys allowed at `path` ([] = top level), for "did you mean". */
export function deployConfigKeys(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(deployShape);
  const first = path[0];
  const s = path.length === 1 && typeof first === "string" ? sections[first] : undefined;
  return s ? Object.keys(s.shape) : [];
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface DeployLaunchResult {
  /** Absolute path of the launch file. */
  readonly file: string;
  readonly args: Readonly<Record<string, string>>;
  readonly declared: readonly DeclaredArg[];
  readonly config: DeployConfig;
  readonly files: readonly string[];
}

/** Loads a deploy launch file (its `deploy:` actions merged and validated) with `name:=value` overrides. */
export async function loadDeployLaunch(
  file: string,
  overrides: Readonly<Record<string, string>>,
  options: LoadLaunchOptions = {},
): Promise<DeployLaunchResult> {
  const run = await runLaunchActions(file, overrides, options);
  const fragments = run.fragments.deploy;
  if (fragments.length === 0) {
    throw new LaunchError({ file: run.display, detail: 'no deploy action, expected at least one "deploy:" action in the launch: list' });
  }
  const config = validateDeployConfig(fragments.reduce(mergeLocated), run.displayedFiles);
  return { file: run.file, args: run.args, declared: run.declared, config, files: run.files };
}

/** Validates merged `deploy:` fragments; problems are sorted into reading order, the first is the message. */
export function validateDeployConfig(merged: Located, fileOrder: readonly string[]): DeployConfig {
  return validateAction({ action: "deploy", what: "deploy", schema: DeployConfigSchema, keysAt: deployConfigKeys }, merged, fileOrder);
}
