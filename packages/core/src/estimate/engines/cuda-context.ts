import type { GpuSpec } from "../../catalog/gpu-types.js";
import { type Bytes, bytes, mib } from "../../units/units.js";

/**
 * CUDA context, kernels and cuBLAS workspace outside PyTorch's allocator. No engine publishes
 * this; Ollama budgets 457 MiB per CUDA/ROCm device for it (ollama ml/device.go MinimumMemory,
 * see docs/research/anchors.md §B3) and memlens uses the same figure.
 */
export const CUDA_CONTEXT_BYTES: Bytes = mib(457);

/**
 * The device memory the driver reports as total on a catalog GPU: CUDA's (cudaMemGetInfo /
 * cudaDeviceProp.totalGlobalMem, what PyTorch and vLLM print) or ROCm's, from the GPU row's
 * sourced `reportedTotals`; null where the catalog has no such figure (nvidia-smi's total, a few
 * hundred MiB higher, is not used).
 */
export function reportedTotalBytes(gpu: GpuSpec): Bytes | null {
  const t = gpu.reportedTotals?.find((r) => r.reportedBy === "cuda" || r.reportedBy === "rocm-smi");
  return t ? bytes(Math.floor(t.bytes)) : null;
}

/**
 * The capacity an inference engine fits into on one GPU: the driver's reported total for engines
 * that size from it (`Engine.fitCapacity === "reported"`: llama.cpp, transformers) where the catalog
 * has it, else the marketed size. estimate() and the planner both read it, so they agree on a fit.
 */
export function fitCapacityBytes(engine: { readonly fitCapacity?: "reported" }, gpu: GpuSpec): Bytes {
  return (engine.fitCapacity === "reported" ? reportedTotalBytes(gpu) : null) ?? gpu.memoryBytes;
}
