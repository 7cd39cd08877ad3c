/**
 * Display formatting. Bytes go through core's formatters, which name their base explicitly
 * (GiB = 2^30, GB = 1e9); the reader picks the base (URL parameter `u`).
 */
import { formatBinaryBytes, formatDecimalBytes, GB, GIB } from "@memlens/core";

export const BYTE_UNITS = ["gib", "gb"] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];

export function fmtBytes(n: number, unit: ByteUnit, digits = 1): string {
  return unit === "gib" ? formatBinaryBytes(n, digits) : formatDecimalBytes(n, digits);
}

/** `fmtBytes` in a unit, as a formatter (a Stat's `text`). */
export const bytesIn =
  (unit: ByteUnit, digits = 1) =>
  (n: number): string =>
    fmtBytes(n, unit, digits);

/** Bytes expressed in the chart unit (GiB or GB), for chart data. */
export function inUnit(n: number, unit: ByteUnit): number {
  return n / (unit === "gib" ? GIB : GB);
}

export const unitLabel = (unit: ByteUnit): string => (unit === "gib" ? "GiB" : "GB");

/** "32,768" */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");

/** "1.5×" with one decimal (two below 10 when small). */
export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
}

/** "8K", "128K", "1M" tokens for axis ticks and labels. */
export function fmtTokens(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return fmtInt(n);
}

export const fmtPercent = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)}%`;

/** "3.35 TB/s", "900 GB/s" (decimal, as vendors publish bandwidth). */
export function fmtBandwidth(bytesPerSecond: number): string {
  return bytesPerSecond >= 1e12
    ? `${(bytesPerSecond / 1e12).toFixed(2)} TB/s`
    : `${(bytesPerSecond / 1e9).toFixed(0)} GB/s`;
}
