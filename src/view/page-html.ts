/**
 * The live view's HTML: layout and styles only; everything else is `page.js` (bundled from
 * `src/view/page/` by `build-page.ts`). No external resources.
 */

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root {
  --bg: #f4f6f9; --panel: #ffffff; --ink: #1d2733; --muted: #6a7685; --line: #dde3ea;
  --ok: #1f9d55; --warn: #d98a00; --bad: #c93c3c; --accent: #2d6cdf;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--ink); }
body { display: flex; flex-direction: column; min-height: 100vh; }
header {
  display: flex; align-items: center; gap: 14px; padding: 10px 18px;
  background: #18212c; color: #e9eef4; font-size: 14px;
}
header h1 { font-size: 16px; font-weight: 600; margin: 0; letter-spacing: .2px; }
header .name { color: #9fb0c3; }
header .spacer { flex: 1; }
header .url { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: #9fb0c3; font-size: 12px; }
.pill {
  display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px;
  font-size: 12px; font-weight: 600; background: #2a3543; color: #e9eef4;
}
.pill::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.pill.connected::before { background: #3ad07a; }
.pill.connecting::before { background: #f0b429; }
.pill.disconnected::before, .pill.error::before { background: #ef5b5b; }
main { flex: 1; display: grid; grid-template-columns: minmax(0, 1.55fr) minmax(320px, 1fr); gap: 14px; padding: 14px; min-height: 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
.card h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin: 0 0 8px; font-weight: 600; }
.robot { display: flex; flex-direction: column; min-height: 420px; }
.robot .canvas-wrap { position: relative; flex: 1; min-height: 360px; }
canvas { display: block; width: 100%; height: 100%; }
.side { display: flex; flex-direction: column; gap: 14px; min-height: 0; }
.reward .canvas-wrap { height: 250px; }
.stats { display: flex; gap: 18px; font-size: 13px; color: var(--muted); margin-top: 6px; flex-wrap: wrap; }
.stats b { color: var(--ink); font-variant-numeric: tabular-nums; }
table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 4px 6px; }
td { padding: 3px 6px; border-bottom: 1px solid #eef1f5; font-variant-numeric: tabular-nums; }
td.topic { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
td.type { color: var(--muted); overflow-wrap: anywhere; }
td.num, th.num { white-space: nowrap; }
td.num { text-align: right; }
.topics { overflow: auto; min-height: 0; }
.note { font-size: 12px; color: var(--muted); }
`;

/** The page at `/`. `name` is the server's name (escaped). */
export function viewPageHtml(name: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>locomote live view — ${escapeHtml(name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>locomote live view</h1>
  <span class="name" id="server-name">${escapeHtml(name)}</span>
  <span class="spacer"></span>
  <span class="url" id="ws-url"></span>
  <span class="pill" id="status">loading page.js…</span>
</header>
<main>
  <section class="card robot">
    <h2 id="robot-title">Robot</h2>
    <div class="canvas-wrap"><canvas id="robot-canvas"></canvas></div>
    <div class="stats">
      <span>sim time <b id="stat-time">–</b></span>
      <span>TF frames <b id="stat-tf">0</b></span>
      <span>root x <b id="stat-x">–</b></span>
      <span id="stat-view"></span>
    </div>
  </section>
  <div class="side">
    <section class="card reward">
      <h2>Reward per step (current episode)</h2>
      <div class="canvas-wrap"><canvas id="reward-canvas"></canvas></div>
      <div class="stats">
        <span>return <b id="stat-return">–</b></span>
        <span>previous episode <b id="stat-prev">–</b></span>
        <span>episodes seen <b id="stat-episodes">0</b></span>
      </div>
    </section>
    <section class="card topics">
      <h2>Topics</h2>
      <table>
        <thead><tr><th>topic</th><th>type</th><th class="num">msgs</th><th class="num">Hz</th></tr></thead>
        <tbody id="topics"><tr><td colspan="4" class="note">If this stays empty, page.js did not load (build it with <code>npm run build</code>).</td></tr></tbody>
      </table>
    </section>
  </div>
</main>
<script src="page.js"></script>
</body>
</html>
`;
}
