import { lookupGgmlType } from "../catalog/dtypes.js";
import { MemlensError } from "../errors/memlens-error.js";
import type { LayerSpec, MixerSpec, MlaMixer, ModelSpec } from "../models/model-spec.js";

/** KV cache element types. q* are ggml block types (llama.cpp `--cache-type-k/v`). */
export const KV_DTYPES = [
  "fp32",
  "fp16",
  "bf16",
  "fp8",
  "int8",
  "q8_0",
  "q4_0",
  "q4_1",
  "q5_0",
  "q5_1",
  "iq4_nl",
] as const;
export type KvDtype = (typeof KV_DTYPES)[number];

/**
 * How an engine lays out MLA caches. "latent": the compressed latent plus the rotary key
 * (vLLM `MLAAttentionSpec`, SGLang, llama.cpp); "expanded": full per-head K and V
 * (transformers' DeepseekV3Attention caches decompressed key_states/value_states).
 */
export type MlaCacheLayout = "latent" | "expanded";

/**
 * How an engine sizes recurrent (SSM / linear-attention) state. "hf": transformers' caches keep
 * the full conv window (d_conv columns) in the model dtype; "llamacpp": llama.cpp keeps
 * d_conv − 1 columns in F32 (llama_memory_recurrent, r_l/s_l tensors).
 */
export type RecurrentStateLayout = "hf" | "llamacpp";

export interface KvLayoutOptions {
  readonly kDtype: KvDtype;
  readonly vDtype: KvDtype;
  readonly mla: MlaCacheLayout;
  readonly recurrent: RecurrentStateLayout;
  /** Bytes per element of recurrent state under the "hf" layout (the model dtype). */
  readonly recurrentDtypeBytes: number;
}

/**
 * K and V both in `dtype`, MLA cached as its latent, recurrent state as HF keeps it in the model
 * dtype (`recurrentDtypeBytes`, 16-bit unless told): vLLM's and SGLang's layout, and the 16-bit
 * reference the simulator re-cuts other formats from.
 */
export const uniformKvLayout = (dtype: KvDtype, recurrentDtypeBytes = 2): KvLayoutOptions => ({
  kDtype: dtype,
  vDtype: dtype,
  mla: "latent",
  recurrent: "hf",
  recurrentDtypeBytes,
});

/** A string naming a layout exactly (memo keys). */
export const kvLayoutKey = (o: KvLayoutOptions): string =>
  `${o.kDtype}|${o.vDtype}|${o.mla}|${o.recurrent}|${o.recurrentDtypeBytes}`;

export const isKvDtype = (s: string): s is KvDtype => (KV_DTYPES as readonly string[]).includes(s);

/** Exact bytes of `elements` values of a KV dtype (ggml block types need whole blocks). */
export function kvElementsBytes(dtype: KvDtype, elements: number): number {
  switch (dtype) {
    case "fp32":
      return 4 * elements;
    case "fp16":
    case "bf16":
      return 2 * elements;
    case "fp8":
    case "int8":
      return elements;
    default: {
      // ggml.c type_traits: bytes per block / elements per block; rows must be whole blocks.
      const t = lookupGgmlType(dtype);
      if (elements % t.blockSize !== 0)
        throw new MemlensError(
          "invalid-value",
          `KV row of ${elements} elements is not a multiple of ${dtype}'s block size ${t.blockSize}`,
          "kvCache",
        );
      return (elements / t.blockSize) * t.typeSizeBytes;
    }
  }
}

/**
 * Bytes of the DSA indexer key one token adds to one MLA layer in vLLM's layout, whatever the KV
 * dtype: FP8 values plus an FP32 scale per 128 (vllm/model_executor/models/deepseek_v2.py Indexer:
 * head_dim + head_dim // quant_block_size * 4, cached by DeepseekV32IndexerCache as uint8): 132
 * for index_head_dim 128. 0 without an indexer.
 */
export function mlaIndexerKeyBytes(mixer: MlaMixer): number {
  const id = mixer.indexerHeadDim ?? 0;
  return id + Math.floor(id / 128) * 4;
}

