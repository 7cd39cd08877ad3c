import { describe, expect, it } from "vitest";
import {
  type CapacityPoint,
  capacityThroughputChart,
  capacityTtftChart,
  kvUsageChart,
  trimRate,
} from "./serving-charts.js";

const points: CapacityPoint[] = [
  { ratePerSecond: 1, ttftP50Seconds: 0.08, ttftP99Seconds: 0.4, throughputTokensPerSecond: 280 },
  { ratePerSecond: 4, ttftP50Seconds: 12, ttftP99Seconds: 30, throughputTokensPerSecond: 1050 },
  { ratePerSecond: 8, ttftP50Seconds: 60, ttftP99Seconds: 140, throughputTokensPerSecond: 1070 },
];

describe("serving charts as data", () => {
  it("KV usage: percent of the pool over time, capped axis at 100 %, figures in the summary", () => {
    const c = kvUsageChart({
      id: "kv",
      title: "KV",
      timeSeconds: [0, 1, 2],
      kvCacheUsage: [0, 0.5, 1],
      mean: 0.5,
      peak: 1,
    });
    expect(c.marks[1]!.data).toEqual([
      { t: 0, usage: 0 },
      { t: 1, usage: 50 },
      { t: 2, usage: 100 },
    ]);
    expect(c.y?.domain).toEqual([0, 100]);
    expect(c.summary).toBe("KV cache in use over the run: mean 50%, peak 100% of the pool.");
  });

  it("capacity TTFT: p50 and p99 per rate on a log axis, every rate in the summary", () => {
    const c = capacityTtftChart({ id: "t", title: "TTFT", points, chosenRate: 4 });
    expect(c.y?.type).toBe("log");
    expect(c.y?.ticks).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(c.y?.domain).toEqual([0.01, 1000]);
    expect(c.marks[1]!.data.length).toBe(6);
    expect(c.summary).toBe(
      "1 req/s: p99 TTFT 400.0 ms; 4 req/s: p99 TTFT 30.00 s; 8 req/s: p99 TTFT 140.00 s.",
    );
  });

  it("capacity throughput: starts at zero, names the peak", () => {
    const c = capacityThroughputChart({ id: "x", title: "X", points, chosenRate: 4 });
    expect(c.marks[0]!.data).toEqual([{ tps: 0 }]);
    expect(c.summary).toBe("Output throughput peaks at 1,070 tok/s (at 8 req/s offered).");
    expect(trimRate(0.75)).toBe("0.75");
    expect(trimRate(1.5 * 0.25 * 4)).toBe("1.5");
  });
});
