/**
 * `replay --resim`: re-run a log's recorded actions in the simulation, from the recorded initial
 * state, and measure how far the re-run departs from the recording, per joint and over time.
 *
 * Three kinds of log:
 *
 * - Sim episode logs (training/eval recordings, metadata "locomote.initial_state"): one instance
 *   is put in the exact initial state (`setState` with the float64 qpos/qvel) and each recorded
 *   /policy/action (float32 values carried as float64, so exact) is applied in turn. After each
 *   step the joint positions/velocities (by JointState joint name), observation elements and
 *   reward are compared with the recorded ones. Exactly 0 on the build that recorded the log.
 *
 * - Deploy session logs of the sim transport (metadata "locomote".transport "sim",
 *   "locomote.sim_initial_state"; src/log/deploy-recorder.ts): the sim stepped in whole task
 *   steps, each applying the command held by `SimRealtimePort` when the step ran — the last
 *   /<controller>/commands message before the step's /joint_states in the file (the recorder
 *   publishes in event order; by log time that is the last command logged before the step
 *   *ended*, not before it started: a tick's command is logged just after its sense, and governs
 *   the step that the next sense runs). Each command (gear · action, float64) goes back to the
 *   action through `CommandMap.toAction` into a Float32Array — command / gear is within one
 *   float64 ulp of the float32 action, so the float32 rounding recovers it bit for bit. From
 *   the exact initial state, each /joint_states (one per sim step, stamped steps · dt), reward
 *   and /policy/observation is compared: exactly 0 on the same build.
 *
 * - Deploy session logs of a robot (transport "ros2"): the sim-to-real gap report. The initial
 *   state comes from the first /joint_states (joints by name) and, for the root, the first
 *   /policy/observation (elements named "<qpos name>.position" / "<qvel name>.velocity");
 *   coordinates the log lacks take the sim's qpos0 (velocities 0), listed in `notes`. The sim
 *   then steps at the task dt from log time 0, step [k·dt, (k+1)·dt) applying the last command
 *   logged before (k+1)·dt (the sim transport's rule, by log time), and each state k·dt is
 *   compared with the robot's /joint_states linearly interpolated to k·dt (values it did not
 *   receive, NaN, are skipped).
 *
 * Δ = re-run − recorded. Per compared quantity: max |Δ| and when, RMS over the compared
 * samples, and |Δ| at 0.5 s, 1 s and 2 s.
 */
import { CommandMap } from "../deploy/messages.js";
import { loadTask } from "../sim/registry.js";
import type { TaskDefinition, TaskInstance } from "../sim/task.js";
import { META_SIM_INITIAL_STATE } from "./deploy-recorder.js";
import { decodeLogMessage, EpisodeLogError, locomoteMetadata, metadataRecord, requireEpisodeTopics, type EpisodeLogFile } from "./mcap-read.js";

/** Times (s) at which the report gives |Δ|. */
export const REPORT_TIMES_S = [0.5, 1, 2] as const;

export interface Divergence {
  /** Largest |re-run − recorded| (Infinity when one side was NaN and the other not). */
  max_abs: number;
  /** Step (state index: 0 = initial) where it occurred; null when every difference is 0. */
  step: number | null;
  /** Time of `step` (s; step · dt); null with `step`. */
  time_s: number | null;
  /** Root mean square of Δ over the compared samples (0 with none). */
  rms: number;
  /** Samples compared (0: the log does not have this quantity). */
  samples: number;
  /** |Δ| at each of REPORT_TIMES_S (the state nearest that time); null when the log is shorter or the sample was not recorded. */
  at: { time_s: number; abs: number | null }[];
}

export type ResimKind = "episode" | "deploy_sim" | "deploy_robot";

