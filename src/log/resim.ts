/**
 * `replay --resim`: re-run a sim episode log's recorded actions in the simulation, from the
 * recorded initial state, and measure how far the re-run departs from the recording.
 *
 * The task is rebuilt from the log's "sim" (the registry name), one instance is put in the
 * exact initial state (`setState` with the float64 qpos/qvel of "locomote.initial_state"), and
 * each recorded /policy/action (float32 values carried as float64, so exact) is applied in
 * turn. After each step the re-run's joint positions/velocities (by JointState joint name),
 * observation elements and reward are compared with the recorded ones. On the build that
 * recorded the log every difference is exactly 0.
 */
import { loadTask } from "../sim/registry.js";
import type { TaskDefinition } from "../sim/task.js";
import { decodeLogMessage, EpisodeLogError, locomoteMetadata, requireEpisodeTopics, type EpisodeLogFile } from "./mcap-read.js";

export interface Divergence {
  /** Largest |re-run − recorded|. */
  max_abs: number;
  /** Step (state index: 0 = initial) where it occurred; null when every difference is 0. */
  step: number | null;
}

export interface ResimReport {
  file: string;
  sim: string;
  /** Steps re-run (recorded actions applied). */
  steps: number;
  /** Largest difference over everything compared. */
  max_abs: number;
  /** True when every compared value is bit-identical. */
  exact: boolean;
  /** First state index with any difference (null: none). */
  first_divergent_step: number | null;
  joints: ({ name: string; position: Divergence; velocity: Divergence })[];
  observation: ({ name: string } & Divergence)[];
  reward: Divergence;
}

interface Float64ArrayMsg {
  data: ArrayLike<number>;
}
interface JointStateMsg {
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

/** Re-simulates the log (see the module comment). `task` overrides the registry lookup (tests). */
export async function resimulate(log: EpisodeLogFile, options: { task?: TaskDefinition } = {}): Promise<ResimReport> {
  requireEpisodeTopics(log);
  const file = log.file;
  const meta = locomoteMetadata(log);
  if (!meta.session) throw new EpisodeLogError(`${file}: no "locomote" metadata record (expected a locomote episode log)`);
  if (!meta.initialState) {
    throw new EpisodeLogError(`${file}: no "locomote.initial_state" metadata: only simulation episode logs (training/eval recordings) can be re-simulated`);
  }
  const sim = meta.session["sim"];
  if (!sim) throw new EpisodeLogError(`${file}: metadata "locomote" has no "sim" (expected the simulation's registry name)`);
  let task: TaskDefinition;
  try {
    task = options.task ?? (await loadTask(sim));
  } catch (err) {
    throw new EpisodeLogError(`${file}: metadata "locomote".sim = "${sim}": ${err instanceof Error ? err.message : String(err)}`);
  }
  const spec = task.spec;
  const names = (key: string): string[] => {
    const v = meta.session?.[key];
    try {
      const parsed: unknown = v === undefined ? null : JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed as string[];
    } catch {
      // reported below
    }
    throw new EpisodeLogError(`${file}: metadata "locomote".${key} is not a JSON list of names`);
  };
  const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const [key, want] of [["observation_names", spec.observation.names], ["action_names", spec.action.names]] as const) {
    const got = names(key);
    if (!sameList(got, want)) {
      throw new EpisodeLogError(`${file}: metadata "locomote".${key} [${got.join(", ")}] differs from sim "${sim}"'s [${want.join(", ")}]: the log was recorded with another version of the task`);
    }
  }
  const qpos = parseList(file, "locomote.initial_state", "qpos", meta.initialState["qpos"]);
  const qvel = parseList(file, "locomote.initial_state", "qvel", meta.initialState["qvel"]);
  if (qpos.length !== task.state.nq || qvel.length !== task.state.nv) {
    throw new EpisodeLogError(`${file}: initial state has ${qpos.length} qpos / ${qvel.length} qvel values, sim "${sim}" has nq ${task.state.nq} / nv ${task.state.nv}`);
  }

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

  const joints = task.state.joints;
  const od = spec.observation.names.length;
  const ad = spec.action.names.length;
  const jointDiv = joints.map((j) => ({ name: j.name, position: { max_abs: 0, step: null as number | null }, velocity: { max_abs: 0, step: null as number | null } }));
  const obsDiv = spec.observation.names.map((name) => ({ name, max_abs: 0, step: null as number | null }));
  const rewardDiv: Divergence = { max_abs: 0, step: null };
  let first: number | null = null;
  const note = (d: Divergence, delta: number, step: number): void => {
    const a = Number.isNaN(delta) ? Infinity : Math.abs(delta);
    if (a > 0 && first === null) first = step;
    if (a > d.max_abs || (a > 0 && d.step === null)) {
      d.max_abs = a;
      d.step = step;
    }
  };
  // Recorded JointState index of each task joint (by name).
  const recordedNames = jointStates[0]!.name;
  const jsIndex = joints.map((j) => {
    const i = recordedNames.indexOf(j.name);
    if (i < 0) throw new EpisodeLogError(`${file}: /joint_states has no joint "${j.name}" (it names ${recordedNames.join(", ")})`);
    return i;
  });

  const inst = task.createInstance();
  try {
    const obs = new Float32Array(od);
    const action = new Float32Array(ad);
    const metrics = new Float32Array(spec.metrics.length);
    const q = new Float64Array(task.state.nq);
    const v = new Float64Array(task.state.nv);
    const compareState = (k: number): void => {
      const recObs = observations[k]!;
      for (let i = 0; i < od; i++) note(obsDiv[i]!, obs[i]! - recObs[i]!, k);
      inst.readState(q, v);
      const js = jointStates[k]!;
      for (let j = 0; j < joints.length; j++) {
        note(jointDiv[j]!.position, q[joints[j]!.qposIndex]! - js.position[jsIndex[j]!]!, k);
        note(jointDiv[j]!.velocity, v[joints[j]!.qvelIndex]! - js.velocity[jsIndex[j]!]!, k);
      }
    };
    inst.setState(qpos, qvel, obs);
    compareState(0);
    for (let k = 0; k < steps; k++) {
      const a = actions[k]!;
      if (a.length !== ad) throw new EpisodeLogError(`${file}: /policy/action message ${k} has ${a.length} values, expected ${ad}`);
      for (let i = 0; i < ad; i++) action[i] = a[i]!;
      // The port carries rewards as float32 (PortBuffers.reward), and so does the log.
      const r = Math.fround(inst.step(action, obs, metrics));
      note(rewardDiv, r - rewards[k]!, k + 1);
      compareState(k + 1);
    }
  } finally {
    inst.free();
  }
  let max = rewardDiv.max_abs;
  for (const j of jointDiv) max = Math.max(max, j.position.max_abs, j.velocity.max_abs);
  for (const o of obsDiv) max = Math.max(max, o.max_abs);
  return {
    file,
    sim,
    steps,
    max_abs: max,
    exact: max === 0,
    first_divergent_step: first,
    joints: jointDiv,
    observation: obsDiv,
    reward: rewardDiv,
  };
}
