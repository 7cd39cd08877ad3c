import { describe, expect, it } from "vitest";
import metaText from "../../../../../shared/fixtures/traces/vllm-runs/RTX4090/Llama-3.1-8B/vllm/meta.json?raw";
import measuredText from "../../../../../shared/fixtures/traces/vllm-runs/RTX4090/Llama-3.1-8B/vllm/requests.jsonl?raw";
import workloadText from "../../../../../shared/fixtures/traces/vllm-runs/workloads/sharegpt-llama-3.1-8b-300-sps10.jsonl?raw";
import { estimate } from "../estimate/estimate.js";
import attention from "./data/rtx4090-llama-3.1-8b-vllm-0.19/attention.csv?raw";
import dense from "./data/rtx4090-llama-3.1-8b-vllm-0.19/dense.csv?raw";
import perSequence from "./data/rtx4090-llama-3.1-8b-vllm-0.19/per_sequence.csv?raw";
import { summarize } from "./metrics.js";
import {
  LLAMA_PROFILE_ARCHITECTURE,
  parseOperatorProfile,
  stepRecordsFromOperatorProfile,
} from "./operator-profile.js";
import { simulateServing } from "./simulate-serving.js";
import { fitLinearStepTime, linearStepTime } from "./step-time.js";
import { parseMeasuredRequests, parseTokenTrace } from "./trace-parsers.js";

/**
 * Replay of the recorded real vLLM 0.19.0 run (LLMServingSim bench, RTX 4090, Llama-3.1-8B, 300
 * multi-turn ShareGPT requests at ~10 req/s, KV-saturated) with its engine settings from meta.json.
 * Step times come from the calibration hook: linear coefficients fitted to an operator profile of
 * the same GPU, model and vLLM version measured separately (LLMServingSim profiler, 2026-08-17;
 * see data/rtx4090-llama-3.1-8b-vllm-0.19/SOURCES.md), not to this run.
 */
describe("replay of the recorded vLLM run (RTX 4090, Llama-3.1-8B)", () => {
  const meta = JSON.parse(metaText) as {
    engine_kwargs: {
      model: string;
      max_num_seqs: number;
      max_num_batched_tokens: number;
      max_model_len: number;
    };
    kv_cache: {
      num_gpu_blocks: number;
      block_size: number;
      enable_prefix_caching: boolean;
      gpu_memory_utilization: number;
    };
    resolved_config: {
      scheduler_config: {
        enable_chunked_prefill: boolean;
        long_prefill_token_threshold: number;
        scheduler_reserve_full_isl: boolean;
      };
    };
  };
  const sched = meta.resolved_config.scheduler_config;
  // The pool comes from core's vLLM start-up estimate for the run's settings, not from meta.json.
  const kw = meta.engine_kwargs;
  const startup = estimate({
    model: { id: kw.model },
    engine: "vllm",
    hardware: { gpu: "RTX-4090", count: 1 },
    contextLength: kw.max_model_len,
    batch: kw.max_num_seqs,
    engineOptions: {
      engineVersion: "0.19.0",
      maxNumBatchedTokens: kw.max_num_batched_tokens,
      gpuMemoryUtilization: meta.kv_cache.gpu_memory_utilization,
      blockSize: meta.kv_cache.block_size,
    },
  }).engine as { numGpuBlocks: number };
  const numGpuBlocks = startup.numGpuBlocks;
  const blockSize = meta.kv_cache.block_size;

  const profile = parseOperatorProfile({ dense, perSequence, attention });
  const records = stepRecordsFromOperatorProfile(profile, LLAMA_PROFILE_ARCHITECTURE, {
    maxBatchedTokens: meta.engine_kwargs.max_num_batched_tokens,
    maxKvTokens: numGpuBlocks * blockSize,
  });
  const fit = fitLinearStepTime(records);
  const measured = parseMeasuredRequests(measuredText);
  const ttft = summarize(measured.map((r) => r.ttftSeconds));
  const tpot = summarize(measured.map((r) => r.tpotSeconds));

  const replay = simulateServing({
    workload: parseTokenTrace(workloadText),
    stepTime: linearStepTime(fit.coefficients),
    maxModelLen: meta.engine_kwargs.max_model_len,
    maxNumSeqs: meta.engine_kwargs.max_num_seqs,
    maxNumBatchedTokens: meta.engine_kwargs.max_num_batched_tokens,
    enableChunkedPrefill: sched.enable_chunked_prefill,
    longPrefillTokenThreshold: sched.long_prefill_token_threshold,
    reserveFullIsl: sched.scheduler_reserve_full_isl,
    kvCache: { numGpuBlocks, blockSize, enablePrefixCaching: meta.kv_cache.enable_prefix_caching },
  }).metrics;

  it("sizes the pool like vLLM did: 2588 blocks of 16 tokens reported, core's estimate within 8%", () => {
    // Estimated 2775 blocks (+7.2%): 23.52 GiB × 0.9 − 16.09 GB weights − 0.54 GB profile peak
    // − 0.27 GB non-torch. The run's log is not in the fixture, so which term vLLM 0.19 saw larger
    // (the sampler's sort buffers, torch.compile scratch) cannot be pinned down; the gap is stated.
    expect(meta.kv_cache.num_gpu_blocks).toBe(2588);
    expect(Math.abs(numGpuBlocks / meta.kv_cache.num_gpu_blocks - 1)).toBeLessThan(0.08);
    expect(replay.kvCacheBlocks).toBe(numGpuBlocks);
    expect(replay.completedRequests).toBe(300);
  });

  it("fits the profile with a step of ~17 ms plus ~0.15 µs per KV token read", () => {
    expect(fit.method).toBe("staged");
    expect(fit.coefficients.a).toBeGreaterThan(0.015);
    expect(fit.coefficients.a).toBeLessThan(0.019);
    expect(fit.coefficients.d).toBeGreaterThan(1e-7);
    expect(fit.coefficients.d).toBeLessThan(2e-7);
  });

  it("median TTFT and TPOT within 15% of the measured run", () => {
    // Measured (validation/summary.txt): TTFT median 60.11 s, TPOT median 30.8 ms.
    expect(Math.abs(replay.ttftSeconds.p50 / ttft.p50 - 1)).toBeLessThan(0.15);
    expect(Math.abs(replay.tpotSeconds.p50 / tpot.p50 - 1)).toBeLessThan(0.15);
  });

  it("also lands the tails and the KV-saturated regime", () => {
    expect(Math.abs(replay.ttftSeconds.p90 / ttft.p90 - 1)).toBeLessThan(0.15);
    expect(Math.abs(replay.ttftSeconds.mean / ttft.mean - 1)).toBeLessThan(0.15);
    expect(replay.kvCacheUsage.mean).toBeGreaterThan(0.85); // timeseries.csv: kv_cache_pct ≈ 95–100 %
    expect(replay.preemptions).toBeGreaterThan(0);
    expect(replay.prefixCacheHitRate).toBeGreaterThan(0);
  });
});