export interface ResimReport {
  file: string;
  /** episode: a sim episode log (training/eval); deploy_sim / deploy_robot: a `locomote deploy` session log, sim or ROS 2 transport. */
  kind: ResimKind;
  sim: string;
  /** Task step (s). */
  dt: number;
  /** Steps re-run. */
  steps: number;
  /** Sim time re-run (steps · dt, s). */
  duration_s: number;
  /** Largest |Δ| over everything compared. */
  max_abs: number;
  /** True when every compared value is bit-identical. */
  exact: boolean;
  /** First state index with any difference (null: none). */
  first_divergent_step: number | null;
  /** The commands topic a deploy log was re-run from (null: /policy/action). */
  commands_topic: string | null;
  /** How the initial state was obtained, and anything approximated or cut short. */
  notes: string[];
  joints: { name: string; position: Divergence; velocity: Divergence }[];
  /** Per observation element (empty for a robot log, whose observation came from other sensors). */
  observation: ({ name: string } & Divergence)[];
  /** null for a robot log (no reward). */
  reward: Divergence | null;
}

interface Float64ArrayMsg {
  data: ArrayLike<number>;
}
interface JointStateMsg {
  header: { stamp: { sec: number; nanosec: number } };
  name: string[];
  position: ArrayLike<number>;
  velocity: ArrayLike<number>;
}

