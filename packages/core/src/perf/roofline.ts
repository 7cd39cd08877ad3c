import type { GpuSpec } from "../catalog/gpu-types.js";
import type { WeightFormat } from "../estimate/weights.js";
import { countElements, type ModelSpec } from "../models/model-spec.js";

/**
 * Fractions of peak a real engine reaches. llm-analysis (cli99/llm-analysis README) suggests
 * about 0.7 of peak FLOP/s for inference and 0.9 of memory bandwidth; `ideal` uses 1 and 1.
 */
export interface Efficiency {
  readonly compute: number;
  readonly memory: number;
}
export const DEFAULT_EFFICIENCY: Efficiency = { compute: 0.7, memory: 0.9 };
export const IDEAL_EFFICIENCY: Efficiency = { compute: 1, memory: 1 };

export interface RooflineInput {
  readonly spec: ModelSpec;
  readonly gpu: GpuSpec;
  readonly format: WeightFormat;
  /** Bytes of all weights (one copy). */
  readonly weightBytes: number;
  /** Bytes of the routed experts among them. */
  readonly expertBytes: number;
  /** Bytes of the input embedding table (read one row per token, unless tied to the output). */
  readonly embeddingBytes: number;
  /** KV bytes per token per sequence as the engine stores them, all layers (windows applied by caller). */
  readonly kvBytesPerToken: number;
  /** Concurrent sequences decoding together. */
  readonly batch: number;
  /** Tokens already in each sequence's context when decoding. */
  readonly contextTokens: number;
  /** Prompt tokens prefilled for time to first token. */
  readonly promptTokens: number;
  /** GPUs that split each layer (tensor parallel): bandwidth and FLOP/s add up. */
  readonly tensorParallel: number;
  readonly efficiency: Efficiency;
}

export interface PerformanceEstimate {
  /** Prompt tokens processed per second during prefill. */
  readonly prefillTokensPerSecond: number;
  /** Generated tokens per second, all sequences together. */
  readonly decodeTokensPerSecond: number;
  /** Time to prefill one prompt of `promptTokens`. */
  readonly timeToFirstTokenSeconds: number;
  /** One decode step (one token for every sequence). */
  readonly decodeStepSeconds: number;
  /** What limits decode. */
  readonly bound: "memory" | "compute";
  /** Bytes read from memory per decode step. */
  readonly decodeBytesPerStep: number;
  /** Dense FLOP/s used for the compute roof, and which dtype it is. */
  readonly peakFlopsPerSecond: number;
  readonly computeDtype: string;
}

/** Tensor-core dtype a format computes in: weight-only quants dequantize to 16-bit. */
export function computeRoofOf(format: WeightFormat, gpu: GpuSpec): { dtype: string; flops: number } {
  const f = gpu.flopsPerSecond;
  const half = f.bf16 ?? f.fp16 ?? f.fp32 ?? 0;
  if (format.kind === "dense" && format.dtype === "fp32")
    return { dtype: "tf32", flops: f.tf32 ?? f.fp32 ?? half };
  if (format.kind === "fp8" && f.fp8) return { dtype: "fp8", flops: f.fp8 };
  if (format.kind === "int8" && format.method === "w8a8" && f.int8) return { dtype: "int8", flops: f.int8 };
  return { dtype: f.bf16 ? "bf16" : "fp16", flops: half };
}

/** Matrix-multiply FLOPs per token: 2 per weight a token touches (Kaplan et al. 2020, C ≈ 2N). */
export function matmulFlopsPerToken(spec: ModelSpec): number {
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

/**
 * Roofline speed: each phase takes max(FLOPs / (peak · η_c), bytes / (bandwidth · η_m)).
 * Prefill is compute-bound; decode reads the active weights and every sequence's KV cache per
 * step, so it slows as the context grows. MoE decode reads only the experts the batch touches.
 */
export function estimatePerformance(x: RooflineInput): PerformanceEstimate {
  const { dtype, flops } = computeRoofOf(x.format, x.gpu);
  const tp = x.tensorParallel;
  const peak = flops * tp * x.efficiency.compute;
  const bandwidth = x.gpu.bandwidthBytesPerSecond * tp * x.efficiency.memory;

  // Experts the batch touches per MoE layer: E · (1 − (1 − k/E)^B) in expectation (uniform routing).
  let expertFraction = 1;
  const moe = x.spec.layers.find((l) => l.ffn.kind === "moe")?.ffn;
  if (moe?.kind === "moe") expertFraction = 1 - (1 - moe.expertsPerToken / moe.numExperts) ** x.batch;
  const embeddingRead = x.spec.tiedEmbeddings ? x.embeddingBytes : 0;
  const weightRead =
    x.weightBytes - x.expertBytes * (1 - expertFraction) - (x.embeddingBytes - embeddingRead);
  const kvRead = x.batch * x.contextTokens * x.kvBytesPerToken;
  const decodeBytesPerStep = weightRead + kvRead;
  const decodeFlops =
    x.batch * (matmulFlopsPerToken(x.spec) + attentionFlopsPerToken(x.spec, x.contextTokens));
  const memoryTime = decodeBytesPerStep / bandwidth;
  const computeTime = decodeFlops / peak;
  const decodeStepSeconds = Math.max(memoryTime, computeTime);

  // Prefill: all prompt tokens in one pass; causal attention sees on average half the prompt.
  const p = x.promptTokens;
  const prefillFlops = p * matmulFlopsPerToken(x.spec) + p * attentionFlopsPerToken(x.spec, p / 2);
  const prefillBytes = x.weightBytes - (x.embeddingBytes - embeddingRead) + p * x.kvBytesPerToken;
  const ttft = Math.max(prefillFlops / peak, prefillBytes / bandwidth);
  return {
    prefillTokensPerSecond: p / ttft,
    decodeTokensPerSecond: x.batch / decodeStepSeconds,
    timeToFirstTokenSeconds: ttft,
    decodeStepSeconds,
    bound: memoryTime >= computeTime ? "memory" : "compute",
    decodeBytesPerStep,
    peakFlopsPerSecond: flops,
    computeDtype: dtype,
  };
}
