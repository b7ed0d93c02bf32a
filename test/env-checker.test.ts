/** Every registered sim passes the env checker; the checker itself catches broken tasks. */
import { describe, expect, it } from "vitest";
import { loadRobot } from "../src/robot/load.js";
import { checkEnv } from "../src/sim/env-checker.js";
import { loadTask, taskNames } from "../src/sim/registry.js";
import type { TaskDefinition } from "../src/sim/task.js";

/** Total masses from ROBOTS.md. */
const MASSES: Record<string, number> = { hopper: 15.82, walker2d: 23.677, swimmer: 106.814, humanoid: 42.116 };
/**
 * Joint-limit excursions beyond the default 0.15 rad that the reference itself shows. Walker2d:
 * under uniform random actions MuJoCo 2.2.2 (walker2d_v5.xml, 8k env steps) overshoots the foot
 * limits by up to 0.43 rad and the thigh's by 0.29 (light joints: armature 0.01, gear 100,
 * soft limits); Rapier reaches 0.37. Humanoid: MuJoCo overshoots by up to 0.19 rad (left knee,
 * 8k random-action env steps, test/fixtures/humanoid-mujoco.json), Rapier by 0.18–0.24.
 */
const LIMIT_TOLERANCE: Record<string, number> = { walker2d: 0.5, humanoid: 0.3 };

describe("env checker", () => {
  for (const name of taskNames()) {
    it(`${name} passes`, async () => {
      const task = await loadTask(name);
      const hasRobot = name in MASSES;
      const robot = hasRobot ? loadRobot(task.spec.robot) : undefined;
      const tol = LIMIT_TOLERANCE[name];
      const problems = checkEnv(task, {
        ...(robot ? { robot } : {}),
        ...(hasRobot ? { expectedMass: MASSES[name]! } : {}),
        ...(tol !== undefined ? { limitTolerance: tol } : {}),
      });
      expect(problems).toEqual([]);
    });
  }

  it("reports a task that ignores its seed and emits NaN", async () => {
    const base = await loadTask("point_mass");
    const broken: TaskDefinition = {
      ...base,
      createInstance: () => {
        const inner = base.createInstance();
        let t = 0;
        return {
          get terminated() {
            return inner.terminated;
          },
          reset: (_rng, obs) => {
            t = 0;
            obs.fill(0.5);
          },
          step: (action, obs, metrics) => {
            const r = inner.step(action, obs, metrics);
            return ++t === 50 ? Number.NaN : r;
          },
          free: () => inner.free(),
          readState: (qpos, qvel) => inner.readState(qpos, qvel),
          setState: (qpos, qvel, obs) => inner.setState(qpos, qvel, obs),
          readLinkPoses: (out) => inner.readLinkPoses(out),
          readEfforts: (out) => inner.readEfforts(out),
        };
      },
    };
    const problems = checkEnv(broken, { steps: 400 });
    expect(problems.some((p) => p.includes("different seeds gave identical trajectories"))).toBe(true);
    expect(problems.some((p) => p.includes("non-finite value"))).toBe(true);
  });
});
