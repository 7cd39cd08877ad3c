import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GIB } from "../../packages/core/src/units/units.js";

/**
 * The B_vllm records of shared/fixtures/measured/public.jsonl and how each run is rebuilt as a
 * memlens scenario (model, weights, GPU, parallelism, vLLM settings), shared by the calibration
 * and `memlens compare` tests.
 */

const here = dirname(fileURLToPath(import.meta.url));
const PUBLIC = resolve(here, "../../../shared/fixtures/measured/public.jsonl");

export interface Measured {
  readonly value: number;
}
export interface PublicRecord {
  readonly id: string;
  readonly category: string;
  readonly engine: string;
  readonly model_id: string;
  readonly measured: Readonly<Record<string, Measured>>;
  readonly verbatim: readonly string[];
}

/** How a record's run is rebuilt as a scenario. */
export interface Rebuild {
  /** Catalog id of the checkpoint's architecture. */
  readonly model: string;
  /** Why a different id than the record's stands in, when it does. */
  readonly alias?: string;
  readonly weights?: string;
  readonly hardware: { readonly gpu: string } | { readonly memoryBytes: number };
  readonly tp?: number;
  readonly gmu?: number;
  readonly memFractionStatic?: number;
  /** max_model_len. */
  readonly contextLength: number;
  /** max_num_seqs. */
  readonly batch: number;
  readonly version?: string;
}

// llm-d planner sweep (vLLM v0.19.0, one H100 80GB per rank, `vllm serve` defaults: gpu_memory_utilization
// 0.95 as set, max_num_seqs 1024 and max_num_batched_tokens 8192 for the OpenAI server on ≥ 70 GiB GPUs).
const H100 = { gpu: "H100-SXM-80GB" } as const;
const LLMD = { hardware: H100, gmu: 0.95, contextLength: 8192, batch: 1024, version: "0.19.0" } as const;
const SAME_SHAPES = "the instruction-tuned checkpoint has the base model's config.json shapes";

