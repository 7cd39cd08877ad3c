/**
 * One speed model for estimate, the planner and the serving simulator: a step's cost
 * (`step-cost.ts`: bytes read, FLOPs) on a roof (peak FLOP/s and bandwidth times an efficiency),
 * plus the time outside the roofline (`StepOverheads`).
 */
import type { GpuSpec } from "../catalog/gpu-types.js";
import type { WeightFormat } from "../estimate/weights.js";
import type { ModelSpec } from "../models/model-spec.js";
import { communicationSeconds, type StepCommunication } from "./communication.js";
import {
  type BatchStepTerms,
  batchStepCost,
  decodeStepCost,
  prefillStepCost,
  type StepBatch,
  type StepCost,
  type StepOverheads,
  type StepTimeModel,
} from "./step-cost.js";

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
  /** Collectives between the GPUs (`communication.ts`), added to each step; absent on one GPU. */
  readonly communication?: StepCommunication;
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
  if (format.kind === "checkpoint" && format.name === "fp8" && f.fp8) return { dtype: "fp8", flops: f.fp8 };
  if (format.kind === "int8" && format.method === "w8a8" && f.int8) return { dtype: "int8", flops: f.int8 };
  return { dtype: f.bf16 ? "bf16" : "fp16", flops: half };
}

/** Effective rates of the roof: peak FLOP/s and bandwidth, possibly already times an efficiency. */
export interface Roof {
  readonly flopsPerSecond: number;
  readonly bandwidthBytesPerSecond: number;
}

/**
 * The roof estimate and the planner divide by: peak of the format's compute dtype and memory
 * bandwidth, summed over `tensorParallel` GPUs, times the efficiencies.
 */
export function effectiveRoof(
  gpu: GpuSpec,
  format: WeightFormat,
  tensorParallel: number,
  e: Efficiency,
): Roof {
  const { flops } = computeRoofOf(format, gpu);
  return {
    flopsPerSecond: flops * tensorParallel * e.compute,
    bandwidthBytesPerSecond: gpu.bandwidthBytesPerSecond * tensorParallel * e.memory,
  };
}

/** The compute and memory times of a step on a roof, before taking the larger. */
export interface RooflineTerms {
  readonly computeSeconds: number;
  readonly memorySeconds: number;
}

/** A step's cost on a roof: FLOPs / FLOP/s and bytes / bandwidth. */
export function rooflineTermsOf(cost: StepCost, roof: Roof): RooflineTerms {
  return {
    computeSeconds: cost.flops / roof.flopsPerSecond,
    memorySeconds: cost.bytes / roof.bandwidthBytesPerSecond,
  };
}

/**
 * The one roofline time: max(compute / η_c, memory / η_m), plus the time outside the roofline
 * (`StepOverheads`: communication and per-step overhead, issue 17's slot) for `seqs` scheduled
 * sequences. The simulator passes terms at peak and its efficiencies (fits to measured steps see
 * peak terms); estimate and the planner pass terms on an `effectiveRoof` and IDEAL_EFFICIENCY.
 */
export function rooflineSeconds(
  t: RooflineTerms,
  e: Efficiency,
  overheads?: StepOverheads,
  seqs = 0,
): number {
  const roof = Math.max(t.computeSeconds / e.compute, t.memorySeconds / e.memory);
  if (overheads === undefined) return roof;
  const fixed = (overheads.stepOverheadSeconds ?? 0) + (overheads.communicationSeconds ?? 0);
  return roof + fixed + (overheads.perSeqOverheadSeconds ?? 0) * seqs;
}

/**
 * Roofline speed: each phase takes max(FLOPs / (peak · η_c), bytes / (bandwidth · η_m)).
 * Prefill is compute-bound; decode reads the active weights and every sequence's KV cache per
 * step, so it slows as the context grows. MoE decode reads only the experts the batch touches.
 */
export function estimatePerformance(x: RooflineInput): PerformanceEstimate {
  const { dtype, flops } = computeRoofOf(x.format, x.gpu);
  const roof = effectiveRoof(x.gpu, x.format, x.tensorParallel, x.efficiency);
  const decode = decodeStepCost(x, x.batch, x.contextTokens);
  const d = rooflineTermsOf(decode, roof);
  const c = x.communication;
  const decodeStepSeconds = rooflineSeconds(d, IDEAL_EFFICIENCY) + (c ? communicationSeconds(c, x.batch) : 0);
  const ttft =
    rooflineSeconds(rooflineTermsOf(prefillStepCost(x, x.promptTokens), roof), IDEAL_EFFICIENCY) +
    (c ? communicationSeconds(c, x.promptTokens) : 0);
  return {
    prefillTokensPerSecond: x.promptTokens / ttft,
    decodeTokensPerSecond: x.batch / decodeStepSeconds,
    timeToFirstTokenSeconds: ttft,
    decodeStepSeconds,
    bound: d.memorySeconds >= d.computeSeconds ? "memory" : "compute",
    decodeBytesPerStep: decode.bytes,
    peakFlopsPerSecond: flops,
    computeDtype: dtype,
  };
}

