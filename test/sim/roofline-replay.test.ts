/**
 * Out-of-sample checks of the serving simulator and the vLLM start-up estimate on the two GPUs of
 * LLMServingSim's published vLLM runs (data/SOURCES.md):
 *
 * 1. Both recorded vLLM 0.19.0 runs of the same 300-request ShareGPT workload (RTX 4090, KV-bound;
 *    RTX PRO 6000 Blackwell, compute-bound) replayed by `memlens simulate` with nothing but the
 *    datasheet roofline: no calibration file, no block count from the run. The step time is core's
 *    `modelStep` over the catalog GPU's bandwidth and FLOP/s at core's default efficiencies.
 * 2. The KV pool that core's vLLM start-up estimate gives for the later vLLM 0.28.0 runs on the RTX
 *    PRO 6000, against the num_gpu_blocks those runs recorded.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runMain } from "../../packages/cli/src/testing/run-main.js";
import { estimate } from "../../packages/core/src/estimate/estimate.js";
import { summarize } from "../../packages/core/src/sim/metrics.js";
import { parseMeasuredRequests } from "../../packages/core/src/sim/trace-parsers.js";

const here = dirname(fileURLToPath(import.meta.url));
const runs = join(here, "../../../shared/fixtures/traces/vllm-runs");
const workload = join(runs, "workloads/sharegpt-llama-3.1-8b-300-sps10.jsonl");

async function simulate(argv: string[], trace = workload) {
  const { code, out, err } = await runMain(["simulate", ...argv, "--workload", trace, "--json"]);
  expect(err).toBe("");
  expect(code).toBe(0);
  return JSON.parse(out) as {
    metrics: {
      ttftSeconds: { p50: number; mean: number };
      tpotSeconds: { p50: number; mean: number };
      e2eSeconds: { p50: number; mean: number };
      completedRequests: number;
      preemptions: number;
    };
  };
}

interface Run {
  readonly name: string;
  readonly gpu: string;
  readonly requests: string;
  /** engine_kwargs of the run's meta.json (max_model_len null: the model's 131,072). */
  readonly flags: readonly string[];
}

const RUNS: readonly Run[] = [
  {
    name: "RTX 4090, vLLM 0.19.0 (KV-bound: the pool saturates, vLLM preempts)",
    gpu: "RTX-4090",
    requests: join(runs, "RTX4090/Llama-3.1-8B/vllm/requests.jsonl"),
    flags: ["--max-num-seqs", "256", "--max-model-len", "32768", "--gpu-memory-utilization", "0.9"],
  },
  {
    // The run's card is the Server Edition; the catalog's RTX PRO 6000 row is the Workstation
    // Edition, whose memory system (512-bit GDDR7 at 28 Gbps, 1,792 GB/s) the variants share
    // according to the catalog's source. LLMServingSim's own config for this card says 1,597 GB/s
    // without a source; no NVIDIA datasheet stating it was found, so the catalog row stands.
    name: "RTX PRO 6000 Blackwell, vLLM 0.19.0 (compute-bound prefill, pool never full)",
    gpu: "RTX-PRO-6000",
    requests: join(here, "data/rtxpro6000-llama-3.1-8b-vllm-0.19/requests.jsonl"),
    flags: ["--max-num-seqs", "128", "--max-model-len", "131072", "--gpu-memory-utilization", "0.9"],
  },
];

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

describe("the datasheet roofline replays both recorded vLLM runs", () => {
  const rows: string[] = [];
  for (const run of RUNS)
    it(`${run.name}: median TTFT, TPOT and E2E within 15% (the issue-9 bound) with no calibration`, async () => {
      const measured = parseMeasuredRequests(readFileSync(run.requests, "utf8"));
      expect(measured.length).toBe(300);
      const m = (
        await simulate([
          "--model",
          "meta-llama/Llama-3.1-8B",
          "--gpu",
          run.gpu,
          "--engine-version",
          "0.19.0",
          "--max-num-batched-tokens",
          "2048",
          "--enable-prefix-caching",
          ...run.flags,
        ])
      ).metrics;
      expect(m.completedRequests).toBe(300);
      const ttft = summarize(measured.map((r) => r.ttftSeconds));
      const tpot = summarize(measured.map((r) => r.tpotSeconds));
      const e2e = summarize(measured.map((r) => r.e2eSeconds));
      const err = {
        ttft: m.ttftSeconds.p50 / ttft.p50 - 1,
        tpot: m.tpotSeconds.p50 / tpot.p50 - 1,
        e2e: m.e2eSeconds.p50 / e2e.p50 - 1,
      };
      expect(Math.abs(err.ttft)).toBeLessThan(0.15);
      expect(Math.abs(err.tpot)).toBeLessThan(0.15);
      expect(Math.abs(err.e2e)).toBeLessThan(0.15);
      rows.push(
        `| ${run.gpu} | ${ttft.p50.toFixed(2)} s / ${m.ttftSeconds.p50.toFixed(2)} s (${pct(err.ttft)}) | ${(tpot.p50 * 1e3).toFixed(1)} ms / ${(m.tpotSeconds.p50 * 1e3).toFixed(1)} ms (${pct(err.tpot)}) | ${e2e.p50.toFixed(1)} s / ${m.e2eSeconds.p50.toFixed(1)} s (${pct(err.e2e)}) | ${m.preemptions} |`,
      );
    });

  it("the README table (measured / simulated medians)", () => {
    expect(rows.join("\n")).toMatchInlineSnapshot(`
      "| RTX-4090 | 60.11 s / 58.65 s (-2.4%) | 30.8 ms / 31.1 ms (+1.2%) | 83.4 s / 78.4 s (-6.0%) | 200 |
      | RTX-PRO-6000 | 9.44 s / 8.61 s (-8.8%) | 33.4 ms / 30.7 ms (-8.2%) | 29.6 s / 26.7 s (-10.0%) | 0 |"
    `);
  });
});

