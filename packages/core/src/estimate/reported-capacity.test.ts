import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpu-lookup.js";
import { reportedTotalBytes } from "./engines/cuda-context.js";
import { estimate } from "./estimate.js";

// Issue 15 item 4: llama.cpp and transformers fit against the memory the driver reports as total
// (the catalog's sourced reportedTotals), not the marketed size. The T4 row: 16 GB marketed,
// "deviceMemorySize: 14.75GiB" in a TensorFlow device log (cudaDeviceProp.totalGlobalMem).
const GIB = 2 ** 30;
const t4 = findGpu("T4");
const reported = reportedTotalBytes(t4)!;

describe("reported-total capacity on a T4", () => {
  it("the catalog row gives 14.75 GiB, 1.25 GiB under the marketed 16 GiB", () => {
    expect(reported).toBe(Math.floor(14.75 * GIB));
    expect(t4.memoryBytes - reported).toBe(1.25 * GIB);
  });

  it("transformers: Llama-3.1-8B in bf16 fits the marketed 16 GiB but not the reported 14.75 GiB", () => {
    const base = {
      model: { id: "meta-llama/Llama-3.1-8B" },
      engine: "transformers",
      contextLength: 1024,
    } as const;
    const onT4 = estimate({ ...base, hardware: { gpu: "T4", count: 1 } });
    const on16 = estimate({ ...base, hardware: { memoryBytes: 16 * GIB, count: 1 } });
    // Same bytes either way (weights 14.96 GiB + KV + activations + 457 MiB context ≈ 15.5 GiB).
    expect(onT4.devices[0]!.bytes.total).toBe(on16.devices[0]!.bytes.total);
    expect(onT4.devices[0]!.bytes.total).toBeGreaterThan(reported);
    expect(onT4.devices[0]!.bytes.total).toBeLessThan(16 * GIB);
    expect(onT4.devices[0]!.capacityBytes).toBe(reported);
    expect(onT4.fits).toBe(false);
    expect(on16.fits).toBe(true);
    expect(onT4.notes.join("\n")).toMatch(
      /Capacity per GPU is the 14\.75 GiB the driver reports as total on the T4-16GB, not its 16\.00 GiB marketed size/,
    );
  });

  it("llama.cpp: the longest context shrinks by the 1.25 GiB the driver keeps, in KV at 128 KiB a token", () => {
    const base = { model: { id: "meta-llama/Llama-3.1-8B" }, engine: "llama.cpp", weights: "Q8_0" } as const;
    const onT4 = estimate({ ...base, hardware: { gpu: "T4", count: 1 } });
    const on16 = estimate({ ...base, hardware: { memoryBytes: 16 * GIB, count: 1 } });
    expect(onT4.notes.join("\n")).toMatch(
      /llama\.cpp fits its buffers into the free memory the driver reports/,
    );
    const kvPerToken = onT4.kvBytesPerToken; // 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes = 131,072
    expect(kvPerToken).toBe(131_072);
    const lost = on16.maxContextLength! - onT4.maxContextLength!;
    // 1.25 GiB / 128 KiB = 10,240 tokens; the compute buffer grows a little with the context too,
    // so a few hundred tokens less: within 5%.
    expect(Math.abs(lost / 10_240 - 1)).toBeLessThan(0.05);
  });

  it("vLLM and SGLang keep sizing from it themselves; their device capacity stays the marketed size", () => {
    const e = estimate({
      model: { id: "Qwen/Qwen3-0.6B" },
      engine: "vllm",
      hardware: { gpu: "T4", count: 1 },
    });
    expect(e.devices[0]!.capacityBytes).toBe(t4.memoryBytes);
  });
});
