import { describe, expect, it } from "vitest";
import { AutoReset } from "../src/port/wrappers/auto-reset.js";
import { TimeLimit } from "../src/port/wrappers/time-limit.js";
import { SimPort } from "../src/sim/sim-port.js";
import { counterTask } from "./counter-task.js";

describe("TimeLimit + AutoReset", () => {
  it("truncates at the limit, keeps the final observation, and resets in the same step", () => {
    const task = counterTask();
    const port = new AutoReset(new TimeLimit(new SimPort(task, { numEnvs: 2 }), task.maxEpisodeSteps));
    port.resetAll();
    const { obs, action, terminated, truncated, reward, metrics } = port.buffers;
    const ep0 = obs[1]!;
    const ep1 = obs[3]!;
    // env 0 runs on; env 1 terminates at its second step.
    action.set([0, 0]);
    port.step();
    expect(Array.from(truncated)).toEqual([0, 0]);
    action.set([0, 1]);
    port.step();
    expect(Array.from(terminated)).toEqual([0, 1]);
    expect(Array.from(truncated)).toEqual([0, 0]);
    expect(port.finalObs[2]).toBe(2); // env 1's last obs: t = 2 of its first episode
    expect(port.finalObs[3]).toBe(ep1);
    expect(obs[2]).toBe(0); // env 1 already reset
    expect(obs[3]).not.toBe(ep1);
    expect(reward[1]).toBe(1); // the reward of the terminating step survives the reset
    expect(metrics["reward_one"]![1]).toBe(1);
    action.set([0, 0]);
    port.step();
    // env 0 reaches the 3-step limit: truncated, not terminated.
    expect(Array.from(truncated)).toEqual([1, 0]);
    expect(Array.from(terminated)).toEqual([0, 0]);
    expect(port.finalObs[0]).toBe(3);
    expect(port.finalObs[1]).toBe(ep0);
    expect(obs[0]).toBe(0);
  });

  it("envs ending in the same step are reset together, each keeping its own final step", () => {
    const task = counterTask();
    const inner = new SimPort(task, { numEnvs: 3 });
    const masks: number[][] = [];
    const resetEnvs = inner.resetEnvs.bind(inner);
    inner.resetEnvs = (mask: Uint8Array): void => {
      masks.push(Array.from(mask));
      resetEnvs(mask);
    };
    const port = new AutoReset(new TimeLimit(inner, task.maxEpisodeSteps));
    port.resetAll();
    const { obs, action, terminated, truncated, reward } = port.buffers;
    const episodes = [obs[1]!, obs[3]!, obs[5]!];
    action.set([1, 0, 1]); // envs 0 and 2 terminate
    port.step();
    expect(masks).toEqual([[1, 0, 1]]);
    expect(Array.from(terminated)).toEqual([1, 0, 1]);
    expect(Array.from(truncated)).toEqual([0, 0, 0]);
    expect(Array.from(reward)).toEqual([1, 1, 1]);
    expect([port.finalObs[1], port.finalObs[5]]).toEqual([episodes[0], episodes[2]]);
    expect([obs[0], obs[2], obs[4]]).toEqual([0, 1, 0]); // 0 and 2 restarted, 1 runs on
    expect(obs[3]).toBe(episodes[1]);
    action.set([0, 0, 0]);
    port.step();
    expect(masks).toHaveLength(1); // no episode ended: no reset call
  });

  it("a step that terminates at the limit counts as terminated only", () => {
    const task = counterTask();
    const port = new AutoReset(new TimeLimit(new SimPort(task, { numEnvs: 1 }), task.maxEpisodeSteps));
    port.resetAll();
    const { action, terminated, truncated } = port.buffers;
    action[0] = 0;
    port.step();
    port.step();
    action[0] = 1;
    port.step();
    expect(terminated[0]).toBe(1);
    expect(truncated[0]).toBe(0);
  });
});
