/**
 * Calibration against validation/llamacpp (real llama.cpp, CPU build, synthetic GGUF files):
 * issue 4's targets — KV and model buffers within 0.5% of every record, compute buffers within 10%
 * (median under 3%). Skips when the harness has not produced records yet.
 */
import { describe, expect, test } from "vitest";
import {
  type LlamaCppMemory,
  type LlamaCppSettings,
  llamaCppMemory,
} from "../../packages/core/src/estimate/engines/llamacpp/index.js";
import { type HarnessRecord, loadHarness, modelOfFile } from "./harness-records.js";

const { records, files, source } = loadHarness();
const ok = records.filter((r) => r.ok && r.measured && files.has(r.modelFile.id));

function settingsOf(r: HarnessRecord): LlamaCppSettings {
  const s = r.settings;
  const cp = r.measured.cparams;
  const nSeq = Number(cp.n_seq_max ?? s.nSeqMax);
  return {
    // llama.cpp's n_ctx covers all sequences; memlens takes tokens per sequence
    contextLength: Math.ceil(Number(cp.n_ctx ?? s.nCtx) / nSeq),
    nSeq,
    nBatch: Number(cp.n_batch ?? s.nBatch),
    nUbatch: Number(cp.n_ubatch ?? s.nUbatch),
    flashAttn: s.flashAttn,
    typeK: String(s.typeK).toUpperCase(),
    typeV: String(s.typeV).toUpperCase(),
    gpuCount: 0,
    gpuLayers: 0,
    tensorSplit: null,
    overrides: [],
    mmap: s.mmap,
    swaFull: s.swaFull,
    kvUnified: false,
    kvOffload: true,
    opOffload: true,
    noHost: false,
    cpuFeatures: /AMX_INT8 = 1/.test(r.llamaCpp?.systemInfo ?? "")
      ? "amx"
      : /AVX512 = 1/.test(r.llamaCpp?.systemInfo ?? "")
        ? "avx512"
        : "avx2",
  };
}

interface Row {
  arch: string;
  id: string;
  quantity: string;
  measured: number;
  estimated: number;
  error: number;
}

const modelCache = new Map<string, ReturnType<typeof modelOfFile>["model"]>();
const rows: Row[] = [];
for (const r of ok) {
  let model = modelCache.get(r.modelFile.id);
  if (!model) {
    model = modelOfFile(files.get(r.modelFile.id)).model;
    modelCache.set(r.modelFile.id, model);
  }
  let m: LlamaCppMemory;
  try {
    m = llamaCppMemory(model, settingsOf(r));
  } catch (e) {
    rows.push({
      id: r.id,
      quantity: `error: ${String(e).slice(0, 80)}`,
      measured: 1,
      estimated: 0,
      error: 1,
    });
    continue;
  }
  const add = (quantity: string, measured: number, estimated: number) =>
    rows.push({
      arch: r.arch,
      id: r.id,
      quantity,
      measured,
      estimated,
      error: (estimated - measured) / measured,
    });
  const meas = r.measured;
  const sumPrinted = (xs: { bytes: number }[]) => xs.reduce((a, b) => a + b.bytes, 0);
  // model buffers: each named buffer llama.cpp printed (exact total from memory_breakdown)
  for (const b of meas.modelBuffers as { buffer: string; bytes: number }[]) {
    const est = m.modelBuffers.find((x) => x.name === b.buffer)?.bytes ?? 0;
    add(`model ${b.buffer}`, b.bytes, est);
  }
  const kvMeasured = sumPrinted(meas.kvBuffers) + sumPrinted(meas.rsBuffers ?? []);
  const kvEst = m.kvBuffers.reduce((a, b) => a + b.bytes, 0);
  if (kvMeasured > 0) add("kv", kvMeasured, kvEst);
  if (meas.outputBuffer) add("output", meas.outputBuffer.bytes, m.outputBuffer.bytes);
  if (meas.computeBuffer) {
    // exact compute = memory_breakdown's context bytes − KV (llama.cpp prints compute to 0.01 MiB)
    const exact = meas.exact?.contextBytes ? meas.exact.contextBytes - kvEst : meas.computeBuffer.bytes;
    const measured =
      Math.abs(exact - meas.computeBuffer.bytes) < 0.006 * 2 ** 20 ? exact : meas.computeBuffer.bytes;
    add(
      "compute",
      measured,
      m.computeBuffers.reduce((a, b) => a + b.bytes, 0),
    );
  }
}

const PRINT_TOLERANCE = 0.006 * 2 ** 20; // llama.cpp prints MiB with two decimals

function summary(quantity: (q: string) => boolean, arch?: string) {
  const xs = rows
    .filter((r) => quantity(r.quantity) && (arch === undefined || r.arch === arch))
    .map((r) => Math.abs(r.error));
  xs.sort((a, b) => a - b);
  return {
    records: xs.length,
    median: xs.length ? xs[Math.floor(xs.length / 2)]! : 0,
    worst: xs.length ? xs[xs.length - 1]! : 0,
  };
}

const refused = records.filter((r) => !r.ok && r.failedAt === "context" && files.has(r.modelFile.id));

describe.skipIf(ok.length === 0)(`llama.cpp harness (${ok.length} records from ${source})`, () => {
  test.each(refused.map((r) => [r.id, r] as const))("refused like llama.cpp: %s", (_id, r) => {
    const model = modelOfFile(files.get(r.modelFile.id)).model;
    expect(() => llamaCppMemory(model, settingsOf(r))).toThrow(
      /quantized V cache|different K .* and V .* cache types/,
    );
  });

  test("accuracy table", () => {
    const table = {
      model: summary((q) => q.startsWith("model")),
      kv: summary((q) => q === "kv"),
      output: summary((q) => q === "output"),
      compute: summary((q) => q === "compute"),
    };
    console.log(JSON.stringify(table));
    for (const arch of [...new Set(rows.map((r) => r.arch))])
      console.log(
        arch,
        JSON.stringify({
          model: summary((q) => q.startsWith("model"), arch),
          kv: summary((q) => q === "kv", arch),
          compute: summary((q) => q === "compute", arch),
        }),
      );
    const bad = rows
      .filter((r) => Math.abs(r.error) > (r.quantity === "compute" ? 0.1 : 0.005))
      .filter((r) => Math.abs(r.estimated - r.measured) > PRINT_TOLERANCE);
    for (const b of bad.slice(0, 40))
      console.log(
        `${b.id} ${b.quantity}: measured ${(b.measured / 2 ** 20).toFixed(2)} MiB, estimated ${(b.estimated / 2 ** 20).toFixed(2)} MiB (${(b.error * 100).toFixed(2)}%)`,
      );
    expect(rows.filter((r) => r.quantity.startsWith("error"))).toEqual([]);
    expect(bad.filter((r) => r.quantity !== "compute")).toEqual([]);
    expect(bad.filter((r) => r.quantity === "compute")).toEqual([]);
    expect(table.compute.median).toBeLessThan(0.03);
  });
});
