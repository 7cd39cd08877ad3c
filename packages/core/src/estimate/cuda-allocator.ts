import { MIB } from "../units/units.js";

// PyTorch c10/cuda/CUDACachingAllocator.cpp: kMinBlockSize = 512 ("all sizes are rounded to at
// least 512 bytes"), kSmallSize = 1 MiB ("largest small allocation"), kSmallBuffer = 2 MiB ("small
// allocations are packed in 2 MiB blocks"), kRoundLarge = 2 MiB ("round up large allocs to 2 MiB").
export const CUDA_MIN_BLOCK_BYTES = 512;
export const CUDA_SMALL_SIZE_BYTES = MIB;
export const CUDA_ROUND_LARGE_BYTES = 2 * MIB;

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** What `torch.cuda.memory_allocated` counts for one tensor: its size rounded up to 512 bytes. */
export function cudaAllocatedBytes(size: number): number {
  if (size <= 0) return 0;
  return roundUp(size, CUDA_MIN_BLOCK_BYTES);
}

/**
 * What one tensor costs in reserved memory when it is alone in its block: small tensors share
 * 2 MiB segments (their own 512-byte rounding), large ones are rounded up to 2 MiB.
 */
export function cudaReservedBytes(size: number): number {
  if (size <= 0) return 0;
  if (size <= CUDA_SMALL_SIZE_BYTES) return cudaAllocatedBytes(size);
  return roundUp(size, CUDA_ROUND_LARGE_BYTES);
}
