import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { estimate } from "../../../packages/core/src/index.js";

// Compares core's training estimate with the peaks validation/gpu/measure.py recorded on a real GPU
// (measured.jsonl: training steps; inference.jsonl: generate() calls), once copied here.
const DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const FILE = join(DIR, "measured.jsonl");
const INFERENCE_FILE = join(DIR, "inference.jsonl");

interface GpuRecord {
  readonly id: string;
  readonly outcome: string;
  readonly scenario?: Record<string, unknown>;
  readonly measured?: { readonly max_allocated_bytes: number; readonly max_reserved_bytes: number };
}

const readRecords = (file: string): GpuRecord[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as GpuRecord)
    : [];
const ok = (rs: readonly GpuRecord[]) => rs.filter((r) => r.outcome === "ok" && r.scenario && r.measured);
const measured = ok(readRecords(FILE));
const generated = ok(readRecords(INFERENCE_FILE));

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

describe.skipIf(measured.length === 0)("training estimate vs validation/gpu/measured.jsonl", () => {
  const rows = measured.map((r) => {
    const e = estimate(r.scenario);
    const predicted = Number(e.engine.torchAllocatedPeakBytes);
    const actual = r.measured?.max_allocated_bytes ?? 0;
    return { id: r.id, predicted, actual, error: predicted / actual - 1 };
  });

  it("median |error| of torch.cuda.max_memory_allocated is at most 10%", () => {
    expect(median(rows.map((r) => Math.abs(r.error)))).toBeLessThanOrEqual(0.1);
  });

  it.each(rows.map((r) => [r.id, r] as const))("%s within 30%", (_id, r) => {
    expect(Math.abs(r.error)).toBeLessThan(0.3);
  });
});

describe.skipIf(generated.length === 0)(
  "transformers generate() estimate vs validation/gpu/inference.jsonl",
  () => {
    const rows = generated.map((r) => {
      const predicted = Number(estimate(r.scenario).engine.torchAllocatedPeakBytes);
      const actual = r.measured?.max_allocated_bytes ?? 0;
      return { id: r.id, error: predicted / actual - 1 };
    });
    it("median |error| of the generate() peak is at most 10%", () => {
      expect(median(rows.map((r) => Math.abs(r.error)))).toBeLessThanOrEqual(0.1);
    });
  },
);

describe.runIf(measured.length === 0)("validation/gpu/measured.jsonl", () => {
  it.skip("not found: run `python3 validation/gpu/measure.py OUT_DIR` on a machine with a CUDA GPU and copy OUT_DIR/*.jsonl here", () => {});
});
