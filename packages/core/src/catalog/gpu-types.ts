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

/**
 * Device memory as software reports its total (less than the board's marketed size: the driver
 * and firmware keep some). Engines size their pools from this, not from `memoryBytes`.
 */
export interface ReportedTotal {
  readonly bytes: Bytes;
  /**
   * What printed it: "cuda" = cudaGetDeviceProperties / cudaMemGetInfo total (what PyTorch's
   * `get_device_properties().total_memory`, `mem_get_info()` and vLLM's `total_gpu_memory` show);
   * "nvidia-smi" = FB Memory Usage Total / `memory.total` (MiB; a few hundred MiB above "cuda");
   * "rocm-smi" = VRAM Total Memory (B).
   */
  readonly reportedBy: "cuda" | "nvidia-smi" | "rocm-smi";
  /** The engine log, nvidia-smi listing or document it was read from. */
  readonly source: string;
}

export interface GpuSpec {
  /** Catalog id, e.g. "H100-SXM-80GB", "RTX-4090", "M3-Max-128GB". */
  readonly id: string;
  /** Marketing name, e.g. "NVIDIA H100 SXM5 80GB". */
  readonly name: string;
  readonly vendor: "nvidia" | "amd" | "apple" | "intel";
  /**
   * "cpu" for a CPU-only machine: `memoryBytes` is its system RAM, the bandwidth its DRAM
   * bandwidth, the FLOP/s its cores' (no GPU). Absent for GPUs and unified-memory SoCs.
   */
  readonly kind?: "cpu";
  /** Other spellings accepted on input, e.g. ["H100", "H100-SXM"]. Compared case-insensitively. */
  readonly aliases: readonly string[];
  /** Device memory (unified-memory machines: the whole pool of that configuration; CPU-only: system RAM). */
  readonly memoryBytes: Bytes;
  /** "HBM3", "GDDR6X", "LPDDR5", ... */
  readonly memoryType: string;
  /** True where CPU and GPU share one pool (Apple silicon, DGX Spark, Strix Halo). */
  readonly unifiedMemory: boolean;
  readonly bandwidthBytesPerSecond: BytesPerSecond;
  /** Dense tensor-core (or matrix-unit) peak per dtype; fp32 is non-tensor FP32. */
  readonly flopsPerSecond: GpuFlops;
  readonly interconnect: GpuInterconnect;
  /** Board power, watts, where published. */
  readonly tdpWatts?: number;
  /** Where the figures come from: a spec sheet / datasheet URL and its title. */
  readonly source: string;
  /** Totals software reported on a real device, where one was found (sourced); absent otherwise. */
  readonly reportedTotals?: readonly ReportedTotal[];
  /** Anything a reader should know: which figures are derived (e.g. dense = sparse / 2). */
  readonly notes?: string;
}