/** K and V bytes one token adds to one layer (0 for recurrent layers). */
export function layerKvBytesPerToken(mixer: MixerSpec, o: KvLayoutOptions): { k: number; v: number } {
  switch (mixer.kind) {
    case "attention":
      // K: n_kv_heads × head_dim; V: n_kv_heads × v_head_dim (llama.cpp n_embd_k_gqa / n_embd_v_gqa).
      return {
        k:
          kvElementsBytes(o.kDtype, mixer.numKvHeads * mixer.headDim) +
          (mixer.indexKeyDim ? kvElementsBytes(o.kDtype, mixer.indexKeyDim) : 0),
        v: kvElementsBytes(o.vDtype, mixer.numKvHeads * mixer.valueHeadDim),
      };
    case "mla": {
      const id = mixer.indexerHeadDim ?? 0;
      if (mixer.compressed) {
        // DeepSeek-V4: what one token adds over a long context, the compressed entries (one per
        // `ratio` tokens); the window's latents are a fixed amount (compressedWindowBytes).
        const r = mixer.compressed.ratio;
        return { k: r === 0 ? 0 : Math.ceil(compressedEntryBytes(mixer, o) / r), v: 0 };
      }
      if (o.mla === "latent")
        // DeepSeek-V2 paper §2.1.2: cache c_KV (kv_lora_rank) and k_R (qk_rope_head_dim), one "head";
        // plus the DSA indexer key (mlaIndexerKeyBytes).
        return {
          k: kvElementsBytes(o.kDtype, mixer.kvLoraRank + mixer.qkRopeHeadDim) + mlaIndexerKeyBytes(mixer),
          v: 0,
        };
      // transformers' DeepseekV32Indexer keeps its keys in the model dtype (cache.update_indexer).
      return {
        k:
          kvElementsBytes(o.kDtype, mixer.numHeads * (mixer.qkNopeHeadDim + mixer.qkRopeHeadDim)) +
          (id > 0 ? kvElementsBytes(o.kDtype, id) : 0),
        v: kvElementsBytes(o.vDtype, mixer.numHeads * mixer.valueHeadDim),
      };
    }
    case "mamba":
    case "linear-attention":
    case "none":
      return { k: 0, v: 0 };
  }
}

/**
 * DeepSeek-V4: bytes of one compressed entry of a layer (its latent, plus on CSA layers the
 * indexer's compressed key). "latent" (vLLM, SGLang): the latent in the KV dtype and the indexer
 * key as FP8 with its scales (mlaIndexerKeyBytes); "expanded" (transformers' DeepseekV4CSACache /
 * DeepseekV4HCACache): both in the model dtype (the KV dtype here).
 */
export function compressedEntryBytes(mixer: MlaMixer, o: KvLayoutOptions): number {
  const latent = kvElementsBytes(o.kDtype, mixer.kvLoraRank + mixer.qkRopeHeadDim);
  const id = mixer.indexerHeadDim ?? 0;
  if (id === 0) return latent;
  return latent + (o.mla === "latent" ? mlaIndexerKeyBytes(mixer) : kvElementsBytes(o.kDtype, id));
}

/** DeepSeek-V4: bytes of one token's latent in a layer's sliding window (K and V share it). */
export const compressedWindowBytes = (mixer: MlaMixer, o: KvLayoutOptions): number =>
  kvElementsBytes(o.kDtype, mixer.kvLoraRank + mixer.qkRopeHeadDim);

/**
 * K/V bytes one sequence of `contextLength` tokens holds in one layer: per-token bytes × the
 * tokens the layer keeps (its window, if any); a DeepSeek-V4 layer keeps its window's latents plus
 * one compressed entry per `ratio` tokens. 0 for recurrent layers.
 */
