import { describe, expect, it } from "vitest";
import { drawPagingPicture } from "./paging-picture.js";

// Seed 000 (knowledge base, "Paging & batching" widget): 100 cells, requests of 18, 27, 9 and 14
// tokens, slot = 25 per request without paging (`reqs=[18,27,9,14],slot=25`).
const seed = { requestTokens: [18, 27, 9, 14], poolSlots: 100, reservationTokens: 25 } as const;

describe("the knowledge base's paging picture, drawn by the allocators", () => {
  it("no paging: every request reserves a 25-slot run, 34% wasted, the grid is full", () => {
    const p = drawPagingPicture({ ...seed, mode: "contiguous", blockSize: 1 });
    expect(p.admitted).toEqual([0, 1, 2, 3]);
    expect(p.reservedSlots).toBe(34); // "34% wasted on gaps"
    expect(p.freeSlots).toBe(0);
    expect(p.probeFits).toBe(false); // "no room for a 5th request"
    // The seed draws the 27-token request clipped to its 25-token slot: the allocator reports the cut.
    expect(p.truncatedTokens).toBe(2);
    // Same cells as the seed: request i owns cells [25i, 25i + 25), its tokens first.
    expect(p.cells.slice(0, 25).map((c) => c.state)).toEqual([
      ...Array(18).fill("used"),
      ...Array(7).fill("reserved"),
    ]);
    expect(p.cells[25]).toEqual({ owner: 1, state: "used" });
  });

  it("PagedAttention (token pages): requests packed back to back, 32% free, a 5th fits", () => {
    const p = drawPagingPicture({ ...seed, mode: "paged", blockSize: 1 });
    expect(p.usedSlots).toBe(68);
    expect(p.freeSlots).toBe(32); // "32% free"
    expect(p.reservedSlots).toBe(0);
    expect(p.probeFits).toBe(true);
    expect(p.cells.slice(0, 18).every((c) => c.owner === 0)).toBe(true);
    expect(p.cells[18]).toEqual({ owner: 1, state: "used" });
    expect(p.cells[68]).toEqual({ owner: null, state: "free" });
  });

  it("with vLLM's 16-token blocks only the last block of each request has empty slots", () => {
    const p = drawPagingPicture({
      ...seed,
      requestTokens: [18, 27, 9, 14],
      poolSlots: 96,
      mode: "paged",
      blockSize: 16,
    });
    // Blocks: 2 + 2 + 1 + 1 = 6 of 6 → 96 slots hold 68 tokens; waste 14 + 5 + 7 + 2 = 28.
    expect(p.reservedSlots).toBe(28);
    expect(p.usedSlots).toBe(68);
    expect(p.freeSlots).toBe(0);
  });
});