/** Inputs of the simulator's roofline step model, all per GPU (divide model totals by tensor parallelism). */
export interface RooflineStepParams extends BatchStepTerms, StepOverheads {
  /** Peak memory bandwidth, bytes/s. */
  readonly bandwidthBytesPerSecond: number;
  /** Peak dense FLOP/s of the compute dtype. */
  readonly flopsPerSecond: number;
  /** Fraction of peak FLOP/s reached (default DEFAULT_EFFICIENCY.compute). */
  readonly computeEfficiency?: number;
  /** Fraction of peak bandwidth reached (default DEFAULT_EFFICIENCY.memory). */
  readonly memoryEfficiency?: number;
  /** Collectives per step between GPUs (`communication.ts`); absent on one GPU. */
  readonly communication?: StepCommunication;
}

/** Roofline terms of one simulated step at peak: FLOPs / FLOP/s and bytes / bandwidth. */
export function rooflineTerms(p: RooflineStepParams, b: StepBatch): RooflineTerms {
  return rooflineTermsOf(batchStepCost(p, b), p);
}

/**
 * The simulator's roofline step time: max(FLOPs / (peak · compute efficiency), bytes / (bandwidth ·
 * memory efficiency)) + overheads (the roofline base of BLIS and GenZ; serving.md §7).
 * @example
 * const t = rooflineStepTime({ weightBytes: 16e9, flopsPerToken: 16e9, attentionFlopsPerPair: 524288,
 *   kvBytesPerToken: 131072, bandwidthBytesPerSecond: 1.008e12, flopsPerSecond: 165e12 });
 * t({ prefillTokens: 0, prefillSeqs: 0, decodeSeqs: 1, decodeContextTokens: 1000, contextTokens: 1000,
 *   kvTokensRead: 1000, kvBytesRead: 131072000, prefillAttentionPairs: 0 }); // ≈ 0.0178 s
 */
export function rooflineStepTime(p: RooflineStepParams): StepTimeModel {
  const e: Efficiency = {
    compute: p.computeEfficiency ?? DEFAULT_EFFICIENCY.compute,
    memory: p.memoryEfficiency ?? DEFAULT_EFFICIENCY.memory,
  };
  const c = p.communication;
  if (c === undefined) return (b) => rooflineSeconds(rooflineTerms(p, b), e, p, b.prefillSeqs + b.decodeSeqs);
  return (b) =>
    rooflineSeconds(rooflineTerms(p, b), e, p, b.prefillSeqs + b.decodeSeqs) +
    communicationSeconds(c, b.prefillTokens + b.decodeSeqs);
}

/**
 * Speed with part of the weights in host memory (llama.cpp's partial offload, n_gpu_layers below
 * every layer). A decode step reads those `hostWeightBytes` at the host's DRAM bandwidth (the CPU
 * runs those layers) instead of the GPU's. Prefill runs every ubatch on the GPU (llama.cpp's op
 * offload), copying the host's weights over the GPU's link once per `ubatchTokens`: one direction
 * of a PCIe link (half the catalog's bidirectional figure); for other links the host's bandwidth
 * bounds the copy.
 */
export function offloadedSpeed(
  p: PerformanceEstimate,
  hostWeightBytes: number,
  promptTokens: number,
  gpu: GpuSpec,
  host: GpuSpec,
  efficiency: Efficiency,
  ubatchTokens = 512,
): { decodeTokensPerSecond: number; prefillTokensPerSecond: number } {
  const batch = p.decodeTokensPerSecond * p.decodeStepSeconds;
  const onGpu = hostWeightBytes / (gpu.bandwidthBytesPerSecond * efficiency.memory);
  const onHost = hostWeightBytes / (host.bandwidthBytesPerSecond * efficiency.memory);
  const step = Math.max(p.decodeStepSeconds - onGpu, 0) + onHost;
  const link = gpu.interconnect.kind.startsWith("PCIe")
    ? gpu.interconnect.bandwidthBytesPerSecond / 2
    : host.bandwidthBytesPerSecond;
  const copies = Math.ceil(promptTokens / ubatchTokens) * (hostWeightBytes / (link * efficiency.memory));
  return {
    decodeTokensPerSecond: batch / step,
    prefillTokensPerSecond: promptTokens / (p.timeToFirstTokenSeconds + copies),
  };
}
