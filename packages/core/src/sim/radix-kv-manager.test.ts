import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RadixKvManager } from "./radix-kv-manager.js";
import { createSimRequest, type SimRequest } from "./request.js";

const ADMIT = { fullSequenceMustFit: false, admission: true };
const tok = (...runs: number[][]) => Int32Array.from(runs.flat());
const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);
const req = (id: number, ids: Int32Array): SimRequest =>
  createSimRequest(id, {
    arrivalSeconds: 0,
    promptTokens: ids.length,
    outputTokens: 1,
    content: { kind: "tokens", promptIds: ids },
  });

/** Admits a request with its prefix hit and finishes it (its tokens go into the tree). */
function serve(kv: RadixKvManager, r: SimRequest): number {
  const hit = kv.lookupPrefix(r);
  if (!kv.allocate(r, r.promptTokens - hit, hit, ADMIT)) return -1;
  r.computed = r.promptTokens;
  kv.free(r, "finished");
  return hit;
}

describe("RadixKvManager (SGLang radix_cache.py)", () => {
  it("matches token-granular prefixes, splitting nodes where a match ends inside one", () => {
    const kv = new RadixKvManager({ capacityTokens: 1000, pageSize: 1, enableCache: true });
    expect(serve(kv, req(0, tok(range(0, 100))))).toBe(0);
    expect(kv.cachedTokens()).toBe(100);
    // Shares 37 tokens, then diverges (not block-aligned: the radix tree reuses all 37).
    expect(serve(kv, req(1, tok(range(0, 37), range(500, 20))))).toBe(37);
    expect(kv.cachedTokens()).toBe(120);
    expect(serve(kv, req(2, tok(range(0, 100))))).toBe(99); // capped at len − 1
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("evicts least recently used unlocked leaves only, keeping shared prefixes", () => {
    const kv = new RadixKvManager({ capacityTokens: 100, pageSize: 1, enableCache: true });
    serve(kv, req(0, tok(range(0, 30), range(100, 30)))); // prefix P + A
    serve(kv, req(1, tok(range(0, 30), range(200, 30)))); // P + B (more recent)
    expect(kv.cachedTokens()).toBe(90);
    // A new 40-token request needs 40 slots: 10 free, so 30 must go: leaf A (LRU), not P or B.
    serve(kv, req(2, tok(range(300, 40))));
    expect(kv.stats().evictedCachedBlocks).toBe(30);
    expect(kv.lookupPrefix(req(3, tok(range(0, 30), range(200, 30), [1])))).toBe(60);
    expect(kv.lookupPrefix(req(4, tok(range(0, 30), range(100, 30), [1])))).toBe(30);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("locked (running) prefixes are never evicted", () => {
    const kv = new RadixKvManager({ capacityTokens: 60, pageSize: 1, enableCache: true });
    serve(kv, req(0, tok(range(0, 40))));
    const running = req(1, tok(range(0, 40), range(900, 10)));
    const hit = kv.lookupPrefix(running);
    expect(kv.allocate(running, 10, hit, ADMIT)).toBe(true); // locks the 40-token path
    expect(kv.allocate(req(2, tok(range(50, 30))), 30, 0, ADMIT)).toBe(false);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("keeps its counters consistent under random traffic (seeded property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 40 })), {
          maxLength: 60,
        }),
        (ops) => {
          const kv = new RadixKvManager({ capacityTokens: 300, pageSize: 1, enableCache: true });
          const live: SimRequest[] = [];
          ops.forEach(([prefix, n], i) => {
            if (n % 5 === 0 && live.length > 0) {
              const r = live.shift()!;
              r.computed = r.promptTokens;
              kv.free(r, "finished");
            } else {
              const r = req(i, tok(range(prefix * 1000, 20), range(10_000 + i * 100, n)));
              const hit = kv.lookupPrefix(r);
              if (kv.allocate(r, r.promptTokens - hit, hit, ADMIT)) live.push(r);
            }
            expect(kv.checkInvariants()).toEqual([]);
          });
          for (const r of live) kv.free(r, "finished");
          expect(kv.usedSlots()).toBe(0);
        },
      ),
      { seed: 13, numRuns: 100 },
    );
  });
});
