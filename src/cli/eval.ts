/** `locomote eval`: deterministic evaluation of a frozen policy in its simulation. */
import { evaluateArtifact } from "../rl/evaluate.js";

export async function runEval(dir: string, opts: { episodes: number; seed: number; numEnvs?: number; json?: boolean }): Promise<void> {
  const r = await evaluateArtifact(dir, { episodes: opts.episodes, seed: opts.seed, numEnvs: opts.numEnvs ?? Math.min(opts.episodes, 8) });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ policy: dir, seed: opts.seed, ...r })}\n`);
    return;
  }
  process.stdout.write(
    `${dir}: ${r.episodes} episodes, deterministic action, seed ${opts.seed}\n` +
      `  return ${r.mean_return.toFixed(1)} ± ${r.std_return.toFixed(1)}  (min ${Math.min(...r.returns).toFixed(1)}, max ${Math.max(...r.returns).toFixed(1)})\n` +
      `  length ${r.mean_length.toFixed(1)}\n`,
  );
}
