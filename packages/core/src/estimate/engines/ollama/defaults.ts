/**
 * ollama's defaults and its scheduler's own rules, read from ollama's source at one release. Since
 * v0.30.0 (commit 9db4bdb, "use llama-server exclusively for GGML models") ollama runs upstream
 * llama-server as a subprocess, so memory is llama.cpp's; what ollama decides is the command line
 * (context, parallel slots, batch, cache type, flash attention) and what its scheduler keeps back.
 * Every figure below names the file and line at OLLAMA_COMMIT.
 */
import type { GpuSpec } from "../../../catalog/gpu-types.js";
import { type Bytes, bytes, gib, mib } from "../../../units/units.js";

/** The ollama release these rules are read from. */
export const OLLAMA_VERSION = "0.33.0-rc2";
/** github.com/ollama/ollama commit of OLLAMA_VERSION (2026-08-21). */
export const OLLAMA_COMMIT = "fb30760996871fa9460115c753afd2c60d4ab0f7";
const AT = `ollama@${OLLAMA_COMMIT.slice(0, 7)}`;

/** A default with where it was read. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/**
 * Default num_ctx by total VRAM (every GPU's total less OLLAMA_GPU_OVERHEAD): 262144 from 47 GiB,
 * 32768 from 23 GiB, 4096 below (thresholds a GiB under 48/24 so near-sized cards land in the tier).
 * Arrived in v0.15.5 (commit 0334ffa, 2026-02-02); v0.6.7 to v0.15.4 used a fixed 4096 (commit
 * 44b466e), earlier releases 2048. OLLAMA_CONTEXT_LENGTH (default 0 = this rule) or a request's
 * num_ctx overrides it.
 */
export const OLLAMA_NUM_CTX_TIERS: Sourced<
  readonly { readonly minVramBytes: Bytes; readonly numCtx: number }[]
> = {
  value: [
    { minVramBytes: gib(47), numCtx: 262144 },
    { minVramBytes: gib(23), numCtx: 32768 },
    { minVramBytes: bytes(0), numCtx: 4096 },
  ],
  source: `${AT} server/routes.go:2043-2057 (totalVRAM += TotalMemory - GpuOverhead; switch on 47/23 GiB); envconfig/config.go:230 OLLAMA_CONTEXT_LENGTH default 0`,
};

/** OLLAMA_NUM_PARALLEL default: one slot (was automatic 4 or 1 until v0.10.0, commit 20c3266). */
export const OLLAMA_NUM_PARALLEL: Sourced<number> = {
  value: 1,
  source: `${AT} envconfig/config.go:275 Uint("OLLAMA_NUM_PARALLEL", 1); server/sched.go:497`,
};

/**
 * OLLAMA_KV_CACHE_TYPE default: empty, so no --cache-type-k/v is passed and llama-server's f16
 * applies; a set value is passed to both K and V unchecked (llama-server takes f32, f16, bf16,
 * q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 and refuses a quantized V cache without flash attention).
 */
export const OLLAMA_KV_CACHE_TYPE: Sourced<string> = {
  value: "f16",
  source: `${AT} envconfig/config.go:222,317 ("default: f16"); llm/server.go:118; llm/llama_server.go:394-396`,
};

/**
 * OLLAMA_FLASH_ATTENTION unset: "--flash-attn auto" where every GPU supports it (CUDA compute
 * capability 6.0 and up except 7.2, ROCm, Metal, Vulkan, CPU), "off" otherwise; set, on or off.
 */
export const OLLAMA_FLASH_ATTENTION: Sourced<"auto"> = {
  value: "auto",
  source: `${AT} llm/llama_server.go:597-621 LlamaServerFlashAttention; ml/device.go:571-600 FlashAttentionSupported`,
};

/** OLLAMA_GPU_OVERHEAD default: 0 bytes kept back per GPU. */
export const OLLAMA_GPU_OVERHEAD: Sourced<Bytes> = {
  value: bytes(0),
  source: `${AT} envconfig/config.go:303 Uint64("OLLAMA_GPU_OVERHEAD", 0)`,
};

/** ml.DeviceInfo.MinimumMemory: memory the scheduler sets aside per GPU for context structures. */
export const OLLAMA_MINIMUM_MEMORY: Sourced<{ readonly metal: Bytes; readonly other: Bytes }> = {
  value: { metal: mib(512), other: mib(457) },
  source: `${AT} ml/device.go:359-364 MinimumMemory; server/sched.go:616 available = free - GpuOverhead - MinimumMemory`,
};

