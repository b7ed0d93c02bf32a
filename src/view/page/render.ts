/**
 * Browser side of the live view: the robot on a 2D canvas (orthographic side or top view) and
 * the reward-per-step plot. Plain canvas, no dependencies.
 */
import { compose, transformPoint, type Pose, type RobotModel, type Shape, type Vec3 } from "./robot-model.js";

const PALETTE = ["#3b7dd8", "#e07a2e", "#2fa36b", "#c8465a", "#8a5cc7", "#d4a017", "#2aa3b8", "#b5651d", "#5b8c2a", "#d9578f"];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

/** What was drawn for one shape (for tests and debugging): world and canvas (CSS px) points. */
export interface DrawnShape {
  readonly link: string;
  readonly kind: Shape["kind"];
  /** Capsule: the segment's two ends; sphere: the center; box: the center. */
  readonly world: Vec3[];
  readonly screen: [number, number][];
  /** Capsule/sphere radius in px (box: 0). */
  readonly radiusPx: number;
  readonly color: string;
}

export interface Camera {
  /** Pixels per meter; fixed on the first frame of a robot (0 = not yet). */
  scale: number;
  cx: number;
  cy: number;
}

function shade(hex: string, f: number): string {
  const n = parseInt(hex.slice(1), 16);
  const ch = (v: number): number => Math.max(0, Math.min(255, Math.round(f < 0 ? v * (1 + f) : v + (255 - v) * f)));
  return `rgb(${ch((n >> 16) & 255)}, ${ch((n >> 8) & 255)}, ${ch(n & 255)})`;
}

/** Sets the canvas's backing size to its CSS size × devicePixelRatio; returns the CSS size. */
export function fitCanvas(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D): { w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth), h = Math.max(1, canvas.clientHeight);
  const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
  if (canvas.width !== bw || canvas.height !== bh) {
    canvas.width = bw;
    canvas.height = bh;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { w, h };
}

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * mag;
}

function fmt(v: number, step: number): string {
  if (Math.abs(v) < Math.abs(step) * 1e-6) v = 0; // no "-0.0"
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(digits, 4));
}

interface Placed {
  readonly shape: Shape;
  readonly color: string;
  readonly world: Vec3[];
  readonly depth: number;
}

/**
 * Draws the robot; `pose(link)` gives a link's world pose (undefined: not drawn).
 * Returns what was drawn, in canvas CSS pixels.
 */
