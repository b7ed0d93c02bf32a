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
 */
import type { PortSpec } from "../../src/port/spec.js";
import type { TaskDefinition, TaskInstance } from "../../src/sim/task.js";
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

class PointMass implements TaskInstance {
  private x = 0;
  private v = 0;
  terminated = false;

  reset(rng: Rng, obs: Float32Array): void {
    this.x = rng.range(-1, 1);
    this.v = rng.range(-0.1, 0.1);
    this.terminated = false;
    obs[0] = this.x;
    obs[1] = this.v;
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const a = Math.max(-1, Math.min(1, action[0]!));
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
    createInstance: () => new PointMass(),
  });
}
