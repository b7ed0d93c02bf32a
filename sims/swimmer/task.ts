/**
 * Swimmer-v5 on Rapier: Gymnasium's observation, reward and reset rules over the articulation
 * built from `robots/swimmer` (three capsules in a chain, propelled only by MuJoCo's inertia-box
 * fluid forces; see src/physics/fluid.ts). One instance = one physics world.
 *
 * Step: clamp the action to [−1, 1], hold it for frame_skip = 4 physics steps (dt 0.04), then
 *   reward = vx − 1e-4·Σa², vx = (x_after − x_before)/dt with x = slider1 (qpos[0]).
 * Never terminates (1000-step TimeLimit only). Reset: qpos0 + U(±0.1) per qpos element, then
 * qvel U(±0.1) per element.
 * Observation (8): qpos[2:5] (heading, motor1_rot, motor2_rot) then qvel[0:5], not clipped.
 *
 * The rules are the shared planar locomotion task's (src/sim/planar-locomotion.ts) with no
 * health rule and no velocity clip. That task observes qpos[1:]; Swimmer-v5 also leaves out
 * slider2 (y), which this module drops from the spec and from every observation. The state
 * (`readState`, link poses, efforts) is the planar task's, slider2 included.
 */
import type { BoxSpec } from "../../src/port/spec.js";
import { createPlanarLocomotionTask, type PlanarLocomotionConfig, type PlanarLocomotionTaskOptions } from "../../src/sim/planar-locomotion.js";
import type { TaskDefinition, TaskInstance } from "../../src/sim/task.js";
import type { Rng } from "../../src/util/rng.js";

/** Swimmer-v5 constants (Gymnasium `swimmer_v5.py` defaults; ../shared/reference/ROBOTS.md). */
export const SWIMMER_V5: PlanarLocomotionConfig = {
  name: "swimmer",
  robot: "swimmer",
  dt: 0.04, // Gymnasium: timestep 0.01 × frame_skip 4
  maxEpisodeSteps: 1000,
  forwardRewardWeight: 1,
  ctrlCostWeight: 1e-4,
  healthyReward: 0,
  healthyZRange: null,
  healthyAngleRange: null,
  healthyStateRange: null,
  resetNoiseScale: 0.1,
  observationVelocityClip: Infinity,
  metrics: ["reward_forward", "reward_ctrl", "x_position", "x_velocity"],
};

/** Leading observation elements of the planar task that Swimmer-v5 leaves out (slider2). */
const DROPPED = 1;

export interface SwimmerTaskOptions extends PlanarLocomotionTaskOptions {
  /** Task constants (default Swimmer-v5). */
  config?: PlanarLocomotionConfig;
}

/** Builds the Swimmer-v5 task definition (initializes Rapier, loads the robot). */
export async function createSwimmerTask(options: SwimmerTaskOptions = {}): Promise<TaskDefinition> {
  const { config, ...rest } = options;
  const inner = await createPlanarLocomotionTask(config ?? SWIMMER_V5, rest);
  const innerDim = inner.spec.observation.names.length;
  const drop = (box: BoxSpec): BoxSpec => ({ names: box.names.slice(DROPPED), low: box.low.slice(DROPPED), high: box.high.slice(DROPPED) });
  return {
    ...inner,
    spec: { ...inner.spec, observation: drop(inner.spec.observation) },
    createInstance: () => new SwimmerInstance(inner.createInstance(), innerDim),
  };
}

/** The planar task instance, observing from slider2's successor on. */
class SwimmerInstance implements TaskInstance {
  private readonly full: Float32Array;

  constructor(private readonly inner: TaskInstance, innerDim: number) {
    this.full = new Float32Array(innerDim);
  }

  get terminated(): boolean {
    return this.inner.terminated;
  }

  reset(rng: Rng, obs: Float32Array): void {
    this.inner.reset(rng, this.full);
    this.copy(obs);
  }

  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>, obs: Float32Array): void {
    this.inner.setState(qpos, qvel, this.full);
    this.copy(obs);
  }

  readState(qpos: Float64Array, qvel: Float64Array): void {
    this.inner.readState(qpos, qvel);
  }

  readLinkPoses(out: Float64Array): void {
    this.inner.readLinkPoses(out);
  }

  readEfforts(out: Float64Array): void {
    this.inner.readEfforts(out);
  }

  step(action: Float32Array, obs: Float32Array, metrics: Float32Array): number {
    const r = this.inner.step(action, this.full, metrics);
    this.copy(obs);
    return r;
  }

  prepareReset(): boolean {
    return this.inner.prepareReset?.() ?? false;
  }

  free(): void {
    this.inner.free();
  }

  contactCount(): number {
    return this.inner.contactCount?.() ?? 0;
  }

  private copy(obs: Float32Array): void {
    const f = this.full;
    for (let i = DROPPED; i < f.length; i++) obs[i - DROPPED] = f[i]!;
  }
}
