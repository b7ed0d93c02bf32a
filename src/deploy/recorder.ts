/**
 * Tick recorder (`record:` in the launch file): keeps the last N ticks in a preallocated ring —
 * time, phase, fade weight, trip flag, observation age, observation and sent command — and
 * writes them as CSV when the deployment stops, so recording adds no I/O to the loop.
 */
import { atomicWriteFileSync } from "../util/fs.js";

export const PHASES = ["inactive", "zero", "interpolate", "fade", "policy", "stopping"] as const;
export type Phase = (typeof PHASES)[number];

export class TickRecorder {
  private readonly width: number;
  private readonly rows: Float64Array;
  private readonly capacity: number;
  private count = 0;

  constructor(
    private readonly observationNames: readonly string[],
    private readonly actionNames: readonly string[],
    capacity: number,
  ) {
    this.width = 5 + observationNames.length + actionNames.length;
    this.capacity = Math.max(1, Math.floor(capacity));
    this.rows = new Float64Array(this.capacity * this.width);
  }

  record(tSeconds: number, phase: Phase, alpha: number, tripped: boolean, obsAgeMs: number, obs: Float32Array, action: Float32Array): void {
    let o = (this.count % this.capacity) * this.width;
    const r = this.rows;
    r[o++] = tSeconds;
    r[o++] = PHASES.indexOf(phase);
    r[o++] = alpha;
    r[o++] = tripped ? 1 : 0;
    r[o++] = obsAgeMs;
    for (let i = 0; i < this.observationNames.length; i++) r[o++] = obs[i]!;
    for (let i = 0; i < this.actionNames.length; i++) r[o++] = action[i]!;
    this.count++;
  }

  /** The kept rows, oldest first, as CSV text. */
  toCsv(): string {
    const header = ["t_s", "phase", "alpha", "tripped", "obs_age_ms", ...this.observationNames.map((n) => `obs.${n}`), ...this.actionNames.map((n) => `cmd.${n}`)];
    const lines = [header.join(",")];
    const n = Math.min(this.count, this.capacity);
    const first = this.count - n;
    for (let k = 0; k < n; k++) {
      const o = ((first + k) % this.capacity) * this.width;
      const cells: string[] = [];
      for (let c = 0; c < this.width; c++) {
        const v = this.rows[o + c]!;
        cells.push(c === 1 ? PHASES[v]! : c === 3 ? String(v) : Number.isFinite(v) ? String(+v.toPrecision(9)) : String(v));
      }
      lines.push(cells.join(","));
    }
    return `${lines.join("\n")}\n`;
  }

  write(path: string): void {
    atomicWriteFileSync(path, this.toCsv());
  }
}