const parseList = (file: string, record: string, key: string, text: string | undefined): number[] => {
  if (text === undefined) throw new EpisodeLogError(`${file}: metadata "${record}" has no "${key}" (expected a JSON list of numbers)`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw new EpisodeLogError(`${file}: metadata "${record}".${key} is not a JSON list of numbers`);
  return v as number[];
};

/** Accumulates one quantity's Δ samples. */
class Tracker {
  max_abs = 0;
  step: number | null = null;
  private sumSq = 0;
  private n = 0;
  private readonly atSteps: number[];
  private readonly atAbs: (number | null)[];

  constructor(private readonly dt: number) {
    this.atSteps = REPORT_TIMES_S.map((t) => Math.round(t / dt));
    this.atAbs = REPORT_TIMES_S.map(() => null);
  }

  /** Records Δ at state index `step`; returns |Δ| (NaN on one side only → Infinity). */
  add(delta: number, step: number): number {
    const a = Number.isNaN(delta) ? Infinity : Math.abs(delta);
    this.n++;
    this.sumSq += a * a;
    if (a > this.max_abs || (a > 0 && this.step === null)) {
      this.max_abs = a;
      this.step = step;
    }
    const i = this.atSteps.indexOf(step);
    if (i >= 0) this.atAbs[i] = a;
    return a;
  }

  result(): Divergence {
    return {
      max_abs: this.max_abs,
      step: this.step,
      time_s: this.step === null ? null : this.step * this.dt,
      rms: this.n === 0 ? 0 : Math.sqrt(this.sumSq / this.n),
      samples: this.n,
      at: REPORT_TIMES_S.map((time_s, i) => ({ time_s, abs: this.atAbs[i]! })),
    };
  }
}

/** Trackers of one re-run, and the first state index with a difference. */
class Comparison {
  first: number | null = null;
  readonly joints: { name: string; position: Tracker; velocity: Tracker }[];
  readonly observation: { name: string; t: Tracker }[];
  readonly reward: Tracker;

  constructor(task: TaskDefinition, observation: boolean) {
    const dt = task.spec.dt;
    this.joints = task.state.joints.map((j) => ({ name: j.name, position: new Tracker(dt), velocity: new Tracker(dt) }));
    this.observation = observation ? task.spec.observation.names.map((name) => ({ name, t: new Tracker(dt) })) : [];
    this.reward = new Tracker(dt);
  }

  note(t: Tracker, delta: number, step: number): void {
    if (t.add(delta, step) > 0 && this.first === null) this.first = step;
  }

  compareObs(obs: Float32Array, recorded: ArrayLike<number>, step: number): void {
    for (let i = 0; i < this.observation.length; i++) this.note(this.observation[i]!.t, obs[i]! - recorded[i]!, step);
  }

  report(base: Omit<ResimReport, "max_abs" | "exact" | "first_divergent_step" | "joints" | "observation" | "reward">, withReward: boolean): ResimReport {
    const joints = this.joints.map((j) => ({ name: j.name, position: j.position.result(), velocity: j.velocity.result() }));
    const observation = this.observation.map((o) => ({ name: o.name, ...o.t.result() }));
    const reward = withReward ? this.reward.result() : null;
    let max = reward?.max_abs ?? 0;
    for (const j of joints) max = Math.max(max, j.position.max_abs, j.velocity.max_abs);
    for (const o of observation) max = Math.max(max, o.max_abs);
    return { ...base, max_abs: max, exact: max === 0, first_divergent_step: this.first, joints, observation, reward };
  }
}

/** Re-simulates the log (see the module comment). `task` overrides the registry lookup (tests). */
export async function resimulate(log: EpisodeLogFile, options: { task?: TaskDefinition } = {}): Promise<ResimReport> {
  requireEpisodeTopics(log);
  const file = log.file;
  const meta = locomoteMetadata(log);
  const session = meta.session;
  if (!session) throw new EpisodeLogError(`${file}: no "locomote" metadata record (expected a locomote episode log)`);
  if (session["source"] === "deploy") return resimulateDeploy(log, session, options.task);
  if (!meta.initialState) {
    throw new EpisodeLogError(`${file}: no "locomote.initial_state" metadata: only simulation episode logs (training/eval recordings) and deploy session logs can be re-simulated`);
  }
  const sim = session["sim"];
  if (!sim) throw new EpisodeLogError(`${file}: metadata "locomote" has no "sim" (expected the simulation's registry name)`);
  const task = await taskFor(file, sim, session, options.task);
  const spec = task.spec;
  const qpos = parseList(file, "locomote.initial_state", "qpos", meta.initialState["qpos"]);
  const qvel = parseList(file, "locomote.initial_state", "qvel", meta.initialState["qvel"]);
  checkStateSize(file, sim, task, qpos, qvel);

  const observations: ArrayLike<number>[] = [];
  const actions: ArrayLike<number>[] = [];
  const jointStates: JointStateMsg[] = [];
  const rewards: number[] = [];
  for (const m of log.messages) {
    switch (m.channel.topic) {
      case "/policy/observation":
        observations.push(decodeLogMessage<Float64ArrayMsg>(m).data);
        break;
      case "/policy/action":
        actions.push(decodeLogMessage<Float64ArrayMsg>(m).data);
        break;
      case "/joint_states":
        jointStates.push(decodeLogMessage<JointStateMsg>(m));
        break;
      case "/reward/total":
        rewards.push(decodeLogMessage<{ data: number }>(m).data);
        break;
      default:
        break;
    }
  }
  // A truncated log may end between an action and the state it led to.
  const steps = Math.max(0, Math.min(actions.length, observations.length - 1, jointStates.length - 1, rewards.length));
  if (observations.length === 0 || jointStates.length === 0) throw new EpisodeLogError(`${file}: no initial /policy/observation or /joint_states message`);

  const od = spec.observation.names.length;
  const ad = spec.action.names.length;
  const cmp = new Comparison(task, true);
  const jsIndex = jointIndices(file, task, jointStates[0]!.name, true);
  const inst = task.createInstance();
  try {
    const obs = new Float32Array(od);
    const action = new Float32Array(ad);
    const metrics = new Float32Array(spec.metrics.length);
    const state = new StateReader(task);
    const compareState = (k: number): void => {
      cmp.compareObs(obs, observations[k]!, k);
      state.compare(inst, cmp, jointStates[k]!, jsIndex, k);
    };
    inst.setState(qpos, qvel, obs);
    compareState(0);
    for (let k = 0; k < steps; k++) {
      const a = actions[k]!;
      if (a.length !== ad) throw new EpisodeLogError(`${file}: /policy/action message ${k} has ${a.length} values, expected ${ad}`);
      for (let i = 0; i < ad; i++) action[i] = a[i]!;
      // The port carries rewards as float32 (PortBuffers.reward), and so does the log.
      const r = Math.fround(inst.step(action, obs, metrics));
      cmp.note(cmp.reward, r - rewards[k]!, k + 1);
      compareState(k + 1);
    }
  } finally {
    inst.free();
  }
  return cmp.report({ file, kind: "episode", sim, dt: spec.dt, steps, duration_s: steps * spec.dt, commands_topic: null, notes: [] }, true);
}

// ---------------------------------------------------------------------------------------------

async function taskFor(file: string, sim: string, session: Readonly<Record<string, string>>, override: TaskDefinition | undefined): Promise<TaskDefinition> {
  let task: TaskDefinition;
  try {
    task = override ?? (await loadTask(sim));
  } catch (err) {
    throw new EpisodeLogError(`${file}: metadata "locomote".sim = "${sim}": ${err instanceof Error ? err.message : String(err)}`);
  }
  const spec = task.spec;
  for (const [key, want] of [["observation_names", spec.observation.names], ["action_names", spec.action.names]] as const) {
    const got = nameList(file, session, key);
    if (!(got.length === want.length && got.every((x, i) => x === want[i]))) {
      throw new EpisodeLogError(`${file}: metadata "locomote".${key} [${got.join(", ")}] differs from sim "${sim}"'s [${want.join(", ")}]: the log was recorded with another version of the task`);
    }
  }
  return task;
}

function nameList(file: string, session: Readonly<Record<string, string>>, key: string): string[] {
  const v = session[key];
  try {
    const parsed: unknown = v === undefined ? null : JSON.parse(v);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed as string[];
  } catch {
    // reported below
  }
  throw new EpisodeLogError(`${file}: metadata "locomote".${key} is not a JSON list of names`);
}

function checkStateSize(file: string, sim: string, task: TaskDefinition, qpos: readonly number[], qvel: readonly number[]): void {
  if (qpos.length !== task.state.nq || qvel.length !== task.state.nv) {
    throw new EpisodeLogError(`${file}: initial state has ${qpos.length} qpos / ${qvel.length} qvel values, sim "${sim}" has nq ${task.state.nq} / nv ${task.state.nv}`);
  }
}

/** Per task joint, its index in a recorded JointState's names (-1: not recorded, when allowed). */
function jointIndices(file: string, task: TaskDefinition, recorded: readonly string[], required: boolean): number[] {
  return task.state.joints.map((j) => {
    const i = recorded.indexOf(j.name);
    if (i < 0 && required) throw new EpisodeLogError(`${file}: /joint_states has no joint "${j.name}" (it names ${recorded.join(", ")})`);
    return i;
  });
}

/** Reads an instance's joint coordinates and compares them with a JointState. */
class StateReader {
  private readonly q: Float64Array;
  private readonly v: Float64Array;
  constructor(private readonly task: TaskDefinition) {
    this.q = new Float64Array(task.state.nq);
    this.v = new Float64Array(task.state.nv);
  }

  compare(inst: TaskInstance, cmp: Comparison, js: Pick<JointStateMsg, "position" | "velocity">, jsIndex: readonly number[], k: number): void {
    inst.readState(this.q, this.v);
    const joints = this.task.state.joints;
    for (let j = 0; j < joints.length; j++) {
      const i = jsIndex[j]!;
      if (i < 0) continue;
      cmp.note(cmp.joints[j]!.position, this.q[joints[j]!.qposIndex]! - js.position[i]!, k);
      cmp.note(cmp.joints[j]!.velocity, this.v[joints[j]!.qvelIndex]! - js.velocity[i]!, k);
    }
  }
}

const stampNs = (js: JointStateMsg): number => js.header.stamp.sec * 1e9 + js.header.stamp.nanosec;

async function resimulateDeploy(log: EpisodeLogFile, session: Readonly<Record<string, string>>, override: TaskDefinition | undefined): Promise<ResimReport> {
  const file = log.file;
  const transport = session["transport"];
  if (transport !== "sim" && transport !== "ros2") throw new EpisodeLogError(`${file}: metadata "locomote".transport is ${transport === undefined ? "missing" : `"${transport}"`} (expected "sim" or "ros2")`);
  let configSim: string | undefined;
  try {
    const cfg: unknown = JSON.parse(session["deploy_config"] ?? "null");
    if (cfg !== null && typeof cfg === "object" && "sim" in cfg && typeof cfg.sim === "string") configSim = cfg.sim;
  } catch {
    configSim = undefined;
  }
  // A robot's log names the task its policy was trained in only in the deploy config.
  const sim = session["sim"] ?? configSim;
  if (!sim) throw new EpisodeLogError(`${file}: metadata "locomote" names no sim (neither "sim" nor deploy_config.sim)`);
  const task = await taskFor(file, sim, session, override);
  const controller = session["controller"];
  if (!controller) throw new EpisodeLogError(`${file}: metadata "locomote" has no "controller" (the commands topic is /<controller>/commands)`);
  let commands: CommandMap;
  try {
    commands = new CommandMap(task.spec.actuators, nameList(file, session, "controller_joints"), controller);
  } catch (err) {
    if (err instanceof EpisodeLogError) throw err;
    throw new EpisodeLogError(`${file}: metadata "locomote".controller_joints: ${err instanceof Error ? err.message : String(err)}`);
  }
  const topic = `/${controller}/commands`;
  if (!log.channels.some((c) => c.topic === topic)) throw new EpisodeLogError(`${file}: no ${topic} topic: the commands the robot was sent are needed to re-run it`);
  return transport === "sim" ? resimDeploySim(log, session, task, sim, commands, topic) : resimDeployRobot(log, task, sim, commands, topic);
}

function toAction(file: string, commands: CommandMap, data: ArrayLike<number>, action: Float32Array): void {
  try {
    commands.toAction(data, action);
  } catch (err) {
    throw new EpisodeLogError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function resimDeploySim(log: EpisodeLogFile, session: Readonly<Record<string, string>>, task: TaskDefinition, sim: string, commands: CommandMap, topic: string): ResimReport {
  const file = log.file;
  const init = metadataRecord(log, META_SIM_INITIAL_STATE);
  if (!init) throw new EpisodeLogError(`${file}: sim deploy log without "${META_SIM_INITIAL_STATE}" metadata (the sim's state at log time 0)`);
  const qpos = parseList(file, META_SIM_INITIAL_STATE, "qpos", init["qpos"]);
  const qvel = parseList(file, META_SIM_INITIAL_STATE, "qvel", init["qvel"]);
  checkStateSize(file, sim, task, qpos, qvel);
  const steps0 = Number(init["sim_steps"] ?? "0");
  const spec = task.spec;
  const dtNs = Math.round(spec.dt * 1e9);
  const resetOnFall = session["reset_on_fall"] === "true";
  const notes = [
    `initial state: "${META_SIM_INITIAL_STATE}" (the sim's exact qpos/qvel at log time 0)`,
    `each sim step applies the last ${topic} message before its /joint_states in the file (the command the sim transport held when it ran the step), converted back to the action (command / gear)`,
  ];

  const cmp = new Comparison(task, true);
  const inst = task.createInstance();
  let steps = 0;
  try {
    const obs = new Float32Array(spec.observation.names.length);
    const action = new Float32Array(spec.action.names.length); // the transport holds zeros until the first command
    const metrics = new Float32Array(spec.metrics.length);
    const state = new StateReader(task);
    let jsIndex: number[] | null = null;
    let started = false;
    let reward: number | null = null;
    let stopped = false;
    for (const m of log.messages) {
      const t = m.channel.topic;
      if (t === topic) {
        toAction(file, commands, decodeLogMessage<Float64ArrayMsg>(m).data, action);
      } else if (t === "/joint_states") {
        if (stopped) break;
        const js = decodeLogMessage<JointStateMsg>(m);
        if (!started) {
          jsIndex = jointIndices(file, task, js.name, true);
          inst.setState(qpos, qvel, obs);
          started = true;
        } else {
          // The port carries rewards as float32 (PortBuffers.reward), and so does the log.
          reward = Math.fround(inst.step(action, obs, metrics));
          steps++;
          if (resetOnFall && inst.terminated) {
            stopped = true;
            notes.push(`stopped after sim step ${steps}: the robot fell and the session had reset_on_fall, whose reset state is not logged`);
          }
        }
        const want = (steps0 + steps) * dtNs;
        if (stampNs(js) !== want) {
          throw new EpisodeLogError(`${file}: /joint_states message ${steps} is stamped ${stampNs(js)} ns, expected sim time ${want} ns (${steps0 + steps} steps of ${dtNs} ns): sim steps are missing from the log`);
        }
        state.compare(inst, cmp, js, jsIndex!, steps);
      } else if (t === "/reward/total") {
        if (reward !== null) cmp.note(cmp.reward, reward - decodeLogMessage<{ data: number }>(m).data, steps);
        reward = null;
      } else if (t === "/policy/observation") {
        if (stopped) break;
        // What the controller saw: the sim's observation after the last step (unless a sensor fault was injected).
        if (started) cmp.compareObs(obs, decodeLogMessage<Float64ArrayMsg>(m).data, steps);
      }
    }
    if (!started) throw new EpisodeLogError(`${file}: no /joint_states message (the sim's state at log time 0)`);
  } finally {
    inst.free();
  }
  return cmp.report({ file, kind: "deploy_sim", sim, dt: spec.dt, steps, duration_s: steps * spec.dt, commands_topic: topic, notes }, true);
}

function resimDeployRobot(log: EpisodeLogFile, task: TaskDefinition, sim: string, commands: CommandMap, topic: string): ResimReport {
  const file = log.file;
  const spec = task.spec;
  const state = task.state;
  const dtNs = Math.round(spec.dt * 1e9);
  const notes: string[] = [];
  // Recorded joint states (by log time), in task joint order; commands (by log time).
  const joints = state.joints;
  const times: number[] = [];
  const positions: Float64Array[] = [];
  const velocities: Float64Array[] = [];
  const cmdTimes: number[] = [];
  const cmdData: ArrayLike<number>[] = [];
  let obs0: ArrayLike<number> | null = null;
  let names0: string[] | null = null;
  for (const m of log.messages) {
    const t = m.channel.topic;
    if (t === "/joint_states") {
      const js = decodeLogMessage<JointStateMsg>(m);
      names0 ??= js.name;
      const idx = jointIndices(file, task, js.name, false);
      const p = new Float64Array(joints.length).fill(NaN);
      const v = new Float64Array(joints.length).fill(NaN);
      idx.forEach((i, j) => {
        if (i >= 0) {
          p[j] = js.position[i] ?? NaN;
          v[j] = js.velocity[i] ?? NaN;
        }
      });
      const tn = Number(m.logTime);
      if (times.length > 0 && tn < times.at(-1)!) continue; // out of order: keep time monotone
      times.push(tn);
      positions.push(p);
      velocities.push(v);
    } else if (t === topic) {
      cmdTimes.push(Number(m.logTime));
      cmdData.push(decodeLogMessage<Float64ArrayMsg>(m).data);
    } else if (t === "/policy/observation") {
      obs0 ??= decodeLogMessage<Float64ArrayMsg>(m).data;
    }
  }
  if (times.length === 0 || !names0) throw new EpisodeLogError(`${file}: no /joint_states message: nothing to compare the sim with`);
  const recordedJoints = joints.filter((_, j) => positions.some((p) => !Number.isNaN(p[j]!)));
  if (recordedJoints.length === 0) throw new EpisodeLogError(`${file}: /joint_states names none of sim "${sim}"'s joints (${joints.map((j) => j.name).join(", ")})`);

  // Initial state: joints from the first /joint_states, the rest from the first observation, else qpos0 / 0.
  const inst = task.createInstance();
  const cmp = new Comparison(task, false);
  const K = Math.floor(times.at(-1)! / dtNs);
  try {
    const qpos = new Float64Array(state.nq);
    const qvel = new Float64Array(state.nv);
    inst.readState(qpos, qvel); // a new instance: qpos0, zero velocity
    qvel.fill(0);
    const obsNames = spec.observation.names;
    const fromObs = (name: string): number | null => {
      const i = obsNames.indexOf(name);
      const v = i >= 0 && obs0 ? obs0[i] : undefined;
      if (v === undefined || !Number.isFinite(v)) return null;
      // A clipped velocity element is not the velocity.
      const hi = spec.observation.high[i] ?? Infinity;
      const lo = spec.observation.low[i] ?? -Infinity;
      return v >= hi || v <= lo ? null : v;
    };
    const jointAt = (index: number, vel: boolean): number | null => {
      const j = joints.findIndex((jj) => (vel ? jj.qvelIndex : jj.qposIndex) === index);
      if (j < 0) return null;
      const v = (vel ? velocities[0]! : positions[0]!)[j]!;
      return Number.isFinite(v) ? v : null;
    };
    const fromObsList: string[] = [];
    const defaulted: string[] = [];
    state.qposNames.forEach((name, i) => {
      const v = jointAt(i, false) ?? fromObs(`${name}.position`);
      if (v === null) defaulted.push(`${name} = ${qpos[i]}`);
      else {
        if (jointAt(i, false) === null) fromObsList.push(`${name}.position`);
        qpos[i] = v;
      }
    });
    const defaultedVel: string[] = [];
    state.qvelNames.forEach((name, i) => {
      const v = jointAt(i, true) ?? fromObs(`${name}.velocity`);
      if (v === null) defaultedVel.push(name);
      else {
        if (jointAt(i, true) === null) fromObsList.push(`${name}.velocity`);
        qvel[i] = v;
      }
    });
    notes.push(`initial state: joints from the first /joint_states (log time ${(times[0]! / 1e9).toFixed(3)} s)${fromObsList.length > 0 ? `; from the first /policy/observation (float32): ${fromObsList.join(", ")}` : ""}`);
    if (defaulted.length > 0) notes.push(`not in the log, the sim's qpos0: ${defaulted.join(", ")}${state.qposNames[0] === "rootx" ? " (the horizontal position does not change the dynamics on flat ground)" : ""}`);
    if (defaultedVel.length > 0) notes.push(`velocity not in the log, 0: ${defaultedVel.join(", ")}`);
    notes.push(
      `sim steps of ${spec.dt} s from log time 0, step [k·dt, (k+1)·dt) applying the last ${topic} message logged before (k+1)·dt (as the sim transport does); Δ = sim − robot, the robot's /joint_states linearly interpolated to k·dt`,
    );
    const missing = joints.filter((j) => !recordedJoints.includes(j)).map((j) => j.name);
    if (missing.length > 0) notes.push(`not in /joint_states (not compared): ${missing.join(", ")}`);
    if (velocities.every((v) => v.every((x) => Number.isNaN(x)))) notes.push("/joint_states has no velocities (the observation has none): velocities not compared");

    const obs = new Float32Array(obsNames.length);
    const action = new Float32Array(spec.action.names.length);
    const metrics = new Float32Array(spec.metrics.length);
    const q = new Float64Array(state.nq);
    const v = new Float64Array(state.nv);
    let seg = 0;
    const compare = (k: number): void => {
      const t = k * dtNs;
      while (seg + 1 < times.length && times[seg + 1]! <= t) seg++;
      const t0 = times[seg]!;
      const t1 = seg + 1 < times.length ? times[seg + 1]! : t0;
      const w = t <= t0 || t1 === t0 ? 0 : (t - t0) / (t1 - t0);
      inst.readState(q, v);
      for (let j = 0; j < joints.length; j++) {
        const interp = (arr: Float64Array[]): number => {
          const a = arr[seg]![j]!;
          if (w === 0) return a;
          return a + w * (arr[seg + 1]![j]! - a);
        };
        const p = interp(positions);
        const pv = interp(velocities);
        if (!Number.isNaN(p)) cmp.note(cmp.joints[j]!.position, q[joints[j]!.qposIndex]! - p, k);
        if (!Number.isNaN(pv)) cmp.note(cmp.joints[j]!.velocity, v[joints[j]!.qvelIndex]! - pv, k);
      }
    };
    inst.setState(qpos, qvel, obs);
    compare(0);
    let c = 0;
    let falls = 0;
    for (let k = 0; k < K; k++) {
      const end = (k + 1) * dtNs;
      while (c < cmdTimes.length && cmdTimes[c]! < end) toAction(file, commands, cmdData[c++]!, action);
      inst.step(action, obs, metrics);
      if (inst.terminated && falls === 0) {
        falls++;
        notes.push(`the sim's robot left the task's healthy range at ${((k + 1) * spec.dt).toFixed(3)} s (it keeps being simulated)`);
      }
      compare(k + 1);
    }
  } finally {
    inst.free();
  }
  return cmp.report({ file, kind: "deploy_robot", sim, dt: spec.dt, steps: K, duration_s: K * spec.dt, commands_topic: topic, notes }, false);
}
