/** Weight bytes of the page's model in every storage format core knows, and where they fit. */
import {
  allowedWeightNames,
  describeWeightFormat,
  estimateWeights,
  GGUF_FILE_TYPES,
  GPU_LIST,
  type GpuSpec,
  type ModelSpec,
  parseWeightFormat,
  type WeightBreakdown,
  weightFormatName,
} from "@memlens/core";
import type { FormatRow } from "../charts/charts.js";

/** Formats drawn in the chart (the select offers every one). */
export const CHART_FORMATS = [
  "fp32",
  "bf16",
  "fp8",
  "int8",
  "gptq",
  "awq",
  "nf4",
  "mxfp4",
  "Q8_0",
  "Q6_K",
  "Q5_K_M",
  "Q4_K_M",
  "IQ4_XS",
  "Q3_K_M",
  "Q2_K",
  "IQ2_XS",
] as const;

const GGUF_NAMES = new Set(GGUF_FILE_TYPES.map((t) => t.name));
const groupOf = (name: string): FormatRow["group"] =>
  GGUF_NAMES.has(name) ? "gguf" : ["fp32", "fp16", "bf16"].includes(name) ? "dense" : "quantized";

/** Every format name the select offers, grouped. */
export function formatGroups(): { label: string; names: string[] }[] {
  const all = allowedWeightNames();
  return [
    { label: "Dense", names: all.filter((n) => groupOf(n) === "dense") },
    { label: "Quantized (GPU engines)", names: all.filter((n) => groupOf(n) === "quantized") },
    { label: "GGUF (llama.cpp), uniform type", names: all.filter((n) => groupOf(n) === "gguf") },
  ];
}

export interface WeightsView {
  readonly selected: { name: string; description: string; breakdown: WeightBreakdown };
  readonly rows: readonly FormatRow[];
  readonly fitsOn: readonly GpuSpec[];
}

const cache = new WeakMap<ModelSpec, Map<string, WeightBreakdown>>();

/** Core's weight breakdown for a format name ("" = as published), memoised per model. */
export function weightsFor(
  spec: ModelSpec,
  name: string,
): { name: string; description: string; breakdown: WeightBreakdown } {
  const format = parseWeightFormat(name === "" ? undefined : name, spec);
  const key = JSON.stringify(format);
  let m = cache.get(spec);
  if (!m) {
    m = new Map();
    cache.set(spec, m);
  }
  let b = m.get(key);
  if (!b) {
    b = estimateWeights(spec, format);
    m.set(key, b);
  }
  return { name: weightFormatName(format), description: describeWeightFormat(format), breakdown: b };
}

export function weightsView(spec: ModelSpec, selectedName: string): WeightsView {
  const selected = weightsFor(spec, selectedName);
  const names = new Set<string>([...CHART_FORMATS, selected.name]);
  const rows: FormatRow[] = [...names].map((n) => ({
    format: n,
    bytes: weightsFor(spec, n).breakdown.totalBytes,
    group: groupOf(n),
  }));
  const fitsOn = GPU_LIST.filter((g) => g.memoryBytes >= selected.breakdown.totalBytes);
  return { selected, rows, fitsOn };
}
