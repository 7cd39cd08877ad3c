import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkloadRequest } from "./request.js";
import { type KvCacheOptions, type SimulateServingOptions, simulateServing } from "./simulate-serving.js";
import { linearStepTime } from "./step-time.js";
import { generateWorkload } from "./workload.js";

const stepTime = linearStepTime({ a: 0.01, b: 1e-4, c: 1e-4, d: 1e-7 });

const workload = (seed: number, requests = 200, prefix?: { tokens: number; groups: number }) =>
  generateWorkload({
    requests,
    arrival: { kind: "poisson", ratePerSecond: 20 },
    promptTokens: { kind: "lognormal", median: 300, sigma: 0.7, max: 2000 },
    outputTokens: { kind: "uniform", min: 1, max: 200 },
    seed,
    ...(prefix ? { sharedPrefix: prefix } : {}),
  });

const base = (
  w: readonly WorkloadRequest[],
  kvCache: KvCacheOptions = { numGpuBlocks: 400 },
): SimulateServingOptions => ({
  workload: w,
  stepTime,
  maxModelLen: 4096,
  maxNumSeqs: 64,
  maxNumBatchedTokens: 512,
  kvCache,
});

describe("simulateServing: invariants (seeded property tests)", () => {
  const arbConfig = fc.record({
    seed: fc.integer({ min: 0, max: 1e6 }),
    requests: fc.integer({ min: 1, max: 40 }),
    rate: fc.double({ min: 0.5, max: 200, noNaN: true }),
    maxNumSeqs: fc.integer({ min: 1, max: 16 }),
    budget: fc.integer({ min: 8, max: 600 }),
    blockSize: fc.constantFrom(1, 4, 16),
    blocks: fc.integer({ min: 8, max: 200 }),
    manager: fc.constantFrom("paged", "contiguous", "radix" as const),
    scheduler: fc.constantFrom("vllm", "vllm", "static" as const),
    caching: fc.boolean(),
    shared: fc.boolean(),
    chunked: fc.boolean(),
    reserveFullIsl: fc.boolean(),
    policy: fc.constantFrom("none", "none", "fp8", "kivi", "streaming", "h2o", "snapkv"),
    disaggregate: fc.boolean(),
  });

  it("tokens in = tokens out, no KV leaks, every request answered, invariants hold throughout", () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const w = generateWorkload({
          requests: c.requests,
          arrival: { kind: "poisson", ratePerSecond: c.rate },
          promptTokens: { kind: "uniform", min: 1, max: 300 },
          outputTokens: { kind: "uniform", min: 1, max: 80 },
          seed: c.seed,
          ...(c.shared ? { sharedPrefix: { tokens: 64, groups: 3 } } : {}),
        });
        const kvCache: KvCacheOptions = {
          manager: c.manager,
          numGpuBlocks:
            c.manager === "paged" ? c.blocks : Math.max(2, Math.ceil((c.blocks * 16) / c.blockSize)),
          blockSize: c.blockSize,
          bytesPerToken: 1024,
          enablePrefixCaching: c.caching,
          ...(c.manager === "paged" && c.policy === "fp8" ? { storage: { kind: "fp8" as const } } : {}),
          ...(c.manager === "paged" && c.policy === "kivi" ? { storage: { kind: "kivi2" as const } } : {}),
          ...(c.manager === "paged" && c.policy === "streaming"
            ? { eviction: { kind: "streaming-llm" as const, windowTokens: 64 } }
            : {}),
          ...(c.manager === "paged" && c.policy === "h2o"
            ? { eviction: { kind: "h2o" as const, budgetRatio: 0.3 } }
            : {}),
          ...(c.manager === "paged" && c.policy === "snapkv"
            ? { eviction: { kind: "snapkv" as const, budgetTokens: 50 } }
            : {}),
        };
        const opts: SimulateServingOptions = {
          workload: w,
          stepTime,
          maxModelLen: 512,
          maxNumSeqs: c.maxNumSeqs,
          maxNumBatchedTokens: c.budget,
          enableChunkedPrefill: c.chunked || c.scheduler === "static",
          reserveFullIsl: c.reserveFullIsl,
          scheduler: c.scheduler,
          kvCache,
          recordRequests: true,
          checkInvariants: true,
          ...(c.disaggregate && c.scheduler === "vllm"
            ? { disaggregation: { transferBytesPerSecond: 1e9 } }
            : {}),
        };
        // Without chunked prefill a prompt longer than the budget never runs: vLLM requires
        // max_num_batched_tokens ≥ max_model_len then; keep the budget large enough.
        if (!opts.enableChunkedPrefill) (opts as { maxNumBatchedTokens: number }).maxNumBatchedTokens = 512;
        const r = simulateServing(opts);
        const m = r.metrics;
        expect(m.completedRequests + m.rejectedRequests).toBe(w.length);
        const served = r.requests!;
        expect(served.length).toBe(m.completedRequests);
        // Tokens in = tokens out: every served request produced exactly its output length.
        expect(m.outputTokens).toBe(served.reduce((s, q) => s + w[q.id]!.outputTokens, 0));
        expect(m.inputTokens).toBe(served.reduce((s, q) => s + w[q.id]!.promptTokens, 0));
        for (const e of r.engines) expect(e.usedSlotsAtEnd).toBe(0); // no block leaks
        for (const q of served) {
          expect(q.ttftSeconds).toBeGreaterThanOrEqual(0);
          expect(q.e2eSeconds).toBeGreaterThanOrEqual(q.ttftSeconds);
          expect(q.queueingSeconds).toBeLessThanOrEqual(q.ttftSeconds);
        }
        expect(m.kvCacheUsage.peak).toBeLessThanOrEqual(1 + 1e-12);
        // Same inputs, same run.
        expect(simulateServing(opts)).toEqual(r);
      }),
      { seed: 20240611, numRuns: 200 },
    );
  });

  it("same seed ⇒ identical trace; another seed ⇒ another trace", () => {
    const run = (seed: number) =>
      simulateServing({ ...base(workload(seed, 150, { tokens: 128, groups: 4 })), recordRequests: true });
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8).requests).not.toEqual(a.requests);
  });
});

