import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { estimate } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { runMain } from "../testing/run-main.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "memlens.js");
const sharegpt = join(
  here,
  "../../../../../shared/fixtures/traces/vllm-runs/workloads/sharegpt-llama-3.1-8b-300-sps10.jsonl",
);

const run = (argv: string[], stderrIsTty = false) => runMain(argv, { stderrIsTty });

/** `simulate` of Llama-3.1-8B on one RTX-4090 (max-model-len 8192) under a generated workload. */
function llama8On4090(requests: number, inputLen: number, outputLen: number, rate: number): string[] {
  const workload = { requests, "input-len": inputLen, "output-len": outputLen, rate };
  return [
    ...["simulate", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "RTX-4090", "--max-model-len", "8192"],
    ...Object.entries(workload).flatMap(([flag, v]) => [`--${flag}`, String(v)]),
  ];
}

const small = llama8On4090(40, 500, 50, 10);

describe("memlens simulate (built binary)", () => {
  it("replays the recorded ShareGPT workload with the pool from core's vLLM estimate", () => {
    const r = spawnSync(
      process.execPath,
      [
        bin,
        "simulate",
        "--model",
        "meta-llama/Llama-3.1-8B",
        "--gpu",
        "RTX-4090",
        "--engine-version",
        "0.19.0",
        "--max-model-len",
        "32768",
        "--max-num-seqs",
        "256",
        "--max-num-batched-tokens",
        "2048",
        "--workload",
        sharegpt,
        "--json",
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    const m = j.metrics;
    for (const k of ["throughputTokensPerSecond", "kvCacheBlocks", "prefixCacheHitRate", "preemptions"])
      expect(typeof m[k]).toBe("number");
    for (const k of ["ttftSeconds", "tpotSeconds", "e2eSeconds"])
      expect(Object.keys(m[k]).sort()).toEqual(["mean", "p50", "p90", "p99"]);
    expect(m.completedRequests).toBe(300);
    expect(j.workload.format).toBe("token-jsonl");
    // The same start-up estimate, computed here through core (vLLM 0.19.0 reported 2588 blocks).
    const startup = estimate({
      model: { id: "meta-llama/Llama-3.1-8B" },
      engine: "vllm",
      hardware: { gpu: "RTX-4090", count: 1 },
      parallel: { tensor: 1 },
      contextLength: 32768,
      batch: 256,
      engineOptions: {
        engineVersion: "0.19.0",
        maxNumBatchedTokens: 2048,
        gpuMemoryUtilization: 0.9,
        blockSize: 16,
      },
    }).engine as { numGpuBlocks: number };
    expect(m.kvCacheBlocks).toBe(startup.numGpuBlocks);
    expect(j.kvPool).toMatchObject({ source: "estimate", estimatedNumGpuBlocks: startup.numGpuBlocks });
  });

  it("exits 2 on an unknown --gpu, naming the flag and the catalog, without a stack trace", () => {
    const r = spawnSync(process.execPath, [bin, ...small.map((a) => (a === "RTX-4090" ? "GTX-9999" : a))], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--gpu");
    expect(r.stderr).toContain("RTX-4090");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("memlens simulate (in process)", () => {
  it("prints a table, and a progress bar on stderr only on a terminal", async () => {
    const tty = await run(small, true);
    expect(tty.code).toBe(0);
    expect(tty.out).toContain("TTFT");
    expect(tty.out).toContain("40 completed");
    expect(tty.err).toContain("simulating [");
    const pipe = await run(small, false);
    expect(pipe.err).toBe("");
    const json = await run([...small, "--json"], true);
    expect(json.err).toBe("");
    expect(JSON.parse(json.out).metrics.completedRequests).toBe(40);
  });

  it("--num-gpu-blocks overrides the estimate; same seed, same result", async () => {
    const a = JSON.parse((await run([...small, "--num-gpu-blocks", "600", "--json"])).out);
    expect(a.metrics.kvCacheBlocks).toBe(600);
    expect(a.kvPool.source).toBe("--num-gpu-blocks");
    const b = JSON.parse((await run([...small, "--num-gpu-blocks", "600", "--json"])).out);
    expect(b.metrics).toEqual(a.metrics);
  });

  it("--calibration swaps the roofline for fitted linear coefficients", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memlens-sim-"));
    const cal = join(dir, "cal.json");
    writeFileSync(cal, JSON.stringify({ a: 0.02, b: 1e-4, c: 5e-5, d: 2e-7 }));
    const r = JSON.parse((await run([...small, "--calibration", cal, "--json"])).out);
    expect(r.stepTime).toEqual({
      kind: "linear",
      coefficients: { a: 0.02, b: 1e-4, c: 5e-5, d: 2e-7 },
      source: cal,
    });
    // Every step costs at least a: 50 output tokens take ≥ 49 steps after the first.
    expect(r.metrics.tpotSeconds.p50).toBeGreaterThanOrEqual(0.02);
    writeFileSync(cal, JSON.stringify({ a: 0.02, b: "fast" }));
    const bad = await run([...small, "--calibration", cal, "--json"]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out).error.field).toBe("--calibration");
  });

  it("contiguous reservation holds fewer requests than paged blocks; the time series comes along", async () => {
    const paged = JSON.parse((await run([...small, "--json"])).out);
    const contiguous = JSON.parse((await run([...small, "--kv-manager", "contiguous", "--json"])).out);
    expect(contiguous.metrics.ttftSeconds.p50).toBeGreaterThan(paged.metrics.ttftSeconds.p50);
    const ts = paged.timeSeries;
    expect(ts.timeSeconds.length).toBeGreaterThan(1);
    expect(ts.kvCacheUsage).toHaveLength(ts.timeSeconds.length);
    expect(Math.max(...ts.running)).toBeLessThanOrEqual(256);
  });

  it("fp8 KV doubles the pool of 16-bit KV", async () => {
    const bf16 = JSON.parse((await run([...small, "--json"])).out);
    const fp8 = JSON.parse((await run([...small, "--kv-dtype", "fp8", "--json"])).out);
    expect(fp8.metrics.kvCacheBlocks / bf16.metrics.kvCacheBlocks).toBeCloseTo(2, 1);
  });

  it.each([
    [["--kv-dtype", "fp4"], "--kv-dtype", "kivi2"],
    [["--engine", "sglang"], "--engine", "static"],
    [["--tp", "0"], "--tp", "1"],
    [["--rate", "0"], "--rate", "above 0"],
    [["--workload", "/nonexistent/trace.csv"], "--workload", "cannot be combined with --requests"],
    [["--arrival", "bursty"], "--arrival", "poisson"],
  ])("bad input %j exits 2 naming %s", async (extra, field, hint) => {
    const argv = [...small, ...extra];
    const plain = await run(argv);
    expect(plain.code).toBe(2);
    expect(plain.err.trim().split("\n")).toHaveLength(1);
    expect(plain.err).toContain(hint);
    const js = await run([...argv, "--json"]);
    expect(js.code).toBe(2);
    expect(JSON.parse(js.out).error.field).toBe(field);
  });

  it("needs a readable workload in a known format", async () => {
    const base = ["simulate", "--model", "meta-llama/Llama-3.1-8B", "--gpu", "RTX-4090", "--json"];
    const none = await run(base);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.out).error.field).toBe("--workload");
    const missing = await run([...base, "--workload", "/nonexistent/trace.csv"]);
    expect(JSON.parse(missing.out).error.message).toContain("no such file");
    const unknown = await run([...base, "--workload", fileURLToPath(import.meta.url)]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.out).error).toMatchObject({ field: "--format" });
    expect(JSON.parse(unknown.out).error.message).toContain("azure-csv");
  });
});

/** The built binary, asynchronously (so its runs can overlap). */
function memlens(
  argv: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...argv], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// 200 × (2048 + 256) tokens at 20 req/s overfill the RTX-4090's ~2,350-block pool: vLLM preempts.
const loaded = llama8On4090(200, 2048, 256, 20);

// biome-ignore lint/suspicious/noExplicitAny: parsed --json output
async function loadedJson(extra: readonly string[]): Promise<any> {
  const r = await memlens([...loaded, ...extra, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// biome-ignore lint/suspicious/noExplicitAny: parsed --json output
let noneRun: Promise<any> | undefined;
const loadedNone = () => {
  noneRun ??= loadedJson([]);
  return noneRun;
};

describe.concurrent("memlens simulate: KV eviction and disaggregation (built binary)", () => {
  // core simulate-serving.test.ts: StreamingLLM and H2O keep fewer blocks per sequence, so more
  // requests run at once and throughput rises; here the full-KV run also preempts, the evicting one less.
  it.each([
    [
      ["--kv-eviction", "streaming-llm", "--kv-window-tokens", "508"],
      { kind: "streaming-llm", windowTokens: 508 },
    ],
    [["--kv-eviction", "h2o", "--kv-budget-tokens", "512"], { kind: "h2o", budgetTokens: 512 }],
  ])(
    "%j holds fewer tokens per request than none: more running, fewer preemptions",
    async (extra, policy) => {
      const [none, evicting] = await Promise.all([loadedNone(), loadedJson(extra)]);
      expect(none.scenario.kvEviction).toEqual({ kind: "none" });
      expect(evicting.scenario.kvEviction).toEqual(policy);
      expect(evicting.scenario.enablePrefixCaching).toBe(false);
      expect(none.metrics.preemptions).toBeGreaterThan(0);
      expect(evicting.metrics.preemptions).toBeLessThan(none.metrics.preemptions);
      expect(meanOf(evicting.timeSeries.running)).toBeGreaterThan(meanOf(none.timeSeries.running));
      expect(evicting.metrics.throughputTokensPerSecond).toBeGreaterThan(
        none.metrics.throughputTokensPerSecond,
      );
      expect(evicting.metrics.completedRequests).toBe(200);
    },
  );

  it("prints the policy and the KIVI residual window in the header", async () => {
    const r = await memlens([
      ...loaded,
      "--kv-eviction",
      "streaming-llm",
      "--kv-sink-tokens",
      "8",
      "--kv-window-tokens",
      "504",
      "--kv-dtype",
      "kivi2",
      "--kivi-residual-tokens",
      "64",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("eviction   StreamingLLM: 8 sink + 504 recent tokens kept");
    expect(r.stdout).toContain("KV kivi2 (groups of 32, last 64 tokens at 16 bits), prefix caching off");
    expect(r.stdout).toContain("200 completed");
  });

  it("--disaggregate runs a prefill and a decode engine and completes every request", async () => {
    const j = await loadedJson([
      "--disaggregate",
      "--transfer-bytes-per-second",
      "25e9",
      "--transfer-latency-seconds",
      "0.002",
    ]);
    expect(j.metrics.completedRequests).toBe(200);
    expect(j.metrics.rejectedRequests).toBe(0);
    expect(j.scenario.disaggregation).toEqual({
      prefillGpus: 1,
      decodeGpus: 1,
      transferBytesPerSecond: 25e9,
      transferLatencySeconds: 0.002,
    });
    // Two pools of the estimated size, one per engine.
    expect(j.metrics.kvCacheBlocks).toBe(2 * j.kvPool.numGpuBlocks);
    expect(j.kvPool.numGpuBlocks).toBe(j.kvPool.estimatedNumGpuBlocks);
  });

  it("exits 2 on a bad --kv-eviction, naming the flag and core's policies, without a stack trace", async () => {
    const r = await memlens([...small, "--kv-eviction", "streaming"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--kv-eviction must be one of none, streaming-llm, h2o, snapkv");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("memlens simulate: KV policy and disaggregation flags (in process)", () => {
  const few = small.map((a) => (a === "40" ? "10" : a));

  it("snapkv, KIVI group and residual, and the disaggregated header", async () => {
    const snap = JSON.parse(
      (await run([...few, "--kv-eviction", "snapkv", "--kv-budget-tokens", "256", "--json"])).out,
    );
    expect(snap.scenario.kvEviction).toEqual({ kind: "snapkv", budgetTokens: 256 });
    expect(snap.metrics.completedRequests).toBe(10);
    const kivi = await run([
      ...few,
      "--kv-dtype",
      "kivi2",
      "--kivi-residual-tokens",
      "64",
      "--kv-group-size",
      "64",
    ]);
    expect(kivi.out).toContain("KV kivi2 (groups of 64, last 64 tokens at 16 bits)");
    const d = await run([...few, "--disaggregate", "--transfer-bytes-per-second", "25e9"]);
    expect(d.code).toBe(0);
    expect(d.out).toContain("disagg     prefill 1× RTX-4090 → decode 1× RTX-4090, KV transfer 25.0 GB/s");
    expect(d.out).toContain("tokens per engine");
    expect(d.out).toContain("10 completed");
  });

  it.each([
    [["--kv-eviction", "streaming-llm"], "--kv-window-tokens", "needed"],
    [["--kv-eviction", "streaming-llm", "--kv-window-tokens", "0"], "--kv-window-tokens", "from 1"],
    [["--kv-window-tokens", "512"], "--kv-window-tokens", "--kv-eviction streaming-llm"],
    [["--kv-eviction", "h2o"], "--kv-budget-tokens", "--kv-budget-ratio"],
    [["--kv-eviction", "h2o", "--kv-budget-ratio", "1.5"], "--kv-budget-ratio", "up to 1"],
    [["--kv-eviction", "snapkv", "--kv-budget-ratio", "0.2"], "--kv-budget-ratio", "--kv-eviction h2o"],
    [
      ["--kv-eviction", "snapkv", "--kv-budget-tokens", "64", "--kv-manager", "radix"],
      "--kv-eviction",
      "paged",
    ],
    [["--kivi-residual-tokens", "64"], "--kivi-residual-tokens", "--kv-dtype kivi2"],
    [["--kv-dtype", "kivi2", "--kivi-residual-tokens", "x"], "--kivi-residual-tokens", "whole number"],
    [["--kv-dtype", "fp8", "--kv-group-size", "64"], "--kv-group-size", "int8|int4|kivi2"],
    [["--disaggregate"], "--transfer-bytes-per-second", "needed"],
    [["--disaggregate", "--transfer-bytes-per-second", "0"], "--transfer-bytes-per-second", "above 0"],
    [["--transfer-bytes-per-second", "25e9"], "--transfer-bytes-per-second", "--disaggregate"],
    [
      ["--disaggregate", "--transfer-bytes-per-second", "1e9", "--engine", "static"],
      "--disaggregate",
      "vllm",
    ],
    [["--dp", "0"], "--dp", "from 1 to 4096"],
    [["--dp", "2", "--router", "random"], "--router", "round-robin, least-requests, prefix-aware"],
    [["--router", "least-requests"], "--router", "--dp above 1"],
    [["--dp", "2", "--disaggregate", "--transfer-bytes-per-second", "1e9"], "--dp", "--disaggregate"],
    [["--dp", "2", "--router", "prefix-aware", "--engine", "static"], "--router", "vllm"],
  ])("bad input %j exits 2 naming %s", async (extra, field, hint) => {
    const r = await run([...small, ...extra, "--json"]);
    expect(r.code).toBe(2);
    const error = JSON.parse(r.out).error;
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(hint);
    const plain = await run([...small, ...extra]);
    expect(plain.code).toBe(2);
    expect(plain.err.trim().split("\n")).toHaveLength(1);
  });

  it("--dp 2 --router least-requests: the fleet's metrics and each replica's, requests and tokens adding up", async () => {
    const r = await run([...small, "--dp", "2", "--router", "least-requests", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.fleet.dp).toBe(2);
    expect(j.fleet.router).toBe("least-requests");
    const reps = j.fleet.replicas as { completedRequests: number; outputTokens: number }[];
    expect(reps).toHaveLength(2);
    expect(reps[0]!.completedRequests + reps[1]!.completedRequests).toBe(40);
    expect(reps[0]!.outputTokens + reps[1]!.outputTokens).toBe(j.metrics.outputTokens);
    expect(j.metrics.completedRequests).toBe(40);
    expect(j.notes.some((n: string) => n.startsWith("Data parallel: 2 replicas of 1× RTX-4090"))).toBe(true);
  });
});
