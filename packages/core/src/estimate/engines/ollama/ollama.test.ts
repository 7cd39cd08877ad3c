import { describe, expect, it } from "vitest";
import { GIB, MIB } from "../../../units/units.js";
import { estimate, estimateWithReport } from "../../estimate.js";
import { engineOf } from "../index.js";
import {
  OLLAMA_AUTO_BATCH,
  OLLAMA_COMMIT,
  OLLAMA_FLASH_ATTENTION,
  OLLAMA_GPU_OVERHEAD,
  OLLAMA_KV_CACHE_TYPE,
  OLLAMA_MINIMUM_MEMORY,
  OLLAMA_NUM_BATCH,
  OLLAMA_NUM_CTX_TIERS,
  OLLAMA_NUM_GPU,
  OLLAMA_NUM_PARALLEL,
  type OllamaReport,
  ollamaAutomaticBatch,
  ollamaDefaultNumCtx,
} from "./index.js";

const LLAMA8B = "meta-llama/Llama-3.1-8B-Instruct";

describe("ollama's defaults, as read from ollama@fb30760 (v0.33.0-rc2)", () => {
  it("cites a file of that commit for every figure", () => {
    expect(OLLAMA_COMMIT).toBe("fb30760996871fa9460115c753afd2c60d4ab0f7");
    for (const d of [
      OLLAMA_NUM_CTX_TIERS,
      OLLAMA_NUM_PARALLEL,
      OLLAMA_KV_CACHE_TYPE,
      OLLAMA_FLASH_ATTENTION,
      OLLAMA_GPU_OVERHEAD,
      OLLAMA_MINIMUM_MEMORY,
      OLLAMA_NUM_BATCH,
      OLLAMA_NUM_GPU,
      OLLAMA_AUTO_BATCH,
    ])
      expect(d.source).toMatch(/^ollama@fb30760 [a-z/_]+\.go:\d+/);
  });

  it("holds the values in the cited lines", () => {
    // envconfig/config.go:275, :222 + :317, :303; llm/llama_server.go:597-621; ml/device.go:359-364; api/types.go:1116-1117
    expect(OLLAMA_NUM_PARALLEL.value).toBe(1);
    expect(OLLAMA_KV_CACHE_TYPE.value).toBe("f16");
    expect(OLLAMA_FLASH_ATTENTION.value).toBe("auto");
    expect(OLLAMA_GPU_OVERHEAD.value).toBe(0);
    expect(OLLAMA_MINIMUM_MEMORY.value).toEqual({ metal: 512 * MIB, other: 457 * MIB });
    expect(OLLAMA_NUM_BATCH.value).toBe(512);
    expect(OLLAMA_NUM_GPU.value).toBe(-1);
  });

  it("picks num_ctx by total VRAM as server/routes.go:2043-2057 does (47 and 23 GiB thresholds)", () => {
    expect(ollamaDefaultNumCtx(80 * 10 ** 9)).toBe(262144);
    expect(ollamaDefaultNumCtx(47 * GIB)).toBe(262144);
    expect(ollamaDefaultNumCtx(47 * GIB - 1)).toBe(32768);
    expect(ollamaDefaultNumCtx(24 * GIB)).toBe(32768);
    expect(ollamaDefaultNumCtx(23 * GIB)).toBe(32768);
    expect(ollamaDefaultNumCtx(23 * GIB - 1)).toBe(4096);
    expect(ollamaDefaultNumCtx(16 * GIB)).toBe(4096);
  });

  // The eight cases of ollama's own TestAutomaticGenerationBatch (server/sched_test.go:1077-1155 @ fb30760).
  it.each([
    ["small context keeps default", 4096, 0, 0, false, null, 512],
    ["medium context, unknown memory", 32768, 0, 0, false, null, 1024],
    ["large context with headroom", 131072, 8 * GIB, 14 * GIB, false, null, 2048],
    ["large context without 2048 headroom", 131072, 9 * GIB, 14 * GIB, false, null, 1024],
    ["large context steps down for headroom", 131072, 8 * GIB, 11 * GIB, false, null, 1024],
    ["medium context steps down to 512", 32768, 8500 * MIB, 11 * GIB, false, null, 512],
    ["flash attention off on CUDA", 131072, 8 * GIB, 14 * GIB, true, 14 * GIB, 512],
    ["constrained CUDA without flash attention", 131072, 3 * GIB, 6 * GIB, true, 6 * GIB, 256],
  ] as const)("automatic num_batch: %s", (_name, ctx, predicted, available, faOff, cudaMem, want) => {
    expect(ollamaAutomaticBatch(ctx, predicted, available, faOff, cudaMem)).toBe(want);
  });
});