/** api.DefaultOptions num_batch (passed as both -b and -ub), the floor of the automatic batch below. */
export const OLLAMA_NUM_BATCH: Sourced<number> = {
  value: 512,
  source: `${AT} api/types.go:1116 NumBatch 512; llm/llama_server.go:581-594 appendBatchArgs (-b N -ub N)`,
};

/** num_gpu default -1: no -ngl is passed and llama-server places the layers (its --fit). */
export const OLLAMA_NUM_GPU: Sourced<number> = {
  value: -1,
  source: `${AT} api/types.go:1117 NumGPU -1; llm/llama_server.go:401-410`,
};

/** Automatic generation batch (num_batch unset): sizes and their headroom rules. */
export const OLLAMA_AUTO_BATCH = {
  value: {
    constrained: 256,
    default: 512,
    medium: 1024,
    large: 2048,
    mediumHeadroomPercent: 75,
    largeHeadroomPercent: 60,
    fitPercent: 80,
    mediumSurchargeBytes: mib(768),
    largeSurchargeBytes: gib(2),
  },
  source: `${AT} server/sched.go:797-918 (automaticGenerationBatch, generationBatchForContext, generationBatchFits, generationBatchSurcharge)`,
} as const;

/** ollama's default num_ctx for GPUs whose totals sum to `totalVramBytes` (less OLLAMA_GPU_OVERHEAD each). */
export function ollamaDefaultNumCtx(totalVramBytes: number): number {
  for (const t of OLLAMA_NUM_CTX_TIERS.value) if (totalVramBytes >= t.minVramBytes) return t.numCtx;
  return 4096;
}

/** Memory ollama's scheduler keeps back on one GPU: MinimumMemory plus OLLAMA_GPU_OVERHEAD. */
export function ollamaMinimumMemory(gpu: GpuSpec | undefined): Bytes {
  const m = OLLAMA_MINIMUM_MEMORY.value;
  return gpu?.vendor === "apple" ? m.metal : m.other;
}

/**
 * PredictServerVRAM (llm/llama_server.go:2681): the GGUF file's size plus an f16 K and V for every
 * layer at the smallest KV head count and n_embd / n_head per head, at `ctx` tokens (num_ctx ×
 * parallel). Used only to pick the automatic batch.
 */
export function ollamaPredictedVram(
  fileBytes: number,
  h: {
    readonly nLayer: number;
    readonly nEmbd: number;
    readonly nHead: readonly number[];
    readonly nHeadKv: readonly number[];
  },
  ctx: number,
): number {
  const positive = h.nHeadKv.filter((x) => x > 0);
  const kvHeads = positive.length > 0 ? Math.min(...positive) : 1;
  const headMax = Math.max(0, ...h.nHead);
  const headDim = headMax > 0 ? Math.floor(h.nEmbd / headMax) : 0;
  return fileBytes + 2 * h.nLayer * kvHeads * headDim * ctx * 2;
}

/**
 * ollama's num_batch when the request and the model leave it unset (server/sched.go:822-918): with
 * flash attention off on CUDA, 512 (256 past a 4096-token context on an 8 GiB or smaller card);
 * otherwise 2048 past 32768 tokens, 1024 past 4096, else 512, stepped down while the prediction
 * exceeds 80% of free memory less the batch's surcharge, or 60% (2048) / 75% (1024) of it.
 */
export function ollamaAutomaticBatch(
  effectiveCtx: number,
  predictedVramBytes: number,
  availableBytes: number,
  flashAttentionOff: boolean,
  cudaGpuMemoryBytes: number | null,
): number {
  const b = OLLAMA_AUTO_BATCH.value;
  if (flashAttentionOff && cudaGpuMemoryBytes !== null)
    return effectiveCtx > 4096 && cudaGpuMemoryBytes <= gib(8) ? b.constrained : b.default;
  let batch = effectiveCtx > 32768 ? b.large : effectiveCtx > 4096 ? b.medium : b.default;
  const fits = (n: number): boolean => {
    if (predictedVramBytes === 0 || availableBytes === 0) return true;
    const threshold = Math.floor((availableBytes * b.fitPercent) / 100);
    if (predictedVramBytes > threshold) return false;
    if (n >= b.large && predictedVramBytes > Math.floor((availableBytes * b.largeHeadroomPercent) / 100))
      return false;
    if (n >= b.medium && predictedVramBytes > Math.floor((availableBytes * b.mediumHeadroomPercent) / 100))
      return false;
    const surcharge = n >= b.large ? b.largeSurchargeBytes : n >= b.medium ? b.mediumSurchargeBytes : 0;
    return surcharge <= threshold - predictedVramBytes;
  };
  while (batch > b.default && !fits(batch)) batch = batch > b.medium ? b.medium : b.default;
  return batch;
}
