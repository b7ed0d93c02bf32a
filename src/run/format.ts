/**
 * Number and duration formatting shared by the progress line and the plot titles.
 *
 *   formatCompact(2_457_600) → "2.46M"    formatCompact(0.01234) → "0.0123"
 *   formatDuration(75) → "1m15s"          formatDuration(4000) → "1h06m"
 */

const SI_UNITS = [
  { value: 1e9, suffix: "G" },
  { value: 1e6, suffix: "M" },
  { value: 1e3, suffix: "k" },
] as const;

/** "2.50" → "2.5", "3.000" → "3"; text without a decimal point is returned as is. */
export function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** Three significant digits with a k/M/G suffix from 1000 up; "–" for non-finite values. */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  for (let i = 0; i < SI_UNITS.length; i++) {
    const unit = SI_UNITS[i];
    if (unit === undefined || abs < unit.value) continue;
    const scaled = Number((value / unit.value).toPrecision(3));
    const bigger = SI_UNITS[i - 1];
    // 999_999 rounds to "1000k": say "1M" instead.
    if (Math.abs(scaled) >= 1000 && bigger !== undefined) return `${trimZeros((value / bigger.value).toPrecision(3))}${bigger.suffix}`;
    return `${trimZeros(String(scaled))}${unit.suffix}`;
  }
  if (abs >= 100) return value.toFixed(1);
  if (abs === 0) return "0";
  if (abs >= 1e-3) return trimZeros(value.toPrecision(3));
  const [mantissa = "", exponent = ""] = value.toExponential(2).split("e");
  return `${trimZeros(mantissa)}e${exponent.replace("+", "")}`;
}

/** Whole-second durations: "42s", "1m15s", "1h06m"; "–" for non-finite or negative input. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}
