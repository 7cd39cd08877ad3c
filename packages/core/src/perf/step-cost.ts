/**
 * What one engine step costs, before any hardware: the bytes it reads (weights, with only the
 * experts a batch touches for MoE; the KV cache, with sliding windows applied) and the FLOPs it
 * computes (matmuls and attention). `roofline.ts` turns these terms into seconds. estimate, the
 * planner and the serving simulator all take their terms from here, so they cannot disagree on a
 * rule (e.g. that a sliding-window layer reads only its window's KV).
 */
import {
  type KvLayoutOptions,
  kvLayoutKey,
  layerKvBytes,
  layerKvBytesPerToken,
  tokensKeptByLayer,
} from "../estimate/kv-cache.js";
import { countElements, type LayerSpec, type ModelSpec } from "../models/model-spec.js";
import { OwnerMemo } from "../units/memo.js";

/**
 * What one engine iteration (one forward pass over the scheduled batch) computes. Prefill tokens
 * include recomputation after preemption; decode sequences emit one token each.
 */
export interface StepBatch {
  /** Tokens computed for requests that are still catching up on their prompt (or on recompute). */
  readonly prefillTokens: number;
  /** Requests in prefill this step. */
  readonly prefillSeqs: number;
  /** Requests decoding one token this step. */
  readonly decodeSeqs: number;
  /** Context positions attended by decoding requests (Σ tokens already in their KV). */
  readonly decodeContextTokens: number;
  /** Context positions attended by all scheduled requests before this step (Σ computed tokens). */
  readonly contextTokens: number;
  /** KV tokens read by attention (resident tokens, after eviction policies), all requests. */
  readonly kvTokensRead: number;
  /** KV bytes read by attention (resident tokens × bytes per token of the storage format). */
  readonly kvBytesRead: number;
  /** Causal query·key pairs of the prefill chunks: Σ n·(c + (n+1)/2) for a chunk of n after c cached. */
  readonly prefillAttentionPairs: number;
}

/**
 * Seconds one step takes. The one interface the simulator needs for time: a roofline from numbers
 * (`rooflineStepTime`), a fitted linear model (`linearStepTime`, the calibration hook), or anything
 * else (a lookup table, a profile of a real engine). Must be pure and deterministic.
 */
export type StepTimeModel = (batch: StepBatch) => number;

/**
 * Time a step spends outside the roofline, added after max(compute, memory). The slot for
 * communication and per-step overhead (issue 17: TP all-reduces and PP sends from the interconnect,
 * EP all-to-all, an engine's launch and scheduling time). Absent means 0; today only the
 * simulator's explicit step parameters set them.
 */
export interface StepOverheads {
  /** Fixed cost per step: launch, scheduling, sampling (default 0). */
  readonly stepOverheadSeconds?: number;
  /** Cost per scheduled sequence (default 0). */
  readonly perSeqOverheadSeconds?: number;
  /** Time per step for tensor-parallel all-reduces (default 0). */
  readonly communicationSeconds?: number;
}

/** The terms of one step: FLOPs computed and bytes moved through memory. */
export interface StepCost {
  readonly flops: number;
  readonly bytes: number;
}

// Memoised per model (specs are read-only): the sum walks every tensor.
const matmulFlops = new WeakMap<ModelSpec, number>();

/** Matrix-multiply FLOPs per token: 2 per weight a token touches (Kaplan et al. 2020, C ≈ 2N). */
export function matmulFlopsPerToken(spec: ModelSpec): number {
  let f = matmulFlops.get(spec);
  if (f === undefined) {
    f = computeMatmulFlopsPerToken(spec);
    matmulFlops.set(spec, f);
  }
  return f;
}

function computeMatmulFlopsPerToken(spec: ModelSpec): number {
  let embedding = 0;
  for (const t of spec.tensors)
    if (t.role === "embedding" || t.role === "position-embedding") embedding += countElements(t.shape);
  // Tied models still multiply by the table in the output head.
  const lookupOnly = spec.tiedEmbeddings ? 0 : embedding;
  return 2 * (spec.activeParameters - lookupOnly);
}

/** Attention score + value FLOPs for one query token over `keys` keys: 4 · heads · head_dim per key. */
export function attentionFlopsPerToken(spec: ModelSpec, keys: number): number {
  let f = 0;
  for (const l of spec.layers) {
    const m = l.mixer;
    if (m.kind === "attention") {
      const k = m.slidingWindow === null ? keys : Math.min(keys, m.slidingWindow);
      f += 2 * m.numHeads * (m.headDim + m.valueHeadDim) * k;
    } else if (m.kind === "mla") {
      f += 2 * m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.valueHeadDim) * keys;
    }
  }
  return f;
}

/** Routing of a model's MoE layers, or null for a dense model. */
export function moeRoutingOf(spec: ModelSpec): { expertsPerToken: number; numExperts: number } | null {
  const moe = spec.layers.find((l) => l.ffn.kind === "moe")?.ffn;
  return moe?.kind === "moe" ? { expertsPerToken: moe.expertsPerToken, numExperts: moe.numExperts } : null;
}

/**
 * Fraction of the routed experts a step of `tokens` tokens touches per MoE layer:
 * 1 − (1 − k/E)^T in expectation (uniform routing).
 */
export function expertsTouchedFraction(
  moe: { readonly expertsPerToken: number; readonly numExperts: number },
  tokens: number,
): number {
  return 1 - (1 - moe.expertsPerToken / moe.numExperts) ** tokens;
}

