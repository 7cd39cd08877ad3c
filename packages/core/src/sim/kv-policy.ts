import { MemlensError } from "../errors/memlens-error.js";

/**
 * KV-cache storage formats and token-eviction policies in the serving loop. Each is reduced to
 * (a) bytes per cached token, and (b) how many tokens of a sequence stay resident, so the block
 * allocator can turn them into blocks per sequence and the step-time model into KV bytes read
 * (serving.md §6, "modelling recommendations").
 */

/**
 * The simulator's KV storage formats by their `--kv-dtype` names: the 16-bit dtypes (auto, bf16,
 * fp16), fp8, grouped int8/int4 and KIVI 2-bit. One list for the CLI and the web page.
 */
export const KV_STORAGE_DTYPES = ["auto", "bf16", "fp16", "fp8", "int8", "int4", "kivi2"] as const;
export type KvStorageDtype = (typeof KV_STORAGE_DTYPES)[number];

/** The storage format a `--kv-dtype` name stands for (group size and KIVI residual when given). */
export function kvStorageOfDtype(
  dtype: KvStorageDtype,
  o: { readonly groupSize?: number; readonly residualTokens?: number } = {},
): KvStorage {
  const group = o.groupSize !== undefined ? { groupSize: o.groupSize } : {};
  switch (dtype) {
    case "auto":
    case "bf16":
    case "fp16":
      return { kind: "bf16" };
    case "fp8":
      return { kind: "fp8" };
    case "int8":
      return { kind: "int8", ...group };
    case "int4":
      return { kind: "int4", ...group };
    case "kivi2":
      return {
        kind: "kivi2",
        ...group,
        ...(o.residualTokens !== undefined ? { residualTokens: o.residualTokens } : {}),
      };
  }
}

/** How KV is stored. */
export type KvStorage =
  /** The model's 16-bit dtype (vLLM `--kv-cache-dtype auto` for bf16/fp16 models). */
  | { readonly kind: "bf16" }
  /** FP8 E4M3/E5M2 with per-tensor scales: 1 byte per element, no per-group metadata (vLLM docs, quantized_kvcache.md). */
  | { readonly kind: "fp8" }
  /** 8-bit integers with one 16-bit scale per group (default 32: ggml block_q8_0 = 34 bytes per 32 values). */
  | { readonly kind: "int8"; readonly groupSize?: number }
  /** 4-bit integers with one 16-bit scale per group (default 32: ggml block_q4_0 = 18 bytes per 32 values). */
  | { readonly kind: "int4"; readonly groupSize?: number }
  /**
   * KIVI 2-bit (Liu et al. 2024, arXiv 2402.02750): keys per-channel, values per-token, a 16-bit scale
   * and zero point per group, and the most recent `residualTokens` kept in 16 bits. Defaults follow
   * jy-yuan/KIVI example.py (group_size = 32, residual_length = 32).
   */
  | { readonly kind: "kivi2"; readonly groupSize?: number; readonly residualTokens?: number };

/** Which tokens of a sequence keep their KV. */
export type KvEviction =
  | { readonly kind: "none" }
  /**
   * StreamingLLM (Xiao et al., ICLR'24, arXiv 2309.17453): the first `sinkTokens` (paper: 4) plus a
   * sliding window of the last `windowTokens`; blocks wholly outside both are freed.
   */
  | { readonly kind: "streaming-llm"; readonly sinkTokens?: number; readonly windowTokens: number }
  /**
   * H2O (Zhang et al., NeurIPS'23): a fixed budget of heavy hitters + recent tokens, reached once the
   * prompt is processed and held while generating. Budget in tokens, or as a fraction of the prompt
   * (the paper's 20 % = 10 % heavy + 10 % recent).
   */
  | { readonly kind: "h2o"; readonly budgetTokens?: number; readonly budgetRatio?: number }
  /**
   * SnapKV (Li et al., arXiv 2404.14469): the prompt's KV is compressed once, after prefill, to
   * `budgetTokens`; generated tokens are all kept.
   */
  | { readonly kind: "snapkv"; readonly budgetTokens: number };

/** Resolved per-token sizes of a KV storage format. */
export interface KvStorageSizes {
  /** Bits per stored element, metadata included. */
  readonly bitsPerElement: number;
  /** Bytes per token in this format (fractional: metadata is amortised over a group). */
  readonly bytesPerToken: number;
  /** Bytes per token at 16 bits (for the KIVI residual window). */
  readonly fullBytesPerToken: number;
  /** Tokens per sequence kept at 16 bits (KIVI residual), 0 otherwise. */
  readonly residualTokens: number;
}

const INT_SCALE_BITS = 16; // one fp16 scale per group (ggml block_q8_0 / block_q4_0 `ggml_half d`)
const KIVI_META_BITS = 32; // fp16 scale + fp16 zero point per group (KIVI asymmetric quantization)

