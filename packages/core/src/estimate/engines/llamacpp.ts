/**
 * llama.cpp (llama-server / llama-cli / ollama's runner): the buffers it allocates, reproduced
 * from its own rules (llama.cpp@de3ff815):
 * - model buffers: each tensor's buffer type from its layer's device (llama_model_base::load_tensors,
 *   src/llama-model.cpp:1480-1546: input layer on the CPU, layers from i_gpu_start = n_layer + 1 -
 *   n_gpu_layers split by tensor_split, the output layer counted in n_gpu_layers), tensor overrides,
 *   the CPU buffer-type list (make_cpu_buft_list :1061: the GPU's pinned host buffer, then the CPU
 *   repack buffer, then plain CPU), mmap ranges (llama_model_loader::get_mapping_range);
 * - KV cache: n_ctx padded to 256, per-sequence streams, a window-sized cache for SWA layers
 *   (llama_kv_cache_iswa), quantized K/V block sizes, K only for MLA, recurrent state;
 * - output buffer: n_vocab × n_seq_max floats (llama_context::output_reserve);
 * - compute buffers: the reserve graph replayed through ggml-alloc (llamacpp-graph.ts).
 */
import { lookupGgmlType } from "../../catalog/dtypes.js";
import { MemlensError } from "../../errors/memlens-error.js";
import { hasGguf, type LlamaCppModel, type LlamaCppTensor } from "../../models/gguf-model.js";
import type { Scenario } from "../../scenario/scenario.js";
import type { EngineLowerBound } from "../estimate.js";
import type { DeviceBytes, EngineInput, EngineMemory, EngineModel } from "../estimate-types.js";
import type { KvDtype, KvLayoutOptions } from "../kv-cache.js";
import { CUDA_CONTEXT_BYTES } from "./cuda-context.js";
import { allocateGraph, type GgmlGraph, type GTensor } from "./ggml-graph.js";
import { buildLlamaCppGraph, kvWidths } from "./llamacpp-graph.js";
import { llamaCppModelFromSpec } from "./llamacpp-tensors.js";

const MIB = 1024 * 1024;

/** CPU features that decide which weights llama.cpp repacks (ggml-cpu repack.cpp / amx.cpp). */
export type CpuFeatures = "avx2" | "avx512" | "amx" | "neon" | "none";

export interface LlamaCppSettings {
  /** Tokens per sequence (the scenario's contextLength). */
  readonly contextLength: number;
  /** Parallel sequences (n_seq_max, llama-server --parallel). */
  readonly nSeq: number;
  readonly nBatch: number;
  readonly nUbatch: number;
  readonly flashAttn: boolean;
  /** ggml type names of the caches ("F16", "Q8_0"). */
  readonly typeK: string;
  readonly typeV: string;
  /** GPUs llama.cpp uses (0: a CPU-only build). */
  readonly gpuCount: number;
  /** n_gpu_layers, counting the output layer (n_layer + 1 = everything). */
  readonly gpuLayers: number;
  /** --tensor-split proportions; null = by free memory (`gpuFreeBytes`), else even. */
  readonly tensorSplit: readonly number[] | null;
  readonly gpuFreeBytes?: readonly number[];
  /** --override-tensor rules: regex source → "CPU" or a GPU index. */
  readonly overrides: readonly { readonly pattern: string; readonly device: "CPU" | number }[];
  readonly mmap: boolean;
  readonly swaFull: boolean;
  readonly kvUnified: boolean;
  /** --no-kv-offload turns this off: KV of GPU layers stays in host memory. */
  readonly kvOffload: boolean;
  /** Large-batch ops on host weights run on the GPU (weights copied into its compute buffer). */
  readonly opOffload: boolean;
  /** --no-host: CPU weights in plain CPU buffers instead of the GPU's pinned host buffer. */
  readonly noHost: boolean;
  readonly cpuFeatures: CpuFeatures;
  /** Reproduce llama.cpp's pre-2026 reserve graph (F32 KQ mask cast to F16, no embedding input). */
  readonly legacyGraph?: boolean;
}

/** One buffer llama.cpp logs, named as it names it ("CUDA0", "CPU_Mapped", "CUDA_Host"). */
export interface LlamaCppBuffer {
  readonly name: string;
  /** GPU index, or "host" for buffers in system memory. */
  readonly device: number | "host";
  readonly bytes: number;
}

export interface LlamaCppKvCache {
  /** "kv", or "non-SWA" / "SWA" for an interleaved-SWA model, or "recurrent". */
  readonly cache: string;
  readonly cells: number;
  readonly layers: number;
  readonly kBytes: number;
  readonly vBytes: number;
}

