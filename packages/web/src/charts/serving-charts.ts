/** The serving-capacity page's charts: KV usage over a run and the capacity curve (see spec.ts). */
import { formatRate, formatSeconds } from "@memlens/core";
import { type ChartSpec, mark, type Row } from "./spec.js";

const KV_COLOR = "#14a3a3"; // the KV-cache pile's colour (compute/piles.ts)
const P50_COLOR = "#f0a020";
const TTFT_COLOR = "#e0556b";
const THROUGHPUT_COLOR = "#5b8cff";
const MUTED = "#8a94a6";

/** KV usage (held / usable blocks) over the simulated run. */
export function kvUsageChart(o: {
  id: string;
  title: string;
  timeSeconds: readonly number[];
  kvCacheUsage: readonly number[];
  peak: number;
  mean: number;
}): ChartSpec {
  const data: Row[] = o.timeSeconds.map((t, i) => ({ t, usage: (o.kvCacheUsage[i] ?? 0) * 100 }));
  return {
    id: o.id,
    ariaLabel: o.title,
    summary: `KV cache in use over the run: mean ${(o.mean * 100).toFixed(0)}%, peak ${(o.peak * 100).toFixed(0)}% of the pool.`,
    height: 220,
    marginLeft: 48,
    marginRight: 16,
    x: { label: "Time since the first arrival (s)", grid: true, nice: true },
    y: { label: "KV blocks in use (%)", domain: [0, 100], grid: true, ticks: [0, 25, 50, 75, 100] },
    marks: [
      mark("areaY", data, { x: "t", y: "usage", fill: KV_COLOR, fillOpacity: 0.18 }),
      mark("lineY", data, { x: "t", y: "usage", stroke: KV_COLOR, strokeWidth: 2 }),
      mark("ruleY", [{ y: 100 }], { y: "y", stroke: MUTED, strokeDasharray: "4,3" }),
    ],
    legend: [{ label: "KV cache in use", color: KV_COLOR }],
  };
}

/** One simulated arrival rate of the capacity sweep. */
export interface CapacityPoint {
  readonly ratePerSecond: number;
  readonly ttftP99Seconds: number;
  readonly ttftP50Seconds: number;
  readonly throughputTokensPerSecond: number;
}

/** p50 and p99 time to first token against arrival rate (log seconds: queues explode past capacity). */
export function capacityTtftChart(o: {
  id: string;
  title: string;
  points: readonly CapacityPoint[];
  chosenRate: number;
}): ChartSpec {
  const data: Row[] = o.points.flatMap((p) => [
    { rate: p.ratePerSecond, s: Math.max(p.ttftP99Seconds, 1e-4), series: "p99", color: TTFT_COLOR },
    { rate: p.ratePerSecond, s: Math.max(p.ttftP50Seconds, 1e-4), series: "p50", color: P50_COLOR },
  ]);
  const last = o.points[o.points.length - 1];
  // Whole decades, with the domain set to them: every grid line labelled, none outside the plot.
  const ticks = decadeTicks(data);
  return {
    id: o.id,
    ariaLabel: o.title,
    summary:
      o.points
        .map((p) => `${trimRate(p.ratePerSecond)} req/s: p99 TTFT ${formatSeconds(p.ttftP99Seconds)}`)
        .join("; ") + (last ? "." : ""),
    height: 240,
    marginLeft: 56,
    marginRight: 16,
    x: { label: "Arrival rate (requests/s)", grid: true, nice: true },
    y: {
      label: "Time to first token (s)",
      type: "log",
      grid: true,
      tickFormat: "plain",
      ticks,
      ...(ticks.length > 1 ? { domain: [ticks[0]!, ticks[ticks.length - 1]!] } : {}),
    },
    marks: [
      mark("ruleX", [{ rate: o.chosenRate }], { x: "rate", stroke: MUTED, strokeDasharray: "2,3" }),
      mark("lineY", data, { x: "rate", y: "s", stroke: "color", z: "series", strokeWidth: 2.5 }),
      mark("dot", data, { x: "rate", y: "s", fill: "color", r: 3 }),
    ],
    legend: [
      { label: "p99 TTFT", color: TTFT_COLOR },
      { label: "p50 TTFT", color: P50_COLOR },
      { label: "chosen rate", color: MUTED },
    ],
  };
}

/** Output tokens per second against arrival rate: it rises with load until the server saturates. */
export function capacityThroughputChart(o: {
  id: string;
  title: string;
  points: readonly CapacityPoint[];
  chosenRate: number;
}): ChartSpec {
  const data: Row[] = o.points.map((p) => ({ rate: p.ratePerSecond, tps: p.throughputTokensPerSecond }));
  const best = o.points.reduce<CapacityPoint | null>(
    (b, p) => (b === null || p.throughputTokensPerSecond > b.throughputTokensPerSecond ? p : b),
    null,
  );
  return {
    id: o.id,
    ariaLabel: o.title,
    summary: best
      ? `Output throughput peaks at ${formatRate(best.throughputTokensPerSecond)} (at ${trimRate(best.ratePerSecond)} req/s offered).`
      : "No points yet.",
    height: 220,
    marginLeft: 56,
    marginRight: 16,
    x: { label: "Arrival rate (requests/s)", grid: true, nice: true },
    y: { label: "Output tokens/s", grid: true, nice: true, tickFormat: "si" },
    marks: [
      mark("ruleY", [{ tps: 0 }], { y: "tps", stroke: MUTED }),
      mark("ruleX", [{ rate: o.chosenRate }], { x: "rate", stroke: MUTED, strokeDasharray: "2,3" }),
      mark("lineY", data, { x: "rate", y: "tps", stroke: THROUGHPUT_COLOR, strokeWidth: 2.5 }),
      mark("dot", data, { x: "rate", y: "tps", fill: THROUGHPUT_COLOR, r: 3 }),
    ],
    legend: [
      { label: "output tokens/s", color: THROUGHPUT_COLOR },
      { label: "chosen rate", color: MUTED },
    ],
  };
}

/** Powers of ten spanning the data's `s` values: one labelled grid line per decade on a log axis. */
function decadeTicks(data: readonly Row[]): number[] {
  const values = data.map((d) => Number(d.s));
  if (values.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) out.push(Number(`1e${e}`));
  return out;
}

/** "0.25", "3", "1.5": rates without trailing zeros. */
export const trimRate = (r: number): string => String(Number(r.toPrecision(3)));