/** Bits per element, metadata amortised (e.g. int4 with groups of 32: 4 + 16/32 = 4.5). */
export function kvBitsPerElement(storage: KvStorage): number {
  switch (storage.kind) {
    case "bf16":
      return 16;
    case "fp8":
      return 8;
    case "int8":
      return 8 + INT_SCALE_BITS / positive(storage.groupSize ?? 32, "kvStorage.groupSize");
    case "int4":
      return 4 + INT_SCALE_BITS / positive(storage.groupSize ?? 32, "kvStorage.groupSize");
    case "kivi2":
      return 2 + KIVI_META_BITS / positive(storage.groupSize ?? 32, "kvStorage.groupSize");
  }
}

/**
 * Sizes of a storage format for a model whose KV takes `bytesPerToken16` bytes per token at 16 bits.
 * @example kvStorageSizes({ kind: "fp8" }, 131072).bytesPerToken // 65536 (Llama-3.1-8B: 128 KiB → 64 KiB)
 */
export function kvStorageSizes(storage: KvStorage, bytesPerToken16: number): KvStorageSizes {
  const bits = kvBitsPerElement(storage);
  return {
    bitsPerElement: bits,
    bytesPerToken: (bytesPerToken16 * bits) / 16,
    fullBytesPerToken: bytesPerToken16,
    residualTokens: storage.kind === "kivi2" ? (storage.residualTokens ?? 32) : 0,
  };
}

function positive(x: number, field: string): number {
  if (!(x > 0) || !Number.isFinite(x))
    throw new MemlensError("invalid-value", `${field} must be a positive number, got ${x}`, field);
  return x;
}

/**
 * Tokens of a sequence whose KV is resident, given `tokens` with KV so far and the prompt length.
 * Eviction applies once the prompt has been processed (H2O, SnapKV) or continuously (StreamingLLM).
 */
export function residentTokens(eviction: KvEviction, tokens: number, promptTokens: number): number {
  switch (eviction.kind) {
    case "none":
      return tokens;
    case "streaming-llm":
      return Math.min(tokens, (eviction.sinkTokens ?? 4) + eviction.windowTokens);
    case "h2o": {
      if (tokens <= promptTokens) return tokens; // the prefill step still holds the whole prompt
      return Math.min(tokens, h2oBudget(eviction, promptTokens));
    }
    case "snapkv": {
      if (tokens <= promptTokens) return tokens; // the prefill step still holds the whole prompt
      return Math.min(promptTokens, eviction.budgetTokens) + (tokens - promptTokens);
    }
  }
}

function h2oBudget(e: { readonly budgetTokens?: number; readonly budgetRatio?: number }, prompt: number) {
  if (e.budgetTokens !== undefined) return e.budgetTokens;
  if (e.budgetRatio !== undefined) return Math.max(1, Math.ceil(e.budgetRatio * prompt));
  throw new MemlensError(
    "missing-field",
    "kvEviction h2o needs budgetTokens or budgetRatio",
    "kvEviction.budgetTokens",
  );
}

/**
 * Blocks a sequence holds with `tokens` of KV under an eviction policy and a storage format.
 * StreamingLLM counts positions like vLLM's sliding-window manager (sink blocks + the blocks the
 * window touches); budget policies compact into ceil(resident / blockSize); a KIVI residual window
 * costs its 16-bit bytes in units of quantized blocks.
 */
export function blocksForTokens(
  eviction: KvEviction,
  sizes: KvStorageSizes,
  blockSize: number,
  tokens: number,
  promptTokens: number,
): number {
  if (tokens <= 0) return 0;
  let base: number;
  let resident: number;
  if (eviction.kind === "streaming-llm") {
    const sink = eviction.sinkTokens ?? 4;
    resident = Math.min(tokens, sink + eviction.windowTokens);
    if (tokens <= sink + eviction.windowTokens) base = Math.ceil(tokens / blockSize);
    else {
      const sinkBlocks = Math.ceil(sink / blockSize);
      const firstWindowBlock = Math.max(sinkBlocks, Math.floor((tokens - eviction.windowTokens) / blockSize));
      base = sinkBlocks + Math.ceil(tokens / blockSize) - firstWindowBlock;
    }
  } else {
    resident = residentTokens(eviction, tokens, promptTokens);
    base = Math.ceil(resident / blockSize);
  }
  if (sizes.residualTokens > 0) {
    const r = Math.min(resident, sizes.residualTokens);
    // (resident − r)·q + r·f bytes = blocks of bs·q bytes (KIVI residual kept in 16 bits).
    const effective = resident - r + (r * sizes.fullBytesPerToken) / sizes.bytesPerToken;
    return Math.max(base, Math.ceil(effective / blockSize - 1e-9));
  }
  return base;
}

/** KV bytes a sequence's attention reads with `tokens` of KV (resident tokens, residual at 16 bits). */
export function kvBytesRead(
  eviction: KvEviction,
  sizes: KvStorageSizes,
  tokens: number,
  promptTokens: number,
): number {
  const resident = residentTokens(eviction, tokens, promptTokens);
  const r = Math.min(resident, sizes.residualTokens);
  return (resident - r) * sizes.bytesPerToken + r * sizes.fullBytesPerToken;
}
