import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Estimate, estimate, formatBinaryBytes } from "@memlens/core";
import { describe, expect, it } from "vitest";
import { COMPARE_ENGINES, type EngineOutcome, parseEngineList } from "../compare/engines.js";
import { runMain } from "../testing/run-main.js";

// The built binary (`npm run build -w @memlens/cli` first), as a user runs it.
const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "memlens.js");
const memlens = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

const SCENARIO = ["--model", "meta-llama/Llama-3.1-8B", "--gpu", "RTX-4090", "--ctx", "8192"];
const ALL = ["--engines", "llama.cpp,vllm,sglang,transformers"];

const inProcess = (argv: string[]) => runMain(argv);

const isEstimate = (o: EngineOutcome | undefined): o is Estimate => o !== undefined && !("error" in o);

describe("memlens compare --engines (built binary)", () => {
  const r = memlens(["compare", ...ALL, ...SCENARIO, "--json"]);
  const report = JSON.parse(r.stdout) as {
    scenario: Record<string, unknown>;
    engines: Record<string, EngineOutcome>;
    differences: { topic: string; summary: string; byEngine: Record<string, string> }[];
  };

  it("estimates every engine and exits 0", () => {
    expect(r.status).toBe(0);
    expect(Object.keys(report.engines)).toEqual(["llama.cpp", "vllm", "sglang", "transformers"]);
    expect(report.scenario).not.toHaveProperty("engine");
    expect(report.scenario.contextLength).toBe(8192);
  });

  it.each(COMPARE_ENGINES)("%s: per-GPU weights equal core's estimate for that engine", (engine) => {
    const core = estimate({
      model: { id: "meta-llama/Llama-3.1-8B" },
      hardware: { gpu: "RTX-4090", count: 1 },
      contextLength: 8192,
      engine,
    });
    const got = report.engines[engine];
    if (!isEstimate(got)) throw new Error(`${engine} errored`);
    expect(got.devices[0]?.bytes.weights).toBe(core.devices[0]?.bytes.weights);
    expect(got.devices[0]?.bytes.total).toBe(core.devices[0]?.bytes.total);
    expect(got.maxContextLength).toBe(core.maxContextLength);
  });

  it("shows vLLM's and SGLang's pre-allocated pool as their KV cache, not the context's 1 GiB", () => {
    const vllm = report.engines.vllm;
    const sglang = report.engines.sglang;
    const llama = report.engines["llama.cpp"];
    if (!isEstimate(vllm) || !isEstimate(sglang) || !isEstimate(llama)) throw new Error("an engine errored");
    const pool = vllm.engine.kvCacheBytes as number;
    const blocks = vllm.engine.numGpuBlocks as number;
    const kv = vllm.devices[0]?.bytes.kvCache ?? 0;
    // The pool is the available KV memory rounded down to whole blocks.
    expect(kv).toBeLessThanOrEqual(pool);
    expect(pool - kv).toBeLessThan(kv / blocks);
    expect(sglang.devices[0]?.bytes.kvCache).toBe(sglang.engine.kvCacheBytes);
    // llama.cpp holds n_ctx cells: 8192 × 131,072 bytes = 1 GiB.
    expect(llama.devices[0]?.bytes.kvCache).toBe(8192 * llama.kvBytesPerToken);
    const kvDiff = report.differences.find((d) => d.topic === "kvCache");
    expect(kvDiff?.summary).toMatch(/vllm and sglang "KV cache" is a pool/);
    expect(kvDiff?.byEngine.vllm).toContain("gpu_memory_utilization 0.9");
  });

  it("prints the table with vLLM's pool in its KV cache column, then why they differ", () => {
    const t = memlens(["compare", ...ALL, ...SCENARIO]);
    expect(t.status).toBe(0);
    const vllm = report.engines.vllm as Estimate;
    const row = (label: string) => t.stdout.split("\n").find((l) => l.startsWith(`${label}  `)) ?? "";
    const header =
      t.stdout.split("\n").find((l) => l.includes("transformers") && l.includes("llama.cpp")) ?? "";
    expect(header.trim().split(/\s+/)).toEqual(["llama.cpp", "vllm", "sglang", "transformers"]);
    const kvCells = row("KV cache")
      .split(/\s{2,}/)
      .slice(1);
    expect(kvCells[1]).toBe(formatBinaryBytes(vllm.engine.kvCacheBytes as number, 2));
    const weightCells = row("weights")
      .split(/\s{2,}/)
      .slice(1);
    expect(weightCells).toEqual(
      COMPARE_ENGINES.map((e) =>
        formatBinaryBytes((report.engines[e] as Estimate).devices[0]!.bytes.weights, 2),
      ),
    );
    for (const label of ["activations", "overhead", "total per GPU", "fits", "max context @ batch 1"])
      expect(row(label)).not.toBe("");
    expect(t.stdout).toContain("Why they differ");
  });

  it("rejects an unknown engine with exit 2, naming the allowed values", () => {
    const bad = memlens(["compare", "--engines", "llama.cpp,tgi", ...SCENARIO]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"tgi"');
    expect(bad.stderr).toContain("llama.cpp, vllm, sglang, transformers");
    expect(bad.stderr).not.toContain("    at ");
  });
});

describe("memlens compare --engines (in process)", () => {
  it("gives an engine that cannot load the scenario an error column instead of failing", async () => {
    const r = await inProcess(["compare", ...ALL, ...SCENARIO, "--kv-cache", "q8_0", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { engines: Record<string, EngineOutcome> };
    expect(isEstimate(j.engines["llama.cpp"])).toBe(true);
    expect(j.engines.vllm).toMatchObject({ error: { code: "invalid-value" } });
    expect((j.engines.transformers as { error: { message: string } }).error.message).toContain("q8_0");
    const text = await inProcess(["compare", ...ALL, ...SCENARIO, "--weights", "fp8"]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/errors: llama\.cpp cannot run this scenario/);
    expect(text.out).toContain("is not a GGUF type");
  });

  it("throws input errors common to every engine (exit 2)", async () => {
    expect((await inProcess(["compare", ...ALL, "--model", "nope/nope"])).code).toBe(2);
    expect((await inProcess(["compare", ...ALL, ...SCENARIO, "--engine", "vllm"])).code).toBe(2);
    expect((await inProcess(["compare", "--engines", "", ...SCENARIO])).code).toBe(2);
    expect((await inProcess(["compare", "--engines=vllm", "run.log", ...SCENARIO])).code).toBe(2);
  });

  it("keeps the log mode: a LOGFILE is still required without --engines", async () => {
    const r = await inProcess(["compare"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("LOGFILE");
    const h = await inProcess(["compare", "--help"]);
    expect(h.out).toContain("--engines llama.cpp,vllm,sglang,transformers");
  });

  it("parses --engines lists", () => {
    expect(parseEngineList("vllm, llama.cpp,vllm")).toEqual(["vllm", "llama.cpp"]);
    expect(parseEngineList("SGLang")).toEqual(["sglang"]);
    expect(parseEngineList("ollama,llama.cpp")).toEqual(["ollama", "llama.cpp"]);
    expect(() => parseEngineList("lmstudio")).toThrow(
      /allowed \(comma-separated\): llama.cpp, vllm, sglang, transformers, ollama/,
    );
  });
});
