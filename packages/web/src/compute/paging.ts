/**
 * The fragmentation grid, drawn by core's serving simulator allocators (`drawPagingPicture`:
 * contiguous max-length reservation vs vLLM's paged block pool) on the same requests and the
 * same memory. Request lengths come from core's seeded RNG, so a URL reproduces the picture.
 */
import { createRng, drawPagingPicture, type PagingPicture } from "@memlens/core/sim";
import { POOL_SLOTS, REQUEST_MAX_TOKENS, REQUEST_MIN_TOKENS } from "./paging-config.js";

export { MAX_REQUESTS, POOL_SLOTS } from "./paging-config.js";

/** Token lengths of the demo requests: uniform between `min` and `max` (core's Rng.int). */
export function demoRequestTokens(
  count: number,
  seed: number,
  min = REQUEST_MIN_TOKENS,
  max = REQUEST_MAX_TOKENS,
): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.int(min, max));
}

export interface PagingInput {
  readonly requests: number;
  readonly reservationTokens: number;
  readonly blockSize: number;
  readonly seed: number;
}

export function pagingPictures(i: PagingInput): {
  contiguous: PagingPicture;
  paged: PagingPicture;
  tokens: number[];
} {
  const tokens = demoRequestTokens(i.requests, i.seed);
  const common = {
    requestTokens: tokens,
    poolSlots: POOL_SLOTS,
    reservationTokens: i.reservationTokens,
    blockSize: i.blockSize,
  };
  return {
    contiguous: drawPagingPicture({ ...common, mode: "contiguous" }),
    paged: drawPagingPicture({ ...common, mode: "paged" }),
    tokens,
  };
}
