import { describe, expect, it } from "vitest";
import { catalogModelSpec } from "../../../catalog/models.js";
import { parseScenario } from "../../../scenario/scenario.js";
import { GIB } from "../../../units/units.js";
import { resolveEngineInput } from "../../estimate.js";
import type { EngineInput } from "../../estimate-types.js";
import { sglangDefaults, sglangStartup, sglangUsesTpTiers } from "../sglang/startup.js";
import { vllmBehaviour } from "./behaviour.js";
import { defaultMaxNumSeqs, ncclUsesNvls, vllmKvDtype, vllmStartup } from "./startup.js";
import { vllmRankWeights } from "./weights.js";

function inputOf(raw: Record<string, unknown>): EngineInput {
  const scenario = parseScenario({ engine: "vllm", ...raw });
  const m = scenario.model as { id: string };
  return resolveEngineInput(scenario, catalogModelSpec(m.id));
}

describe("vLLM version families (engineOptions.engineVersion)", () => {
  it("sorts versions into v0 (< 0.8), 0.8-0.11 and 0.12+", () => {
    expect(vllmBehaviour("0.6.4").family).toBe("v0");
    expect(vllmBehaviour("v0").family).toBe("v0");
    expect(vllmBehaviour("0.8.0").family).toBe("0.8-0.11");
    expect(vllmBehaviour("0.11.2").family).toBe("0.8-0.11");
    expect(vllmBehaviour("0.12.0").family).toBe("0.12+");
    expect(vllmBehaviour(undefined).family).toBe("0.12+");
  });

  it("V0's sampler sorts logits like V1 before 0.17 (the same top-k/top-p sort)", () => {
    expect(vllmBehaviour("0.7.3").samplerBytesPerLogit).toBe(vllmBehaviour("0.15.0").samplerBytesPerLogit);
  });

  it("V0's default max_num_seqs is SchedulerConfig's 256, whatever the batch-token tier", () => {
    expect(defaultMaxNumSeqs(8192, "v0")).toBe(256);
    expect(defaultMaxNumSeqs(8192, "v1")).toBe(1024);
    expect(defaultMaxNumSeqs(2048)).toBe(256);
  });

  it("V0's profile sampler over 256 sequences x the whole vocabulary sets a short-context peak", () => {
    const base = { model: { id: "Qwen/Qwen3-4B" }, hardware: { gpu: "RTX-4090" }, contextLength: 2048 };
    const input = inputOf({ ...base, engineOptions: { engineVersion: "0.6.4" } });
    const s = vllmStartup(input, 2048, 256);
    // 44 MiB first-forward workspaces + 256 rows x vocab x (2 B fp16/bf16 logits + 38 B sort path).
    const vocab = input.spec.vocabSize;
    expect(s.stages[0]!.activationPeakBytes).toBe(Math.ceil(44 * 2 ** 20 + 256 * vocab * 40));
  });
});

describe("vLLM KV dtype auto follows the model dtype (get_kv_cache_torch_dtype)", () => {
  it("keeps a float32 model's KV cache at 4 bytes", () => {
    const fp32 = inputOf({ model: { id: "Qwen/Qwen3-0.6B" }, weights: "fp32", hardware: { gpu: "L4-24GB" } });
    const bf16 = inputOf({ model: { id: "Qwen/Qwen3-0.6B" }, hardware: { gpu: "L4-24GB" } });
    expect(vllmKvDtype(fp32)).toBe("fp32");
    expect(vllmKvDtype(bf16)).toBe("bf16");
    const p32 = vllmStartup(fp32, 8192, 1).layout.pageBytes;
    const p16 = vllmStartup(bf16, 8192, 1).layout.pageBytes;
    expect(p32).toBe(2 * p16);
  });
});

describe("vLLM multi-GPU non-torch memory (NCCL NVLS buffers)", () => {
  it("adds the NVLS term only on NVLink 4+ GPUs", () => {
    expect(ncclUsesNvls(resolveH("H100-SXM-80GB"))).toBe(true);
    expect(ncclUsesNvls(resolveH("A100-80GB"))).toBe(false);
    expect(ncclUsesNvls(resolveH("L40S-48GB"))).toBe(false);
  });

  it("TP2 on H100 SXM: 0.25 + 1.85 GiB (v0.19 logs 2.07-2.21); on L40S the one-GPU 0.25 GiB", () => {
    const run = (gpu: string) =>
      vllmStartup(
        inputOf({
          model: { id: "Qwen/Qwen3-8B" },
          hardware: { gpu, count: 2 },
          parallel: { tensor: 2 },
          engineOptions: { engineVersion: "0.19.0" },
        }),
        8192,
        256,
      ).stages[0]!.nonTorchBytes;
    expect(run("H100-SXM-80GB") / GIB).toBeCloseTo(2.1, 2);
    expect(run("L40S-48GB") / GIB).toBeCloseTo(0.25, 2);
  });

  it("up to 0.11 NCCL is set up before the init snapshot: no NVLS term, the family's 0.13 GiB", () => {
    const nonTorch = vllmStartup(
      inputOf({
        model: { id: "Qwen/Qwen3-8B" },
        hardware: { gpu: "H100-SXM-80GB", count: 2 },
        parallel: { tensor: 2 },
        engineOptions: { engineVersion: "0.11.0" },
      }),
      8192,
      256,
    ).stages[0]!.nonTorchBytes;
    expect(nonTorch / GIB).toBeCloseTo(0.13, 2);
  });

  it("pipeline stages alone pay no NVLS term (PP2/PP4 H100 v0.19 logs: 0.07 GiB)", () => {
    const nonTorch = vllmStartup(
      inputOf({
        model: { id: "Qwen/Qwen3-8B" },
        hardware: { gpu: "H100-SXM-80GB", count: 2 },
        parallel: { pipeline: 2 },
        engineOptions: { engineVersion: "0.19.0" },
      }),
      8192,
      256,
    ).stages[0]!.nonTorchBytes;
    expect(nonTorch / GIB).toBeCloseTo(0.25, 2);
  });
});

