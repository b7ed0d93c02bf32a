/**
 * Generalized Advantage Estimation over a [nSteps × numEnvs] rollout (time-major).
 *
 * Terminated and truncated steps are distinct: a terminated step has no future value; a
 * truncated step (time limit) is bootstrapped with V(final observation) — `truncValues[t,i]` —
 * and the advantage chain is cut there, since the next row of that env starts a new episode.
 */
export interface GaeInput {
  numEnvs: number;
  nSteps: number;
  gamma: number;
  lambda: number;
  rewards: Float32Array;
  values: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** V(final obs) at truncated steps (other entries ignored). */
  truncValues: Float32Array;
  /** [numEnvs] V(obs) after the last step, for envs whose last step did not end an episode. */
  lastValues: Float32Array;
}

/** Writes advantages and returns (advantages + values) into `advantages` and `returns`. */
export function computeGae(input: GaeInput, advantages: Float32Array, returns: Float32Array): void {
  const { numEnvs: n, nSteps: T, gamma, lambda, rewards, values, terminated, truncated, truncValues, lastValues } = input;
  for (let i = 0; i < n; i++) {
    let lastGae = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * n + i;
      let nextValue: number;
      let carry: number;
      if (terminated[k]) {
        nextValue = 0;
        carry = 0;
      } else if (truncated[k]) {
        nextValue = truncValues[k]!;
        carry = 0;
      } else {
        nextValue = t === T - 1 ? lastValues[i]! : values[k + n]!;
        carry = 1;
      }
      const delta = rewards[k]! + gamma * nextValue - values[k]!;
      lastGae = delta + gamma * lambda * carry * lastGae;
      advantages[k] = lastGae;
      returns[k] = lastGae + values[k]!;
    }
  }
}
