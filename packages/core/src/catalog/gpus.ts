import type { GpuSpec } from "./gpu-types.js";
import { AMD_INTEL } from "./gpus/amd-intel.js";
import { NVIDIA_DATACENTER } from "./gpus/nvidia-datacenter.js";
import { NVIDIA_RTX } from "./gpus/nvidia-rtx.js";
import { UNIFIED_AND_CPU } from "./gpus/unified-cpu.js";

/**
 * The GPU and machine catalog, in display order. Rows live in ./gpus/ by family; every figure
 * is sourced in its row (conventions: ./gpus/sources.ts).
 */
export const GPUS: readonly GpuSpec[] = [
  ...NVIDIA_DATACENTER,
  ...NVIDIA_RTX,
  ...AMD_INTEL,
  ...UNIFIED_AND_CPU,
];