function resolveH(gpu: string) {
  return inputOf({ model: { id: "Qwen/Qwen3-8B" }, hardware: { gpu } }).gpu;
}

describe("SGLang defaults by version (engineOptions.engineVersion)", () => {
  const sg = (engineOptions: Record<string, unknown>, tp = 1) =>
    sglangStartup(
      inputOf({
        engine: "sglang",
        model: { id: "Qwen/Qwen3-8B" },
        hardware: { gpu: "H100-SXM-80GB", count: tp },
        parallel: { tensor: tp },
        engineOptions,
      }),
    );

  it("releases before PR #10975 take mem_fraction_static from the tensor-parallel size", () => {
    expect(sglangUsesTpTiers("0.4.6")).toBe(true);
    expect(sglangUsesTpTiers("0.5.3")).toBe(false);
    expect(sglangUsesTpTiers(undefined)).toBe(false);
    expect(sg({ engineVersion: "0.4.6" }, 4).memFractionStatic).toBe(0.85);
    expect(sg({ engineVersion: "0.4.6" }, 1).memFractionStatic).toBe(0.88);
    expect(sg({ engineVersion: "0.4.6" }, 8).memFractionStatic).toBe(0.81);
  });

  it("the current rule: (memory - reserved) / memory with at least 10 GiB reserved above 60 GiB", () => {
    // H100: 79.19 GiB = 81,090.56 MiB visible; reserved = max(512 + 8192 x 1.5 + 256 x 2 + 1/8 x 1024, 10,240) = 13,440 MiB.
    const mib = 79.19 * 1024;
    expect(sglangDefaults(mib, 1, 1).memFractionStatic).toBe(Math.round(((mib - 13440) / mib) * 1000) / 1000);
    expect(sg({}).memFractionStatic).toBe(sglangDefaults(mib, 1, 1).memFractionStatic);
  });

  it("mem_fraction_static scales the memory free at start, not the card's size", () => {
    const s = sg({ memFractionStatic: 0.8 });
    expect(s.kSizeBytes + s.vSizeBytes).toBeLessThanOrEqual(
      (s.freeAtStartBytes * 0.8 - s.weightsBytes) * (1 + 1 / s.maxTotalNumTokens),
    );
  });

  it("names the field when the version is not a version", () => {
    expect(() => sg({ engineVersion: "latest" })).toThrow(/engineOptions.engineVersion/);
  });
});

describe("SGLang on DeepSeek sparse attention (DeepSeek-V3.2)", () => {
  const run = (gpu: string) =>
    sglangStartup(
      inputOf({
        engine: "sglang",
        model: { id: "deepseek-ai/DeepSeek-V3.2" },
        hardware: { gpu, count: 8 },
        parallel: { tensor: 8 },
      }),
    );

  it("auto KV is fp8_e4m3 on Blackwell and bfloat16 before; the indexer key rides on every cell", () => {
    const spec = inputOf({ model: { id: "deepseek-ai/DeepSeek-V3.2" } }).spec;
    const mla = spec.layers.find((l) => l.mixer.kind === "mla")!.mixer;
    if (mla.kind !== "mla") throw new Error("MLA expected");
    const layers = spec.layers.filter((l) => l.mixer.kind === "mla").length;
    // index_head_dim 128 fp8 + one fp32 scale per 128 values: 132 B per layer.
    const indexer = (mla.indexerHeadDim ?? 0) + Math.floor((mla.indexerHeadDim ?? 0) / 128) * 4;
    expect(indexer).toBe(132);
    expect(run("B200-180GB").cellBytes).toBe((mla.kvLoraRank + mla.qkRopeHeadDim + indexer) * layers);
    expect(run("H200-141GB").cellBytes).toBe(((mla.kvLoraRank + mla.qkRopeHeadDim) * 2 + indexer) * layers);
  });

  it("DP attention keeps the whole attention weights on every rank", () => {
    const input = inputOf({ model: { id: "deepseek-ai/DeepSeek-V3.2" } });
    const split = vllmRankWeights(input.spec, input.format, 8, 1).parameterBytes[0]!;
    const dp = vllmRankWeights(input.spec, input.format, 8, 1, 1).parameterBytes[0]!;
    expect(dp).toBeGreaterThan(split);
    expect(run("H200-141GB").weightsBytes).toBe(
      vllmRankWeights(input.spec, input.format, 8, 1, 1).loadedBytes[0],
    );
  });
});
