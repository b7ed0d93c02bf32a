/** A tiny task for port and rollout tests: its observation counts the steps of the episode. */
import type { TaskDefinition, TaskInstance } from "../src/sim/task.js";

/** Counter task: obs = [steps so far, id], reward 1, terminates when the action is > 0.5. */
export function counterTask(maxEpisodeSteps = 3): TaskDefinition {
  let ids = 0;
  return {
    name: "counter",
    maxEpisodeSteps,
    state: { nq: 1, nv: 0, qposNames: ["t"], qvelNames: [], links: [], joints: [] },
    spec: {
      robot: "counter",
      observation: { names: ["t", "episode"], low: [0, 0], high: [Infinity, Infinity] },
      action: { names: ["stop"], low: [0], high: [1] },
      actuators: [{ joint: "stop", interface: "effort", gear: 1 }],
      dt: 1,
      metrics: ["reward_one"],
    },
    createInstance: (): TaskInstance => {
      let t = 0;
      let episode = 0;
      const inst = {
        terminated: false,
        reset(_rng: unknown, obs: Float32Array) {
          episode = ++ids;
          inst.setState([0], [], obs);
        },
        setState(qpos: ArrayLike<number>, _qvel: ArrayLike<number>, obs: Float32Array) {
          t = qpos[0]!;
          inst.terminated = false;
          obs[0] = t;
          obs[1] = episode;
        },
        readState(qpos: Float64Array) {
          qpos[0] = t;
        },
        readLinkPoses() {},
        readEfforts(out: Float64Array) {
          out[0] = 0;
        },
        step(action: Float32Array, obs: Float32Array, metrics: Float32Array) {
          t++;
          inst.terminated = action[0]! > 0.5;
          obs[0] = t;
          obs[1] = episode;
          metrics[0] = 1;
          return 1;
        },
        free() {},
      };
      return inst;
    },
  };
}
