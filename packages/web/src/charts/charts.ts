/** The knowledge base's charts, one pure builder each (see spec.ts). */
import { formatRate } from "@memlens/core";
import { type ByteUnit, fmtBytes, fmtTokens, inUnit, unitLabel } from "../lib/format.js";
import { type ChartSpec, mark, type Row } from "./spec.js";

const CAPACITY_COLOR = "#d93f3f";
const MUTED = "#8a94a6";

/** Distinct (label, colour) pairs in first-seen order. */
function legendOf(rows: readonly { label: string; color: string }[]): { label: string; color: string }[] {
  const seen = new Map<string, string>();
  for (const r of rows) if (!seen.has(r.label)) seen.set(r.label, r.color);
  return [...seen.entries()].map(([label, color]) => ({ label, color }));
}

/** Powers of two between lo and hi, every `step`-th (log-axis ticks that read as 1K, 4K, 16K...). */
export function powerTicks(lo: number, hi: number, step = 2): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log2(lo)); 2 ** e <= hi; e += step) out.push(2 ** e);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stacked piles (fundamentals, training, planner)
// ---------------------------------------------------------------------------------------------

export interface StackRow {
  /** Bar (row) label: "Inference", "Training", "GPU0", "ZeRO-2". */
  readonly bar: string;
  /** Segment label: "Weights", "KV cache"... */
  readonly part: string;
  readonly bytes: number;
  readonly color: string;
  /** Dimmed bars (not the selected one). */
  readonly dim?: boolean;
}

export function stackedBytesChart(o: {
  id: string;
  title: string;
  rows: readonly StackRow[];
  capacityBytes: number | null;
  capacityLabel?: string;
  unit: ByteUnit;
}): ChartSpec {
  const bars = [...new Set(o.rows.map((r) => r.bar))];
  const data: Row[] = o.rows.map((r) => ({
    bar: r.bar,
    part: r.part,
    value: inUnit(r.bytes, o.unit),
    color: r.color,
    opacity: r.dim ? 0.35 : 1,
  }));
  const totals = bars.map((b) => ({
    bar: b,
    total: o.rows.filter((r) => r.bar === b).reduce((a, r) => a + r.bytes, 0),
  }));
  const marks = [
    mark("barX", data, { x: "value", y: "bar", fill: "color", fillOpacity: "opacity", inset: 0.5 }),
    mark(
      "text",
      totals.map((t) => ({ bar: t.bar, value: inUnit(t.total, o.unit), label: fmtBytes(t.total, o.unit) })),
      { x: "value", y: "bar", text: "label", dx: 6, textAnchor: "start", fill: "currentColor" },
    ),
  ];
  if (o.capacityBytes !== null)
    marks.push(
      mark("ruleX", [{ value: inUnit(o.capacityBytes, o.unit) }], {
        x: "value",
        stroke: CAPACITY_COLOR,
        strokeWidth: 2,
        strokeDasharray: "4,3",
      }),
      mark("text", [{ value: inUnit(o.capacityBytes, o.unit), label: o.capacityLabel ?? "capacity" }], {
        x: "value",
        text: "label",
        frameAnchor: "top",
        dy: -10,
        fill: CAPACITY_COLOR,
        fontWeight: "bold",
      }),
    );
  const summary = totals
    .map((t) => {
      const parts = o.rows
        .filter((r) => r.bar === t.bar)
        .map((r) => `${r.part} ${fmtBytes(r.bytes, o.unit)}`)
        .join(", ");
      return `${t.bar}: ${fmtBytes(t.total, o.unit)} (${parts})`;
    })
    .join(". ");
  return {
    id: o.id,
    ariaLabel: o.title,
    summary:
      summary +
      (o.capacityBytes !== null
        ? `. ${o.capacityLabel ?? "Capacity"}: ${fmtBytes(o.capacityBytes, o.unit)} (dashed line).`
        : "."),
    height: 52 + 38 * bars.length,
    marginTop: 22,
    marginLeft: Math.min(110, 8 + 7 * Math.max(...bars.map((b) => b.length))),
    marginRight: 78,
    legend: legendOf(o.rows.map((r) => ({ label: r.part, color: r.color }))),
    x: { label: `Memory (${unitLabel(o.unit)})`, grid: true, nice: true },
    y: { label: null, type: "band", domain: bars, padding: 0.25 },
    marks,
  };
}