describe("the ollama engine is llama.cpp with ollama's settings", () => {
  const explicit = {
    model: { id: LLAMA8B },
    weights: "Q4_K_M",
    contextLength: 8192,
    batch: 2,
    kvCache: "q8_0",
    hardware: { gpu: "RTX-4090", count: 1 },
    engineOptions: { nBatch: 512, nUbatch: 512, flashAttention: true },
  };

  it("gives byte-identical buffers to llama.cpp with the same explicit settings, plus ollama's reservation", () => {
    for (const gpuOverheadBytes of [0, 512 * MIB]) {
      const ll = estimate({ ...explicit, engine: "llama.cpp" });
      const ol = estimate({
        ...explicit,
        engine: "ollama",
        engineOptions: { ...explicit.engineOptions, gpuOverheadBytes },
      });
      const a = ll.devices[0]!.bytes;
      const b = ol.devices[0]!.bytes;
      expect([b.weights, b.kvCache, b.activations]).toEqual([a.weights, a.kvCache, a.activations]);
      // MinimumMemory (457 MiB, the same figure as llama.cpp's CUDA context) + OLLAMA_GPU_OVERHEAD
      expect(b.overhead).toBe(457 * MIB + gpuOverheadBytes);
      expect(b.total).toBe(a.total + gpuOverheadBytes);
      for (const k of [
        "modelBufferBytes",
        "kvBufferBytes",
        "computeBufferBytes",
        "outputBufferBytes",
        "hostBytes",
      ])
        expect(ol.engine[k]).toEqual(ll.engine[k]);
      expect(ol.engine.numCtx).toBe(8192);
      expect(ol.engine.numParallel).toBe(2);
    }
  });

  it("adds 55 MiB on Apple GPUs (MinimumMemory 512 MiB for Metal)", () => {
    const hw = { gpu: "M3-Max-128GB", count: 1 };
    const ll = estimate({ ...explicit, hardware: hw, engine: "llama.cpp" });
    const ol = estimate({ ...explicit, hardware: hw, engine: "ollama" });
    expect(ol.devices[0]!.bytes.total - ll.devices[0]!.bytes.total).toBe(55 * MIB);
  });

  it("defaults the context by VRAM, cut to the model's trained context", () => {
    const at = (gpu: string) =>
      estimate({ model: { id: LLAMA8B }, weights: "Q4_K_M", engine: "ollama", hardware: { gpu, count: 1 } });
    expect(at("RTX-4090").scenario.contextLength).toBe(32768); // 24 GiB: the 32k tier
    expect(at("RTX-4060-Ti-16GB").scenario.contextLength).toBe(4096);
    // 80 GB: the 256k tier, cut to Llama 3.1's 131072 trained positions (llm/server.go:111-116)
    expect(at("H100-SXM-80GB").scenario.contextLength).toBe(131072);
    // an explicit context stays
    const e = estimate({ ...explicit, engine: "ollama", contextLength: 2048 });
    expect(e.scenario.contextLength).toBe(2048);
  });

  it("picks its automatic batch from the context and the prediction, and llama.cpp's buffers follow it", () => {
    const base = {
      model: { id: LLAMA8B },
      weights: "Q4_K_M",
      engine: "ollama",
      hardware: { gpu: "RTX-4090", count: 1 },
    };
    const r = estimateWithReport(base);
    const rep = r.report as OllamaReport;
    // 32768 tokens > 4096: 1024, and an 8B Q4_K_M (~4.6 GiB + 4 GiB f16 KV) has the 75% headroom of 24 GiB
    expect(rep.settings.numBatch).toBe(1024);
    expect(rep.settings.numUbatch).toBe(1024);
    expect(rep.settings.numBatchAuto).toBe(true);
    expect(rep.settings.kvCacheType).toBe("f16");
    const ll = estimate({
      ...base,
      engine: "llama.cpp",
      contextLength: 32768,
      kvCache: "f16",
      engineOptions: { nBatch: 1024, nUbatch: 1024, flashAttention: "auto" },
    });
    expect(r.estimate.engine.computeBufferBytes).toBe(ll.engine.computeBufferBytes);
    expect(r.estimate.devices[0]!.bytes.total).toBe(ll.devices[0]!.bytes.total);
    const small = estimateWithReport({ ...base, hardware: { gpu: "RTX-4060-Ti-16GB", count: 1 } });
    expect((small.report as OllamaReport).settings.numBatch).toBe(512); // 4096 tokens
  });

  it("refuses a quantized V cache with flash attention off, as llama-server does", () => {
    expect(() =>
      estimate({ ...explicit, engine: "ollama", engineOptions: { flashAttention: false } }),
    ).toThrow(/requires flash attention/);
  });

  it("is registered as a variant of llama.cpp that the planner skips by default", () => {
    const e = engineOf("ollama");
    expect(e.variantOf).toBe("llama.cpp");
    expect(e.kvDtypes).toEqual(engineOf("llama.cpp").kvDtypes);
  });
});