/** A model's weights as a step reads them (bytes of one copy, or of one GPU's share). */
export interface WeightReadInput {
  readonly spec: ModelSpec;
  /** Bytes of all weights. */
  readonly weightBytes: number;
  /** Bytes of the routed experts among them. */
  readonly expertBytes: number;
  /** Bytes of the input embedding table (read one row per token, unless tied to the output). */
  readonly embeddingBytes: number;
}

/**
 * Weight bytes a step of `tokens` tokens reads: everything but the untied input embedding (read a
 * row per token) and the routed experts no token of the step is sent to.
 */
export function weightBytesRead(x: WeightReadInput, tokens: number): number {
  const moe = moeRoutingOf(x.spec);
  const expertFraction = moe ? expertsTouchedFraction(moe, tokens) : 1;
  const embeddingRead = x.spec.tiedEmbeddings ? x.embeddingBytes : 0;
  return x.weightBytes - x.expertBytes * (1 - expertFraction) - (x.embeddingBytes - embeddingRead);
}

/** Weight bytes a prefill pass reads: all of them (every expert) but the untied input embedding. */
export function prefillWeightBytesRead(x: WeightReadInput): number {
  const embeddingRead = x.spec.tiedEmbeddings ? x.embeddingBytes : 0;
  return x.weightBytes - (x.embeddingBytes - embeddingRead);
}

/** Per layer, the KV bytes one token stores (K + V) and the layer (which says the window it keeps). */
export type KvReadProfile = readonly {
  readonly bytesPerToken: number;
  readonly layer: LayerSpec;
  /** DeepSeek-V4 compressed layers: the layout their window and entries are read in (kv-cache.ts layerKvBytes). */
  readonly layout?: KvLayoutOptions;
}[];

const kvProfiles = new OwnerMemo<ModelSpec, KvReadProfile>(64);

/** The KV a decode step reads, layer by layer, in a storage layout (memoised per model and layout). */
export function kvReadProfile(spec: ModelSpec, layout: KvLayoutOptions): KvReadProfile {
  return kvProfiles.get(spec, kvLayoutKey(layout), () =>
    Object.freeze(
      spec.layers.map((l) => {
        const { k, v } = layerKvBytesPerToken(l.mixer, layout);
        return l.mixer.kind === "mla" && l.mixer.compressed
          ? { bytesPerToken: k + v, layer: l, layout }
          : { bytesPerToken: k + v, layer: l };
      }),
    ),
  );
}

/**
 * KV bytes a decode step reads per token of a `context`-token sequence, averaged over the
 * context: a sliding-window layer reads min(context, window) tokens, every other layer all of them
 * (what the cache holds: kv-cache.ts tokensKeptByLayer). Multiply by context × sequences.
 */
export function kvReadBytesPerContextToken(profile: KvReadProfile, context: number): number {
  let perToken = 0;
  for (const { bytesPerToken, layer, layout } of profile)
    perToken +=
      layout !== undefined
        ? layerKvBytes(layer, layout, context) / context
        : (bytesPerToken * tokensKeptByLayer(layer, context)) / context;
  return perToken;
}

/** What a decode or prefill step reads and computes, for the whole model (or one GPU's share). */
export interface StepCostInput extends WeightReadInput {
  /** KV bytes per context token per sequence as the engine stores them, windows applied (`kvReadBytesPerContextToken`). */
  readonly kvBytesPerToken: number;
}

/**
 * One decode step: `batch` sequences each emit one token over `contextTokens` tokens of context.
 * Reads the weights the batch touches and every sequence's KV; computes the matmuls and attention.
 */
export function decodeStepCost(x: StepCostInput, batch: number, contextTokens: number): StepCost {
  const kvRead = batch * contextTokens * x.kvBytesPerToken;
  return {
    bytes: weightBytesRead(x, batch) + kvRead,
    flops: batch * (matmulFlopsPerToken(x.spec) + attentionFlopsPerToken(x.spec, contextTokens)),
  };
}

/** Prefill of one `promptTokens`-token prompt in one pass; causal attention sees half the prompt on average. */
export function prefillStepCost(x: StepCostInput, promptTokens: number): StepCost {
  const p = promptTokens;
  return {
    flops: p * matmulFlopsPerToken(x.spec) + p * attentionFlopsPerToken(x.spec, p / 2),
    bytes: prefillWeightBytesRead(x) + p * x.kvBytesPerToken,
  };
}

/**
 * The per-GPU terms of a serving step (`StepBatch`), as the simulator's roofline uses them.
 * Weights are read once per step, 2 FLOPs per active weight per token, attention per query·key pair.
 */
export interface BatchStepTerms {
  /** Weight bytes read once per step (active weights for MoE; per GPU under TP). */
  readonly weightBytes: number;
  /** Dense matmul FLOPs per token: 2 × active parameters (Kaplan et al. 2020), per GPU. */
  readonly flopsPerToken: number;
  /** Attention FLOPs per query·key pair: 4 × layers × heads × head_dim (QKᵀ and AV), per GPU. */
  readonly attentionFlopsPerPair: number;
  /** KV bytes written per new token (all layers, per GPU). */
  readonly kvBytesPerToken: number;
}

/** FLOPs and bytes of one simulated step: matmuls per token, attention per pair, weights + KV read + KV written. */
export function batchStepCost(p: BatchStepTerms, b: StepBatch): StepCost {
  const tokens = b.prefillTokens + b.decodeSeqs;
  // Matmuls: 2·N per token; attention: 4·L·H·d per query·key pair (decode: one query per context token).
  const flops =
    p.flopsPerToken * tokens + p.attentionFlopsPerPair * (b.prefillAttentionPairs + b.decodeContextTokens);
  // Weights read once per step; KV read by attention; new KV written.
  const bytes = p.weightBytes + b.kvBytesRead + p.kvBytesPerToken * tokens;
  return { flops, bytes };
}