export function layerKvBytes(layer: LayerSpec, o: KvLayoutOptions, contextLength: number): number {
  const m = layer.mixer;
  if (m.kind === "mla" && m.compressed) {
    const { ratio, window } = m.compressed;
    const entries = ratio === 0 ? 0 : Math.floor(contextLength / ratio);
    return (
      compressedWindowBytes(m, o) * Math.min(contextLength, window) + compressedEntryBytes(m, o) * entries
    );
  }
  const { k, v } = layerKvBytesPerToken(m, o);
  return (k + v) * tokensKeptByLayer(layer, contextLength);
}

/** Recurrent state bytes one sequence holds in one layer (0 for attention layers). */
export function layerRecurrentStateBytes(mixer: MixerSpec, o: KvLayoutOptions): number {
  switch (mixer.kind) {
    case "attention":
    case "mla":
    case "none":
      return 0;
    case "mamba": {
      // Conv state spans x (and for Mamba-2 also B and C); SSM state is d_inner × d_state.
      const convChannels =
        mixer.version === 2 ? mixer.dInner + 2 * mixer.nGroups * mixer.dState : mixer.dInner;
      if (o.recurrent === "llamacpp")
        // llama.cpp llama-model.cpp n_embd_r() / n_embd_s(), stored F32.
        return 4 * ((mixer.dConv - 1) * convChannels + mixer.dState * mixer.dInner);
      // transformers MambaCache: conv_states [d_inner, d_conv], ssm_states [d_inner, d_state].
      return o.recurrentDtypeBytes * (convChannels * mixer.dConv + mixer.dInner * mixer.dState);
    }
    case "linear-attention": {
      // Gated DeltaNet: conv over q, k, v channels plus a dk × dv state per value head.
      const convDim = 2 * mixer.numKeyHeads * mixer.keyHeadDim + mixer.numValueHeads * mixer.valueHeadDim;
      const state = mixer.numValueHeads * mixer.keyHeadDim * mixer.valueHeadDim;
      if (o.recurrent === "llamacpp") return 4 * ((mixer.convKernel - 1) * convDim + state);
      return o.recurrentDtypeBytes * (mixer.convKernel * convDim + state);
    }
  }
}

/**
 * KV bytes per token over all layers, as if every layer kept every token (sliding windows not
 * applied). The figure people quote: Llama-2-70B at FP16 = 2 × 80 × 8 × 128 × 2 = 327,680.
 */
export function kvBytesPerToken(spec: ModelSpec, o: KvLayoutOptions): number {
  let total = 0;
  for (const l of spec.layers) {
    const { k, v } = layerKvBytesPerToken(l.mixer, o);
    total += k + v;
  }
  return total;
}

/** Tokens a layer keeps for a sequence of `contextLength` tokens (sliding window capped). */
export function tokensKeptByLayer(layer: LayerSpec, contextLength: number): number {
  if (layer.mixer.kind !== "attention" || layer.mixer.slidingWindow === null) return contextLength;
  return Math.min(contextLength, layer.mixer.slidingWindow);
}

export interface KvCacheBreakdown {
  /** Attention K/V bytes for all sequences. */
  readonly attentionBytes: number;
  /** Recurrent (SSM / linear attention) state bytes for all sequences. */
  readonly recurrentStateBytes: number;
  readonly totalBytes: number;
  /** Layers that keep only a window of recent tokens. */
  readonly slidingWindowLayers: number;
}

/**
 * KV cache of `batch` sequences of `contextLength` tokens each: windowed layers keep at most
 * their window, recurrent layers a constant state.
 */
export function estimateKvCache(
  spec: ModelSpec,
  contextLength: number,
  batch: number,
  o: KvLayoutOptions,
): KvCacheBreakdown {
  let attention = 0;
  let recurrent = 0;
  let windowed = 0;
  for (const l of spec.layers) {
    attention += layerKvBytes(l, o, contextLength);
    recurrent += layerRecurrentStateBytes(l.mixer, o);
    if (l.mixer.kind === "attention" && l.mixer.slidingWindow !== null) windowed++;
  }
  const attentionBytes = attention * batch;
  const recurrentStateBytes = recurrent * batch;
  return {
    attentionBytes,
    recurrentStateBytes,
    totalBytes: attentionBytes + recurrentStateBytes,
    slidingWindowLayers: windowed,
  };
}
