import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../../../catalog/models.js";
import { parseScenario } from "../../../scenario/scenario.js";
import { GIB } from "../../../units/units.js";
import { estimate, resolveEngineInput } from "../../estimate.js";
import type { EngineInput } from "../../estimate-types.js";
import { estimateWeights, parseWeightFormat } from "../../weights.js";
import { sglangDefaults, sglangStartup } from "../sglang/index.js";
import { vllmBehaviour } from "./behaviour.js";
import { vllmBlocksPerRequest, vllmKvLayout, vllmPageBytes } from "./kv.js";
import { vllmStartup } from "./startup.js";
import { vllmLayersPerStage, vllmRankWeights, vllmShardOf, vllmVocabRowsPerRank } from "./weights.js";

function inputOf(raw: Record<string, unknown>): EngineInput {
  const scenario = parseScenario({ engine: "vllm", ...raw });
  const m = scenario.model as { id: string };
  return resolveEngineInput(scenario, catalogModelSpec(m.id));
}

const estimateWeightsTotal = (spec: ReturnType<typeof catalogModelSpec>, w: string): number =>
  estimateWeights(spec, parseWeightFormat(w, spec)).totalBytes;

const kvOptions = {
  blockSize: 16,
  dtypeBytes: 2,
  tensorParallel: 1,
  chunkedLocal: false,
  modelDtypeBytes: 2,
};

describe("vLLM weights as loaded", () => {
  it("pads the vocabulary to 64 and splits it evenly across ranks", () => {
    expect(vllmVocabRowsPerRank(151936, 1)).toBe(151936);
    expect(vllmVocabRowsPerRank(50257, 1)).toBe(50304);
    expect(vllmVocabRowsPerRank(50257, 2)).toBe(25152);
  });

  it("splits query heads and replicates KV heads when tp exceeds them", () => {
    const spec = catalogModelSpec("meta-llama/Llama-3.1-70B");
    const q = spec.tensors.find((t) => t.name.endsWith("layers.0.self_attn.q_proj.weight"))!;
    const k = spec.tensors.find((t) => t.name.endsWith("layers.0.self_attn.k_proj.weight"))!;
    const o = spec.tensors.find((t) => t.name.endsWith("layers.0.self_attn.o_proj.weight"))!;
    expect(vllmShardOf(spec, q, 2).shape).toEqual([4096, 8192]);
    expect(vllmShardOf(spec, k, 4).shape).toEqual([256, 8192]);
    // 8 KV heads over 16 ranks: every rank keeps one 128-wide head.
    expect(vllmShardOf(spec, k, 16).shape).toEqual([128, 8192]);
    expect(vllmShardOf(spec, o, 2).shape).toEqual([8192, 4096]);
  });

  it("gives the pipeline remainder to the stages before the last (get_pp_indices)", () => {
    expect(vllmLayersPerStage(36, 4)).toEqual([9, 9, 9, 9]);
    expect(vllmLayersPerStage(10, 4)).toEqual([2, 3, 3, 2]);
  });
});

describe("vLLM KV cache layout", () => {
  it("uses coefficient 2 for attention and 1 for MLA", () => {
    const qwen = vllmKvLayout(catalogModelSpec("Qwen/Qwen3-8B"), kvOptions);
    expect(qwen.groups).toHaveLength(1);
    expect(qwen.pageBytes).toBe(2 * 16 * 8 * 128 * 2);
    const ds = vllmKvLayout(catalogModelSpec("deepseek-ai/DeepSeek-V2-Lite"), kvOptions);
    expect(ds.pageBytes).toBe(16 * (512 + 64) * 2);
    expect(vllmKvLayout(catalogModelSpec("Qwen/Qwen3-8B"), { ...kvOptions, dtypeBytes: 1 }).pageBytes).toBe(
      qwen.pageBytes / 2,
    );
  });

  it("splits sliding-window and full layers into equal groups (Gemma 2: 21 + 21)", () => {
    const layout = vllmKvLayout(catalogModelSpec("google/gemma-2-9b-it"), kvOptions);
    expect(layout.groups.map((g) => [g.spec.kind, g.layers.length])).toEqual([
      ["sliding", 21],
      ["full", 21],
    ]);
    // 512 blocks for 8,192 tokens of full attention + the window's (4095 + 8192 → 512) + 1.
    expect(vllmBlocksPerRequest(layout, 8192, 8192)).toBe(1025);
    expect(vllmPageBytes(layout.groups[0]!.spec)).toBe(2 * 16 * 8 * 256 * 2);
  });
});

