/**
 * TimeLimit: truncates each env's episode after `maxSteps` steps (Gymnasium's TimeLimit).
 * Truncation is not termination: the trainer bootstraps the value of a truncated state.
 */
import type { ControlPort, PortBuffers } from "../port.js";
import type { PortSpec } from "../spec.js";

export class TimeLimit implements ControlPort {
  readonly spec: PortSpec;
  readonly numEnvs: number;
  readonly buffers: PortBuffers;
  /** [numEnvs] steps taken in the current episode. */
  readonly elapsed: Int32Array;

  constructor(private readonly inner: ControlPort, readonly maxSteps: number) {
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`TimeLimit: maxSteps must be a positive integer, got ${maxSteps}`);
    this.spec = inner.spec;
    this.numEnvs = inner.numEnvs;
    this.buffers = inner.buffers;
    this.elapsed = new Int32Array(inner.numEnvs);
  }

  seed(seed: number): void {
    this.inner.seed(seed);
  }

  resetAll(): void {
    this.inner.resetAll();
    this.elapsed.fill(0);
  }

  resetEnv(i: number): void {
    this.inner.resetEnv(i);
    this.elapsed[i] = 0;
  }

  resetEnvs(mask: Uint8Array): void {
    this.inner.resetEnvs(mask);
    for (let i = 0; i < this.numEnvs; i++) if (mask[i] !== 0) this.elapsed[i] = 0;
  }

  step(): void {
    this.inner.step();
    const { truncated, terminated } = this.buffers;
    for (let i = 0; i < this.numEnvs; i++) {
      const t = ++this.elapsed[i]!;
      // A step that both terminates and hits the limit is terminal (no bootstrap), as in Gymnasium.
      if (t >= this.maxSteps && terminated[i] === 0) truncated[i] = 1;
    }
  }

  close(): void {
    this.inner.close();
  }
}