// ---------------------------------------------------------------------------------------------
// Weights by format
// ---------------------------------------------------------------------------------------------

export interface FormatRow {
  readonly format: string;
  readonly bytes: number;
  readonly group: "dense" | "quantized" | "gguf";
}

const GROUP_COLOR = { dense: "#5b8cff", quantized: "#2bb673", gguf: "#f0a020" } as const;

export function weightsByFormatChart(o: {
  rows: readonly FormatRow[];
  selected: string;
  capacityBytes: number;
  gpuName: string;
  modelName: string;
  unit: ByteUnit;
}): ChartSpec {
  const sorted = [...o.rows].sort((a, b) => b.bytes - a.bytes);
  const data: Row[] = sorted.map((r) => ({
    format: r.format,
    value: inUnit(r.bytes, o.unit),
    color: GROUP_COLOR[r.group],
    opacity: r.format === o.selected ? 1 : 0.45,
  }));
  const sel = o.rows.find((r) => r.format === o.selected);
  return {
    id: "weights-by-format",
    ariaLabel: `Weight memory of ${o.modelName} in every storage format, with the ${o.gpuName} capacity`,
    summary:
      `${o.modelName}: ${sorted.map((r) => `${r.format} ${fmtBytes(r.bytes, o.unit)}`).join(", ")}. ` +
      `${o.gpuName} holds ${fmtBytes(o.capacityBytes, o.unit)}.` +
      (sel ? ` Selected: ${sel.format}.` : ""),
    height: 40 + 20 * sorted.length,
    marginLeft: 78,
    legend: [
      { label: "Dense", color: GROUP_COLOR.dense },
      { label: "GPU quantization", color: GROUP_COLOR.quantized },
      { label: "GGUF", color: GROUP_COLOR.gguf },
      { label: `${o.gpuName} capacity`, color: CAPACITY_COLOR },
    ],
    marginRight: 24,
    x: { label: `Weights (${unitLabel(o.unit)})`, grid: true, nice: true },
    y: { label: null, type: "band", domain: sorted.map((r) => r.format), padding: 0.15 },
    marks: [
      mark("barX", data, { x: "value", y: "format", fill: "color", fillOpacity: "opacity" }),
      mark("ruleX", [{ value: inUnit(o.capacityBytes, o.unit) }], {
        x: "value",
        stroke: CAPACITY_COLOR,
        strokeWidth: 2,
        strokeDasharray: "4,3",
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Curves over context length (KV growth, attention workspace, constant state)
// ---------------------------------------------------------------------------------------------

export interface CurvePoint {
  readonly series: string;
  readonly tokens: number;
  readonly bytes: number;
  readonly color: string;
}

export function curveChart(o: {
  id: string;
  title: string;
  points: readonly CurvePoint[];
  unit: ByteUnit;
  yLabel: string;
  marker?: number;
  reference?: { label: string; bytes: number } | null;
  logY?: boolean;
}): ChartSpec {
  const data: Row[] = o.points.map((p) => ({
    series: p.series,
    tokens: p.tokens,
    value: Math.max(inUnit(p.bytes, o.unit), o.logY ? 1e-6 : 0),
    color: p.color,
  }));
  const series = [...new Set(o.points.map((p) => p.series))];
  const last = series.map((s) => {
    const pts = o.points.filter((p) => p.series === s);
    return pts[pts.length - 1]!;
  });
  const marks = [
    mark("lineY", data, { x: "tokens", y: "value", stroke: "color", z: "series", strokeWidth: 2.5 }),
    mark("dot", data, { x: "tokens", y: "value", fill: "color", r: 2.5 }),
  ];
  if (o.marker !== undefined)
    marks.push(mark("ruleX", [{ tokens: o.marker }], { x: "tokens", stroke: MUTED, strokeDasharray: "2,3" }));
  if (o.reference)
    marks.push(
      mark("ruleY", [{ value: inUnit(o.reference.bytes, o.unit) }], {
        y: "value",
        stroke: CAPACITY_COLOR,
        strokeDasharray: "4,3",
        strokeWidth: 1.5,
      }),
      mark("text", [{ value: inUnit(o.reference.bytes, o.unit), label: o.reference.label }], {
        y: "value",
        text: "label",
        frameAnchor: "left",
        dy: -7,
        dx: 4,
        textAnchor: "start",
        fill: CAPACITY_COLOR,
      }),
    );
  return {
    id: o.id,
    ariaLabel: o.title,
    summary:
      last
        .map((p) => `${p.series}: ${fmtBytes(p.bytes, o.unit)} at ${fmtTokens(p.tokens)} tokens`)
        .join("; ") + (o.reference ? `; ${o.reference.label}: ${fmtBytes(o.reference.bytes, o.unit)}.` : "."),
    height: 260,
    marginLeft: 56,
    marginRight: 16,
    legend: [
      ...legendOf(o.points.map((p) => ({ label: p.series, color: p.color }))),
      ...(o.reference ? [{ label: o.reference.label, color: CAPACITY_COLOR }] : []),
    ],
    x: {
      label: "Context length (tokens)",
      type: "log",
      base: 2,
      tickFormat: "tokens",
      grid: true,
      ticks: powerTicks(
        Math.min(...o.points.map((p) => p.tokens)),
        Math.max(...o.points.map((p) => p.tokens)),
      ),
    },
    y: {
      label: `${o.yLabel} (${unitLabel(o.unit)})`,
      grid: true,
      ...(o.logY ? { type: "log" as const, tickFormat: "si" as const } : { nice: true }),
    },
    marks,
  };
}

// ---------------------------------------------------------------------------------------------
// Bars by label (attention kinds, recompute meters)
// ---------------------------------------------------------------------------------------------

export interface LabelledBar {
  readonly label: string;
  readonly bytes: number;
  readonly color: string;
  readonly highlight?: boolean;
}

export function labelledBytesChart(o: {
  id: string;
  title: string;
  bars: readonly LabelledBar[];
  unit: ByteUnit;
  xLabel: string;
}): ChartSpec {
  const data: Row[] = o.bars.map((b) => ({
    label: b.label,
    value: inUnit(b.bytes, o.unit),
    color: b.color,
    opacity: b.highlight === false ? 0.45 : 1,
    text: fmtBytes(b.bytes, o.unit),
  }));
  return {
    id: o.id,
    ariaLabel: o.title,
    summary: o.bars.map((b) => `${b.label}: ${fmtBytes(b.bytes, o.unit)}`).join("; ") + ".",
    height: 30 + 30 * o.bars.length,
    marginLeft: Math.min(200, 10 + 6.2 * Math.max(...o.bars.map((b) => b.label.length))),
    marginRight: 74,
    x: { label: `${o.xLabel} (${unitLabel(o.unit)})`, grid: true, nice: true },
    y: { label: null, type: "band", domain: o.bars.map((b) => b.label), padding: 0.2 },
    marks: [
      mark("barX", data, { x: "value", y: "label", fill: "color", fillOpacity: "opacity" }),
      mark("text", data, {
        x: "value",
        y: "label",
        text: "text",
        dx: 5,
        textAnchor: "start",
        fill: "currentColor",
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// GPU catalog scatter (hardware)
// ---------------------------------------------------------------------------------------------

export function gpuScatterChart(o: {
  points: readonly { id: string; vendor: string; capacityBytes: number; bandwidthBytesPerSecond: number }[];
  selected: string;
  unit: ByteUnit;
}): ChartSpec {
  const VENDOR = { nvidia: "#2bb673", amd: "#e0556b", apple: "#5b8cff" } as Record<string, string>;
  const data: Row[] = o.points.map((p) => ({
    id: p.id,
    capacity: inUnit(p.capacityBytes, o.unit),
    bandwidth: p.bandwidthBytesPerSecond / 1e12,
    color: VENDOR[p.vendor] ?? MUTED,
    r: p.id === o.selected ? 7 : 4,
    opacity: p.id === o.selected ? 1 : 0.55,
  }));
  const sel = o.points.find((p) => p.id === o.selected);
  return {
    id: "gpu-scatter",
    ariaLabel: "Every catalog GPU by memory capacity and memory bandwidth",
    summary: sel
      ? `${sel.id}: ${fmtBytes(sel.capacityBytes, o.unit)} at ${(sel.bandwidthBytesPerSecond / 1e12).toFixed(2)} TB/s; ${o.points.length} GPUs in the catalog.`
      : `${o.points.length} GPUs in the catalog.`,
    height: 280,
    marginTop: 28,
    marginLeft: 48,
    marginRight: 20,
    x: {
      label: `Memory capacity (${unitLabel(o.unit)})`,
      type: "log",
      base: o.unit === "gib" ? 2 : 10,
      grid: true,
      tickFormat: "plain",
      ticks: o.unit === "gib" ? [16, 32, 64, 128, 256] : [20, 50, 100, 200],
    },
    y: {
      label: "Bandwidth (TB/s)",
      type: "log",
      base: 2,
      grid: true,
      tickFormat: "plain",
      ticks: [0.25, 0.5, 1, 2, 4, 8],
    },
    legend: [
      { label: "NVIDIA", color: VENDOR.nvidia! },
      { label: "AMD", color: VENDOR.amd! },
      { label: "Apple (unified memory)", color: VENDOR.apple! },
    ],
    marks: [
      mark("dot", data, { x: "capacity", y: "bandwidth", fill: "color", r: "r", fillOpacity: "opacity" }),
      mark("text", sel ? data.filter((d) => d.id === o.selected) : [], {
        x: "capacity",
        y: "bandwidth",
        text: "id",
        dy: -12,
        fontWeight: "bold",
        fill: "currentColor",
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Context window over turns (agent memory)
// ---------------------------------------------------------------------------------------------

export function contextTurnsChart(o: {
  steps: readonly { turn: number; turnTokens: number; summaryTokens: number }[];
  budgetTokens: number | null;
}): ChartSpec {
  const data: Row[] = [];
  for (const s of o.steps) {
    data.push({ turn: s.turn, part: "Turns kept verbatim", tokens: s.turnTokens, color: "#7c5cff" });
    if (s.summaryTokens > 0)
      data.push({ turn: s.turn, part: "Summary", tokens: s.summaryTokens, color: "#f0a020" });
  }
  const lastStep = o.steps[o.steps.length - 1];
  return {
    id: "context-turns",
    ariaLabel: "Tokens in the context window after each turn, with the budget",
    summary: lastStep
      ? `After turn ${lastStep.turn}: ${lastStep.turnTokens + lastStep.summaryTokens} tokens in context (${lastStep.summaryTokens} of them summary)${o.budgetTokens !== null ? `; budget ${o.budgetTokens}` : ""}.`
      : "No turns yet.",
    height: 220,
    marginLeft: 52,
    legend: [
      { label: "Turns kept verbatim", color: "#7c5cff" },
      { label: "Summary", color: "#f0a020" },
      ...(o.budgetTokens !== null ? [{ label: "Budget", color: CAPACITY_COLOR }] : []),
    ],
    x: {
      label: "Turn",
      type: "band",
      padding: 0.15,
      ...(o.steps.length > 24 ? { ticks: o.steps.filter((s) => s.turn % 5 === 0).map((s) => s.turn) } : {}),
    },
    y: { label: "Tokens in context", grid: true, nice: true },
    marks: [
      mark("barY", data, { x: "turn", y: "tokens", fill: "color" }),
      ...(o.budgetTokens !== null
        ? [
            mark("ruleY", [{ tokens: o.budgetTokens }], {
              y: "tokens",
              stroke: CAPACITY_COLOR,
              strokeDasharray: "4,3",
              strokeWidth: 1.5,
            }),
          ]
        : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Plan search: Pareto front of memory per GPU, decode speed and quality (planner)
// ---------------------------------------------------------------------------------------------

export interface ParetoPoint {
  /** "vllm · awq · KV fp8 · TP2" */
  readonly label: string;
  readonly peakDeviceBytes: number;
  readonly decodeTokensPerSecond: number;
  /** Published perplexity increase of the weight format; null when none is published. */
  readonly perplexityDelta: number | null;
}

/** Quality-cost bands (perplexity increase on WikiText-2, as core's quality table states it). */
export const QUALITY_BANDS = [
  { upTo: 0.05, label: "≤ 0.05 ppl (no visible loss)", color: "#2bb673" },
  { upTo: 0.25, label: "0.05–0.25 ppl", color: "#5b8cff" },
  { upTo: 1, label: "0.25–1 ppl", color: "#f0a020" },
  { upTo: Number.POSITIVE_INFINITY, label: "> 1 ppl", color: "#e0556b" },
] as const;
const UNPUBLISHED = { label: "not published", color: MUTED };

export function qualityBand(delta: number | null): { label: string; color: string } {
  if (delta === null) return UNPUBLISHED;
  return QUALITY_BANDS.find((b) => delta <= b.upTo) ?? UNPUBLISHED;
}

/**
 * Memory per GPU (x, from 0 to the GPU's capacity) against decode tokens/s (y), one dot per
 * configuration coloured by quality band and numbered in the order given (the page's table keys
 * the numbers to the configurations; each dot's tooltip names it). Full names do not fit beside
 * the dots at phone widths without overlapping, so the chart carries numbers only. Points within
 * 3% of both axes of each other form one group: one label ("1, 2") and nested dots, larger first,
 * so every colour stays visible.
 */
export function paretoChart(o: {
  points: readonly ParetoPoint[];
  capacityBytes: number;
  gpuName: string;
  goal: string;
  unit: ByteUnit;
  /** Another page's use (the "What runs" page plots its sweep): chart id and what the points are. */
  id?: string;
  pointsAre?: string;
  /** The x axis: memory per GPU (default), or the whole model's memory, which may pass the capacity line (partly offloaded). */
  xAxis?: "per-gpu" | "model";
}): ChartSpec {
  const cap = inUnit(o.capacityBytes, o.unit);
  const xMax =
    Math.max(cap, ...o.points.map((p) => inUnit(p.peakDeviceBytes, o.unit))) *
    (o.xAxis === "model" ? 1.05 : 1);
  const maxSpeed = Math.max(1, ...o.points.map((p) => p.decodeTokensPerSecond));
  const rows = o.points.map((p, i) => ({
    n: i + 1,
    p,
    x: inUnit(p.peakDeviceBytes, o.unit),
    y: p.decodeTokensPerSecond,
    band: qualityBand(p.perplexityDelta),
  }));
  const groups: (typeof rows)[] = [];
  for (const r of rows) {
    const near = groups.find(
      (g) => Math.abs(g[0]!.x - r.x) < 0.03 * cap && Math.abs(g[0]!.y - r.y) < 0.03 * maxSpeed,
    );
    if (near) near.push(r);
    else groups.push([r]);
  }
  const dots: Row[] = groups.flatMap((g) =>
    g.map((r, j) => ({
      x: r.x,
      y: r.y,
      color: r.band.color,
      r: 5 + 3 * (g.length - 1 - j),
      title: `${r.n}. ${r.p.label}: ${fmtBytes(r.p.peakDeviceBytes, o.unit)} per GPU, ${formatRate(r.p.decodeTokensPerSecond)}`,
    })),
  );
  const labels = (anchor: "start" | "end"): Row[] =>
    groups
      .filter((g) => (g[0]!.x > 0.75 * cap ? "end" : "start") === anchor)
      .map((g) => ({ x: g[0]!.x, y: g[0]!.y, text: g.map((r) => r.n).join(", ") }));
  const presentBands = new Set(rows.map((r) => r.band.label));
  const fastest = [...o.points].sort((a, b) => b.decodeTokensPerSecond - a.decodeTokensPerSecond)[0];
  const smallest = [...o.points].sort((a, b) => a.peakDeviceBytes - b.peakDeviceBytes)[0];
  return {
    id: o.id ?? "planner-pareto",
    ariaLabel: `${o.pointsAre === undefined ? "Pareto front of memory" : `Memory of ${o.pointsAre}`} per GPU against decode speed for ${o.goal} on ${o.gpuName}`,
    summary:
      fastest && smallest
        ? `${o.points.length} configuration${o.points.length === 1 ? "" : "s"} ${o.pointsAre === undefined ? "on the front" : "that run"} for ${o.goal}. Fastest: ${fastest.label}, ${formatRate(fastest.decodeTokensPerSecond)} using ${fmtBytes(fastest.peakDeviceBytes, o.unit)} per GPU. Least memory: ${smallest.label}, ${fmtBytes(smallest.peakDeviceBytes, o.unit)} per GPU at ${formatRate(smallest.decodeTokensPerSecond)}.`
        : `No configuration serves ${o.goal} on ${o.gpuName}.`,
    height: 300,
    marginTop: 24,
    marginLeft: 56,
    marginRight: 16,
    x: {
      label:
        o.xAxis === "model"
          ? `Model memory, GPU + CPU (${unitLabel(o.unit)})`
          : `Memory per GPU (${unitLabel(o.unit)})`,
      domain: [0, o.xAxis === "model" ? xMax : cap],
      grid: true,
      tickFormat: "plain",
    },
    y: {
      label: "Decode (tokens/s, all sequences)",
      domain: [0, maxSpeed * 1.2],
      grid: true,
      tickFormat: "si",
    },
    legend: [...QUALITY_BANDS, UNPUBLISHED]
      .filter((b) => presentBands.has(b.label))
      .map((b) => ({ label: b.label, color: b.color })),
    marks: [
      mark("ruleX", [{ x: cap }], { x: "x", stroke: CAPACITY_COLOR, strokeWidth: 2, strokeDasharray: "4,3" }),
      mark("text", [{ x: cap, label: `${fmtBytes(o.capacityBytes, o.unit, 0)} per GPU` }], {
        x: "x",
        text: "label",
        frameAnchor: "top",
        textAnchor: "end",
        dx: -6,
        dy: 8,
        fill: CAPACITY_COLOR,
        fontWeight: "bold",
      }),
      // one dot mark per radius (a constant r, not Plot's sqrt-scaled r channel), largest first
      ...[...new Set(dots.map((d) => Number(d.r)))]
        .sort((a, b) => b - a)
        .map((radius) =>
          mark(
            "dot",
            dots.filter((d) => d.r === radius),
            {
              x: "x",
              y: "y",
              fill: "color",
              r: radius,
              stroke: "currentColor",
              strokeWidth: 0.75,
              title: "title",
            },
          ),
        ),
      mark("text", labels("start"), {
        x: "x",
        y: "y",
        text: "text",
        textAnchor: "start",
        dx: 10,
        fill: "currentColor",
        fontWeight: "bold",
      }),
      mark("text", labels("end"), {
        x: "x",
        y: "y",
        text: "text",
        textAnchor: "end",
        dx: -10,
        fill: "currentColor",
        fontWeight: "bold",
      }),
    ],
  };
}
