/**
 * SVG → PNG through `@resvg/resvg-js` (a Rust renderer shipped as per-platform npm packages,
 * no browser). The module is loaded lazily so that a platform without a prebuilt binary still
 * trains and writes SVG; `svgToPng` then resolves to `undefined` and `pngUnavailableReason()`
 * says why.
 *
 *   const png = await svgToPng(svgText, { zoom: 1 });
 *   if (png !== undefined) await atomicWriteFile("plot.png", png);
 *
 * Rendering runs on libuv's thread pool (`renderAsync`), so a training loop is not blocked.
 * Text needs a system font; DejaVu Sans is preferred (Debian's default), and any installed
 * sans-serif is the fallback.
 */
type ResvgModule = typeof import("@resvg/resvg-js");

let loading: Promise<ResvgModule | undefined> | undefined;
let unavailable: string | undefined;

async function loadResvg(): Promise<ResvgModule | undefined> {
  loading ??= import("@resvg/resvg-js").then(
    (mod) => mod,
    (error: unknown) => {
      unavailable = error instanceof Error ? error.message : String(error);
      return undefined;
    },
  );
  return loading;
}

export interface PngOptions {
  /** Scale factor from SVG user units to pixels. Default 1. */
  zoom?: number;
}

/** PNG bytes of `svg`, or undefined when no renderer is available on this platform. */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array | undefined> {
  const resvg = await loadResvg();
  if (resvg === undefined) return undefined;
  const image = await resvg.renderAsync(svg, {
    fitTo: { mode: "zoom", value: options.zoom ?? 1 },
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    logLevel: "off",
  });
  return image.asPng();
}

/** Why PNG output is unavailable (after a `svgToPng` call returned undefined), else undefined. */
export function pngUnavailableReason(): string | undefined {
  return unavailable;
}
