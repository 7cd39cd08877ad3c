/**
 * Self-check of validation/llamacpp/measured.jsonl: for every successfully measured record, the KV
 * cache (and, for hybrid models, the recurrent-state cache) that llama.cpp reported equals the
 * closed-form size computed from the record's shape and settings, with 0 bytes of tolerance at
 * the precision llama.cpp prints (it logs "%8.2f MiB"; the formula's bytes are formatted the same
 * way and compared as strings). A second check uses llama.cpp's exact byte count of the context
 * (memory_breakdown: KV + recurrent + compute, no rounding): exact - formula must print as the
 * compute buffer llama.cpp logged.
 *
 * Rules and their source lines, llama.cpp de3ff815 (the build inside node-llama-cpp 3.22.1):
 * - what node-llama-cpp 3.22.1 passes (dist/evaluator/LlamaContext/LlamaContext.js): n_ctx =
 *   pad256(pad256(contextSize) * sequences) (:735-739, :167), batchSize = max(batchSize, sequences) + 1
 *   when the GGUF has a sliding window and swaFullCache is off (:152, :168); its addon sets
 *   n_ubatch = n_batch = batchSize and kv_unified = false (llama/addon/AddonContext.cpp:571-582)
 * - n_batch = min(n_ctx, n_batch); n_ubatch = min(n_batch, n_ubatch): src/llama-context.cpp:246-248
 * - n_ctx = GGML_PAD(n_ctx, 256): src/llama-context.cpp:289
 * - kv_unified = false (node-llama-cpp AddonContext.cpp): n_ctx_seq = GGML_PAD(n_ctx / n_seq_max, 256),
 *   n_ctx = n_ctx_seq * n_seq_max: src/llama-context.cpp:291-304
 * - the cache gets kv_size = n_ctx_seq cells per stream, n_pad = 1: src/llama-model.cpp:2737 (default
 *   branch of create_memory), n_stream = unified ? 1 : n_seq_max: src/llama-kv-cache.cpp:84
 * - per layer K = ggml_new_tensor_3d(type_k, n_embd_k_gqa, kv_size, n_stream) and V likewise, V absent
 *   for MLA (has_v = !is_mla): src/llama-kv-cache.cpp:231-234; without flash attention V is stored
 *   transposed with width n_embd_v_gqa_max: src/llama-kv-cache.cpp:210
 * - n_embd_k_gqa(il) = n_embd_head_k(il) * n_head_kv(il): src/llama-hparams.cpp:156-166
 * - tensor bytes = ggml_row_size(type, ne0) * rows = ne0 / blck_size * type_size * rows:
 *   ggml/src/ggml.c:1339 (block sizes: ../src/ggml-types.ts, from gguf-py constants.py:5876)
 * - SWA models (gemma2, gemma3, gpt-oss) use llama_kv_cache_iswa: src/llama-model.cpp:2700-2717;
 *   size_base = kv_size for non-SWA layers; SWA layers get
 *   size_swa = GGML_PAD(min(size_base, n_swa * (unified ? n_seq_max : 1) + n_ubatch), 256),
 *   or size_base with swa_full: src/llama-kv-cache-iswa.cpp:69-80
 * - layer il is SWA iff il % n_pattern < n_pattern - 1 (dense_first = false): src/llama-hparams.cpp:8-22
 * - hybrid qwen3next: attention layers only in the KV cache (filter_attn), recurrent layers get
 *   R = n_embd_r x n_rows and S = n_embd_s x n_rows f32 tensors with n_rows = max(1, n_seq_max) * (1 + n_rs_seq):
 *   src/llama-model.cpp:2557-2605, src/llama-memory-recurrent.cpp:101-103;
 *   n_embd_r = (d_conv - 1) * (d_inner + 2 * n_group * d_state), n_embd_s = d_state * d_inner:
 *   src/llama-hparams.cpp:208-260
 * - the KV buffer is one allocation of all K/V tensors (ggml_backend_alloc_ctx_tensors_from_buft,
 *   src/llama-kv-cache.cpp:285), each already a multiple of the CPU buffer alignment here.
 * - the "size = ... K (..): .. MiB, V (..): .. MiB" line casts bytes to float before dividing:
 *   src/llama-kv-cache.cpp (LLAMA_LOG_INFO after allocation); "KV buffer size" divides a double.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ggmlType, tensorBytes } from "../src/ggml-types.js";

interface PrintedSize {
  printed: string;
  bytes: number;
}
interface KvCacheLine {
  cache: string;
  size: PrintedSize;
  cells: number;
  layers: number;
  nSeqMax: number;
  nStream: number;
  typeK: string;
  k: PrintedSize;
  typeV: string;
  v: PrintedSize;
}
interface RecurrentLine {
  size: PrintedSize;
  cells: number;
  layers: number;
  nRsSeq: number;
  r: PrintedSize;
  s: PrintedSize;
}
interface RecordShape {
  arch: string;
  nCtxTrain: number;
  nHeadKv: number;
  headDimK: number;
  headDimV: number;
  nSwa: number | null;
  isSwaLayer: boolean[];
  isRecurrentLayer: boolean[];
  mla: object | null;
  ssm: { dConv: number; dInner: number; dState: number; nGroup: number } | null;
}
interface MeasuredRecord {
  id: string;
  ok: boolean;
  shape: RecordShape;
  settings: {
    nCtx: number;
    nBatch: number;
    flashAttn: boolean;
    typeK: string;
    typeV: string;
    nSeqMax: number;
    swaFull: boolean;
  };
  measured: {
    cparams: Record<string, string>;
    kvBuffers: Array<{ buffer: string; printed: string }>;
    kvCaches: KvCacheLine[];
    iswaCells: Record<string, number>;
    rsBuffers: Array<{ buffer: string; printed: string }>;
    recurrent: RecurrentLine[];
    computeBuffer: PrintedSize | null;
    exact: { contextBytes: number | null };
  };
}

const MIB = 1048576n;

/** printf("%.2f", bytes / 2^20) with exact round-half-to-even on the binary value. */
function formatMiB(bytes: number): string {
  const q = BigInt(bytes) * 100n;
  let whole = q / MIB;
  const rem = q % MIB;
  if (rem * 2n > MIB || (rem * 2n === MIB && whole % 2n === 1n)) whole += 1n;
  const s = whole.toString().padStart(3, "0");
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

/** The KV "size = ..." line divides (float)bytes: emulate the float rounding first. */
function formatMiBFloat(bytes: number): string {
  return formatMiB(Math.fround(bytes));
}

const pad256 = (n: number): number => Math.ceil(n / 256) * 256;

interface ExpectedCache {
  cache: string;
  cells: number;
  layers: number;
  kBytes: number;
  vBytes: number;
}

function expectedKv(rec: MeasuredRecord): { caches: ExpectedCache[]; rsBytes: number; nUbatch: number } {
  const { shape: sh, settings: st } = rec;
  const swaModel = sh.nSwa !== null;
  // node-llama-cpp 3.22.1 sees a sliding window whenever the GGUF has <arch>.attention.sliding_window
  // in (0, n_ctx_train) (GgufInsights.js:167-175); phi3 files carry one although llama.cpp disables SWA
  // for phi3 (conversion/phi.py:169-173, models/phi3.cpp)
  const nlcSeesSwa = swaModel || sh.arch === "phi3";
  // LlamaContext.js:735-739 (kv_unified false): the per-sequence size is padded to 256 when it stays
  // below n_ctx_train; LlamaContext.js:167: llama.cpp gets pad256(per-sequence size * sequences)
  const perSeq = Math.max(2, st.nCtx);
  const perSeqPadded = perSeq <= sh.nCtxTrain && pad256(perSeq) < sh.nCtxTrain ? pad256(perSeq) : perSeq;
  const nCtxParam = pad256(perSeqPadded * st.nSeqMax);
  // LlamaContext.js:152,168: batchSize = max(batchSize, sequences) (+1 for SWA unless swaFullCache);
  // the addon sets n_ubatch = n_batch = batchSize (AddonContext.cpp:581-582)
  const batchParam = Math.max(st.nBatch, st.nSeqMax) + (nlcSeesSwa && !st.swaFull ? 1 : 0);
  // llama-context.cpp:246-248
  const nUbatch = Math.min(nCtxParam, batchParam);
  // llama-context.cpp:289-304
  const nCtxPadded = pad256(nCtxParam);
  const nCtxSeq = pad256(Math.floor(nCtxPadded / st.nSeqMax));
  const nStream = st.nSeqMax;
  const tK = ggmlType(st.typeK.toUpperCase());
  const tV = ggmlType(st.typeV.toUpperCase());
  const kWidth = sh.nHeadKv * sh.headDimK;
  const vWidth = sh.nHeadKv * sh.headDimV;
  const hasV = sh.mla === null;
  const attnLayers = sh.isSwaLayer.map((swa, il) => ({ swa, recurrent: sh.isRecurrentLayer[il] === true }));
  const cache = (name: string, cells: number, layers: number): ExpectedCache => ({
    cache: name,
    cells,
    layers,
    kBytes: layers * tensorBytes(tK, [kWidth, cells, nStream]),
    vBytes: hasV ? layers * tensorBytes(tV, [vWidth, cells, nStream]) : 0,
  });
  const caches: ExpectedCache[] = [];
  if (swaModel) {
    const nSwa = sh.nSwa ?? 0;
    const sizeSwa = st.swaFull ? nCtxSeq : pad256(Math.min(nCtxSeq, nSwa + nUbatch));
    caches.push(cache("non-SWA", nCtxSeq, attnLayers.filter((l) => !l.swa).length));
    caches.push(cache("SWA", sizeSwa, attnLayers.filter((l) => l.swa).length));
  } else {
    caches.push(cache("kv", nCtxSeq, attnLayers.filter((l) => !l.recurrent).length));
  }
  let rsBytes = 0;
  if (sh.ssm !== null) {
    const nRecurrent = attnLayers.filter((l) => l.recurrent).length;
    const nRows = Math.max(1, st.nSeqMax); // n_rs_seq = 0 (logged)
    const nEmbdR = (sh.ssm.dConv - 1) * (sh.ssm.dInner + 2 * sh.ssm.nGroup * sh.ssm.dState);
    const nEmbdS = sh.ssm.dState * sh.ssm.dInner;
    rsBytes = nRecurrent * nRows * (nEmbdR + nEmbdS) * 4;
  }
  return { caches, rsBytes, nUbatch };
}

const here = dirname(fileURLToPath(import.meta.url));
const recordsPath = process.env["MEMLENS_LLAMACPP_RECORDS"] ?? join(here, "../measured.jsonl");
const records = readFileSync(recordsPath, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as MeasuredRecord);
const okRecords = records.filter((r) => r.ok);

describe("llama.cpp measured KV cache equals the closed-form formula", () => {
  it("has records to check", () => {
    expect(okRecords.length).toBeGreaterThan(0);
  });

  it.each(okRecords.map((r) => [r.id, r] as const))("%s", (_id, rec) => {
    const { caches, rsBytes, nUbatch } = expectedKv(rec);
    const m = rec.measured;
    // settings llama.cpp actually used
    expect(Number(m.cparams["n_ubatch"])).toBe(nUbatch);
    expect(Number(m.cparams["n_seq_max"])).toBe(rec.settings.nSeqMax);
    expect(Number(m.cparams["n_ctx_seq"])).toBe(caches[0]!.cells);
    const nonEmpty = caches.filter((c) => c.layers > 0);
    expect(m.kvCaches.map((c) => [c.cache, c.cells, c.layers, c.nStream])).toEqual(
      nonEmpty.map((c) => [c.cache, c.cells, c.layers, rec.settings.nSeqMax]),
    );
    nonEmpty.forEach((c, i) => {
      const line = m.kvCaches[i]!;
      expect(line.k.printed).toBe(formatMiBFloat(c.kBytes));
      expect(line.v.printed).toBe(formatMiBFloat(c.vBytes));
      expect(line.size.printed).toBe(formatMiBFloat(c.kBytes + c.vBytes));
      // one CPU KV buffer per cache, in the same order
      expect(m.kvBuffers[i]?.printed).toBe(formatMiB(c.kBytes + c.vBytes));
    });
    const kvTotal = nonEmpty.reduce((n, c) => n + c.kBytes + c.vBytes, 0);
    if (rec.shape.ssm !== null) {
      expect(m.recurrent).toHaveLength(1);
      expect(m.rsBuffers[0]?.printed).toBe(formatMiB(rsBytes));
      expect(m.recurrent[0]!.size.printed).toBe(formatMiBFloat(rsBytes));
    } else {
      expect(m.recurrent).toHaveLength(0);
    }
    // exact bytes: llama.cpp's memory_breakdown (KV + recurrent + compute) minus the formula
    // must print exactly as the compute buffer it logged
    if (m.exact.contextBytes !== null && m.computeBuffer !== null) {
      expect(formatMiB(m.exact.contextBytes - kvTotal - rsBytes)).toBe(m.computeBuffer.printed);
    }
  });
});
