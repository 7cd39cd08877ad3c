import { describe, expect, it } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

describe("memlens fits", () => {
  it("--json: entries with the contract's keys, grouped by --family, re-checkable", async () => {
    const r = await runJson(["fits", "--gpu", "RTX-4090", "--family", "Llama-3.1", "--json"]);
    expect(r.gpu).toBe("RTX-4090");
    expect(r.engine).toBe("llama.cpp");
    expect(r.contextLength).toBe(4096);
    for (const e of r.entries) {
      for (const k of [
        "model",
        "weights",
        "engine",
        "fits",
        "maxContext",
        "gpuLayers",
        "decodeTokensPerSecond",
        "qualityCost",
        "bytes",
      ])
        expect(e).toHaveProperty(k);
      expect(e.family).toBe("Llama-3.1");
    }
    const q4 = r.entries.find(
      (e: { model: string; weights: string }) =>
        e.model === "meta-llama/Llama-3.1-8B" && e.weights === "Q4_K_M",
    );
    expect(q4.maxContext).toBe(131072);
    expect(q4.gpuLayers).toBe(33);
  }, 120_000);

  it("the table groups by family and names the ranking rule", async () => {
    const { code, out } = await runMain(["fits", "--gpu", "RTX-4090", "--family", "Llama-3.2"]);
    expect(code).toBe(0);
    expect(out).toContain("Llama-3.2\n");
    expect(out).toMatch(/Llama-3\.2-3B\s+Q8_0/);
    expect(out).toContain("Ranked: runs at --ctx and meets --min-decode first");
  }, 120_000);

  it("progress goes to stderr only on a terminal", async () => {
    const tty = await runMain(["fits", "--gpu", "RTX-4090", "--family", "Llama-3.2"], { stderrIsTty: true });
    expect(tty.err).toContain("sweeping [");
    const pipe = await runMain(["fits", "--gpu", "RTX-4090", "--family", "Llama-3.2"]);
    expect(pipe.err).toBe("");
  }, 120_000);

  it("bad flags: one line naming the allowed values, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["fits", "--gpu", "RTX-4090", "--engine", "tgi"],
        /--engine "tgi" .*allowed: transformers, llama\.cpp, vllm, sglang/,
      ],
      [["fits"], /--gpu is required/],
      [["fits", "--gpu", "RTX-4090", "--ctx", "lots"], /--ctx must be a whole number/],
      [["fits", "--gpu", "RTX-4090", "--min-decode", "fast"], /--min-decode must be a number/],
      [
        ["fits", "--gpu", "RTX-4090", "--family", "Nope"],
        /family "Nope" is not a catalog family; allowed: .*Llama-3\.1/,
      ],
      [["fits", "--gpu", "RTX-4090", "--bogus"], /--bogus.*allowed flags: --gpu/],
      [["fits", "--gpu", "NoSuchGpu"], /NoSuchGpu/],
    ];
    for (const [argv, re] of cases) {
      const { code, err } = await runMain(argv);
      expect(code).toBe(2);
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toMatch(re);
    }
  });
});