export const REBUILD: Readonly<Record<string, Rebuild>> = {
  "vllm-llmd-deepseek-ai-deepseek-v2--h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "deepseek-ai/DeepSeek-V2-Lite",
    alias: SAME_SHAPES,
  },
  "vllm-llmd-fp8dyn-llama-3-3-70b-h100-80gb-tp2pp1dp1-8192": {
    ...LLMD,
    model: "meta-llama/Llama-3.3-70B-Instruct",
    weights: "fp8",
    tp: 2,
  },
  "vllm-llmd-fp8dyn-llama-3-3-70b-h100-80gb-tp4pp1dp1-8192": {
    ...LLMD,
    model: "meta-llama/Llama-3.3-70B-Instruct",
    weights: "fp8",
    tp: 4,
  },
  "vllm-llmd-fp8dyn-redhatai-qwen2-5--h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen2.5-7B",
    alias: SAME_SHAPES,
    weights: "fp8",
  },
  "vllm-llmd-google-gemma-2-27b-it-h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "google/gemma-2-27b",
    alias: SAME_SHAPES,
  },
  "vllm-llmd-google-gemma-2-9b-it-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "google/gemma-2-9b-it" },
  "vllm-llmd-google-gemma-3-27b-it-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "google/gemma-3-27b-it" },
  "vllm-llmd-google-gemma-7b-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "google/gemma-7b" },
  "vllm-llmd-meta-llama-llama-4-scout-h100-80gb-tp4pp1dp1-8192": {
    ...LLMD,
    model: "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    tp: 4,
  },
  "vllm-llmd-microsoft-phi-2-h100-80gb-tp1pp1dp1-2048": {
    ...LLMD,
    model: "microsoft/phi-2",
    weights: "fp16",
    contextLength: 2048,
  },
  "vllm-llmd-microsoft-phi-4-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "microsoft/phi-4" },
  "vllm-llmd-mistralai-mistral-small--h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
  },
  "vllm-llmd-moonshotai-kimi-vl-a3b-i-h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "moonshotai/Kimi-VL-A3B-Instruct",
  },
  "vllm-llmd-moonshotai-kimi-vl-a3b-i-h100-80gb-tp2pp1dp1-8192": {
    ...LLMD,
    model: "moonshotai/Kimi-VL-A3B-Instruct",
    tp: 2,
  },
  "vllm-llmd-qwen-qwen1-5-moe-a2-7b-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "Qwen/Qwen1.5-MoE-A2.7B" },
  "vllm-llmd-qwen-qwen2-5-72b-instruc-h100-80gb-tp2pp1dp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen2.5-72B-Instruct",
    tp: 2,
  },
  "vllm-llmd-qwen-qwen3-8b-h100-80gb-tp1pp1dp1-8192": { ...LLMD, model: "Qwen/Qwen3-8B" },
  "vllm-llmd-redhatai-llama-3-3-70b-i-h100-80gb-tp2pp1dp1-8192": {
    ...LLMD,
    model: "meta-llama/Llama-3.3-70B-Instruct",
    weights: "w8a8",
    tp: 2,
  },
  "vllm-llmd-w8a8-redhatai-llam-h100-80gb-tp1pp1dp1-8192-dtf16": {
    ...LLMD,
    model: "meta-llama/Llama-3.1-8B",
    alias: SAME_SHAPES,
    weights: "w8a8",
  },
  "vllm-llmd-w8a8-redhatai-qwen2-5-7b-h100-80gb-tp1pp1dp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen2.5-7B",
    alias: SAME_SHAPES,
    weights: "w8a8",
  },
  "vllm-llmd-versionsweep-qwen3-14b-v0.15.0-h100-tp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen3-14B",
    version: "0.15.0",
  },
  "vllm-llmd-versionsweep-qwen3-14b-v0.16.0-h100-tp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen3-14B",
    version: "0.16.0",
  },
  "vllm-llmd-versionsweep-qwen3-14b-v0.17.0-h100-tp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen3-14B",
    version: "0.17.0",
  },
  "vllm-llmd-versionsweep-qwen3-14b-v0.18.0-h100-tp1-8192": {
    ...LLMD,
    model: "Qwen/Qwen3-14B",
    version: "0.18.0",
  },
  // vllm#21348 (July 2025, V1, version not stated: July 2025 releases were 0.9.2–0.10.0): default
  // gpu_memory_utilization 0.9, max_model_len = the model's 40,960, max_num_seqs 1024 on H100.
  "vllm-issue21348-qwen3-235b-a22b-fp8-4xh100-tp4": {
    model: "Qwen/Qwen3-235B-A22B-FP8",
    hardware: H100,
    tp: 4,
    gmu: 0.9,
    contextLength: 40960,
    batch: 1024,
    version: "0.10.0",
  },
  "sglang-issue21348-qwen3-235b-a22b-fp8-4xh100-tp4": {
    model: "Qwen/Qwen3-235B-A22B-FP8",
    hardware: H100,
    tp: 4,
    memFractionStatic: 0.93,
    contextLength: 40960,
    batch: 1,
  },
  // Legacy V0 engine logs: the GPU's total as printed ("total_gpu_memory (12.00GiB)").
  "vllm-v0-qwen3-4b-fp16-rtx2060-12gb-len10000": {
    model: "Qwen/Qwen3-4B",
    weights: "fp16",
    hardware: { memoryBytes: Math.round(12.0 * GIB) },
    gmu: 0.95,
    contextLength: 10000,
    batch: 1,
    version: "v0",
  },
  "vllm-v0-qwen-7b-bf16-24gb-len8192": {
    model: "Qwen/Qwen2.5-7B",
    alias: "the notes' 57,344 B of KV per token identify Qwen2.5-7B's shapes (28 layers × 4 KV heads × 128)",
    hardware: { memoryBytes: Math.round(23.57 * GIB) },
    gmu: 0.9,
    contextLength: 8192,
    batch: 16,
    version: "v0",
  },
};

