/**
 * Development demo of the live view: a simulated robot with random actions, in real time.
 *
 *   node dist/src/view/demo.js [sim] [port]       # e.g. hopper 8765; then open the printed URL
 *
 * Ctrl-C stops it.
 */
import { loadTask } from "../sim/registry.js";
import { LiveViewServer } from "./live-view-server.js";
import { feedViewFromSim } from "./sim-feed.js";

async function main(): Promise<void> {
  const sim = process.argv[2] ?? "hopper";
  const port = Number(process.argv[3] ?? 8765);
  const task = await loadTask(sim);
  const view = await LiveViewServer.start({ port, name: `locomote demo (${sim}, random actions)` });
  console.log(`live view: ${view.url}   Foxglove: ${view.wsUrl}`);
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  await feedViewFromSim({ sink: view, task, steps: Number.MAX_SAFE_INTEGER, speed: 1, signal: abort.signal });
  await view.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