export function drawRobot(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  model: RobotModel | undefined,
  pose: (link: string) => Pose | undefined,
  camera: Camera,
  message: string | undefined,
): DrawnShape[] {
  const plane = model?.plane ?? "xz";
  const side = plane === "xz";
  // Side view: screen right = +x, up = +z; depth = y (looking along +y). Top: up = +y, depth = -z.
  const u = (v: Vec3): number => v[0];
  const vv = (v: Vec3): number => (side ? v[2] : v[1]);
  const depthOf = (v: Vec3): number => (side ? v[1] : -v[2]);

  const colorOf = new Map<string, string>();
  const placed: Placed[] = [];
  if (model) {
    for (const shape of model.shapes) {
      if (!colorOf.has(shape.link)) colorOf.set(shape.link, PALETTE[colorOf.size % PALETTE.length]!);
      const lp = pose(shape.link);
      if (!lp) continue;
      const geomPose = compose(lp, shape.origin);
      const center = geomPose.p;
      let world: Vec3[];
      if (shape.kind === "capsule") {
        // The segment lies along the geometry's local z.
        const half = shape.length / 2;
        world = [transformPoint(geomPose, [0, 0, -half]), transformPoint(geomPose, [0, 0, half])];
      } else if (shape.kind === "box") {
        const [sx, sy, sz] = shape.size;
        world = [center];
        for (const dx of [-0.5, 0.5]) for (const dy of [-0.5, 0.5]) for (const dz of [-0.5, 0.5]) {
          world.push(transformPoint(geomPose, [dx * sx, dy * sy, dz * sz]));
        }
      } else {
        world = [center];
      }
      const depth = world.reduce((s, p) => s + depthOf(p), 0) / world.length;
      placed.push({ shape, color: colorOf.get(shape.link)!, world, depth });
    }
  }

  // Camera: follow the root link; the scale is fixed on a robot's first frame.
  const root = model ? pose(model.rootLink) : undefined;
  const groundY = h * 0.84;
  if (placed.length > 0 && camera.scale === 0) {
    let lo = Infinity, hi = -Infinity, left = Infinity, right = -Infinity;
    for (const p of placed) {
      const r = p.shape.kind === "box" ? 0 : p.shape.radius;
      for (const q of p.world) {
        lo = Math.min(lo, vv(q) - r);
        hi = Math.max(hi, vv(q) + r);
        left = Math.min(left, u(q) - r);
        right = Math.max(right, u(q) + r);
      }
    }
    if (side) {
      const top = Math.max(hi, 0.5) * 1.3;
      camera.scale = Math.min((groundY - 16) / top, w / Math.max(2.5 * (right - left), 2));
    } else {
      const extent = Math.max(right - left, hi - lo, 0.5);
      camera.scale = Math.min(w, h) / (2.2 * extent);
    }
  }
  const s = camera.scale > 0 ? camera.scale : 150;
  if (root) {
    camera.cx = root.p[0];
    camera.cy = side ? 0 : root.p[1];
  }
  const toScreen = (p: Vec3): [number, number] =>
    side ? [w / 2 + (u(p) - camera.cx) * s, groundY - vv(p) * s] : [w / 2 + (u(p) - camera.cx) * s, h / 2 - (vv(p) - camera.cy) * s];

  drawBackdrop(ctx, w, h, side, s, camera, groundY);

  // Shapes, far to near.
  placed.sort((a, b) => b.depth - a.depth);
  const drawn: DrawnShape[] = [];
  ctx.lineJoin = "round";
  for (const p of placed) {
    const screen = p.world.map(toScreen);
    const outline = shade(p.color, -0.35);
    if (p.shape.kind === "capsule") {
      const rpx = p.shape.radius * s;
      const [a, b] = [screen[0]!, screen[1]!];
      capsule(ctx, a, b, rpx + 1.25, outline);
      capsule(ctx, a, b, rpx, p.color);
      // A soft highlight along the axis.
      capsule(ctx, a, b, rpx * 0.35, "rgba(255, 255, 255, 0.22)");
      drawn.push({ link: p.shape.link, kind: "capsule", world: p.world, screen: [a, b], radiusPx: rpx, color: p.color });
    } else if (p.shape.kind === "sphere") {
      const rpx = p.shape.radius * s;
      const c = screen[0]!;
      ctx.beginPath();
      ctx.arc(c[0], c[1], rpx, 0, 2 * Math.PI);
      ctx.fillStyle = p.color;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = outline;
      ctx.stroke();
      drawn.push({ link: p.shape.link, kind: "sphere", world: p.world, screen: [c], radiusPx: rpx, color: p.color });
    } else {
      const hull = convexHull(screen.slice(1));
      ctx.beginPath();
      hull.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = p.color;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = outline;
      ctx.stroke();
      drawn.push({ link: p.shape.link, kind: "box", world: [p.world[0]!], screen: [screen[0]!], radiusPx: 0, color: p.color });
    }
  }
  // Joints (frames of the links below the root) as small dots.
  if (model) {
    ctx.fillStyle = "#1d2733";
    for (const link of model.links) {
      if (!colorOf.has(link) || link === model.rootLink || model.parents.get(link)?.fixed === true) continue;
      const lp = pose(link);
      if (!lp) continue;
      const [x, y] = toScreen(lp.p);
      ctx.beginPath();
      ctx.arc(x, y, 2.6, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  // Labels.
  ctx.font = `600 14px ${FONT}`;
  ctx.fillStyle = "#1d2733";
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(model ? model.name : "no robot yet", 12, 10);
  ctx.font = `12px ${FONT}`;
  ctx.fillStyle = "#6a7685";
  ctx.fillText(side ? "side view (x → right, z ↑), from −y" : "top view (x → right, y ↑), from +z", 12, 28);
  if (message) {
    ctx.font = `14px ${FONT}`;
    ctx.textAlign = "center";
    ctx.fillStyle = "#6a7685";
    ctx.fillText(message, w / 2, h * 0.4);
  }
  if (side) {
    scaleBar(ctx, w - 14, h - 12, s, w, "#4f473c");
    linkKey(ctx, 12, h - 20, w - 120, colorOf, "#4f473c");
  } else {
    scaleBar(ctx, w - 14, 52, s, w, "#1d2733");
    linkKey(ctx, 12, h - 26, w - 20, colorOf, "#1d2733");
  }
  return drawn;
}

function capsule(ctx: CanvasRenderingContext2D, a: [number, number], b: [number, number], r: number, color: string): void {
  if (Math.hypot(b[0] - a[0], b[1] - a[1]) < 0.5) {
    ctx.beginPath();
    ctx.arc(a[0], a[1], r, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.lineCap = "round";
  ctx.lineWidth = 2 * r;
  ctx.strokeStyle = color;
  ctx.stroke();
}

function convexHull(points: [number, number][]): [number, number][] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]): number =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

function drawBackdrop(ctx: CanvasRenderingContext2D, w: number, h: number, side: boolean, s: number, camera: Camera, groundY: number): void {
  const step = niceStep(w / s, 8);
  ctx.font = `11px ${FONT}`;
  if (side) {
    const sky = ctx.createLinearGradient(0, 0, 0, groundY);
    sky.addColorStop(0, "#e3edf9");
    sky.addColorStop(1, "#f7faff");
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, w, groundY);
    ctx.fillStyle = "#e6dfd3";
    ctx.fillRect(0, groundY, w, h - groundY);
    // Height guides.
    ctx.strokeStyle = "rgba(45, 108, 223, 0.10)";
    ctx.lineWidth = 1;
    for (let z = step; groundY - z * s > 0; z += step) {
      const y = Math.round(groundY - z * s) + 0.5;
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(w, y);
      ctx.stroke();
      ctx.fillStyle = "#8796a8";
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      ctx.fillText(`z ${fmt(z, step)} m`, w - 6, y - 2);
    }
    // Ground line with distance ticks (they scroll as the robot moves).
    ctx.strokeStyle = "#8a7f6e";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(0, groundY);
    ctx.lineTo(w, groundY);
    ctx.stroke();
    const x0 = camera.cx - w / 2 / s, x1 = camera.cx + w / 2 / s;
    ctx.lineWidth = 1.5;
    ctx.fillStyle = "#6f6556";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let x = Math.ceil(x0 / step) * step; x <= x1; x += step) {
      const sx = w / 2 + (x - camera.cx) * s;
      ctx.beginPath();
      ctx.moveTo(sx, groundY);
      ctx.lineTo(sx, groundY + 7);
      ctx.stroke();
      ctx.fillText(`${fmt(x, step)} m`, sx, groundY + 10);
    }
  } else {
    ctx.fillStyle = "#eef3f8";
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = "rgba(29, 39, 51, 0.09)";
    ctx.lineWidth = 1;
    const x0 = camera.cx - w / 2 / s, x1 = camera.cx + w / 2 / s;
    const y0 = camera.cy - h / 2 / s, y1 = camera.cy + h / 2 / s;
    ctx.fillStyle = "#8796a8";
    for (let x = Math.ceil(x0 / step) * step; x <= x1; x += step) {
      const sx = Math.round(w / 2 + (x - camera.cx) * s) + 0.5;
      ctx.beginPath();
      ctx.moveTo(sx, 0);
      ctx.lineTo(sx, h);
      ctx.stroke();
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      ctx.fillText(`${fmt(x, step)} m`, sx, h - 4);
    }
    for (let y = Math.ceil(y0 / step) * step; y <= y1; y += step) {
      const sy = Math.round(h / 2 - (y - camera.cy) * s) + 0.5;
      ctx.beginPath();
      ctx.moveTo(0, sy);
      ctx.lineTo(w, sy);
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      ctx.fillText(`y ${fmt(y, step)} m`, w - 6, sy - 2);
    }
  }
}

function scaleBar(ctx: CanvasRenderingContext2D, x1: number, y: number, s: number, w: number, color: string): void {
  const len = niceStep(w / s, 6);
  const px = len * s;
  const x = x1 - px;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, y - 4);
  ctx.lineTo(x, y);
  ctx.lineTo(x + px, y);
  ctx.lineTo(x + px, y - 4);
  ctx.stroke();
  ctx.font = `11px ${FONT}`;
  ctx.fillStyle = color;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(`${fmt(len, len)} m`, x + px / 2, y - 5);
}

