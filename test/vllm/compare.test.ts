/**
 * `memlens compare` on vLLM logs: every public vLLM record's verbatim log lines are parsed, the
 * scenario is rebuilt (what the lines leave out comes from the record's settings), and the figures
 * are lined up with the vLLM engine's. Records whose "verbatim" is not log text (parsed JSON
 * summaries) are skipped.
 */
import { describe, expect, it } from "vitest";
import { compareVllm, parseVllmLog, vllmComparer } from "../../packages/cli/src/compare/vllm.js";
import { catalogModelSpec, findModelRow } from "../../packages/core/src/catalog/models.js";
import { REBUILD, UNMODELLED, VLLM_RECORDS } from "./records.js";

const logs = VLLM_RECORDS.filter(
  (r) => r.engine === "vllm" && vllmComparer.detect(r.verbatim) && findModelRow(REBUILD[r.id]?.model ?? ""),
);

describe("parseVllmLog", () => {
  it("reads the v1 start-up lines", () => {
    const log = parseVllmLog([
      "INFO 04-22 00:46:45 [v1/worker/gpu_model_runner.py:4820] Model loading took 29.43 GiB memory and 28.446389 seconds",
      "DEBUG 04-22 00:47:07 [v1/worker/gpu_worker.py:435] Memory profiling takes 22.62 seconds. Total non KV cache memory: 31.62GiB; torch peak memory increase: 1.93GiB; non-torch forward increase memory: 0.26GiB; weights memory: 29.43GiB.",
      "INFO 04-22 00:47:07 [v1/worker/gpu_worker.py:436] Available KV cache memory: 43.61 GiB",
      "INFO 04-22 00:47:07 [v1/core/kv_cache_utils.py:1319] GPU KV cache size: 1,505,552 tokens",
      "INFO 04-22 00:47:07 [v1/core/kv_cache_utils.py:1324] Maximum concurrency for 8,192 tokens per request: 183.78x",
      "INFO 04-22 00:47:07 [v1/worker/gpu_model_runner.py:5955] Estimated CUDA graph memory: 1.39 GiB total",
      "INFO 04-22 00:47:19 [v1/worker/gpu_model_runner.py:6046] Graph capturing finished in 12 secs, took 1.57 GiB",
      "INFO 04-22 00:46:00 [api_server.py:1] vLLM API server version 0.19.0",
      "INFO 04-22 00:46:01 [utils.py:1] non-default args: {'model_tag': 'deepseek-ai/DeepSeek-V2-Lite-Chat', 'model': 'deepseek-ai/DeepSeek-V2-Lite-Chat', 'max_model_len': 8192, 'gpu_memory_utilization': 0.95, 'tensor_parallel_size': 2}",
    ]);
    expect(log.engine).toBe("v1");
    expect(log.version).toBe("0.19.0");
    expect(log.model).toBe("deepseek-ai/DeepSeek-V2-Lite-Chat");
    expect(log.settings).toMatchObject({ maxModelLen: 8192, gpuMemoryUtilization: 0.95, tensorParallel: 2 });
    expect(log.figures.kvTokens?.value).toBe(1505552);
    expect(log.figures.maxConcurrency).toMatchObject({ value: 183.78, tokensPerRequest: 8192 });
    expect(log.figures.activationPeak?.value).toBe(Math.round(1.93 * 2 ** 30));
    expect(log.figures.cudaGraphActual?.value).toBe(Math.round(1.57 * 2 ** 30));
  });

  it("reads the V0 worker summary", () => {
    const log = parseVllmLog([
      "INFO 05-21 18:17:01 [model_runner.py:1146] Model loading took 7.5552 GiB and 30.643008 seconds",
      "the current vLLM instance can use total_gpu_memory (12.00GiB) x gpu_memory_utilization (0.95) = 11.40GiB",
      "model weights take 7.56GiB; non_torch_memory takes 0.04GiB; PyTorch activation peak memory takes 0.74GiB; the rest of the memory reserved for KV Cache is 3.06GiB.",
      "# cuda blocks: 1394, # CPU blocks: 1820",
      "Maximum concurrency for 10000 tokens per request: 2.23x",
    ]);
    expect(log.engine).toBe("v0");
    expect(log.figures.totalMemory?.value).toBe(Math.round(12 * 2 ** 30));
    expect(log.settings.gpuMemoryUtilization).toBe(0.95);
    expect(log.figures.gpuBlocks?.value).toBe(1394);
    expect(log.figures.availableKv?.value).toBe(Math.round(3.06 * 2 ** 30));
    expect(log.settings.maxModelLen).toBe(10000);
  });

  it("reads vLLM's engine config line", () => {
    const log = parseVllmLog([
      "INFO 01-01 00:00:00 [core.py:1] Initializing a V1 LLM engine (v0.10.1) with config: model='Qwen/Qwen3-8B', speculative_config=None, tokenizer='Qwen/Qwen3-8B', dtype=torch.bfloat16, max_seq_len=32768, tensor_parallel_size=2, pipeline_parallel_size=1, quantization=fp8, enforce_eager=False, kv_cache_dtype=fp8",
    ]);
    expect(log).toMatchObject({ engine: "v1", version: "0.10.1", model: "Qwen/Qwen3-8B" });
    expect(log.settings).toMatchObject({
      dtype: "bfloat16",
      maxModelLen: 32768,
      tensorParallel: 2,
      pipelineParallel: 1,
      quantization: "fp8",
      enforceEager: false,
      kvCacheDtype: "fp8",
    });
  });
});

describe.skipIf(logs.length === 0)("memlens compare on the public vLLM logs", () => {
  it.each(logs.map((r) => [r.id, r] as const))("%s", (_id, r) => {
    const rb = REBUILD[r.id]!;
    const report = compareVllm(r.verbatim, {
      modelSpec: catalogModelSpec(rb.model),
      modelSource: rb.model,
      overrides: {
        contextLength: rb.contextLength,
        batch: rb.batch,
        ...(rb.weights ? { weights: rb.weights } : {}),
        parallel: { tensor: rb.tp ?? 1 },
        ...("gpu" in rb.hardware ? { hardware: rb.hardware } : {}),
        engineOptions: {
          ...(rb.gmu !== undefined ? { gpuMemoryUtilization: rb.gmu } : {}),
          ...(rb.version !== undefined ? { engineVersion: rb.version } : {}),
        },
      },
    });
    expect(report.engine).toBe("vllm");
    expect(report.rows.length).toBeGreaterThan(0);
    for (const row of report.rows) expect(r.verbatim).toContain(row.line);
    const tokens = report.rows.find(
      (x) => x.quantity.startsWith("GPU KV cache size") || x.quantity === "GPU blocks",
    );
    if (tokens?.error !== null && tokens?.error !== undefined && !UNMODELLED[r.id])
      expect(Math.abs(tokens.error)).toBeLessThan(0.05);
    const weights = report.rows.find((x) => x.quantity.startsWith("weights"));
    if (weights?.error !== null && weights?.error !== undefined)
      expect(Math.abs(weights.error)).toBeLessThan(0.02);
  });
});
