import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROUTERS } from "./fleet.js";
import { type SimulateServingOptions, simulateServing } from "./simulate-serving.js";
import { linearStepTime } from "./step-time.js";
import { generateWorkload } from "./workload.js";

const stepTime = linearStepTime({ a: 0.01, b: 1e-4, c: 1e-4, d: 1e-7 });

const arb = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  requests: fc.integer({ min: 1, max: 60 }),
  rate: fc.double({ min: 0.5, max: 200, noNaN: true }),
  maxNumSeqs: fc.integer({ min: 1, max: 16 }),
  blocks: fc.integer({ min: 40, max: 200 }),
  shared: fc.boolean(),
  router: fc.constantFrom(...ROUTERS),
  replicas: fc.integer({ min: 1, max: 6 }),
});

type FleetCase = typeof arb extends fc.Arbitrary<infer T> ? T : never;

function options(c: FleetCase): SimulateServingOptions {
  return {
    workload: generateWorkload({
      requests: c.requests,
      arrival: { kind: "poisson", ratePerSecond: c.rate },
      promptTokens: { kind: "uniform", min: 1, max: 300 },
      outputTokens: { kind: "uniform", min: 1, max: 80 },
      seed: c.seed,
      ...(c.shared ? { sharedPrefix: { tokens: 64, groups: 3 } } : {}),
    }),
    stepTime,
    maxModelLen: 4096,
    maxNumSeqs: c.maxNumSeqs,
    maxNumBatchedTokens: 256,
    kvCache: { numGpuBlocks: c.blocks, blockSize: 16 },
  };
}

