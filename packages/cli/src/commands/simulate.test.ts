import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { estimate } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { main } from "../main.js";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "memlens.js");
const sharegpt = join(
  here,
  "../../../../../shared/fixtures/traces/vllm-runs/workloads/sharegpt-llama-3.1-8b-300-sps10.jsonl",
);

async function run(argv: string[], stderrIsTty = false) {
  let out = "";
  let err = "";
  const code = await main({
    argv,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: stderrIsTty },
    env: { NO_COLOR: "1" },
  });
  return { code, out, err };
}

const small = [
  "simulate",
  "--model",
  "meta-llama/Llama-3.1-8B",
  "--gpu",
  "RTX-4090",
  "--max-model-len",
  "8192",
  "--requests",
  "40",
  "--input-len",
  "500",
  "--output-len",
  "50",
  "--rate",
  "10",
];

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
