import { countElements, type GpuSpec, type ModelSpec, type WeightFormat } from "@memlens/core";
import { type RooflineStepParams, rooflineStepTime, type StepTimeModel } from "@memlens/core/sim";

/** What the simulator's roofline step model was built from, echoed in `memlens simulate --json`. */
export interface StepTimeSummary {
  readonly kind: "roofline";
  /** Per GPU: weight bytes read once per step (dense part; MoE adds the experts a step touches). */
  readonly weightBytesPerGpu: number;
  /** Per GPU: routed-expert bytes, of which a step reads the fraction its tokens touch. */
  readonly expertBytesPerGpu: number;
  readonly flopsPerTokenPerGpu: number;
  readonly attentionFlopsPerPairPerGpu: number;
  readonly kvBytesPerTokenPerGpu: number;
  readonly bandwidthBytesPerSecond: number;
  readonly flopsPerSecond: number;
  readonly computeDtype: string;
  readonly computeEfficiency: number;
  readonly memoryEfficiency: number;
}

/** Inputs of {@link stepTimeFromModel}; bytes are per GPU as the engine holds them. */
export interface StepTimeFromModelInput {
  readonly spec: ModelSpec;
  readonly gpu: GpuSpec;
  readonly format: WeightFormat;
  /** Weight bytes one GPU holds (vLLM's per-rank load, from core's estimate). */
  readonly weightBytesPerGpu: number;
  /** Bytes of the input embedding table and of the routed experts, whole model (estimateWeights). */
  readonly embeddingBytes: number;
  readonly expertBytes: number;
  /** KV bytes written per new token on one GPU, in the storage format. */
  readonly kvBytesPerTokenPerGpu: number;
  readonly tensorParallel: number;
}

// llm-analysis (cli99/llm-analysis README): ~0.7 of peak FLOP/s and ~0.9 of bandwidth; core's DEFAULT_EFFICIENCY.
const COMPUTE_EFFICIENCY = 0.7;
const MEMORY_EFFICIENCY = 0.9;

/** Tensor-core dtype a format computes in (as core's perf/roofline.ts): weight-only quants run in 16 bits. */
function computeRoof(format: WeightFormat, gpu: GpuSpec): { dtype: string; flopsPerSecond: number } {
  const f = gpu.flopsPerSecond;
  const half = f.bf16 ?? f.fp16 ?? f.fp32 ?? 0;
  if (format.kind === "dense" && format.dtype === "fp32")
    return { dtype: "tf32", flopsPerSecond: f.tf32 ?? f.fp32 ?? half };
  if (format.kind === "fp8" && f.fp8) return { dtype: "fp8", flopsPerSecond: f.fp8 };
  if (format.kind === "int8" && format.method === "w8a8" && f.int8)
    return { dtype: "int8", flopsPerSecond: f.int8 };
  return { dtype: f.bf16 ? "bf16" : "fp16", flopsPerSecond: half };
}

/**
 * The serving simulator's step time for a model on a GPU: core's `rooflineStepTime` with per-GPU
 * weight bytes, FLOPs and KV traffic (tensor parallelism splits all three; all-reduce time is not
 * modelled). MoE steps read only the experts their tokens touch.
 */
export function stepTimeFromModel(x: StepTimeFromModelInput): {
  model: StepTimeModel;
  summary: StepTimeSummary;
} {
  const { spec, gpu, tensorParallel: tp } = x;
  let embeddingElements = 0;
  for (const t of spec.tensors)
    if (t.role === "embedding" || t.role === "position-embedding")
      embeddingElements += countElements(t.shape);
  // Kaplan et al. 2020: C ≈ 2N per token; an untied input embedding is a lookup, not a matmul.
  const flopsPerToken = (2 * (spec.activeParameters - (spec.tiedEmbeddings ? 0 : embeddingElements))) / tp;
  // QKᵀ and AV: 2·heads·(d_k + d_v) FLOPs per query·key pair per layer (sliding windows not applied).
  let pairFlops = 0;
  for (const l of spec.layers) {
    const m = l.mixer;
    if (m.kind === "attention") pairFlops += 2 * m.numHeads * (m.headDim + m.valueHeadDim);
    else if (m.kind === "mla")
      pairFlops += 2 * m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.valueHeadDim);
  }
  // An untied input embedding is read one row per token, not whole, each step.
  const embeddingUnread = spec.tiedEmbeddings ? 0 : x.embeddingBytes / tp;
  const expertBytesPerGpu = x.expertBytes / tp;
  const denseBytes = Math.max(0, x.weightBytesPerGpu - embeddingUnread - expertBytesPerGpu);
  const roof = computeRoof(x.format, gpu);
  const params: RooflineStepParams = {
    weightBytes: denseBytes + expertBytesPerGpu,
    flopsPerToken,
    attentionFlopsPerPair: pairFlops / tp,
    kvBytesPerToken: x.kvBytesPerTokenPerGpu,
    bandwidthBytesPerSecond: gpu.bandwidthBytesPerSecond,
    flopsPerSecond: roof.flopsPerSecond,
    computeEfficiency: COMPUTE_EFFICIENCY,
    memoryEfficiency: MEMORY_EFFICIENCY,
  };
  const summary: StepTimeSummary = {
    kind: "roofline",
    weightBytesPerGpu: denseBytes,
    expertBytesPerGpu,
    flopsPerTokenPerGpu: flopsPerToken,
    attentionFlopsPerPairPerGpu: pairFlops / tp,
    kvBytesPerTokenPerGpu: x.kvBytesPerTokenPerGpu,
    bandwidthBytesPerSecond: gpu.bandwidthBytesPerSecond,
    flopsPerSecond: roof.flopsPerSecond,
    computeDtype: roof.dtype,
    computeEfficiency: COMPUTE_EFFICIENCY,
    memoryEfficiency: MEMORY_EFFICIENCY,
  };
  const moe = spec.layers.find((l) => l.ffn.kind === "moe")?.ffn;
  if (moe?.kind !== "moe" || expertBytesPerGpu === 0) return { model: rooflineStepTime(params), summary };
  const keep = 1 - moe.expertsPerToken / moe.numExperts;
  const byTouched = new Map<number, StepTimeModel>();
  const model: StepTimeModel = (b) => {
    const tokens = b.prefillTokens + b.decodeSeqs;
    // Experts a batch touches per layer: E·(1 − (1 − k/E)^T) in expectation (uniform routing; perf/roofline.ts).
    const touched = Math.round((1 - keep ** tokens) * 1000);
    let m = byTouched.get(touched);
    if (!m) {
      m = rooflineStepTime({ ...params, weightBytes: denseBytes + (expertBytesPerGpu * touched) / 1000 });
      byTouched.set(touched, m);
    }
    return m(b);
  };
  return { model, summary };
}
