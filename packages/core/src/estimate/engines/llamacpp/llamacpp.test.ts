import { describe, expect, test } from "vitest";
import { findGpu } from "../../../catalog/gpu-lookup.js";
import { catalogModelSpec } from "../../../catalog/models.js";
import { MemlensError } from "../../../errors/memlens-error.js";
import { parseScenario } from "../../../scenario/scenario.js";
import { cpuLlamaCppSettings as cpu } from "../../../testing/llamacpp-settings.js";
import { estimate } from "../../estimate.js";
import { parseWeightFormat } from "../../weights.js";
import { fitLlamaCpp, layerDevices, llamaCppEngine, llamaCppMemory, parseOverride } from "./index.js";
import { llamaCppModelFromSpec } from "./tensors.js";

const MiB = (b: number) => (b / 2 ** 20).toFixed(2);

const llama1b = llamaCppModelFromSpec(catalogModelSpec("meta-llama/Llama-3.2-1B-Instruct"), "F16");
const qwen3 = llamaCppModelFromSpec(catalogModelSpec("Qwen/Qwen3-0.6B"), "F16");
const gemma3 = llamaCppModelFromSpec(catalogModelSpec("google/gemma-3-1b-it"), "F16");

const kv = (m: ReturnType<typeof llamaCppMemory>) => m.kvBuffers.reduce((a, b) => a + b.bytes, 0);
const compute = (m: ReturnType<typeof llamaCppMemory>) => m.computeBuffers.reduce((a, b) => a + b.bytes, 0);

/**
 * Real llama.cpp (node-llama-cpp 3.22.1, llama.cpp de3ff815, CPU) on synthetic GGUF files of these
 * shapes: ../shared/docs/research/llamacpp-harness.md §4-5 (printed MiB; n_ubatch = n_batch).
 */
describe("llama.cpp buffers match llama.cpp's own log (research/llamacpp-harness.md §5)", () => {
  test.each([
    // [label, model, settings, KV MiB, compute MiB]
    ["llama32_1b ctx 2048 FA off", llama1b, { contextLength: 2048 }, "64.00", "258.50"],
    ["llama32_1b ctx 8192 FA off", llama1b, {}, "256.00", "550.01"],
    ["llama32_1b ctx 8192 FA on", llama1b, { flashAttn: true }, "256.00", "258.50"],
    [
      "llama32_1b ctx 8192 FA on q8_0",
      llama1b,
      { flashAttn: true, typeK: "Q8_0", typeV: "Q8_0" },
      "136.00",
      "262.50",
    ],
    [
      "llama32_1b ctx 8192 FA on q4_0",
      llama1b,
      { flashAttn: true, typeK: "Q4_0", typeV: "Q4_0" },
      "72.00",
      "262.50",
    ],
    ["llama32_1b ctx 8192 FA off K q8_0", llama1b, { typeK: "Q8_0" }, "196.00", "546.03"],
    ["llama32_1b ctx 8192 b 2048 FA off", llama1b, { nBatch: 2048, nUbatch: 2048 }, "256.00", "2200.04"],
    ["llama32_1b ctx 32768 FA off", llama1b, { contextLength: 32768 }, "1024.00", "2134.01"],
    [
      "llama32_1b ctx 131072 FA on q8_0",
      llama1b,
      { contextLength: 131072, flashAttn: true, typeK: "Q8_0", typeV: "Q8_0" },
      "2176.00",
      "262.50",
    ],
    ["llama32_1b 4 × 2048 FA off", llama1b, { contextLength: 2048, nSeq: 4 }, "256.00", "258.50"],
    ["qwen3_06b ctx 8192 FA off", qwen3, {}, "896.00", "302.75"],
    [
      "qwen3_06b ctx 8192 FA on q8_0",
      qwen3,
      { flashAttn: true, typeK: "Q8_0", typeV: "Q8_0" },
      "476.00",
      "300.75",
    ],
    // node-llama-cpp passes batch + 1 for SWA models
    ["gemma3_1b ctx 8192 FA on", gemma3, { flashAttn: true, nBatch: 513, nUbatch: 513 }, "59.50", "517.51"],
    [
      "gemma3_1b ctx 32768 FA off",
      gemma3,
      { contextLength: 32768, nBatch: 513, nUbatch: 513 },
      "155.50",
      "560.34",
    ],
  ] as const)("%s", (_label, model, o, kvMiB, computeMiB) => {
    const m = llamaCppMemory(model, cpu(o));
    expect(MiB(kv(m))).toBe(kvMiB);
    expect(MiB(compute(m))).toBe(computeMiB);
  });

  test("output buffer: n_vocab floats per sequence", () => {
    expect(MiB(llamaCppMemory(llama1b, cpu({})).outputBuffer.bytes)).toBe("0.49");
    expect(MiB(llamaCppMemory(llama1b, cpu({ contextLength: 2048, nSeq: 4 })).outputBuffer.bytes)).toBe(
      "1.96",
    );
    expect(MiB(llamaCppMemory(gemma3, cpu({})).outputBuffer.bytes)).toBe("1.00");
  });

  test("model buffers: the mmap range, and the repacked copy of Q4_0 weights", () => {
    expect(MiB(llamaCppMemory(llama1b, cpu({})).modelBuffers[0]!.bytes)).toBe("2357.26");
    const q8 = llamaCppModelFromSpec(catalogModelSpec("meta-llama/Llama-3.2-1B-Instruct"), "Q8_0");
    expect(MiB(llamaCppMemory(q8, cpu({})).modelBuffers[0]!.bytes)).toBe("1252.41");
  });
});

