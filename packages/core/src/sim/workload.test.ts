import { describe, expect, it } from "vitest";
import { createRng } from "./rng.js";
import { arrivalTimes, generateWorkload, sampleLength, withArrivals } from "./workload.js";

describe("generated workloads", () => {
  const base = {
    requests: 4000,
    arrival: { kind: "poisson", ratePerSecond: 5 } as const,
    promptTokens: { kind: "lognormal", median: 1000, sigma: 0.8, max: 8000 } as const,
    outputTokens: { kind: "uniform", min: 10, max: 400 } as const,
    seed: 42,
  };

  it("same seed, same workload; another seed, another", () => {
    expect(generateWorkload(base)).toEqual(generateWorkload(base));
    expect(generateWorkload({ ...base, seed: 43 })).not.toEqual(generateWorkload(base));
  });

  it("Poisson arrivals have the requested rate and lengths respect their bounds", () => {
    const w = generateWorkload(base);
    const span = w[w.length - 1]!.arrivalSeconds;
    expect(w.length / span).toBeCloseTo(5, 0);
    for (const r of w) {
      expect(r.promptTokens).toBeGreaterThanOrEqual(1);
      expect(r.promptTokens).toBeLessThanOrEqual(8000);
      expect(r.outputTokens).toBeGreaterThanOrEqual(10);
      expect(r.outputTokens).toBeLessThanOrEqual(400);
    }
    const sorted = w.map((r) => r.promptTokens).sort((a, b) => a - b);
    expect(sorted[2000]! / 1000).toBeCloseTo(1, 0); // median ≈ 1000
  });

  it("gamma arrivals are burstier: the gaps' coefficient of variation is cv", () => {
    const t = arrivalTimes({ kind: "gamma", ratePerSecond: 2, cv: 3 }, 40_000, createRng(5));
    const gaps = Array.from({ length: t.length - 1 }, (_, i) => t[i + 1]! - t[i]!);
    const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - m) ** 2, 0) / gaps.length);
    expect(m).toBeCloseTo(0.5, 1);
    expect(sd / m).toBeGreaterThan(2.7);
    expect(sd / m).toBeLessThan(3.3);
  });

  it("shared prefixes give token content that repeats within a group", () => {
    const w = generateWorkload({ ...base, requests: 50, sharedPrefix: { tokens: 64, groups: 2 } });
    const heads = new Set(
      w.map((r) =>
        r.content?.kind === "tokens" ? Array.from(r.content.promptIds.slice(0, 8)).join(",") : "",
      ),
    );
    expect(heads.size).toBe(2);
  });

  it("rejects impossible settings with the field named", () => {
    expect(() => generateWorkload({ ...base, promptTokens: { kind: "fixed", tokens: 0 } })).toThrow(
      /promptTokens/,
    );
    expect(() => generateWorkload({ ...base, arrival: { kind: "poisson", ratePerSecond: 0 } })).toThrow(
      /ratePerSecond/,
    );
    expect(() => generateWorkload({ ...base, outputTokens: { kind: "uniform", min: 9, max: 3 } })).toThrow(
      /max 3 < min 9/,
    );
  });

  it("empirical lengths resample the given values; withArrivals adds times to length-only requests", () => {
    const rng = createRng(1);
    for (let i = 0; i < 100; i++)
      expect([3, 5]).toContain(sampleLength({ kind: "empirical", values: [3, 5] }, rng));
    const w = withArrivals(
      [
        { arrivalSeconds: 0, promptTokens: 1, outputTokens: 1 },
        { arrivalSeconds: 0, promptTokens: 1, outputTokens: 1 },
      ],
      { kind: "constant", ratePerSecond: 4 },
      1,
    );
    expect(w.map((r) => r.arrivalSeconds)).toEqual([0, 0.25]);
  });
});