/** Link color key: swatches and names in one row from (x, y), clipped at maxX. */
function linkKey(ctx: CanvasRenderingContext2D, x: number, y: number, maxX: number, colors: ReadonlyMap<string, string>, ink: string): void {
  ctx.font = `11.5px ${FONT}`;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (const [link, color] of colors) {
    const tw = ctx.measureText(link).width;
    if (x + 18 + tw > maxX) {
      ctx.fillStyle = ink;
      ctx.fillText("…", x, y);
      return;
    }
    capsule(ctx, [x + 3, y], [x + 11, y], 4, color);
    ctx.fillStyle = ink;
    ctx.fillText(link, x + 18, y);
    x += 18 + tw + 12;
  }
}

/** One line of the reward plot. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly width: number;
  readonly t: readonly number[];
  readonly v: readonly number[];
  readonly dashed?: boolean;
}

/** Draws reward series against episode time; returns the number of points drawn. */
export function drawPlot(ctx: CanvasRenderingContext2D, w: number, h: number, series: readonly Series[], xLabel: string): number {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const m = { l: 52, r: 10, t: 10, b: 34 };
  const pw = w - m.l - m.r, ph = h - m.t - m.b;
  let tMax = 0, vMin = Infinity, vMax = -Infinity, n = 0;
  for (const s of series) {
    for (let i = 0; i < s.t.length; i++) {
      tMax = Math.max(tMax, s.t[i]!);
      const v = s.v[i]!;
      if (Number.isFinite(v)) {
        vMin = Math.min(vMin, v);
        vMax = Math.max(vMax, v);
      }
      n++;
    }
  }
  if (!Number.isFinite(vMin)) {
    vMin = 0;
    vMax = 1;
  }
  if (vMax - vMin < 1e-6) {
    vMin -= 0.5;
    vMax += 0.5;
  }
  const pad = (vMax - vMin) * 0.08;
  vMin -= pad;
  vMax += pad;
  tMax = Math.max(tMax, 1);
  const X = (t: number): number => m.l + (t / tMax) * pw;
  const Y = (v: number): number => m.t + (1 - (v - vMin) / (vMax - vMin)) * ph;

  // Grid and axes.
  ctx.font = `11px ${FONT}`;
  ctx.lineWidth = 1;
  const ys = niceStep(vMax - vMin, 5);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = Math.ceil(vMin / ys) * ys; v <= vMax; v += ys) {
    const y = Math.round(Y(v)) + 0.5;
    ctx.strokeStyle = Math.abs(v) < ys * 1e-6 ? "#b9c3cf" : "#edf0f4";
    ctx.beginPath();
    ctx.moveTo(m.l, y);
    ctx.lineTo(m.l + pw, y);
    ctx.stroke();
    ctx.fillStyle = "#6a7685";
    ctx.fillText(fmt(v, ys), m.l - 6, y);
  }
  const xs = niceStep(tMax, 6);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let t = 0; t <= tMax + 1e-9; t += xs) {
    const x = Math.round(X(t)) + 0.5;
    ctx.strokeStyle = "#edf0f4";
    ctx.beginPath();
    ctx.moveTo(x, m.t);
    ctx.lineTo(x, m.t + ph);
    ctx.stroke();
    ctx.fillStyle = "#6a7685";
    ctx.fillText(fmt(t, xs), x, m.t + ph + 4);
  }
  ctx.strokeStyle = "#b9c3cf";
  ctx.strokeRect(m.l + 0.5, m.t + 0.5, pw, ph);
  ctx.fillStyle = "#6a7685";
  ctx.fillText(xLabel, m.l + pw / 2, m.t + ph + 18);

  // Lines.
  for (const s of series) {
    if (s.t.length === 0) continue;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    for (let i = 0; i < s.t.length; i++) {
      const x = X(s.t[i]!), y = Y(s.v[i]!);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    if (s.t.length === 1) ctx.arc(X(s.t[0]!), Y(s.v[0]!), 1.5, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // Legend.
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  let lx = m.l + 8;
  const ly = m.t + 10;
  // The legend lists the lines from the last drawn (on top, e.g. "total") to the first.
  for (const s of [...series].reverse()) {
    const label = s.name;
    const tw = ctx.measureText(label).width;
    if (lx + 22 + tw > m.l + pw) break;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = Math.max(2, s.width);
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(lx, ly);
    ctx.lineTo(lx + 16, ly);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#1d2733";
    ctx.fillText(label, lx + 20, ly);
    lx += 20 + tw + 14;
  }
  if (n === 0) {
    ctx.fillStyle = "#6a7685";
    ctx.textAlign = "center";
    ctx.font = `13px ${FONT}`;
    ctx.fillText("waiting for /reward/total…", m.l + pw / 2, m.t + ph / 2);
  }
  return n;
}