describe("vLLM start-up", () => {
  const qwen8 = {
    engine: "vllm",
    model: { id: "Qwen/Qwen3-8B" },
    contextLength: 8192,
    batch: 1024,
    hardware: { gpu: "H100-SXM-80GB", count: 1 },
    engineOptions: { gpuMemoryUtilization: 0.95, engineVersion: "0.19.0" },
  };

  it("reproduces a v0.19 H100 log (Qwen3-8B: 15.27 / 2.21 / 0.25 GiB, 418,688 tokens, 51.11x)", () => {
    const s = vllmStartup(inputOf(qwen8), 8192, 1024);
    const st = s.stages[0]!;
    expect(st.weightsBytes / GIB).toBeCloseTo(15.27, 1);
    expect(st.activationPeakBytes / GIB).toBeCloseTo(2.21, 1);
    expect(st.nonTorchBytes / GIB).toBeCloseTo(0.25, 2);
    expect(Math.abs(s.kvCacheTokens - 418688) / 418688).toBeLessThan(0.005);
    expect(s.maxConcurrency).toBeCloseTo(51.11, 0);
    expect(s.refusal).toBeNull();
  });

  it("takes the CUDA graph estimate out of the KV budget from v0.21", () => {
    const v19 = vllmStartup(inputOf(qwen8), 8192, 1024);
    const v21 = vllmStartup(
      inputOf({ ...qwen8, engineOptions: { gpuMemoryUtilization: 0.95, engineVersion: "0.21.0" } }),
      8192,
      1024,
    );
    const cg = v21.stages[0]!.cudaGraphBytes;
    expect(cg).toBeGreaterThan(0);
    expect(
      Math.abs(v19.stages[0]!.availableKvBytes - v21.stages[0]!.availableKvBytes - cg),
    ).toBeLessThanOrEqual(1);
    expect(vllmBehaviour("0.15.0").samplerBytesPerLogit).toBeGreaterThan(
      vllmBehaviour("0.17.0").samplerBytesPerLogit,
    );
    expect(vllmBehaviour("v0").engine).toBe("v0");
  });

  it("answers fits / max context / concurrency from the pool it allocates", () => {
    const e = estimate(qwen8);
    expect(e.fits).toBe(true);
    expect(e.maxConcurrentSequences).toBe(Math.floor(e.engine.maxConcurrency as number));
    // The pool holds far more than 40,960 tokens, so the model's max_position_embeddings caps it.
    expect(e.maxContextLength).toBe(40960);
    expect(e.devices[0]!.bytes.kvCache).toBeGreaterThan(55 * GIB);
  });

  it("does not fit when the weights exceed gpu_memory_utilization × memory", () => {
    const e = estimate({
      model: { id: "meta-llama/Llama-3.1-70B" },
      engine: "vllm",
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
    });
    expect(e.fits).toBe(false);
    expect(e.maxConcurrentSequences).toBe(0);
    expect(e.notes.join(" ")).toMatch(/would not start/);
  });

  it("does not fit when one max_model_len request needs more KV than the pool", () => {
    const e = estimate({
      model: { id: "Qwen/Qwen2.5-7B" },
      engine: "vllm",
      contextLength: 32768,
      hardware: { memoryBytes: 18 * GIB, count: 1 },
    });
    expect(e.fits).toBe(false);
    expect(e.maxContextLength).toBeGreaterThan(0);
    expect(e.maxContextLength).toBeLessThan(32768);
  });

  it("rejects KV dtypes vLLM does not have", () => {
    expect(() => estimate({ model: { id: "Qwen/Qwen3-8B" }, engine: "vllm", kvCache: "q8_0" })).toThrow(
      /kv-cache-dtype/,
    );
  });

  it("halves the KV page with fp8 and roughly doubles the tokens", () => {
    const bf16 = estimate(qwen8);
    const fp8 = estimate({ ...qwen8, kvCache: "fp8" });
    const ratio = (fp8.engine.kvCacheTokens as number) / (bf16.engine.kvCacheTokens as number);
    expect(ratio).toBeGreaterThan(1.99);
    expect(ratio).toBeLessThan(2.01);
  });
});

describe("SGLang", () => {
  it("derives mem_fraction_static from the GPU memory (server_args.py)", () => {
    // H100 80GB as nvidia-smi reports it: 81,559 MiB; chunked prefill 8192, cuda graph bs 256.
    expect(sglangDefaults(81559, 1, 1)).toEqual({
      chunkedPrefillSize: 8192,
      cudaGraphMaxBs: 256,
      memFractionStatic: 0.835,
    });
    expect(sglangDefaults(24 * 1024, 1, 1).chunkedPrefillSize).toBe(2048);
  });

  it("sizes the token pool from the static fraction and the per-token cell", () => {
    const input = inputOf({
      engine: "sglang",
      model: { id: "deepseek-ai/DeepSeek-V2-Lite" },
      hardware: { gpu: "H100-SXM-80GB", count: 1 },
      engineOptions: { memFractionStatic: 0.85 },
    });
    const s = sglangStartup(input);
    // MLA: (kv_lora_rank + qk_rope_head_dim) × layers × 2 bytes.
    expect(s.cellBytes).toBe((512 + 64) * 27 * 2);
    expect(s.maxTotalNumTokens).toBe(Math.floor((s.freeAtStartBytes * 0.85 - s.weightsBytes) / s.cellBytes));
    const e = estimate({ ...input.scenario, model: { id: "deepseek-ai/DeepSeek-V2-Lite" } });
    expect(e.engine.maxTotalNumTokens).toBe(s.maxTotalNumTokens);
    expect(e.fits).toBe(true);
  });
});

describe("vLLM quantized layouts", () => {
  it("pads gpt-oss MXFP4 experts to the kernel's multiples (hidden 2880 → 3072)", () => {
    const spec = catalogModelSpec("openai/gpt-oss-20b");
    const plain = estimateWeightsTotal(spec, "mxfp4");
    const loaded = vllmRankWeights(spec, parseWeightFormat("mxfp4", spec), 1, 1).parameterBytes[0]!;
    expect(loaded / plain).toBeGreaterThan(1.05);
    expect(loaded / plain).toBeLessThan(1.12);
  });

  it("drops symmetric GPTQ zero points after the Marlin repack", () => {
    const spec = catalogModelSpec("meta-llama/Llama-3.1-8B");
    const plain = estimateWeightsTotal(spec, "gptq");
    const loaded = vllmRankWeights(spec, parseWeightFormat("gptq", spec), 1, 1).parameterBytes[0]!;
    expect(loaded).toBeLessThan(plain);
    expect(plain - loaded).toBeLessThan(plain * 0.01);
  });
});