export interface LlamaCppMemory {
  readonly settings: LlamaCppSettings;
  /** n_ctx (all sequences, padded), n_ctx_seq, and the reserved ubatch. */
  readonly nCtx: number;
  readonly nCtxSeq: number;
  readonly nUbatch: number;
  readonly modelBuffers: readonly LlamaCppBuffer[];
  readonly kvBuffers: readonly LlamaCppBuffer[];
  readonly kvCaches: readonly LlamaCppKvCache[];
  readonly outputBuffer: LlamaCppBuffer;
  readonly computeBuffers: readonly LlamaCppBuffer[];
  /** Device of each layer (GPU index or "host"), and of the output layer. */
  readonly layerDevices: readonly (number | "host")[];
  readonly outputDevice: number | "host";
  readonly notes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// settings

const KV_TYPE_NAMES: Readonly<Record<string, string>> = {
  auto: "F16",
  fp16: "F16",
  f16: "F16",
  bf16: "BF16",
  fp32: "F32",
  f32: "F32",
  q8_0: "Q8_0",
  q4_0: "Q4_0",
  q4_1: "Q4_1",
  q5_0: "Q5_0",
  q5_1: "Q5_1",
  iq4_nl: "IQ4_NL",
};

/** llama.cpp --cache-type-k/v name → ggml type name. */
export function llamaCppCacheType(name: string, field: string): string {
  const t = KV_TYPE_NAMES[name.toLowerCase()];
  if (!t)
    throw new MemlensError(
      "invalid-value",
      `${field} "${name}" is not a llama.cpp cache type; allowed: ${Object.keys(KV_TYPE_NAMES).join(", ")}`,
      field,
      Object.keys(KV_TYPE_NAMES),
    );
  return t;
}

/** memlens KvDtype of a ggml cache type (for per-token KV figures). */
function kvDtypeOf(type: string): KvDtype {
  const m: Record<string, KvDtype> = {
    F16: "fp16",
    BF16: "bf16",
    F32: "fp32",
    Q8_0: "q8_0",
    Q4_0: "q4_0",
    Q4_1: "q4_1",
    Q5_0: "q5_0",
    Q5_1: "q5_1",
    IQ4_NL: "iq4_nl",
  };
  return m[type] ?? "fp16";
}

/** Defaults: llama-server's (common/common.h: n_batch 2048, n_ubatch 512, flash attention auto). */
export function llamaCppSettings(
  scenario: Scenario,
  nLayer: number,
  gpuCount: number,
  contextLength = scenario.contextLength,
  batch = scenario.batch,
  gpuFreeBytes?: readonly number[],
): LlamaCppSettings {
  const o = scenario.engineOptions;
  const kvName = scenario.kvCache;
  const typeK = llamaCppCacheType(o.typeK ?? kvName, o.typeK ? "engineOptions.typeK" : "kvCache");
  const typeV = llamaCppCacheType(o.typeV ?? kvName, o.typeV ? "engineOptions.typeV" : "kvCache");
  // llama_init_from_model resolves "auto" to enabled (every backend memlens models supports FA);
  // validateLlamaCppContext refuses a quantized V cache without it (src/llama-context.cpp:3781).
  const fa = o.flashAttention ?? "auto";
  const cpuOnly = o.backend === "cpu" || gpuCount === 0;
  const gpus = cpuOnly ? 0 : gpuCount;
  const overrides = [...(o.overrideTensors ?? []).map(parseOverride)];
  // --cpu-moe / --n-cpu-moe (common/arg.cpp, LLM_FFN_EXPS_REGEX in common/common.h)
  if (o.cpuMoe) overrides.push({ pattern: "\\.ffn_(up|down|gate|gate_up)_(ch|)exps", device: "CPU" });
  for (let il = 0; il < Math.min(o.nCpuMoe ?? 0, nLayer); il++)
    overrides.push({ pattern: `blk\\.${il}\\.ffn_(up|down|gate|gate_up)_(ch|)exps`, device: "CPU" });
  return {
    contextLength,
    nSeq: batch,
    nBatch: o.nBatch ?? 2048,
    nUbatch: o.nUbatch ?? 512,
    flashAttn: fa !== false,
    typeK,
    typeV,
    gpuCount: gpus,
    // common_params n_gpu_layers = -1 ("auto"/all) → n_layer + 1 (src/llama-model.cpp:1924)
    gpuLayers: gpus === 0 ? 0 : Math.min(o.gpuLayers ?? nLayer + 1, nLayer + 1),
    tensorSplit: o.tensorSplit ?? null,
    ...(gpuFreeBytes ? { gpuFreeBytes } : {}),
    overrides,
    mmap: o.mmap ?? true,
    swaFull: o.swaFull ?? false,
    kvUnified: o.kvUnified ?? false,
    kvOffload: o.kvOffload ?? true,
    opOffload: o.opOffload ?? true,
    noHost: o.noHost ?? false,
    cpuFeatures: o.cpuFeatures ?? "avx2",
  };
}

/** "regex=CPU" or "regex=CUDA1" (llama.cpp -ot syntax). */
export function parseOverride(rule: string): { pattern: string; device: "CPU" | number } {
  const i = rule.lastIndexOf("=");
  const pattern = i > 0 ? rule.slice(0, i) : "";
  const target = i > 0 ? rule.slice(i + 1).trim() : "";
  const gpu = /^(?:CUDA|ROCm|Vulkan|MTL|SYCL|GPU)(\d+)$/i.exec(target);
  if (pattern === "" || (!gpu && target.toUpperCase() !== "CPU"))
    throw new MemlensError(
      "invalid-value",
      `engineOptions.overrideTensors: "${rule}" must be <tensor regex>=<CPU|CUDA0|CUDA1...>`,
      "engineOptions.overrideTensors",
    );
  try {
    new RegExp(pattern);
  } catch {
    throw new MemlensError(
      "invalid-value",
      `engineOptions.overrideTensors: "${pattern}" is not a valid regular expression`,
      "engineOptions.overrideTensors",
    );
  }
  return { pattern, device: gpu ? Number(gpu[1]) : "CPU" };
}

// ---------------------------------------------------------------------------------------------
// placement

const pad = (n: number, a: number) => Math.ceil(n / a) * a;
const CPU_ALIGN = 32; // ggml-impl.h TENSOR_ALIGNMENT
const CUDA_ALIGN = 128; // ggml-cuda.cu ggml_backend_cuda_buffer_type_get_alignment
const MATRIX_ROW_PADDING = 512; // ggml-cuda/common.cuh

/** CUDA allocation size: quantized tensors get one padded row (ggml-cuda.cu [TAG_ALLOC_SIZE_EXPAND]). */
function cudaAllocBytes(t: LlamaCppTensor): number {
  const type = lookupGgmlType(t.type);
  const ne0 = t.ne[0]!;
  let size = t.bytes;
  if (type.isQuantized && ne0 % MATRIX_ROW_PADDING !== 0)
    size += ((MATRIX_ROW_PADDING - (ne0 % MATRIX_ROW_PADDING)) / type.blockSize) * type.typeSizeBytes;
  return size;
}

/**
 * AMX's packed (VNNI) layout adds per block: 4 bytes of s8s8 compensation for Q8_0, 4 bytes for
 * Q4_K/Q5_K, 2 for IQ4_XS (ggml-cpu/amx/mmq.cpp get_row_size, ggml_backend_amx_get_alloc_size).
 */
function amxAllocBytes(t: LlamaCppTensor): number {
  const type = lookupGgmlType(t.type);
  const extra = ({ Q8_0: 4, Q4_K: 4, Q5_K: 4, IQ4_XS: 2 } as Record<string, number>)[t.type] ?? 0;
  const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
  return (t.ne[0]! / type.blockSize) * (type.typeSizeBytes + extra) * rows;
}

type Layer = "input" | "output" | number;

function layerOfTensor(name: string, nLayer: number): Layer {
  const m = /^blk\.(\d+)\./.exec(name);
  if (m) {
    const il = Number(m[1]);
    return il < nLayer ? il : "output";
  }
  if (/^(token_embd|per_layer_token_embd|position_embd|token_types|token_embd_norm)/.test(name))
    return "input";
  return "output";
}

/** The ggml op llama.cpp uses each weight with (llama-arch.cpp LLM_TENSOR_INFOS). */
function weightOp(name: string, ne: readonly number[]): "get_rows" | "mul_mat" | "mul_mat_id" | "other" {
  if (/^(token_embd|per_layer_token_embd|position_embd|token_types)\./.test(name)) return "get_rows";
  if (!name.endsWith(".weight") || /norm/.test(name) || ne.filter((x) => x > 1).length < 2) return "other";
  if (/_(ch|)exps\.weight$/.test(name)) return "mul_mat_id";
  return "mul_mat";
}

/** Whether ggml-cpu's extra buffer types take this weight (repack.cpp get_optimal_repack_type, amx). */
function cpuExtraBuffer(t: LlamaCppTensor, op: ReturnType<typeof weightOp>, f: CpuFeatures): string | null {
  const dims = t.ne.reduce((n, x, i) => (x > 1 ? i + 1 : n), 1);
  const ne1 = t.ne[1] ?? 1;
  // ggml-cpu/amx/amx.cpp supports_op: MUL_MAT, 32 | output rows, row length a multiple of the tile
  if (f === "amx" && op === "mul_mat" && dims === 2 && ne1 % 32 === 0) {
    const align = /^(Q4_0|Q4_1|Q8_0)$/.test(t.type) ? 32 : /^(Q4_K|Q5_K|Q6_K|IQ4_XS)$/.test(t.type) ? 256 : 0;
    if (align > 0 && t.ne[0]! % align === 0) return "AMX";
  }
  const repack =
    (op === "mul_mat" && dims === 2) || (op === "mul_mat_id" && dims === 3)
      ? f === "neon"
        ? { Q4_0: 4, Q4_K: 8, Q5_K: 8, Q6_K: 8, IQ4_NL: 4, MXFP4: 4, Q8_0: 4 }[t.type]
        : f === "none"
          ? undefined
          : { Q4_0: 8, Q4_K: 8, IQ4_NL: 8, MXFP4: 8, ...(f !== "avx2" ? { Q2_K: 8 } : {}) }[t.type]
      : undefined;
  return repack !== undefined && ne1 % repack === 0 ? "CPU_REPACK" : null;
}

interface Placement {
  /** Buffer type name. */
  readonly buft: string;
  readonly device: number | "host";
}

/** Per-layer device: the split points of load_tensors (src/llama-model.cpp:1489-1530). */
export function layerDevices(
  nLayer: number,
  s: Pick<LlamaCppSettings, "gpuCount" | "gpuLayers" | "tensorSplit" | "gpuFreeBytes">,
): { layers: (number | "host")[]; output: number | "host" } {
  const nDev = s.gpuCount;
  const weights = s.tensorSplit?.some((x) => x > 0)
    ? Array.from({ length: nDev }, (_, i) => s.tensorSplit![i] ?? 0)
    : (s.gpuFreeBytes ?? Array.from({ length: nDev }, () => 1));
  const splits: number[] = [];
  let sum = 0;
  for (let i = 0; i < nDev; i++) {
    sum += weights[i] ?? 0;
    splits.push(sum);
  }
  for (let i = 0; i < nDev; i++) splits[i] = splits[i]! / sum;
  const iGpuStart = Math.max(nLayer + 1 - s.gpuLayers, 0);
  const act = nDev === 0 ? 0 : Math.min(s.gpuLayers, nLayer + 1);
  const devOf = (il: number): number | "host" => {
    if (il < iGpuStart || il - iGpuStart >= act) return "host";
    // std::upper_bound over the cumulative split points
    const x = (il - iGpuStart) / act;
    let d = 0;
    while (d < nDev && splits[d]! <= x) d++;
    return Math.min(d, nDev - 1);
  };
  return { layers: Array.from({ length: nLayer }, (_, il) => devOf(il)), output: devOf(nLayer) };
}

/**
 * The context parameters llama_init_from_model refuses (src/llama-context.cpp:3776-3810): a
 * quantized V cache without flash attention, different K and V types with MLA, and cache types
 * whose blocks do not divide a head.
 */
export function validateLlamaCppContext(model: LlamaCppModel, s: LlamaCppSettings): void {
  const h = model.hparams;
  const field = "engineOptions.flashAttention";
  if (!s.flashAttn && lookupGgmlType(s.typeV).isQuantized)
    throw new MemlensError(
      "invalid-value",
      `quantized V cache (${s.typeV.toLowerCase()}) requires flash attention; set engineOptions.flashAttention to true or "auto", or use an f16 V cache`,
      field,
      ["true", "auto"],
    );
  if (h.mla && s.typeK !== s.typeV)
    throw new MemlensError(
      "invalid-value",
      `this MLA model does not support different K (${s.typeK.toLowerCase()}) and V (${s.typeV.toLowerCase()}) cache types`,
      "kvCache",
    );
  if (s.flashAttn)
    for (const [type, head, which] of [
      [s.typeK, h.mla ? h.mla.nLoraKv + h.nRot : h.nEmbdHeadK, "K"],
      [s.typeV, h.mla ? h.mla.nLoraKv : h.nEmbdHeadV, "V"],
    ] as const) {
      const block = lookupGgmlType(type).blockSize;
      if (head > 0 && head % block !== 0)
        throw new MemlensError(
          "invalid-value",
          `${which} cache type ${type.toLowerCase()} has blocks of ${block}, which do not divide the head size ${head}`,
          "kvCache",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// the memory model

const gpuName = (i: number) => `CUDA${i}`;
/** ggml-cuda.cu ggml_backend_cuda_host_buffer_type: pinned host memory, named "CUDA_Host". */
const HOST_BUFFER = "CUDA_Host";

// ---------------------------------------------------------------------------------------------
// memoisation (exact: each memo is keyed by every input its function reads)

/** Where the weights go: a function of the model and of the settings but context and sequences. */
interface ModelPlacement {
  readonly devs: readonly (number | "host")[];
  readonly outDev: number | "host";
  readonly modelBuffers: readonly LlamaCppBuffer[];
  /** Backend of each weight by tensor name (the CPU is backend gpuCount). */
  readonly weightBackend: ReadonlyMap<string, number>;
}

interface ModelMemo {
  readonly placements: Map<string, ModelPlacement>;
  readonly computeSizes: Map<string, readonly number[]>;
}

// Bounded so that a long-lived process (the web app) does not grow without end.
const PLACEMENT_MEMO_SIZE = 16;
const COMPUTE_MEMO_SIZE = 256;
const memos = new WeakMap<LlamaCppModel, ModelMemo>();

function memoOf(model: LlamaCppModel): ModelMemo {
  let m = memos.get(model);
  if (!m) {
    m = { placements: new Map(), computeSizes: new Map() };
    memos.set(model, m);
  }
  return m;
}

function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** An injective text form of a settings value (numbers keep NaN, -0 and their type apart from strings). */
function keyOf(v: unknown): string {
  if (Array.isArray(v)) return `[${Array.from(v, keyOf).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${keyOf((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  if (typeof v === "string") return JSON.stringify(v);
  if (Object.is(v, -0)) return "number:-0";
  return `${typeof v}:${String(v)}`;
}

/** Every setting but the context length and the sequence count. */
function settingsKey(s: LlamaCppSettings): string {
  const { contextLength: _c, nSeq: _n, ...rest } = s;
  return keyOf(rest);
}

/** Model buffers and the device of every layer and weight (llama_model_base::load_tensors). */
function placeModel(model: LlamaCppModel, s: LlamaCppSettings): ModelPlacement {
  const h = model.hparams;
  const { layers: devs, output: outDev } = layerDevices(h.nLayer, s);
  const hostBuftFor = (op: ReturnType<typeof weightOp>, t: LlamaCppTensor): string => {
    // make_cpu_buft_list: the first GPU's pinned host buffer comes before the repack buffers.
    if (s.gpuCount > 0 && !s.noHost) return HOST_BUFFER;
    return cpuExtraBuffer(t, op, s.cpuFeatures) ?? (s.mmap ? "CPU_Mapped" : "CPU");
  };
  const overrideFor = (name: string) => s.overrides.find((o) => new RegExp(o.pattern).test(name));

  const place = (t: LlamaCppTensor, layer: Layer, opName?: ReturnType<typeof weightOp>): Placement => {
    const op = opName ?? weightOp(t.name, t.ne);
    const ov = overrideFor(t.name);
    if (ov) {
      if (ov.device === "CPU") return { buft: s.mmap ? "CPU_Mapped" : "CPU", device: "host" };
      if (ov.device >= s.gpuCount)
        throw new MemlensError(
          "invalid-value",
          `engineOptions.overrideTensors names GPU ${ov.device} but there are ${s.gpuCount}`,
          "engineOptions.overrideTensors",
        );
      return { buft: gpuName(ov.device), device: ov.device };
    }
    const dev = layer === "input" ? "host" : layer === "output" ? outDev : (devs[layer] ?? "host");
    if (dev === "host") return { buft: hostBuftFor(op, t), device: "host" };
    return { buft: gpuName(dev), device: dev };
  };

  // --- model buffers ---
  interface Placed {
    readonly t: LlamaCppTensor;
    readonly p: Placement;
    readonly offset: number;
  }
  const placed: Placed[] = [];
  let offset = 0;
  for (const t of model.tensors) {
    const o = (t as LlamaCppTensor & { offset?: number }).offset ?? offset;
    placed.push({ t, p: place(t, layerOfTensor(t.name, h.nLayer)), offset: o });
    offset = pad(o + t.bytes, 32);
  }
  // Tied embeddings: the output matmul gets its own copy of token_embd when its buffer type
  // differs from the input layer's (llama_model_loader::create_tensor with TENSOR_DUPLICATED).
  const embd = placed.find((x) => x.t.name === "token_embd.weight");
  if (!model.tensors.some((t) => t.name === "output.weight") && embd) {
    const dup = place({ ...embd.t, name: "output.weight" }, "output", "mul_mat");
    if (dup.buft !== embd.p.buft) placed.push({ t: embd.t, p: dup, offset: -1 });
  }
  const buffers = new Map<string, LlamaCppBuffer>();
  const mapped: Placed[] = [];
  for (const x of placed) {
    if (x.p.buft === "CPU_Mapped") {
      mapped.push(x);
      continue;
    }
    const size =
      x.p.buft === "AMX"
        ? pad(amxAllocBytes(x.t), CPU_ALIGN)
        : x.p.device === "host"
          ? pad(x.t.bytes, CPU_ALIGN)
          : pad(cudaAllocBytes(x.t), CUDA_ALIGN);
    const prev = buffers.get(x.p.buft);
    buffers.set(x.p.buft, { name: x.p.buft, device: x.p.device, bytes: (prev?.bytes ?? 0) + size });
  }
  if (mapped.length) {
    // get_mapping_range: the mapped buffer spans the first to the last byte of its tensors.
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const x of mapped) {
      if (x.offset < 0) continue;
      first = Math.min(first, x.offset);
      last = Math.max(last, x.offset + x.t.bytes);
    }
    buffers.set("CPU_Mapped", { name: "CPU_Mapped", device: "host", bytes: Math.max(0, last - first) });
  }
  const order = (b: LlamaCppBuffer) =>
    b.device === "host" ? (b.name === "CPU_Mapped" ? 100 : b.name.endsWith("_Host") ? 101 : 102) : b.device;
  const modelBuffers = [...buffers.values()].sort((a, b) => order(a) - order(b));
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const weightBackend = new Map<string, number>();
  for (const x of placed) weightBackend.set(x.t.name, x.p.device === "host" ? cpuBackend : x.p.device);
  return { devs, outDev, modelBuffers, weightBackend };
}

/** Compute buffer bytes per backend (llama_context::sched_reserve, graph_reserve). */
function computeBufferSizes(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  placement: ModelPlacement,
  sizes: {
    readonly nTokens: number;
    readonly nOutputs: number;
    readonly nStream: number;
    readonly nKv: number;
    readonly nKvSwa: number;
  },
): number[] {
  const { devs, outDev } = placement;
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const backendOf = (d: number | "host") => (d === "host" ? cpuBackend : d);
  const kvDevice = (il: number): number | "host" => (s.kvOffload ? (devs[il] ?? "host") : "host");
  const graph = buildLlamaCppGraph(model, {
    nTokens: sizes.nTokens,
    nOutputs: sizes.nOutputs,
    nStream: sizes.nStream,
    nKv: sizes.nKv,
    nKvSwa: sizes.nKvSwa,
    flashAttn: s.flashAttn,
    typeK: s.typeK,
    typeV: s.typeV,
    layerBackend: (il) => backendOf(devs[il] ?? "host"),
    outputBackend: backendOf(outDev),
    inputBackend: cpuBackend,
    legacyInputs: s.legacyGraph === true,
  });
  if (s.gpuCount === 0) return allocateGraph(graph, [CPU_ALIGN]);
  scheduleGraph(graph, {
    nBackends: s.gpuCount + 1,
    weightBackend: (name) => placement.weightBackend.get(name) ?? cpuBackend,
    kvBackend: (il) => backendOf(kvDevice(il)),
    opOffload: s.opOffload,
    nTokens: sizes.nTokens,
  });
  return allocateGraph(graph, [...Array.from({ length: s.gpuCount }, () => CUDA_ALIGN), CPU_ALIGN]);
}

/**
 * Every buffer llama.cpp allocates for `model` with these settings.
 * @example llamaCppMemory(model, settings).kvBuffers[0].bytes
 */
export function llamaCppMemory(model: LlamaCppModel, s: LlamaCppSettings): LlamaCppMemory {
  return llamaCppBuffers(model, s, true);
}

/** llamaCppMemory, or without `withCompute` the same buffers but no compute buffers (a lower bound). */
function llamaCppBuffers(model: LlamaCppModel, s: LlamaCppSettings, withCompute: boolean): LlamaCppMemory {
  validateLlamaCppContext(model, s);
  const h = model.hparams;
  const notes: string[] = [];
  // Everything but the context and the sequence count: weights, their buffers and devices do not
  // depend on either, so an estimate's context and batch searches place the model once.
  const baseKey = settingsKey(s);
  const memo = memoOf(model);
  let placement = memo.placements.get(baseKey);
  if (!placement) {
    placement = placeModel(model, s);
    remember(memo.placements, baseKey, placement, PLACEMENT_MEMO_SIZE);
  }
  const { devs, outDev } = placement;
  const modelBuffers = placement.modelBuffers.map((b) => ({ ...b }));

  // --- context sizes (llama_context constructor, src/llama-context.cpp:246-305) ---
  const nSeq = s.nSeq;
  let nCtx = pad(s.contextLength * nSeq, 256);
  let nCtxSeq = nCtx;
  if (!s.kvUnified) {
    nCtxSeq = pad(Math.floor(nCtx / nSeq), 256);
    nCtx = nCtxSeq * nSeq;
  }
  const nBatch = Math.min(nCtx, s.nBatch);
  const nUbatch = Math.min(nBatch, s.nUbatch);
  const nStream = s.kvUnified ? 1 : nSeq;

  // --- KV cache (llama_kv_cache constructor; llama_kv_cache_iswa: size_swa) ---
  const kvBytesBy = new Map<string, { device: number | "host"; bytes: number }>();
  const caches: LlamaCppKvCache[] = [];
  const kvDevice = (il: number): number | "host" => (s.kvOffload ? (devs[il] ?? "host") : "host");
  const addKv = (dev: number | "host", bytes: number) => {
    const name = dev === "host" ? "CPU" : gpuName(dev);
    const prev = kvBytesBy.get(name);
    kvBytesBy.set(name, { device: dev, bytes: (prev?.bytes ?? 0) + bytes });
  };
  const vTrans = !s.flashAttn;
  const row = (type: string, n: number) => {
    const t = lookupGgmlType(type);
    if (n % t.blockSize !== 0)
      throw new MemlensError(
        "invalid-value",
        `a KV row of ${n} values is not a whole number of ${type} blocks (${t.blockSize})`,
        "kvCache",
      );
    return (n / t.blockSize) * t.typeSizeBytes;
  };
  const iswa = h.isSwa.some(Boolean);
  const sizeSwa = s.swaFull
    ? nCtxSeq
    : pad(Math.min(nCtxSeq, h.nSwa * (s.kvUnified ? nSeq : 1) + nUbatch), 256);
  const groups: { cache: string; size: number; layers: number[] }[] = [];
  const attnLayers = Array.from({ length: h.nLayer }, (_, il) => il).filter((il) => !h.isRecurrent[il]);
  if (iswa) {
    groups.push({ cache: "non-SWA", size: nCtxSeq, layers: attnLayers.filter((il) => !h.isSwa[il]) });
    groups.push({ cache: "SWA", size: sizeSwa, layers: attnLayers.filter((il) => h.isSwa[il]) });
  } else if (attnLayers.length) groups.push({ cache: "kv", size: nCtxSeq, layers: attnLayers });
  const kvBuffers: LlamaCppBuffer[] = [];
  for (const g of groups) {
    let k = 0;
    let v = 0;
    const perDev = new Map<number | "host", number>();
    for (const il of g.layers) {
      const w = kvWidths(h, il, vTrans);
      const kGqa = h.mla ? h.mla.nLoraKv + h.nRot : w.k;
      const kb = row(s.typeK, kGqa) * g.size * nStream;
      const vb = h.mla ? 0 : row(s.typeV, w.v) * g.size * nStream;
      k += kb;
      v += vb;
      const dev = kvDevice(il);
      const align = dev === "host" ? CPU_ALIGN : CUDA_ALIGN;
      perDev.set(dev, (perDev.get(dev) ?? 0) + pad(kb, align) + (h.mla ? 0 : pad(vb, align)));
    }
    caches.push({ cache: g.cache, cells: g.size, layers: g.layers.length, kBytes: k, vBytes: v });
    for (const [dev, bytes] of perDev) {
      kvBuffers.push({ name: dev === "host" ? "CPU" : gpuName(dev), device: dev, bytes });
      addKv(dev, bytes);
    }
  }
  // Recurrent state (llama_memory_recurrent: r [n_embd_r, rows], s [n_embd_s, rows], F32)
  const recurrent = Array.from({ length: h.nLayer }, (_, il) => il).filter((il) => h.isRecurrent[il]);
  if (recurrent.length && h.ssm) {
    const ssm = h.ssm;
    const nEmbdR = (ssm.dConv > 0 ? ssm.dConv - 1 : 0) * (ssm.dInner + 2 * ssm.nGroup * ssm.dState);
    const nEmbdS = ssm.dState * ssm.dInner;
    const rows = Math.max(1, nSeq);
    let r = 0;
    let st = 0;
    const perDev = new Map<number | "host", number>();
    for (const il of recurrent) {
      r += nEmbdR * rows * 4;
      st += nEmbdS * rows * 4;
      const dev = kvDevice(il);
      const align = dev === "host" ? CPU_ALIGN : CUDA_ALIGN;
      perDev.set(dev, (perDev.get(dev) ?? 0) + pad(nEmbdR * rows * 4, align) + pad(nEmbdS * rows * 4, align));
    }
    caches.push({ cache: "recurrent", cells: rows, layers: recurrent.length, kBytes: r, vBytes: st });
    for (const [dev, bytes] of perDev)
      kvBuffers.push({ name: dev === "host" ? "CPU" : gpuName(dev), device: dev, bytes });
  }

  // --- output buffer (llama_context::output_reserve) ---
  const outputBuffer: LlamaCppBuffer = {
    name: s.gpuCount > 0 && outDev !== "host" ? HOST_BUFFER : "CPU",
    device: "host",
    bytes: h.nVocab * nSeq * 4,
  };

  // --- compute buffers (llama_context::sched_reserve, graph_reserve) ---
  let nTokens = Math.min(nCtx, nUbatch);
  const nOutputs = nTokens;
  if (nTokens % nSeq !== 0) nTokens = Math.ceil(nTokens / nSeq) * nSeq;
  const cpuBackend = s.gpuCount; // the CPU is the last backend
  const nKvSwa = iswa ? sizeSwa : 0;
  // The compute buffers are a function of the settings and of these five graph sizes alone, so
  // contexts that pad to the same cache size (the last steps of a binary search) replay it once.
  const computeKey = `${baseKey}|${nTokens},${nOutputs},${nStream},${nCtxSeq},${nKvSwa}`;
  let computeSizes = withCompute ? memo.computeSizes.get(computeKey) : [];
  if (!computeSizes) {
    computeSizes = computeBufferSizes(model, s, placement, {
      nTokens,
      nOutputs,
      nStream,
      nKv: nCtxSeq,
      nKvSwa,
    });
    remember(memo.computeSizes, computeKey, computeSizes, COMPUTE_MEMO_SIZE);
  }
  if (s.gpuCount > 0)
    notes.push(
      "GPU compute buffers follow ggml's scheduler approximately (weights on other devices are copied in, large-batch ops on host weights are offloaded).",
    );
  const computeBuffers: LlamaCppBuffer[] = computeSizes
    .map((bytes, b) =>
      b === cpuBackend
        ? { name: s.gpuCount > 0 ? HOST_BUFFER : "CPU", device: "host" as const, bytes }
        : { name: gpuName(b), device: b, bytes },
    )
    .filter((b) => b.bytes > 1 || b.device === "host");

  return {
    settings: s,
    nCtx,
    nCtxSeq,
    nUbatch,
    modelBuffers,
    kvBuffers,
    kvCaches: caches,
    outputBuffer,
    computeBuffers,
    layerDevices: [...devs],
    outputDevice: outDev,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// multi-backend scheduling (ggml-backend.cpp ggml_backend_sched_split_graph, simplified)

interface ScheduleConfig {
  readonly nBackends: number;
  readonly weightBackend: (name: string) => number;
  readonly kvBackend: (il: number) => number;
  readonly opOffload: boolean;
  readonly nTokens: number;
}

/**
 * Assigns each node a backend and inserts the copies the scheduler makes when a node reads a
 * tensor that lives on another backend: ops run where their weights are (large-batch ops on host
 * weights move to the first GPU, copying the weight), KV reads and writes run where the cache is,
 * graph inputs live on the CPU, and a new split starts at every op that needs a copied weight.
 */
function scheduleGraph(g: GgmlGraph, c: ScheduleConfig): void {
  const cpu = c.nBackends - 1;
  const isWeight = (t: GTensor) => t.external && !t.name.startsWith("cache_");
  // per-tensor tables indexed by id (ids are dense within a graph)
  const kvLayerOfRoot: (number | null | undefined)[] = new Array(g.tensorCount);
  const kvLayer = (t: GTensor): number | null => {
    const root = t.viewSrc ?? t;
    let il = kvLayerOfRoot[root.id];
    if (il === undefined) {
      const m = /^cache_[kv]_l(\d+)$/.exec(root.name);
      il = m && root.external ? Number(m[1]) : null;
      kvLayerOfRoot[root.id] = il;
    }
    return il;
  };
  for (const leaf of g.leafs) {
    if (leaf.input) leaf.backend = cpu;
    else if (leaf.external) {
      const il = kvLayer(leaf);
      leaf.backend = il !== null ? c.kvBackend(il) : c.weightBackend(leaf.name);
    }
  }
  const batchOf = (t: GTensor) => (t.op === "GET_ROWS" ? 0 : t.op === "MUL_MAT_ID" ? t.ne[2] : t.ne[1]);
  // pass 1 (ggml_backend_sched_backend_id_from_cur): pre-allocated destinations, inputs, weights
  const assigned: (number | undefined)[] = new Array(g.tensorCount);
  const isViewOp = (t: GTensor) => t.viewSrc !== null && t.op !== "SET_ROWS" && t.op !== "CPY";
  for (const node of g.nodes) {
    if (isViewOp(node)) continue;
    const il = node.viewSrc ? kvLayer(node.viewSrc) : null;
    if (il !== null) {
      assigned[node.id] = c.kvBackend(il);
      continue;
    }
    if (node.op === "ROPE" || node.op === "FLASH_ATTN_EXT") continue;
    for (const s of node.src)
      if (isWeight(s)) {
        const wb = s.backend;
        // a higher-priority backend takes large-batch ops on host weights (op offload)
        assigned[node.id] = wb === cpu && c.opOffload && cpu > 0 && batchOf(node) >= 32 ? 0 : wb;
        break;
      }
  }
  // pass 2: expand GPU assignments up, then down (ignoring the CPU), then any backend up and down
  const order = g.nodes.filter((n) => !isViewOp(n));
  const expand = (nodes: GTensor[], gpuOnly: boolean) => {
    let cur = -1;
    for (const n of nodes) {
      const b = assigned[n.id];
      if (b !== undefined) cur = gpuOnly && b === cpu ? -1 : b;
      else if (cur !== -1) assigned[n.id] = cur;
    }
  };
  expand([...order].reverse(), true);
  expand(order, true);
  expand([...order].reverse(), false);
  expand(order, false);
  for (const n of g.nodes) {
    if (isViewOp(n)) n.backend = n.viewSrc!.backend;
    else n.backend = assigned[n.id] ?? n.backend;
  }
  // splits and copies
  const copies = new Map<number, GTensor>();
  const out: GTensor[] = [];
  let cur = -1;
  let splitInputs = 0;
  let pending: GTensor[] = [];
  const flush = () => {
    out.push(...pending);
    pending = [];
  };
  for (const node of g.nodes) {
    if (node.viewSrc && node.op !== "SET_ROWS" && node.op !== "CPY") {
      pending.push(node);
      continue;
    }
    const b = node.backend;
    let newSplit = b !== cur;
    if (!newSplit && splitInputs > 0) newSplit = node.src.some((s) => isWeight(s) && s.backend !== b);
    if (newSplit) {
      cur = b;
      splitInputs = 0;
    }
    const srcs = node.src as GTensor[];
    for (let j = 0; j < srcs.length; j++) {
      const s = srcs[j]!;
      const sb = s.viewSrc ? s.viewSrc.backend : s.backend;
      if (s.viewSrc?.external && kvLayer(s) !== null) continue;
      if (sb === b) continue;
      // host buffers are usable by the CPU backend; GPU buffers only by their own GPU
      if (b === cpu && s.external && sb === cpu) continue;
      const key = s.id * c.nBackends + b;
      let copy = copies.get(key);
      if (!copy) {
        // the copy depends on its source, so the source lives until the copy is made (input_dep)
        copy = g.op("CPY", s.type, s.ne, [s]);
        copy.backend = b;
        copies.set(key, copy);
        out.push(copy);
        splitInputs++;
      }
      srcs[j] = copy;
    }
    flush();
    out.push(node);
  }
  flush();
  g.nodes.splice(0, g.nodes.length, ...out);
}

// ---------------------------------------------------------------------------------------------
// the engine

function totals(m: LlamaCppMemory, device: number | "host") {
  const sum = (xs: readonly LlamaCppBuffer[]) =>
    xs.filter((b) => b.device === device).reduce((a, b) => a + b.bytes, 0);
  return {
    model: sum(m.modelBuffers),
    kv: sum(m.kvBuffers),
    compute: sum(m.computeBuffers),
    output: device === "host" ? m.outputBuffer.bytes : 0,
  };
}

/** Bytes llama.cpp holds in system memory (model buffers in RAM or page cache, KV, compute, output). */
export function llamaCppHostBytes(m: LlamaCppMemory): number {
  const t = totals(m, "host");
  return t.model + t.kv + t.compute + t.output;
}

/** The llama.cpp model for an engine input: the GGUF's own tensors, or the quantizer's choice. */
export function llamaCppModelOf(input: Pick<EngineInput, "spec" | "format">): LlamaCppModel {
  if (hasGguf(input.spec)) return input.spec.gguf;
  const f = input.format;
  const fileType =
    f.kind === "gguf"
      ? f.fileType
      : f.kind === "dense"
        ? { fp32: "F32", fp16: "F16", bf16: "BF16" }[f.dtype]
        : f.kind === "int8"
          ? "Q8_0"
          : f.kind === "mxfp4"
            ? "MXFP4_MOE"
            : null;
  if (!fileType)
    throw new MemlensError(
      "invalid-value",
      `weights "${f.kind}" is not a GGUF type; llama.cpp loads GGUF files (Q4_K_M, Q8_0, F16...)`,
      "weights",
    );
  return llamaCppModelFromSpec(input.spec, fileType);
}

// Per spec, one model per weights format: the quantizer's tensor types depend on the format, and a
// format llama.cpp cannot load must keep failing (never reuse another format's model).
const modelCache = new WeakMap<object, Map<string, LlamaCppModel>>();
function cachedModel(input: EngineInput): LlamaCppModel {
  let byFormat = modelCache.get(input.spec);
  if (!byFormat) {
    byFormat = new Map();
    modelCache.set(input.spec, byFormat);
  }
  const key = JSON.stringify(input.format);
  let m = byFormat.get(key);
  if (!m) {
    m = llamaCppModelOf(input);
    byFormat.set(key, m);
  }
  return m;
}

/** Engine fields named after llama.cpp's log lines (SCENARIO.md). */
export function llamaCppEngineFields(m: LlamaCppMemory, gpuCount: number) {
  const per = (f: "model" | "kv" | "compute") => {
    if (gpuCount === 0) return totals(m, "host")[f];
    const xs = Array.from({ length: gpuCount }, (_, i) => totals(m, i)[f]);
    return xs.length === 1 ? xs[0]! : xs;
  };
  const host = totals(m, "host");
  return {
    modelBufferBytes: per("model"),
    kvBufferBytes: per("kv"),
    computeBufferBytes: per("compute"),
    outputBufferBytes: m.outputBuffer.bytes,
    hostModelBufferBytes: host.model,
    hostKvBufferBytes: host.kv,
    hostComputeBufferBytes: host.compute,
    hostBytes: llamaCppHostBytes(m),
    nCtx: m.nCtx,
    nUbatch: m.nUbatch,
    kvCells: m.nCtxSeq,
    flashAttention: m.settings.flashAttn,
    typeK: m.settings.typeK.toLowerCase(),
    typeV: m.settings.typeV.toLowerCase(),
    gpuLayers: m.settings.gpuLayers,
  };
}

/** GPUs llama.cpp runs on: the scenario's devices, none for a CPU-only build. */
function gpuCountOf(input: EngineInput): number {
  if (input.scenario.engineOptions.backend === "cpu") return 0;
  return input.deviceCount;
}

/** llama.h LLAMA_MAX_SEQ: the most sequences a context can hold. */
export const LLAMA_MAX_SEQ = 256;

function infeasible(gpuCount: number): EngineMemory {
  const huge = Number.MAX_SAFE_INTEGER;
  const d: DeviceBytes = {
    weights: 0,
    kvCache: huge,
    activations: 0,
    gradients: 0,
    optimizerStates: 0,
    overhead: 0,
    total: huge,
  };
  return {
    devices: Array.from({ length: Math.max(1, gpuCount) }, () => d),
    engine: {},
    kvLayout: {
      kDtype: "fp16",
      vDtype: "fp16",
      mla: "latent",
      recurrent: "llamacpp",
      recurrentDtypeBytes: 4,
    },
    notes: [],
  };
}

/**
 * Each device's total without the compute buffers: no more than `memory()`'s total for the same
 * input (compute buffers are never negative), and cheap (no graph). estimate() refuses a search
 * probe whose bound is over capacity without building its graph. Empty when there is no bound.
 */
function llamaCppMemoryLowerBound(input: EngineInput, contextLength: number, batch: number): number[] {
  if (batch > LLAMA_MAX_SEQ) return [];
  const model = cachedModel(input);
  const gpuCount = gpuCountOf(input);
  const settings = llamaCppSettings(input.scenario, model.hparams.nLayer, gpuCount, contextLength, batch);
  const m = llamaCppBuffers(model, settings, false);
  return Array.from({ length: Math.max(1, gpuCount) }, (_, i) => {
    const t = gpuCount === 0 ? totals(m, "host") : totals(m, i);
    const overhead = gpuCount === 0 ? 0 : CUDA_CONTEXT_BYTES;
    return t.model + t.kv + t.output + overhead;
  });
}

export const llamaCppEngine: EngineModel & EngineLowerBound = {
  memoryLowerBound: llamaCppMemoryLowerBound,
  memory(input: EngineInput, contextLength: number, batch: number): EngineMemory {
    const model = cachedModel(input);
    const gpuCount = gpuCountOf(input);
    if (batch > LLAMA_MAX_SEQ) {
      if (batch === input.scenario.batch)
        throw new MemlensError(
          "invalid-value",
          `batch ${batch}: llama.cpp serves at most ${LLAMA_MAX_SEQ} parallel sequences (LLAMA_MAX_SEQ)`,
          "batch",
        );
      return infeasible(gpuCount);
    }
    const settings = llamaCppSettings(input.scenario, model.hparams.nLayer, gpuCount, contextLength, batch);
    const m = llamaCppMemory(model, settings);
    const notes = [...m.notes];
    if (model.source === "simulated" && model.fileType)
      notes.push(
        `Tensor types are the ones llama-quantize picks for ${model.fileType} without an importance matrix (llama_tensor_get_type).`,
      );
    if (gpuCount === 0)
      notes.push("CPU-only llama.cpp: the device is system memory; weights are memory-mapped from the file.");
    else
      notes.push(
        "Overhead is the CUDA context outside llama.cpp's buffers (457 MiB, Ollama's per-GPU figure); llama.cpp's own --fit keeps 1024 MiB free per GPU (memlens fit).",
      );
    const devices: DeviceBytes[] = [];
    const n = Math.max(1, gpuCount);
    for (let i = 0; i < n; i++) {
      const t = gpuCount === 0 ? totals(m, "host") : totals(m, i);
      const overhead = gpuCount === 0 ? 0 : CUDA_CONTEXT_BYTES;
      devices.push({
        weights: t.model,
        kvCache: t.kv,
        activations: t.compute + t.output,
        gradients: 0,
        optimizerStates: 0,
        overhead,
        total: t.model + t.kv + t.compute + t.output + overhead,
      });
    }
    const kvLayout: KvLayoutOptions = {
      kDtype: kvDtypeOf(settings.typeK),
      vDtype: kvDtypeOf(settings.typeV),
      mla: "latent",
      recurrent: "llamacpp",
      recurrentDtypeBytes: 4,
    };
    return { devices, engine: llamaCppEngineFields(m, gpuCount), kvLayout, notes };
  },
};

// ---------------------------------------------------------------------------------------------
// fit (common/fit.cpp: --fit with --fit-target 1024 MiB per device, --fit-ctx 4096)

/** llama.cpp's default free-memory margin per device (common/common.h fit_params_target). */
export const LLAMACPP_FIT_TARGET_BYTES = 1024 * MIB;
/** The smallest context --fit will shrink to (common/common.h fit_params_min_ctx). */
export const LLAMACPP_FIT_MIN_CTX = 4096;

export interface LlamaCppFit {
  /** Most layers (n_gpu_layers, counting the output layer) that fit at `contextLength`. */
  readonly gpuLayers: number;
  /** Largest context (per sequence, multiple of 256) that fits with every layer on the GPUs; null if none. */
  readonly maxContextLength: number | null;
  readonly marginBytes: number;
  readonly deviceBytes: readonly number[];
  readonly capacityBytes: number;
}

/**
 * The largest context and the most GPU layers that leave `marginBytes` free on every device.
 * @example fitLlamaCpp(model, settings, 24 * 2 ** 30).maxContextLength
 */
export function fitLlamaCpp(
  model: LlamaCppModel,
  s: LlamaCppSettings,
  capacityBytes: number,
  marginBytes = LLAMACPP_FIT_TARGET_BYTES,
): LlamaCppFit {
  const budget = capacityBytes - marginBytes;
  const used = (settings: LlamaCppSettings): number[] => {
    const m = llamaCppMemory(model, settings);
    if (settings.gpuCount === 0) return [llamaCppHostBytes(m)];
    return Array.from({ length: settings.gpuCount }, (_, i) => {
      const t = totals(m, i);
      return t.model + t.kv + t.compute;
    });
  };
  const ok = (settings: LlamaCppSettings) => used(settings).every((b) => b <= budget);
  const nL = model.hparams.nLayer;
  const full = { ...s, gpuLayers: s.gpuCount === 0 ? 0 : nL + 1 };
  // context: multiples of 256 per sequence
  let maxContextLength: number | null = null;
  const at = (ctx: number) => ({ ...full, contextLength: ctx });
  if (ok(at(256))) {
    let lo = 1;
    let hi = Math.max(1, Math.floor((model.hparams.nCtxTrain || 131072) / 256));
    if (ok(at(hi * 256))) lo = hi;
    else {
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (ok(at(mid * 256))) lo = mid;
        else hi = mid;
      }
    }
    maxContextLength = lo * 256;
  }
  let gpuLayers = 0;
  if (s.gpuCount > 0) {
    let lo = -1;
    let hi = nL + 1;
    if (ok({ ...s, gpuLayers: hi })) lo = hi;
    else {
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (mid >= 0 && ok({ ...s, gpuLayers: mid })) lo = mid;
        else hi = mid;
      }
    }
    gpuLayers = Math.max(0, lo);
  }
  return {
    gpuLayers,
    maxContextLength,
    marginBytes,
    deviceBytes: used(s),
    capacityBytes,
  };
}
