import { type Bytes, mib } from "../../units/units.js";

/**
 * CUDA context, kernels and cuBLAS workspace outside PyTorch's allocator. No engine publishes
 * this; Ollama budgets 457 MiB per CUDA/ROCm device for it (ollama ml/device.go MinimumMemory,
 * see docs/research/anchors.md §B3) and memlens uses the same figure.
 */
export const CUDA_CONTEXT_BYTES: Bytes = mib(457);
