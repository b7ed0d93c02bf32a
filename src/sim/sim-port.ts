/**
 * SimPort: a `ControlPort` over `numEnvs` independent instances of one task, stepped in turn
 * on the calling thread. Env `i` draws reset noise from its own stream (seed, globalIndex),
 * so a batch split across workers reproduces the same trajectories.
 */
import { allocBuffers, type ControlPort, type PortBuffers } from "../port/port.js";
import type { PortSpec } from "../port/spec.js";
import { Rng } from "../util/rng.js";
import type { TaskDefinition, TaskInstance } from "./task.js";

export interface SimPortOptions {
  numEnvs: number;
  seed?: number;
  /** Buffers to write into (e.g. a slice of a shared batch); allocated when omitted. */
  buffers?: PortBuffers;
  /** Index of env 0 within the global batch (selects its random stream). */
  firstEnvIndex?: number;
}

export class SimPort implements ControlPort {
  readonly spec: PortSpec;
  readonly numEnvs: number;
  readonly buffers: PortBuffers;
  private readonly instances: TaskInstance[] = [];
  private readonly rngs: Rng[] = [];
  private readonly obsRows: Float32Array[] = [];
  private readonly actRows: Float32Array[] = [];
  private readonly metricScratch: Float32Array;
  private readonly metricArrays: Float32Array[];
  private readonly firstEnvIndex: number;
  /** The env `prepareResets` looks at first. */
  private prepareCursor = 0;

  constructor(readonly task: TaskDefinition, options: SimPortOptions) {
    this.spec = task.spec;
    this.numEnvs = options.numEnvs;
    this.firstEnvIndex = options.firstEnvIndex ?? 0;
    this.buffers = options.buffers ?? allocBuffers(task.spec, options.numEnvs);
    const od = task.spec.observation.names.length;
    const ad = task.spec.action.names.length;
    for (let i = 0; i < this.numEnvs; i++) {
      this.instances.push(task.createInstance());
      this.rngs.push(new Rng(options.seed ?? 0, this.firstEnvIndex + i));
      this.obsRows.push(this.buffers.obs.subarray(i * od, (i + 1) * od));
      this.actRows.push(this.buffers.action.subarray(i * ad, (i + 1) * ad));
    }
    this.metricScratch = new Float32Array(task.spec.metrics.length);
    this.metricArrays = task.spec.metrics.map((name) => {
      const arr = this.buffers.metrics[name];
      if (!arr) throw new Error(`buffers lack metric "${name}"`);
      return arr;
    });
  }

  seed(seed: number): void {
    for (let i = 0; i < this.numEnvs; i++) this.rngs[i]!.reseed(seed, this.firstEnvIndex + i);
  }

  resetAll(): void {
    for (let i = 0; i < this.numEnvs; i++) this.resetEnv(i);
  }

  resetEnv(i: number): void {
    this.instances[i]!.reset(this.rngs[i]!, this.obsRows[i]!);
    this.buffers.reward[i] = 0;
    this.buffers.terminated[i] = 0;
    this.buffers.truncated[i] = 0;
    for (const arr of this.metricArrays) arr[i] = 0;
  }

  resetEnvs(mask: Uint8Array): void {
    for (let i = 0; i < this.numEnvs; i++) if (mask[i] !== 0) this.resetEnv(i);
  }

  step(): void {
    const { reward, terminated, truncated } = this.buffers;
    const scratch = this.metricScratch;
    const metricArrays = this.metricArrays;
    for (let i = 0; i < this.numEnvs; i++) {
      const inst = this.instances[i]!;
      reward[i] = inst.step(this.actRows[i]!, this.obsRows[i]!, scratch);
      terminated[i] = inst.terminated ? 1 : 0;
      truncated[i] = 0;
      for (let m = 0; m < metricArrays.length; m++) metricArrays[m]![i] = scratch[m]!;
    }
  }

  /**
   * Does one piece of some env's next reset ahead of time (building its fresh world, see
   * `WorldRestorer`); false when every env's next reset is prepared. For a thread that would
   * otherwise wait: `WorkerPort`'s threads call it until the next command or their workers'
   * answer arrives. Trajectories do not depend on whether or when it runs.
   */
  prepareResets(): boolean {
    const n = this.instances.length;
    for (let k = 0; k < n; k++) {
      const i = this.prepareCursor;
      this.prepareCursor = i + 1 < n ? i + 1 : 0;
      if (this.instances[i]!.prepareReset?.() === true) {
        this.prepareCursor = i; // the same env may have more to do (free the old world, then build)
        return true;
      }
    }
    return false;
  }

  /**
   * Env i's task instance, for in-process callers (episode logging, evaluation): its state
   * readers (`readState`, `readLinkPoses`, `readEfforts`) and `setState`. A `setState` through
   * it writes env i's observation row but leaves the port's reward/terminated/truncated and
   * metrics buffers as they were. Not available across threads (`WorkerPort`).
   */
  instance(i: number): TaskInstance {
    const inst = this.instances[i];
    if (!inst) throw new RangeError(`SimPort.instance(${i}): ${this.instances.length === 0 ? "port is closed" : `env index out of range [0, ${this.numEnvs})`}`);
    return inst;
  }

  close(): void {
    for (const inst of this.instances) inst.free();
    this.instances.length = 0;
  }
}
