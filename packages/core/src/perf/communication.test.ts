import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../catalog/models.js";
import {
  allReduceSeconds,
  allToAllSeconds,
  collectiveLinkOf,
  communicationSeconds,
  parallelCommunication,
  sendSeconds,
} from "./communication.js";

// Links of the catalog: PCIe 5.0 x16 is 128 GB/s bidirectional, NVLink 4 900 GB/s (links.json).
const pcie5 = collectiveLinkOf(findGpu("RTX-PRO-6000").interconnect);
const nvlink4 = collectiveLinkOf(findGpu("H100-SXM-80GB").interconnect);
const us = (s: number) => s * 1e6;

describe("collectives from NCCL's tuning model (nccl src/graph/tuning.cc)", () => {
  it("a link's bus bandwidth: one direction at NCCL's share (PCIe 0.75, NVLink 22/25)", () => {
    expect(pcie5).toEqual({ linkClass: "pci", busBytesPerSecond: 48e9 });
    expect(nvlink4.linkClass).toBe("nvlink");
    expect(nvlink4.busBytesPerSecond).toBeCloseTo(396e9, -3);
  });

  it("2-GPU PCIe all-reduce: LL wins small messages, Simple large ones", () => {
    // 1 kB: LL 6.6 + 2·1.0 µs + 1e3 B / (48 GB/s / 4) = 8.683 µs (Simple: 19.8 µs + …).
    expect(us(allReduceSeconds(1e3, 2, pcie5))).toBeCloseTo(8.6833, 3);
    // 1 MB: Simple 8.4 + 2·5.7 µs + 1e6 B / 48 GB/s = 40.633 µs (LL: 91.9 µs).
    expect(us(allReduceSeconds(1e6, 2, pcie5))).toBeCloseTo(40.6333, 3);
  });

  it("8-GPU NVLink all-reduce of 16 MB: LL128, 14 + 14·1.9 µs + 16e6 / (396e9 · 0.92 · 8/14) = 117.46 µs", () => {
    expect(us(allReduceSeconds(16e6, 8, nvlink4))).toBeCloseTo(117.46, 1);
  });

  it("all-to-all and a stage send cost fewer ring steps than an all-reduce", () => {
    // 1 MB over 2 PCIe GPUs, Simple: 8.4 + 1·5.7 µs + 1e6 / (48e9 · 2/1) = 24.517 µs.
    expect(us(allToAllSeconds(1e6, 2, pcie5))).toBeCloseTo(24.5167, 3);
    expect(us(sendSeconds(1e6, pcie5))).toBeCloseTo(24.5167, 3);
  });

  it("nothing to communicate on one GPU or with no tokens", () => {
    expect(allReduceSeconds(1e6, 1, pcie5)).toBe(0);
    const spec = catalogModelSpec("Qwen/Qwen3-32B");
    expect(parallelCommunication(spec, findGpu("RTX-PRO-6000").interconnect, { tensor: 1 })).toBeUndefined();
    const c = parallelCommunication(spec, findGpu("RTX-PRO-6000").interconnect, { tensor: 2 });
    expect(c && communicationSeconds(c, 0)).toBe(0);
  });

  it("Qwen3-32B TP2 over PCIe 5: 128 all-reduces of hidden 5120 × 2 B per token", () => {
    const spec = catalogModelSpec("Qwen/Qwen3-32B");
    const c = parallelCommunication(spec, findGpu("RTX-PRO-6000").interconnect, { tensor: 2 });
    if (!c) throw new Error("expected communication");
    expect(c.allReducesPerStep).toBe(128);
    expect(c.allReduceBytesPerToken).toBe(10240);
    // A 128-sequence decode step: 128 · (19.8 µs + 1,310,720 B / 48 GB/s) = 6.030 ms.
    expect(communicationSeconds(c, 128) * 1e3).toBeCloseTo(6.0297, 3);
  });

  it("time never falls as the message grows, and grows with the GPU count at a fixed size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 2, max: 64 }),
        (a, b, n) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          for (const link of [pcie5, nvlink4]) {
            expect(allReduceSeconds(lo, n, link)).toBeLessThanOrEqual(allReduceSeconds(hi, n, link));
            expect(allReduceSeconds(lo, n, link)).toBeLessThanOrEqual(allReduceSeconds(lo, n + 1, link));
          }
        },
      ),
    );
  });
});