describe("KV cache rules", () => {
  test("n_ctx is padded to 256 per sequence", () => {
    const a = llamaCppMemory(llama1b, cpu({ contextLength: 1000 }));
    expect(a.nCtx).toBe(1024);
    expect(kv(a)).toBe(16 * 1024 * 512 * 2 * 2);
  });

  test("sliding-window layers keep pad256(window + n_ubatch) cells; swaFull keeps n_ctx", () => {
    const m = llamaCppMemory(gemma3, cpu({ contextLength: 32768 }));
    expect(m.kvCaches.map((c) => [c.cache, c.cells, c.layers])).toEqual([
      ["non-SWA", 32768, 4],
      ["SWA", 1024, 22], // min(32768, 512 + 512) padded to 256
    ]);
    const full = llamaCppMemory(gemma3, cpu({ contextLength: 32768, swaFull: true }));
    expect(full.kvCaches[1]!.cells).toBe(32768);
  });

  test("MLA caches the latent and rotary key only", () => {
    const ds = llamaCppModelFromSpec(catalogModelSpec("deepseek-ai/DeepSeek-V2-Lite"), "Q4_K_M");
    const m = llamaCppMemory(ds, cpu({ contextLength: 4096, flashAttn: true }));
    // (kv_lora_rank 512 + rope 64) × 2 bytes × 4096 cells × 27 layers, no V
    expect(m.kvCaches[0]).toMatchObject({ kBytes: 576 * 2 * 4096 * 27, vBytes: 0 });
  });

  test("a quantized V cache needs flash attention (llama_init_from_model)", () => {
    let err: unknown;
    try {
      estimate({
        model: { id: "Qwen/Qwen3-8B" },
        engine: "llama.cpp",
        weights: "Q4_K_M",
        kvCache: "q8_0",
        engineOptions: { flashAttention: false },
        hardware: { gpu: "RTX-4090", count: 1 },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemlensError);
    expect((err as MemlensError).field).toBe("engineOptions.flashAttention");
  });
});

describe("placement", () => {
  test("layers from i_gpu_start = n_layer + 1 − n_gpu_layers go to the GPUs; the output layer counts", () => {
    expect(layerDevices(4, { gpuCount: 1, gpuLayers: 5, tensorSplit: null })).toEqual({
      layers: [0, 0, 0, 0],
      output: 0,
    });
    expect(layerDevices(4, { gpuCount: 1, gpuLayers: 2, tensorSplit: null })).toEqual({
      layers: ["host", "host", "host", 0],
      output: 0,
    });
    expect(layerDevices(8, { gpuCount: 2, gpuLayers: 9, tensorSplit: [3, 1] }).layers).toEqual([
      0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  test("token embeddings stay on the host; experts can be kept there with overrides", () => {
    const m = llamaCppModelFromSpec(catalogModelSpec("Qwen/Qwen3-30B-A3B"), "Q4_K_M");
    const base = cpu({ gpuCount: 1, gpuLayers: 49, mmap: false });
    const all = llamaCppMemory(m, base);
    const embd = m.tensors.find((t) => t.name === "token_embd.weight")!;
    expect(all.modelBuffers.find((b) => b.name === "CUDA_Host")!.bytes).toBe(Math.ceil(embd.bytes / 32) * 32);
    const moe = llamaCppMemory(m, { ...base, overrides: [parseOverride("\\.ffn_(up|down|gate)_exps=CPU")] });
    const experts = m.tensors.filter((t) => /_exps\.weight$/.test(t.name)).reduce((a, t) => a + t.bytes, 0);
    expect(moe.modelBuffers.find((b) => b.name === "CPU")!.bytes).toBeGreaterThanOrEqual(experts);
    expect(moe.modelBuffers.find((b) => b.name === "CUDA0")!.bytes).toBeLessThan(
      all.modelBuffers.find((b) => b.name === "CUDA0")!.bytes - experts * 0.99,
    );
  });

  test("fit: most layers and largest context within a 1 GiB margin", () => {
    const m = llamaCppModelFromSpec(catalogModelSpec("Qwen/Qwen3-8B"), "Q4_K_M");
    const s = cpu({ gpuCount: 1, gpuLayers: 37, contextLength: 32768, flashAttn: true });
    const f = fitLlamaCpp(m, s, 8 * 2 ** 30);
    expect(f.gpuLayers).toBeLessThan(37);
    expect(f.gpuLayers).toBeGreaterThan(10);
    const partial = llamaCppMemory(m, { ...s, gpuLayers: f.gpuLayers });
    const onGpu = (x: typeof partial) =>
      [...x.modelBuffers, ...x.kvBuffers, ...x.computeBuffers]
        .filter((b) => b.device === 0)
        .reduce((a, b) => a + b.bytes, 0);
    expect(onGpu(partial)).toBeLessThanOrEqual(7 * 2 ** 30);
    expect(onGpu(llamaCppMemory(m, { ...s, gpuLayers: f.gpuLayers + 1 }))).toBeGreaterThan(7 * 2 ** 30);
    expect((f.maxContextLength ?? 0) % 256).toBe(0);
  });
});

describe("estimate() with engine llama.cpp", () => {
  test("engine fields are named after llama.cpp's log lines", () => {
    const e = estimate({
      model: { id: "Qwen/Qwen3-8B" },
      engine: "llama.cpp",
      weights: "Q4_K_M",
      contextLength: 8192,
      hardware: { gpu: "RTX-4090", count: 1 },
    });
    expect(e.engine).toMatchObject({
      kvBufferBytes: 36 * 8192 * 8 * 128 * 2 * 2,
      outputBufferBytes: 151936 * 4,
      flashAttention: true,
      nCtx: 8192,
    });
    expect(e.devices[0]!.bytes.weights).toBe(e.engine.modelBufferBytes);
    expect(e.fits).toBe(true);
  });
});

describe("search shortcuts change no figure", () => {
  test("a memoised model gives the buffers a fresh one does, context after context", () => {
    const spec = catalogModelSpec("Qwen/Qwen3-0.6B");
    const memoised = llamaCppModelFromSpec(spec, "Q4_K_M");
    const gpu = cpu({ gpuCount: 2, gpuLayers: 29, flashAttn: true });
    for (const [contextLength, nSeq] of [
      [8192, 1],
      [8000, 1],
      [131072, 1],
      [8192, 4],
      [300, 3],
      [8192, 1],
    ] as const)
      for (const s of [cpu({ contextLength, nSeq }), { ...gpu, contextLength, nSeq }])
        expect(llamaCppMemory(memoised, s)).toEqual(llamaCppMemory(llamaCppModelFromSpec(spec, "Q4_K_M"), s));
  });

  test.each([
    ["meta-llama/Llama-3.1-8B", "RTX-4090", 1],
    ["Qwen/Qwen3-30B-A3B", "L40S-48GB", 2],
    ["google/gemma-2-9b", "A100-80GB", 3],
  ] as const)(
    "the lower bound of %s on %s ×%i is each total without its compute buffer",
    (id, gpuId, count) => {
      const scenario = parseScenario({
        model: { id },
        engine: "llama.cpp",
        weights: "Q4_K_M",
        contextLength: 4096,
        hardware: { gpu: gpuId, count },
      });
      const spec = catalogModelSpec(id);
      const gpu = findGpu(gpuId);
      const input = {
        scenario,
        spec,
        format: parseWeightFormat("Q4_K_M", spec),
        capacityBytes: gpu.memoryBytes,
        gpu,
        deviceCount: count,
      };
      for (const [ctx, batch] of [
        [512, 1],
        [4096, 8],
        [131072, 2],
      ] as const) {
        const bound = llamaCppEngine.lowerBound!(input, ctx, batch);
        const devices = llamaCppEngine.memory(input, ctx, batch).devices;
        expect(bound).toHaveLength(devices.length);
        devices.forEach((d, i) => {
          expect(bound[i]).toBeLessThanOrEqual(d.total);
          expect(d.total - bound[i]!).toBe(d.activations); // GPU activations are the compute buffer
        });
      }
    },
  );
});
