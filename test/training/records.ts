/**
 * Public training measurements (test/training/fixtures/public-training.jsonl): each record keeps
 * public.jsonl's field layout (source, exact settings, measured value as printed, verbatim) plus
 * `scenario`, the memlens scenario that rebuilds it. Nothing in the file was computed by memlens.
 */
import { readFileSync } from "node:fs";
import { estimate } from "../../packages/core/src/estimate/estimate.js";
import { parseScenario } from "../../packages/core/src/scenario/scenario.js";

export interface TrainingRecord {
  readonly id: string;
  readonly engine_family: string;
  readonly memlens_model_id: string;
  readonly source: { readonly repo: string; readonly path: string; readonly commit: string };
  readonly measured: Readonly<Record<string, { readonly value: number | "OOM"; readonly printed: string }>>;
  readonly scenario: Record<string, unknown>;
}

const FIXTURE = new URL("./fixtures/public-training.jsonl", import.meta.url);

export const TRAINING_RECORDS: readonly TrainingRecord[] = readFileSync(FIXTURE, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as TrainingRecord);

/** What a record measured: a peak in bytes, the longest sequence that fits, or an OOM outcome. */
export type Quantity = "peak bytes" | "max context" | "outcome";

export interface Row {
  readonly id: string;
  readonly framework: string;
  readonly quantity: Quantity;
  readonly measured: number | "OOM";
  readonly predicted: number | "OOM";
  /** predicted / measured − 1; null where either side is an outcome. */
  readonly error: number | null;
}

/** Rebuilds one record through the public estimate() and compares what it measured. */
export function rebuild(r: TrainingRecord): Row {
  const e = estimate(parseScenario(r.scenario));
  const [name, m] = Object.entries(r.measured)[0] ?? [];
  if (!name || !m) throw new Error(`${r.id}: no measured quantity`);
  const framework = r.engine_family;
  if (name === "max_context_length") {
    const p = e.maxContextLength ?? "OOM";
    const error = m.value === "OOM" || p === "OOM" ? null : p / m.value - 1;
    return { id: r.id, framework, quantity: "max context", measured: m.value, predicted: p, error };
  }
  if (m.value === "OOM")
    return {
      id: r.id,
      framework,
      quantity: "outcome",
      measured: "OOM",
      predicted: e.fits ? Number(e.engine.peakBytes) : "OOM",
      error: null,
    };
  // Every peak in the file is PyTorch's allocator peak (max_memory_allocated / active_bytes peak).
  const p = Number(e.engine.torchAllocatedPeakBytes);
  return {
    id: r.id,
    framework,
    quantity: "peak bytes",
    measured: m.value,
    predicted: p,
    error: p / m.value - 1,
  };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
