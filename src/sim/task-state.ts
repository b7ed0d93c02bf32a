/**
 * The state layout (`TaskDefinition.state`) of a task simulating a robot description: qpos/qvel
 * names from the description's root and 1-DoF joints, the links below the root (every URDF
 * link but the world frame, in file order: placeholders of stacked hinges and welded links
 * included, as robot_state_publisher would publish them), and the JointState joints.
 */
import { coordinateNames, type RobotDescription, velocityNames } from "../robot/description.js";
import type { Rng } from "../util/rng.js";
import type { TaskJoint, TaskStateSpec } from "./task.js";

/** The links moved by the robot: the root link and everything below it, in URDF file order. */
export function robotLinkNames(desc: RobotDescription): string[] {
  const below = new Set<string>([desc.root.link]);
  const queue = [desc.root.link];
  for (let i = 0; i < queue.length; i++) {
    for (const j of desc.joints) {
      if (j.parent !== queue[i] || below.has(j.child)) continue;
      below.add(j.child);
      queue.push(j.child);
    }
  }
  return desc.links.map((l) => l.name).filter((n) => below.has(n));
}

/** `TaskDefinition.state` for a task whose qpos/qvel are the description's generalized coordinates. */
export function robotTaskState(desc: RobotDescription): TaskStateSpec {
  const qposNames = coordinateNames(desc);
  const qvelNames = velocityNames(desc);
  const rootQ = qposNames.length - desc.dofJoints.length;
  const rootV = qvelNames.length - desc.dofJoints.length;
  const joints: TaskJoint[] = desc.dofJoints.map((name, i) => ({ name, qposIndex: rootQ + i, qvelIndex: rootV + i }));
  return { nq: qposNames.length, nv: qvelNames.length, qposNames, qvelNames, links: robotLinkNames(desc), joints };
}

/**
 * Index of each of `names` (the task's `state.links`) among an articulation's links, for
 * `readLinkPoses`; throws when one is missing.
 */
export function linkIndices(names: readonly string[], articulationLinks: readonly string[], robot: string): Int32Array {
  return new Int32Array(
    names.map((n) => {
      const i = articulationLinks.indexOf(n);
      if (i < 0) throw new Error(`robot "${robot}": link "${n}" is not simulated (simulated: ${articulationLinks.join(", ")})`);
      return i;
    }),
  );
}

/** What `ArticulatedState` needs of an articulation (planar `Articulation`, `FloatingArticulation`). */
export interface StateArticulation {
  readonly nq: number;
  readonly nv: number;
  readonly linkNames: readonly string[];
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void;
  readQpos(out: Float64Array): void;
  readQvel(out: Float64Array): void;
  linkPose(i: number, out: Float64Array, o?: number): void;
  readActuatorForces(out: Float64Array): void;
}

/**
 * The state side of a task instance over an articulation: the engine's state as read back after
 * the last reset/step (`qpos`, `qvel`: what observations and rewards use), the exact coordinates
 * the last reset/setState placed the world at, and the TaskInstance state API over both.
 *
 * Right after a reset/setState, `readState` reports the coordinates as given (float64), not the
 * single-precision read-back: replaying from the read-back diverges, from the given ones it is
 * bit-identical. After a step it reports the engine's state.
 */
export class ArticulatedState {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  private readonly setQpos: Float64Array;
  private readonly setQvel: Float64Array;
  private readonly qpos0: Float64Array;
  private readonly linkIndex: Int32Array;
  /** True until the first step after a reset/setState. */
  private atSetState = true;

  constructor(private readonly art: StateArticulation, desc: RobotDescription, state: TaskStateSpec) {
    if (state.nq !== art.nq || state.nv !== art.nv) throw new Error(`robot "${desc.name}": state nq/nv ${state.nq}/${state.nv}, articulation ${art.nq}/${art.nv}`);
    this.qpos = new Float64Array(art.nq);
    this.qvel = new Float64Array(art.nv);
    this.setQpos = new Float64Array(art.nq);
    this.setQvel = new Float64Array(art.nv);
    this.qpos0 = new Float64Array(desc.qpos0);
    this.linkIndex = linkIndices(state.links, art.linkNames, desc.name);
    // A new articulation stands at qpos0 with zero velocity and controls, as setState puts it.
    this.setQpos.set(this.qpos0);
    this.readBack();
  }

  /** Reset noise: qpos0 + U(−s, s), then qvel U(−s, s), per element (all qpos draws first); then `place`. */
  drawReset(rng: Rng, s: number): void {
    const { setQpos, setQvel } = this;
    for (let i = 0; i < setQpos.length; i++) setQpos[i] = this.qpos0[i]! + rng.range(-s, s);
    for (let i = 0; i < setQvel.length; i++) setQvel[i] = rng.range(-s, s);
    this.place();
  }

  /** Places the world at exactly these coordinates (a fresh world, as reset does). */
  set(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    const { setQpos, setQvel } = this;
    if (qpos.length < setQpos.length || qvel.length < setQvel.length) {
      throw new RangeError(`setState: qpos/qvel of length ${qpos.length}/${qvel.length}, expected ${setQpos.length}/${setQvel.length}`);
    }
    for (let i = 0; i < setQpos.length; i++) setQpos[i] = qpos[i]!;
    for (let i = 0; i < setQvel.length; i++) setQvel[i] = qvel[i]!;
    this.place();
  }

  /** After the articulation stepped: read its state back. */
  stepped(): void {
    this.atSetState = false;
    this.readBack();
  }

  readState(qpos: Float64Array, qvel: Float64Array): void {
    const q = this.atSetState ? this.setQpos : this.qpos;
    const v = this.atSetState ? this.setQvel : this.qvel;
    for (let i = 0; i < q.length; i++) qpos[i] = q[i]!;
    for (let i = 0; i < v.length; i++) qvel[i] = v[i]!;
  }

  readLinkPoses(out: Float64Array): void {
    const li = this.linkIndex;
    for (let k = 0; k < li.length; k++) this.art.linkPose(li[k]!, out, 7 * k);
  }

  readEfforts(out: Float64Array): void {
    this.art.readActuatorForces(out);
  }

  private place(): void {
    this.art.setState(this.setQpos, this.setQvel);
    this.atSetState = true;
    // What the (single-precision) engine holds, e.g. the normalized quaternion.
    this.readBack();
  }

  private readBack(): void {
    this.art.readQpos(this.qpos);
    this.art.readQvel(this.qvel);
  }
}