describe("tensor parallelism over PCIe: the remaining gap", () => {
  // Qwen3-32B on two RTX PRO 6000 Blackwell (no NVLink) with TP2, vLLM 0.19.0, its own 300-request
  // ShareGPT workload. Without communication core's step was about 36% fast here (-37.3%, -36.3%,
  // -36.1%). perf/communication.ts now charges two all-reduces per layer by NCCL's own cost model
  // over the catalog's PCIe 5.0 x16 link, nothing fitted to this run: 21-26% short. What is left is
  // not modelled: no per-step scheduling overhead (none sourced for vLLM 0.19), no loss of GEMM
  // efficiency at half width, vLLM's custom all-reduce instead of NCCL for small messages.
  it("median TTFT, TPOT and E2E come out 15–30% short", async () => {
    const dir = join(here, "data/rtxpro6000-qwen3-32b-tp2-vllm-0.19");
    const measured = parseMeasuredRequests(readFileSync(join(dir, "requests.jsonl"), "utf8"));
    const m = (
      await simulate(
        [
          "--model",
          "Qwen/Qwen3-32B",
          "--gpu",
          "RTX-PRO-6000",
          "--tp",
          "2",
          "--engine-version",
          "0.19.0",
          "--max-num-seqs",
          "128",
          "--max-num-batched-tokens",
          "2048",
          "--max-model-len",
          "40960",
        ],
        join(dir, "sharegpt-qwen3-32b-300-sps10.jsonl"),
      )
    ).metrics;
    expect(m.completedRequests).toBe(300);
    const errs = [
      m.ttftSeconds.p50 / summarize(measured.map((r) => r.ttftSeconds)).p50 - 1,
      m.tpotSeconds.p50 / summarize(measured.map((r) => r.tpotSeconds)).p50 - 1,
      m.e2eSeconds.p50 / summarize(measured.map((r) => r.e2eSeconds)).p50 - 1,
    ];
    expect(errs.map(pct)).toMatchInlineSnapshot(`
      [
        "-20.8%",
        "-25.5%",
        "-22.4%",
      ]
    `);
    for (const e of errs) {
      expect(e).toBeLessThan(-0.15);
      expect(e).toBeGreaterThan(-0.3);
    }
  });
});

/**
 * Start-up figures of LLMServingSim's later RTX PRO 6000 runs (vLLM 0.28.0, meta.json `kv_cache`
 * and `hardware`; commits in data/SOURCES.md). vLLM 0.28 is newer than the start-up rules memlens
 * models in detail (0.21); the errors are stated, not tuned away.
 */
const STARTUP_0_28 = [
  {
    model: "meta-llama/Llama-3.1-8B",
    tp: 1,
    maxModelLen: 131072, // resolved_config.model_config.max_model_len
    maxNumSeqs: 128,
    numGpuBlocks: 35913,
  },
  {
    // disable_custom_all_reduce: true in this run; memlens' multi-GPU non-torch term includes
    // the custom all-reduce buffers it then does not allocate.
    model: "Qwen/Qwen3-32B",
    tp: 2,
    maxModelLen: 40960,
    maxNumSeqs: 128,
    numGpuBlocks: 28884,
  },
] as const;

describe("vLLM 0.28.0 start-up on the RTX PRO 6000 Blackwell Server Edition", () => {
  const errors = STARTUP_0_28.map((r) => {
    const e = estimate({
      model: { id: r.model },
      engine: "vllm",
      // device_total_memory_bytes of the runs' meta.json (torch's total_memory)
      hardware: { memoryBytes: 101976440832, count: r.tp },
      parallel: { tensor: r.tp },
      contextLength: r.maxModelLen,
      batch: r.maxNumSeqs,
      engineOptions: {
        engineVersion: "0.28.0",
        maxNumBatchedTokens: 2048,
        gpuMemoryUtilization: 0.92,
        blockSize: 16,
      },
    }).engine as { numGpuBlocks: number };
    return { ...r, estimated: e.numGpuBlocks, error: e.numGpuBlocks / r.numGpuBlocks - 1 };
  });

  it("KV blocks within 7% of what vLLM reported (TP1 +1.3%, TP2 without custom all-reduce −6.0%)", () => {
    for (const r of errors) expect(Math.abs(r.error), r.model).toBeLessThan(0.07);
    expect(
      errors.map(
        (r) => `${r.model} TP${r.tp}: ${r.numGpuBlocks} reported, ${r.estimated} estimated (${pct(r.error)})`,
      ),
    ).toMatchInlineSnapshot(`
        [
          "meta-llama/Llama-3.1-8B TP1: 35913 reported, 36367 estimated (+1.3%)",
          "Qwen/Qwen3-32B TP2: 28884 reported, 27139 estimated (-6.0%)",
        ]
      `);
  });
});
