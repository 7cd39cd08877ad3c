/**
 * The serving simulator's step time for a real model on a real GPU: the roofline terms per GPU
 * (weights read once per step, 2 FLOPs per active weight per token, attention per query·key
 * pair, KV bytes per token), split by tensor parallelism, plus the all-reduces between the GPUs
 * (`communication.ts`). MoE
 * steps read only the experts their tokens touch. The result is plain data, so a Web Worker can
 * receive it and build the step-time function itself (`modelStepTime`).
 */
import type { GpuSpec } from "../catalog/gpu-types.js";
import { estimateWeights, type WeightFormat } from "../estimate/weights.js";
import type { ModelSpec } from "../models/model-spec.js";
import { parallelCommunication } from "./communication.js";
import {
  computeRoofOf,
  DEFAULT_EFFICIENCY,
  type Efficiency,
  type RooflineStepParams,
  rooflineStepTime,
} from "./roofline.js";
import {
  attentionFlopsPerToken,
  expertsTouchedFraction,
  matmulFlopsPerToken,
  moeRoutingOf,
  type StepTimeModel,
} from "./step-cost.js";

export interface ModelStepInput {
  readonly spec: ModelSpec;
  readonly gpu: GpuSpec;
  readonly format: WeightFormat;
  /** Weight bytes one GPU holds (e.g. vLLM's per-rank load from core's estimate). */
  readonly weightBytesPerGpu: number;
  /** KV bytes written per new token on one GPU, in the storage format. */
  readonly kvBytesPerTokenPerGpu: number;
  readonly tensorParallel: number;
  /** Default: core's roofline efficiency (0.7 of peak FLOP/s, 0.9 of bandwidth). */
  readonly efficiency?: Efficiency;
}

/** Step-time inputs for one GPU of the engine (plain data). */
export interface ModelStep {
  /** Roofline terms; `weightBytes` counts every routed expert (the most a step can read). */
  readonly params: RooflineStepParams;
  /** Routed-expert bytes per GPU among `params.weightBytes`. */
  readonly expertBytesPerGpu: number;
  /** Routing of the MoE layers, or null for a dense model. */
  readonly moe: { readonly expertsPerToken: number; readonly numExperts: number } | null;
  /** Tensor-core dtype of the compute roof (weight-only quants compute in 16 bits). */
  readonly computeDtype: string;
}

export function modelStep(x: ModelStepInput): ModelStep {
  const { spec, tensorParallel: tp } = x;
  const w = estimateWeights(spec, x.format);
  // An untied input embedding is read one row per token, not whole, each step.
  const embeddingUnread = spec.tiedEmbeddings ? 0 : w.embeddingBytes / tp;
  const expertBytesPerGpu = w.expertBytes / tp;
  const denseBytes = Math.max(0, x.weightBytesPerGpu - embeddingUnread - expertBytesPerGpu);
  const roof = computeRoofOf(x.format, x.gpu);
  const efficiency = x.efficiency ?? DEFAULT_EFFICIENCY;
  const communication = parallelCommunication(spec, x.gpu.interconnect, { tensor: tp });
  return {
    params: {
      weightBytes: denseBytes + expertBytesPerGpu,
      flopsPerToken: matmulFlopsPerToken(spec) / tp,
      // One query over one key: sliding windows do not shorten a single pair.
      attentionFlopsPerPair: attentionFlopsPerToken(spec, 1) / tp,
      kvBytesPerToken: x.kvBytesPerTokenPerGpu,
      bandwidthBytesPerSecond: x.gpu.bandwidthBytesPerSecond,
      flopsPerSecond: roof.flops,
      computeEfficiency: efficiency.compute,
      memoryEfficiency: efficiency.memory,
      ...(communication && { communication }),
    },
    expertBytesPerGpu,
    moe: moeRoutingOf(spec),
    computeDtype: roof.dtype,
  };
}

/** The step-time function of a `modelStep`: MoE steps read the experts a batch touches. */
export function modelStepTime(s: ModelStep): StepTimeModel {
  const { params, moe, expertBytesPerGpu } = s;
  if (moe === null || expertBytesPerGpu === 0) return rooflineStepTime(params);
  const denseBytes = params.weightBytes - expertBytesPerGpu;
  const byTouched = new Map<number, StepTimeModel>();
  return (b) => {
    const tokens = b.prefillTokens + b.decodeSeqs;
    // Experts a batch touches per layer, as estimate counts them (step-cost.ts); memoised per 0.1%
    // of the experts so a run builds few models.
    const touched = Math.round(expertsTouchedFraction(moe, tokens) * 1000);
    let m = byTouched.get(touched);
    if (!m) {
      m = rooflineStepTime({ ...params, weightBytes: denseBytes + (expertBytesPerGpu * touched) / 1000 });
      byTouched.set(touched, m);
    }
    return m(b);
  };
}
