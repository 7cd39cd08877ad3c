/**
 * llama.cpp's settings (llama-server's defaults and flags as memlens reads them from a scenario),
 * the cache types it accepts, and the context parameters llama_init_from_model refuses.
 */
import { lookupGgmlType } from "../../../catalog/dtypes.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import type { LlamaCppModel } from "../../../models/gguf-model.js";
import type { Scenario } from "../../../scenario/scenario.js";
import type { KvDtype } from "../../kv-cache.js";

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

/** The --cache-type-k/v names llamaCppCacheType accepts ("auto" first). */
export const LLAMACPP_CACHE_TYPES: readonly string[] = Object.keys(KV_TYPE_NAMES);

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
export function kvDtypeOf(type: string): KvDtype {
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
