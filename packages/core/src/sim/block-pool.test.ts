import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockPool } from "./block-pool.js";

describe("BlockPool (vLLM v1 block_pool.py rules)", () => {
  it("reserves block 0 as the null block and hands out blocks from the head in order", () => {
    const p = new BlockPool(6, true);
    expect(p.usableBlocks).toBe(5);
    expect(p.numFreeBlocks).toBe(5);
    const got: number[] = [];
    p.getNewBlocks(3, got);
    expect(got).toEqual([1, 2, 3]);
    expect(p.usage()).toBeCloseTo(3 / 5);
    expect(() => p.getNewBlocks(3, [])).toThrow(/cannot get 3/);
  });

  it("frees a request's blocks in reverse so its tail is evicted first (LRU over free cached blocks)", () => {
    const p = new BlockPool(8, true);
    const a: number[] = [];
    p.getNewBlocks(3, a); // 1 2 3
    p.cacheFullBlocks(a, new Float64Array([101, 102, 103]), 0, 3);
    p.freeBlocks(a, true);
    // Queue: never-used 4..7 first, then 3, 2, 1 (tail of the request before its prefix).
    expect(p.freeQueueOrder()).toEqual([4, 5, 6, 7, 3, 2, 1]);
    const b: number[] = [];
    p.getNewBlocks(5, b);
    expect(b).toEqual([4, 5, 6, 7, 3]);
    expect(p.evictions).toBe(1); // block 3 lost its hash 103
    expect(p.getCachedBlock(103)).toBe(-1);
    expect(p.getCachedBlock(101)).toBe(1);
  });

  it("a hit on a free cached block takes it out of the free queue (touch) and shares it by ref count", () => {
    const p = new BlockPool(4, true);
    const a: number[] = [];
    p.getNewBlocks(1, a);
    p.cacheFullBlocks(a, new Float64Array([7]), 0, 1);
    p.freeBlocks(a, true);
    expect(p.numFreeBlocks).toBe(3);
    const hit = p.getCachedBlock(7);
    p.touch([hit]);
    expect(p.numFreeBlocks).toBe(2);
    p.touch([hit]); // a second request shares it
    expect(p.refCount[hit]).toBe(2);
    p.freeBlocks([hit], true);
    expect(p.numFreeBlocks).toBe(2);
    p.freeBlocks([hit], true);
    expect(p.numFreeBlocks).toBe(3);
    expect(p.checkInvariants()).toEqual([]);
  });

  it("keeps duplicate hashes (no de-duplication) and finds the survivor after one is evicted", () => {
    const p = new BlockPool(4, true);
    const a: number[] = [];
    const b: number[] = [];
    p.getNewBlocks(1, a);
    p.getNewBlocks(1, b);
    p.cacheFullBlocks(a, new Float64Array([9]), 0, 1);
    p.cacheFullBlocks(b, new Float64Array([9]), 0, 1);
    p.freeBlocks(a, true);
    p.freeBlocks(b, true);
    p.getNewBlocks(2, []); // 3 then 1 (a's block, the older free one)
    expect(p.getCachedBlock(9)).toBe(b[0]);
    expect(p.checkInvariants()).toEqual([]);
  });

  it("keeps its invariants under random allocate / cache / touch / free (seeded property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 1, max: 4 }),
            fc.integer({ min: 0, max: 30 }),
          ),
          {
            maxLength: 120,
          },
        ),
        (ops) => {
          const p = new BlockPool(17, true);
          const held: number[][] = [];
          for (const [op, n, h] of ops) {
            if (op === 0 && n <= p.numFreeBlocks) {
              const got: number[] = [];
              p.getNewBlocks(n, got);
              p.cacheFullBlocks(got, new Float64Array(got.map((_, i) => h + i)), 0, got.length);
              held.push(got);
            } else if (op === 1 && held.length > 0) {
              p.freeBlocks(held.splice(h % held.length, 1)[0]!, true);
            } else if (op === 2) {
              const b = p.getCachedBlock(h);
              if (b >= 0) {
                p.touch([b]);
                held.push([b]);
              }
            }
            expect(p.checkInvariants()).toEqual([]);
            expect(p.numUsedBlocks).toBe(new Set(held.flat()).size);
          }
          for (const h of held) p.freeBlocks(h, true);
          expect(p.numFreeBlocks).toBe(16);
          expect(p.checkInvariants()).toEqual([]);
        },
      ),
      { seed: 3, numRuns: 150 },
    );
  });
});
