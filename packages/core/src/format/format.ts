/** Formats bytes with an explicit binary unit: "15.0 GiB", "512.0 MiB". */
export function formatBinaryBytes(n: number, digits = 1): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(digits)} ${units[i]}`;
}

/** Formats bytes with an explicit decimal unit: "16.1 GB", "512 MB". */
export function formatDecimalBytes(n: number, digits = 1): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(digits)} ${units[i]}`;
}

/** "42.0 ms", "1.25 s", "850 µs". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "—";
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

/** "8.03 B", "124 M", "1.03 T" parameters. */
export function formatCount(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return `${n}`;
}

/** Tokens/s with sensible precision. */
export function formatRate(perSecond: number, unit = "tok/s"): string {
  if (perSecond >= 100) return `${Math.round(perSecond).toLocaleString("en-US")} ${unit}`;
  return `${perSecond.toFixed(1)} ${unit}`;
}
