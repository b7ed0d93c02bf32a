/**
 * PointMass: a 1-D double integrator that must be driven to the origin and held there.
 * No physics engine — it exists so that learning tests and smoke runs finish in seconds,
 * through the same port, rollout and algorithms as the robots.
 *
 *   state (x, v); action a ∈ [−1, 1] is a force; dt = 0.05
 *   v ← 0.9·v + a·dt·5;  x ← x + v·dt
 *   reward = −x² − 0.01·a²     (terms reported as metrics)
 *   reset: x ~ U(−1, 1), v ~ U(−0.1, 0.1); terminated when |x| > 3; time limit 100 steps
 * A random policy scores about −40 per episode; driving x to 0 scores about −4.
 * State: qpos = [x], qvel = [v] (the slide joint "x"); one link, "mass", at (x, 0, 0);
 * effort = the clamped action (gear 1).
 */
import type { PortSpec } from "../../src/port/spec.js";
import type { TaskDefinition, TaskInstance, TaskStateSpec } from "../../src/sim/task.js";
import type { Rng } from "../../src/util/rng.js";

const DT = 0.05;

export const pointMassSpec: PortSpec = {
  robot: "point_mass",
  observation: { names: ["x.position", "x.velocity"], low: [-Infinity, -Infinity], high: [Infinity, Infinity] },
  action: { names: ["x.force"], low: [-1], high: [1] },
  actuators: [{ joint: "x", interface: "effort", gear: 1 }],
  dt: DT,
  metrics: ["reward_position", "reward_ctrl", "x_position"],
};

export const pointMassState: TaskStateSpec = {
  nq: 1,
  nv: 1,
  qposNames: ["x"],
  qvelNames: ["x"],
  links: ["mass"],
  joints: [{ name: "x", qposIndex: 0, qvelIndex: 0 }],
};

class PointMass implements TaskInstance {
  private x = 0;
  private v = 0;
  /** Force applied by the last step (0 after a reset). */
  private force = 0;
  terminated = false;

  reset(rng: Rng, obs: Float32Array): void {
    const x = rng.range(-1, 1);
    const v = rng.range(-0.1, 0.1);
    this.place(x, v, obs);
  }

  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>, obs: Float32Array): void {
    if (qpos.length < 1 || qvel.length < 1) throw new RangeError(`setState: qpos/qvel of length ${qpos.length}/${qvel.length}, expected 1/1`);
    this.place(qpos[0]!, qvel[0]!, obs);
  }

  private place(x: number, v: number, obs: Float32Array): void {
    this.x = x;
    this.v = v;
    this.force = 0;
    this.terminated = false;
    obs[0] = this.x;
    obs[1] = this.v;
  }

  readState(qpos: Float64Array, qvel: Float64Array): void {
    qpos[0] = this.x;
    qvel[0] = this.v;
  }

  readLinkPoses(out: Float64Array): void {
    out[0] = this.x; out[1] = 0; out[2] = 0;
    out[3] = 0; out[4] = 0; out[5] = 0; out[6] = 1;
  }

  readEfforts(out: Float64Array): void {
    out[0] = this.force;
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const a = Math.max(-1, Math.min(1, action[0]!));
    this.force = a;
    this.v = 0.9 * this.v + a * DT * 5;
    this.x += this.v * DT;
    const rPos = -this.x * this.x;
    const rCtrl = -0.01 * a * a;
    this.terminated = Math.abs(this.x) > 3;
    obs[0] = this.x;
    obs[1] = this.v;
    metrics[0] = rPos;
    metrics[1] = rCtrl;
    metrics[2] = this.x;
    return rPos + rCtrl;
  }

  free(): void {}
}

export function createPointMassTask(): Promise<TaskDefinition> {
  return Promise.resolve({
    name: "point_mass",
    spec: pointMassSpec,
    maxEpisodeSteps: 100,
    state: pointMassState,
    createInstance: () => new PointMass(),
  });
}
