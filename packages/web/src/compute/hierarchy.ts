/**
 * The memory hierarchy as the GPU catalog knows it: device memory (capacity, bandwidth) and
 * the link to the rest of the system, and what each costs a model whose weights must be read
 * once per generated token (core's roofline, at ideal efficiency: the ceiling).
 */
import {
  bytes,
  estimatePerformance,
  estimateWeights,
  GPU_LIST,
  type GpuSpec,
  IDEAL_EFFICIENCY,
  type ModelSpec,
  type PerformanceEstimate,
  parseWeightFormat,
  transferSeconds,
  type WeightBreakdown,
  type WeightFormat,
} from "@memlens/core";

export interface Tier {
  readonly id: "device" | "link";
  readonly name: string;
  readonly detail: string;
  readonly capacityBytes: number | null;
  readonly bandwidthBytesPerSecond: number;
  /** Seconds to move the model's weights once through this tier. */
  readonly weightsReadSeconds: number;
}

export interface HierarchyResult {
  readonly weightBytes: number;
  readonly tiers: readonly Tier[];
  /** Batch-1 decode ceiling when the weights live in device memory. */
  readonly decodeCeilingTokensPerSecond: number;
  /** Batch-1 decode ceiling when they are streamed over the link each token (offload). */
  readonly offloadCeilingTokensPerSecond: number;
  readonly fitsInDeviceMemory: boolean;
}

/**
 * Core's roofline for batch-1 decoding that reads only the weights (no KV, one prompt token) at
 * ideal efficiency: the ceiling the weights alone set. `w` is core's weight breakdown, or bare
 * bytes with no experts and no separate embedding.
 */
export function weightsOnlyDecode(
  spec: ModelSpec,
  gpu: GpuSpec,
  format: WeightFormat,
  w: Pick<WeightBreakdown, "totalBytes" | "expertBytes" | "embeddingBytes">,
): PerformanceEstimate {
  return estimatePerformance({
    spec,
    gpu,
    format,
    weightBytes: w.totalBytes,
    expertBytes: w.expertBytes,
    embeddingBytes: w.embeddingBytes,
    kvBytesPerToken: 0,
    batch: 1,
    contextTokens: 0,
    promptTokens: 1,
    tensorParallel: 1,
    efficiency: IDEAL_EFFICIENCY,
  });
}

export function hierarchyFor(spec: ModelSpec, gpu: GpuSpec, weights: string | undefined): HierarchyResult {
  const format = parseWeightFormat(weights, spec);
  const w = estimateWeights(spec, format);
  const perf = weightsOnlyDecode(spec, gpu, format, w);
  const link = gpu.interconnect;
  const linkSeconds = transferSeconds(bytes(w.totalBytes), link.bandwidthBytesPerSecond);
  const tiers: Tier[] = [
    {
      id: "device",
      name: gpu.unifiedMemory
        ? `Unified memory (${gpu.memoryType})`
        : gpu.kind === "cpu"
          ? `System memory (${gpu.memoryType})`
          : `GPU memory (${gpu.memoryType})`,
      detail: gpu.unifiedMemory
        ? "CPU and GPU share this pool: no copy between them, but every byte competes for the same bandwidth."
        : "Holds the weights, the KV cache and the activations; every decode step reads the weights from here.",
      capacityBytes: gpu.memoryBytes,
      bandwidthBytesPerSecond: gpu.bandwidthBytesPerSecond,
      weightsReadSeconds: transferSeconds(bytes(w.totalBytes), gpu.bandwidthBytesPerSecond),
    },
    {
      id: "link",
      name: `Link: ${link.kind}`,
      detail:
        "What tensor parallelism and offloading pay for: weights or KV that live elsewhere cross this link every time they are used.",
      capacityBytes: null,
      bandwidthBytesPerSecond: link.bandwidthBytesPerSecond,
      weightsReadSeconds: linkSeconds,
    },
  ];
  return {
    weightBytes: w.totalBytes,
    tiers,
    decodeCeilingTokensPerSecond: perf.decodeTokensPerSecond,
    offloadCeilingTokensPerSecond: 1 / linkSeconds,
    fitsInDeviceMemory: w.totalBytes <= gpu.memoryBytes,
  };
}

/** Every catalog GPU as a point (capacity, bandwidth) for the scatter. */
export function gpuPoints(): {
  id: string;
  vendor: string;
  capacityBytes: number;
  bandwidthBytesPerSecond: number;
}[] {
  return GPU_LIST.map((g) => ({
    id: g.id,
    vendor: g.vendor,
    capacityBytes: g.memoryBytes,
    bandwidthBytesPerSecond: g.bandwidthBytesPerSecond,
  }));
}