describe("simulateServing: behaviour", () => {
  it("runs out of blocks → preempts by recompute, and still finishes every request", () => {
    const r = simulateServing(base(workload(1, 300), { numGpuBlocks: 160 }));
    expect(r.metrics.preemptions).toBeGreaterThan(0);
    expect(r.metrics.recomputedTokens).toBeGreaterThan(0);
    expect(r.metrics.completedRequests).toBe(300);
    expect(r.metrics.kvCacheUsage.peak).toBeGreaterThan(0.9);
  });

  it("continuous batching beats static batching, and paging beats max-length reservation", () => {
    const w = workload(2, 300);
    const vllm = simulateServing(base(w)).metrics;
    const stat = simulateServing({ ...base(w), scheduler: "static" }).metrics;
    const contiguous = simulateServing(base(w, { numGpuBlocks: 400, manager: "contiguous" })).metrics;
    expect(vllm.throughputTokensPerSecond).toBeGreaterThan(stat.throughputTokensPerSecond);
    expect(vllm.ttftSeconds.p50).toBeLessThan(stat.ttftSeconds.p50);
    expect(contiguous.fragmentation.internalMean).toBeGreaterThan(0.5); // most of each 2048+-token run is empty
    expect(vllm.fragmentation.internalMean).toBeLessThan(0.1); // only block tails
    expect(vllm.ttftSeconds.p90).toBeLessThan(contiguous.ttftSeconds.p90);
  });

  it("prefix caching hits shared system prompts and cuts TTFT; SGLang's radix cache hits too", () => {
    const w = workload(3, 300, { tokens: 256, groups: 2 });
    const on = simulateServing(base(w)).metrics;
    const off = simulateServing(base(w, { numGpuBlocks: 400, enablePrefixCaching: false })).metrics;
    const radix = simulateServing(base(w, { numGpuBlocks: 400 * 16, manager: "radix" })).metrics;
    expect(off.prefixCacheHitRate).toBe(0);
    expect(on.prefixCacheHitRate).toBeGreaterThan(0.3);
    expect(radix.prefixCacheHitRate).toBeGreaterThan(0.3);
    expect(on.ttftSeconds.mean).toBeLessThan(off.ttftSeconds.mean);
  });

  it("KV formats change capacity: FP8 doubles and KIVI-2 gives ~5x the blocks of the same memory", () => {
    const kv = (storage: KvCacheOptions["storage"]) =>
      simulateServing(
        base(workload(4, 20), {
          memoryBytes: 400 * 16 * 131072,
          bytesPerToken: 131072,
          ...(storage ? { storage } : {}),
        }),
      ).engines[0]!.kvCacheBlocks;
    expect(kv(undefined)).toBe(400);
    expect(kv({ kind: "fp8" })).toBe(800);
    expect(kv({ kind: "int4" })).toBe(Math.floor(400 * (16 / 4.5)));
    expect(kv({ kind: "kivi2" })).toBe(Math.floor(400 * (16 / 3)));
  });

  it("StreamingLLM and H2O keep fewer blocks per sequence: more requests at once, more throughput", () => {
    const w = generateWorkload({
      requests: 100,
      arrival: { kind: "poisson", ratePerSecond: 50 },
      promptTokens: { kind: "fixed", tokens: 200 },
      outputTokens: { kind: "fixed", tokens: 1000 },
      seed: 5,
    });
    const run = (kvCache: KvCacheOptions) => simulateServing(base(w, kvCache));
    const full = run({ numGpuBlocks: 300 });
    const sl = run({ numGpuBlocks: 300, eviction: { kind: "streaming-llm", windowTokens: 252 } });
    const h2o = run({ numGpuBlocks: 300, eviction: { kind: "h2o", budgetTokens: 128 } });
    const meanRunning = (r: typeof full) =>
      r.timeSeries.running.reduce((a, b) => a + b, 0) / r.timeSeries.running.length;
    for (const small of [sl, h2o]) {
      expect(meanRunning(small)).toBeGreaterThan(1.5 * meanRunning(full));
      expect(small.metrics.throughputTokensPerSecond).toBeGreaterThan(
        1.5 * full.metrics.throughputTokensPerSecond,
      );
      expect(small.metrics.completedRequests).toBe(100);
    }
  });

  it("disaggregated prefill/decode: two engines, the KV transfer delays the second token", () => {
    const one: WorkloadRequest[] = [{ arrivalSeconds: 0, promptTokens: 1000, outputTokens: 11 }];
    const run = (bytesPerSecond: number, latency: number) =>
      simulateServing({
        ...base(one),
        disaggregation: { transferBytesPerSecond: bytesPerSecond, transferLatencySeconds: latency },
        kvCache: { numGpuBlocks: 400, bytesPerToken: 131072 },
      }).metrics;
    const slow = run(1e9, 0.05);
    const fast = run(1e15, 0);
    expect(slow.ttftSeconds.mean).toBeCloseTo(fast.ttftSeconds.mean, 12); // first token from the prefill engine
    // Transfer = 0.05 s + 1000 · 131072 B / 1e9 B/s = 0.181 s, spread over 10 output gaps.
    expect(slow.tpotSeconds.mean - fast.tpotSeconds.mean).toBeCloseTo(0.0181072, 6);
    const w = workload(6, 100);
    const r = simulateServing({
      ...base(w),
      disaggregation: { transferBytesPerSecond: 25e9 },
      kvCache: { numGpuBlocks: 400, bytesPerToken: 131072 },
    });
    expect(r.engines.map((e) => e.role)).toEqual(["prefill", "decode"]);
    expect(r.metrics.completedRequests).toBe(100);
    expect(r.metrics.kvCacheBlocks).toBe(800);
  });

  it("rejects requests longer than max-model-len, reports progress up to 1, validates options", () => {
    const w: WorkloadRequest[] = [
      { arrivalSeconds: 0, promptTokens: 100, outputTokens: 10 },
      { arrivalSeconds: 1, promptTokens: 5000, outputTokens: 10 },
    ];
    const seen: number[] = [];
    const r = simulateServing(base(w), (f) => seen.push(f));
    expect(r.metrics.rejectedRequests).toBe(1);
    expect(r.metrics.completedRequests).toBe(1);
    expect(seen[seen.length - 1]).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(() => simulateServing({ ...base(w), maxNumSeqs: 0 })).toThrow(/maxNumSeqs must be an integer ≥ 1/);
    expect(() => simulateServing({ ...base(w), kvCache: {} })).toThrow(/numGpuBlocks or memoryBytes/);
    expect(() => simulateServing({ ...base(w), stepTime: () => Number.NaN })).toThrow(
      /stepTime returned NaN/,
    );
  });

  it("reports metrics under the contract names with time series bounded in length", () => {
    const r = simulateServing({ ...base(workload(9, 300)), timeSeriesPoints: 64 });
    const m = r.metrics;
    for (const k of ["ttftSeconds", "tpotSeconds", "e2eSeconds"] as const)
      expect(Object.keys(m[k]).sort()).toEqual(["mean", "p50", "p90", "p99"]);
    expect(m.kvCacheBlocks).toBe(400);
    expect(m.throughputTokensPerSecond).toBeGreaterThan(0);
    expect(typeof m.prefixCacheHitRate).toBe("number");
    expect(typeof m.preemptions).toBe("number");
    expect(r.timeSeries.timeSeconds.length).toBeLessThanOrEqual(64);
    expect(r.timeSeries.kvCacheUsage.length).toBe(r.timeSeries.timeSeconds.length);
  });
});