/** Quantities compared with the logs (calibration and start-up log tests). */
/** Measured value of a quantity under any of the names the records use, in bytes or tokens. */
export function measuredOf(r: PublicRecord, quantity: Quantity): number | undefined {
  const m = r.measured;
  const gib = (...names: string[]) => {
    for (const n of names) if (m[n]) return m[n].value * GIB;
    return undefined;
  };
  switch (quantity) {
    case "weights":
      return gib("model_loading_took", "weights_memory", "weight_memory", "model_weights");
    case "kvTokens":
      if (m.gpu_kv_cache_size) return m.gpu_kv_cache_size.value;
      if (m.kv_cache_tokens) return m.kv_cache_tokens.value;
      if (m.gpu_blocks) return m.gpu_blocks.value * 16;
      if (m.cuda_blocks) return m.cuda_blocks.value * 16;
      return undefined;
    case "activationPeak":
      return gib("torch_peak_memory_increase", "activation_memory", "activation_peak");
    case "nonTorch":
      return gib("non_torch_forward_increase", "non_torch_forward_memory", "non_torch_memory");
    case "kvMemory":
      return gib("available_kv_cache_memory", "kv_cache_memory", "kv_cache_reserved");
    case "maxConcurrency":
      return m.max_concurrency?.value;
    case "cudaGraph":
      return gib("estimated_cuda_graph_memory", "cuda_graph_memory");
  }
}

export const QUANTITIES = [
  "weights",
  "kvTokens",
  "kvMemory",
  "activationPeak",
  "nonTorch",
  "maxConcurrency",
  "cudaGraph",
] as const;
export type Quantity = (typeof QUANTITIES)[number];
export function estimatedOf(
  engine: Readonly<Record<string, unknown>>,
  quantity: Quantity,
  isSglang: boolean,
): number | undefined {
  const n = (k: string) => (typeof engine[k] === "number" ? (engine[k] as number) : undefined);
  if (isSglang)
    return quantity === "weights"
      ? n("weightsBytes")
      : quantity === "kvTokens"
        ? n("maxTotalNumTokens")
        : undefined;
  switch (quantity) {
    case "weights":
      return n("weightsBytes");
    case "kvTokens":
      return n("kvCacheTokens");
    case "kvMemory":
      return n("kvCacheBytes");
    case "activationPeak":
      return n("activationPeakBytes");
    case "nonTorch":
      return n("nonTorchBytes");
    case "maxConcurrency":
      return n("maxConcurrency");
    case "cudaGraph":
      return n("cudaGraphBytes");
  }
}

/**
 * Records whose run used a component memlens does not model, with what it is. vllm#21348 ran
 * with `--kv-transfer-config LMCacheConnectorV1` (kv_both); before the multi-GPU non-torch term
 * was tied to vLLM 0.12+ (issue 16: up to 0.11 NCCL is set up before the init snapshot) the
 * 1.85 GiB term happened to absorb it (KV tokens -1.2%); without it the pool is +21.9%.
 */
export const UNMODELLED: Readonly<Record<string, string>> = {
  "vllm-issue21348-qwen3-235b-a22b-fp8-4xh100-tp4": "LMCache connector (kv_both) GPU buffers",
};

/** The B_vllm records, or none when the shared fixtures are not checked out beside the repo. */
export const VLLM_RECORDS: readonly PublicRecord[] = existsSync(PUBLIC)
  ? readFileSync(PUBLIC, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as PublicRecord)
      .filter((r) => r.category === "B_vllm")
  : [];

/**
 * Start-up logs added for issue 16 (test/vllm/data/startup-logs.jsonl, README.md beside it): the
 * same field layout as public.jsonl plus `rebuild`, the memlens scenario of the run (null when the
 * model, GPU or settings cannot be rebuilt; the record says why in `notes`).
 */
export interface StartupRecord extends PublicRecord {
  readonly engine_version: string | null;
  readonly gpu: string;
  readonly source: {
    readonly url?: string;
    readonly repo?: string;
    readonly path?: string;
    readonly commit?: string;
  };
  readonly rebuild: Readonly<Record<string, unknown>> | null;
}

const STARTUP = resolve(here, "data/startup-logs.jsonl");
export const STARTUP_RECORDS: readonly StartupRecord[] = readFileSync(STARTUP, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as StartupRecord);
