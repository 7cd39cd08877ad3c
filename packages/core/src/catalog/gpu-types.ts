import type { Bytes, BytesPerSecond, FlopsPerSecond } from "../units/units.js";

/** Dense (no sparsity) peak throughput per dtype, FLOP/s. Absent = not supported or not published. */
export interface GpuFlops {
  readonly fp32?: FlopsPerSecond;
  readonly tf32?: FlopsPerSecond;
  readonly fp16?: FlopsPerSecond;
  readonly bf16?: FlopsPerSecond;
  readonly fp8?: FlopsPerSecond;
  readonly int8?: FlopsPerSecond;
  readonly fp4?: FlopsPerSecond;
}

export interface GpuInterconnect {
  /** e.g. "NVLink 4", "PCIe 5.0 x16", "Infinity Fabric", "none (unified memory SoC)". */
  readonly kind: string;
  /** Total bidirectional bandwidth per device, bytes/s. */
  readonly bandwidthBytesPerSecond: BytesPerSecond;
}

export interface GpuSpec {
  /** Catalog id, e.g. "H100-SXM-80GB", "RTX-4090", "M3-Max-128GB". */
  readonly id: string;
  /** Marketing name, e.g. "NVIDIA H100 SXM5 80GB". */
  readonly name: string;
  readonly vendor: "nvidia" | "amd" | "apple";
  /** Other spellings accepted on input, e.g. ["H100", "H100-SXM"]. Compared case-insensitively. */
  readonly aliases: readonly string[];
  /** Device memory (for Apple: the unified memory of that configuration). */
  readonly memoryBytes: Bytes;
  /** "HBM3", "GDDR6X", "LPDDR5", ... */
  readonly memoryType: string;
  /** True where CPU and GPU share one pool (Apple silicon). */
  readonly unifiedMemory: boolean;
  readonly bandwidthBytesPerSecond: BytesPerSecond;
  /** Dense tensor-core (or matrix-unit) peak per dtype; fp32 is non-tensor FP32. */
  readonly flopsPerSecond: GpuFlops;
  readonly interconnect: GpuInterconnect;
  /** Board power, watts, where published. */
  readonly tdpWatts?: number;
  /** Where the figures come from: a spec sheet / datasheet URL and its title. */
  readonly source: string;
  /** Anything a reader should know: which figures are derived (e.g. dense = sparse / 2). */
  readonly notes?: string;
}
