import { describe, expect, it } from "vitest";
import { kvStorageSizes } from "./kv-policy.js";
import { PagedKvManager } from "./paged-kv-manager.js";
import { createSimRequest, type SimRequest } from "./request.js";

const ADMIT = { fullSequenceMustFit: false, admission: true };
const RUN = { fullSequenceMustFit: false, admission: false };
const ids = (n: number, offset = 0) => Int32Array.from({ length: n }, (_, i) => i + offset);
const req = (id: number, prompt: number, output = 4, promptIds?: Int32Array): SimRequest =>
  createSimRequest(id, {
    arrivalSeconds: 0,
    promptTokens: prompt,
    outputTokens: output,
    ...(promptIds ? { content: { kind: "tokens" as const, promptIds } } : {}),
  });

describe("PagedKvManager (vLLM v1 kv_cache_manager.py)", () => {
  it("allocates ceil(tokens / block) blocks and grows one block per 16 decoded tokens", () => {
    const kv = new PagedKvManager({ numGpuBlocks: 11, blockSize: 16, enablePrefixCaching: false });
    const r = req(0, 40);
    expect(kv.allocate(r, 40, 0, ADMIT)).toBe(true);
    expect(r.kv.blocks.length).toBe(3);
    expect(kv.wasteSlots()).toBe(8); // 48 slots hold 40 tokens
    r.computed = 40;
    r.generated = 1;
    expect(kv.allocate(r, 1, 0, RUN)).toBe(true);
    expect(r.kv.blocks.length).toBe(3);
    kv.free(r, "finished");
    expect(kv.usedSlots()).toBe(0);
    expect(kv.wasteSlots()).toBe(0);
  });

  it("is all-or-nothing and honours the full-sequence admission gate (scheduler_reserve_full_isl)", () => {
    const kv = new PagedKvManager({ numGpuBlocks: 5, blockSize: 16, enablePrefixCaching: false });
    const big = req(0, 80); // 5 blocks > 4 usable
    expect(kv.allocate(big, 16, 0, { fullSequenceMustFit: true, admission: true })).toBe(false);
    expect(kv.allocate(big, 16, 0, ADMIT)).toBe(true); // first chunk alone would fit
    expect(kv.usedSlots()).toBe(16);
    const other = req(1, 64);
    expect(kv.allocate(other, 64, 0, ADMIT)).toBe(false);
    expect(kv.usedSlots()).toBe(16);
    expect(kv.stats().failedAllocations).toBe(2);
  });

  it("prefix hits stop at the first miss and leave at least one token to compute", () => {
    const kv = new PagedKvManager({ numGpuBlocks: 20, blockSize: 16, enablePrefixCaching: true });
    const a = req(0, 64, 4, ids(64));
    expect(kv.lookupPrefix(a)).toBe(0);
    kv.allocate(a, 64, 0, ADMIT);
    a.computed = 64;
    kv.free(a, "finished"); // blocks stay cached in the free queue
    const same = req(1, 64, 4, ids(64));
    expect(kv.lookupPrefix(same)).toBe(48); // 64 − 1 → 3 full blocks
    const longer = req(2, 100, 4, ids(100));
    expect(kv.lookupPrefix(longer)).toBe(64);
    const forked = ids(100);
    forked[20] = -5; // differs in block 1
    expect(kv.lookupPrefix(req(3, 100, 4, forked))).toBe(16);
    // Admitting with the hit touches the cached blocks (they leave the free queue).
    expect(kv.allocate(longer, 36, 64, ADMIT)).toBe(true);
    expect(longer.kv.blocks.length).toBe(7);
    expect(kv.stats().prefixHitBlocks).toBe(4);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("counts hit blocks sitting in the free queue against free space", () => {
    const kv = new PagedKvManager({ numGpuBlocks: 5, blockSize: 16, enablePrefixCaching: true });
    const a = req(0, 64, 4, ids(64));
    kv.allocate(a, 64, 0, ADMIT);
    kv.free(a, "finished");
    const b = req(1, 80, 4, ids(80));
    const hit = kv.lookupPrefix(b); // 4 cached blocks, all free (ref 0)
    expect(hit).toBe(64);
    // 80 tokens need 5 blocks; only 4 usable exist: 4 hits (taken from the free queue) + 1 new fails.
    expect(kv.allocate(b, 16, hit, ADMIT)).toBe(false);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("copy-on-write: a forked sequence writing into a shared partial block gets a private copy", () => {
    const kv = new PagedKvManager({ numGpuBlocks: 10, blockSize: 16, enablePrefixCaching: false });
    const parent = req(0, 20);
    kv.allocate(parent, 20, 0, ADMIT); // blocks 1, 2 (2 holds 4 tokens)
    parent.computed = 20;
    const child = req(1, 20);
    kv.fork(parent, child);
    expect(kv.pool.refCount[parent.kv.blocks[1]!]).toBe(2);
    child.generated = 1;
    expect(kv.allocate(child, 1, 0, RUN)).toBe(true);
    expect(kv.stats().copyOnWrites).toBe(1);
    expect(child.kv.blocks[0]).toBe(parent.kv.blocks[0]); // full block still shared
    expect(child.kv.blocks[1]).not.toBe(parent.kv.blocks[1]);
    kv.free(child, "finished");
    kv.free(parent, "finished");
    expect(kv.usedSlots()).toBe(0);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("count mode: StreamingLLM frees blocks that leave the window, H2O compacts after prefill", () => {
    const sizes = kvStorageSizes({ kind: "bf16" }, 1);
    const sl = new PagedKvManager({
      numGpuBlocks: 100,
      blockSize: 16,
      enablePrefixCaching: true,
      eviction: { kind: "streaming-llm", sinkTokens: 4, windowTokens: 60 },
      storage: sizes,
    });
    const r = req(0, 32, 1000);
    sl.allocate(r, 32, 0, ADMIT);
    r.computed = 32;
    for (let t = 0; t < 500; t++) {
      r.generated++;
      expect(sl.allocate(r, 1, 0, RUN)).toBe(true);
      r.computed++;
    }
    expect(r.kv.blocks.length).toBeLessThanOrEqual(6); // 1 sink + ≤ 5 window blocks
    expect(sl.lookupPrefix(req(1, 32, 4, ids(32)))).toBe(0); // no prefix caching under eviction
    const h2o = new PagedKvManager({
      numGpuBlocks: 100,
      blockSize: 16,
      enablePrefixCaching: false,
      eviction: { kind: "h2o", budgetRatio: 0.25 },
      storage: sizes,
    });
    const q = req(2, 640, 10);
    h2o.allocate(q, 640, 0, ADMIT);
    expect(q.kv.blocks.length).toBe(40);
    q.computed = 640;
    q.generated = 1;
    h2o.allocate(q, 1, 0, RUN);
    expect(q.kv.blocks.length).toBe(10); // 160-token budget
    expect(h2o.checkInvariants()).toEqual([]);
  });
});
