import { DEFAULT_EFFICIENCY } from "@memlens/core";
import type { ModelStep } from "@memlens/core/sim";

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

/** What the simulator's roofline step model was built from (core's `modelStep`), for `--json`. */
export function stepTimeSummary(step: ModelStep): StepTimeSummary {
  const p = step.params;
  return {
    kind: "roofline",
    weightBytesPerGpu: p.weightBytes - step.expertBytesPerGpu,
    expertBytesPerGpu: step.expertBytesPerGpu,
    flopsPerTokenPerGpu: p.flopsPerToken,
    attentionFlopsPerPairPerGpu: p.attentionFlopsPerPair,
    kvBytesPerTokenPerGpu: p.kvBytesPerToken,
    bandwidthBytesPerSecond: p.bandwidthBytesPerSecond,
    flopsPerSecond: p.flopsPerSecond,
    computeDtype: step.computeDtype,
    computeEfficiency: p.computeEfficiency ?? DEFAULT_EFFICIENCY.compute,
    memoryEfficiency: p.memoryEfficiency ?? DEFAULT_EFFICIENCY.memory,
  };
}