describe("data-parallel replicas behind a router (seeded property tests)", () => {
  it("a fleet conserves requests and tokens: the replicas' shares add up to the fleet and the workload", () => {
    fc.assert(
      fc.property(arb, (c) => {
        const o = options(c);
        const r = simulateServing({ ...o, replicas: c.replicas, router: c.router, checkInvariants: true });
        const m = r.metrics;
        expect(m.completedRequests + m.rejectedRequests).toBe(o.workload.length);
        const accepted = o.workload.filter((w) => w.promptTokens + w.outputTokens <= 4096);
        expect(m.inputTokens).toBe(accepted.reduce((s, w) => s + w.promptTokens, 0));
        expect(m.outputTokens).toBe(accepted.reduce((s, w) => s + w.outputTokens, 0));
        for (const e of r.engines) expect(e.usedSlotsAtEnd).toBe(0);
        if (c.replicas === 1) {
          expect(r.replicas).toBeUndefined();
          return;
        }
        const reps = r.replicas ?? [];
        expect(reps.length).toBe(c.replicas);
        expect(reps.reduce((s, x) => s + x.completedRequests, 0)).toBe(m.completedRequests);
        expect(reps.reduce((s, x) => s + x.inputTokens, 0)).toBe(m.inputTokens);
        expect(reps.reduce((s, x) => s + x.outputTokens, 0)).toBe(m.outputTokens);
        expect(reps.reduce((s, x) => s + x.steps, 0)).toBe(m.steps);
        expect(reps.reduce((s, x) => s + x.preemptions, 0)).toBe(m.preemptions);
      }),
      { numRuns: 60 },
    );
  });

  it("one replica is today's simulator byte for byte, whatever the router", () => {
    fc.assert(
      fc.property(arb, (c) => {
        const o = options(c);
        const today = JSON.stringify(simulateServing({ ...o, recordRequests: true }));
        expect(
          JSON.stringify(simulateServing({ ...o, recordRequests: true, replicas: 1, router: c.router })),
        ).toBe(today);
      }),
      { numRuns: 40 },
    );
  });

  it("round-robin: replica 0 of 3 serves every third request exactly as one server alone would", () => {
    // Replicas share nothing, so replica 0's latencies are those of a single server given its share.
    const w = generateWorkload({
      requests: 90,
      arrival: { kind: "constant", ratePerSecond: 30 },
      promptTokens: { kind: "uniform", min: 100, max: 100 },
      outputTokens: { kind: "uniform", min: 50, max: 50 },
      seed: 1,
    });
    const o: SimulateServingOptions = {
      workload: w,
      stepTime,
      maxModelLen: 4096,
      maxNumSeqs: 16,
      kvCache: { numGpuBlocks: 400 },
    };
    const fleet = simulateServing({ ...o, replicas: 3 });
    const one = simulateServing({ ...o, workload: w.filter((_, i) => i % 3 === 0) });
    expect(fleet.replicas?.[0]?.ttftSeconds).toEqual(one.metrics.ttftSeconds);
    expect(fleet.replicas?.[0]?.tpotSeconds).toEqual(one.metrics.tpotSeconds);
  });

  it("more replicas lower throughput at a fixed arrival rate by at most one step or 10%", () => {
    // Not exactly "never": an arrival waits for the step in flight on its replica, so the last
    // token can move by up to one step (seed 0, 3 requests at 3.67/s, 2 per batch: 0.9225 s on one
    // replica, 0.9294 s on two), and assigning requests to more queues is Graham's list-scheduling
    // anomaly: an unlucky split of long requests can finish later than fewer queues would (27
    // requests at 1.92/s, max-num-seqs 1, round-robin). Over 800 random cases (fast-check seed 1,
    // both routers) the worst such loss was 8.3% (round-robin) and 5.4% (least-requests); the bound
    // below is one step or 10%, whichever is larger. The seed is fixed so CI replays the same cases.
    // Longest step here: a + b·256 + c·16 + d·(16 · 4096) = 0.0438 s. Shared prefixes are off: split
    // over replicas, a prefix the single server had cached is computed once per replica.
    const longestStep = 0.01 + 1e-4 * 256 + 1e-4 * 16 + 1e-7 * 16 * 4096;
    fc.assert(
      fc.property(arb, fc.constantFrom("round-robin", "least-requests" as const), (c, router) => {
        const o = options({ ...c, shared: false });
        let previous = Number.POSITIVE_INFINITY;
        for (let n = 1; n <= 4; n++) {
          const d = simulateServing({ ...o, replicas: n, router }).metrics.durationSeconds;
          expect(d).toBeLessThanOrEqual(Math.max(previous + longestStep, previous * 1.1));
          previous = d;
        }
      }),
      { numRuns: 60, seed: 1 },
    );
  });

  it("under saturation, a second replica nearly doubles throughput", () => {
    const o = options({
      seed: 3,
      requests: 60,
      rate: 200,
      maxNumSeqs: 4,
      blocks: 200,
      shared: false,
      router: "round-robin",
      replicas: 1,
    });
    const one = simulateServing(o).metrics.throughputTokensPerSecond;
    const two = simulateServing({ ...o, replicas: 2, router: "least-requests" }).metrics
      .throughputTokensPerSecond;
    expect(two / one).toBeGreaterThan(1.6);
  });

  it("prefix-aware routing sends a shared prefix where it is cached: a higher hit rate than round-robin", () => {
    const w = generateWorkload({
      requests: 400,
      arrival: { kind: "poisson", ratePerSecond: 40 },
      promptTokens: { kind: "uniform", min: 600, max: 1000 },
      outputTokens: { kind: "uniform", min: 20, max: 60 },
      seed: 7,
      sharedPrefix: { tokens: 512, groups: 8 },
    });
    const o: SimulateServingOptions = {
      workload: w,
      stepTime,
      maxModelLen: 4096,
      maxNumSeqs: 32,
      kvCache: { numGpuBlocks: 2000 },
      replicas: 4,
    };
    const rr = simulateServing({ ...o, router: "round-robin" }).metrics.prefixCacheHitRate;
    const pa = simulateServing({ ...o, router: "prefix-aware" }).metrics.prefixCacheHitRate;
    expect(pa).toBeGreaterThan(rr);
  });

  it("refuses an unknown router, naming the allowed ones", () => {
    const o = options({
      seed: 1,
      requests: 2,
      rate: 1,
      maxNumSeqs: 2,
      blocks: 40,
      shared: false,
      router: "round-robin",
      replicas: 2,
    });
    expect(() => simulateServing({ ...o, router: "random" as never })).toThrow(
      "router must be one of round-robin, least-requests, prefix-aware, got random",
    );
  });
});
