import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

// `estimate --model config.json` for the 2026 architectures of issue 15 item 1 (wt-arch-b).
const here = dirname(fileURLToPath(import.meta.url));
const fixture = (id: string) =>
  join(here, "../../../../../shared/fixtures/hf-configs-2026", id, "config.json");

describe("estimate of 2026 architectures from their config.json", () => {
  it("reads Nemotron-H-56B's config.json with its bare Infinity and estimates it exactly", async () => {
    const e = await runJson([
      "estimate",
      "--model",
      fixture("nvidia/Nemotron-H-56B-Base-8K"),
      "--gpu",
      "H100-80GB",
      "--ctx",
      "8192",
      "--json",
    ]);
    // By hand: 10 attention layers ("*" in hybrid_override_pattern) × 8 KV heads × 128 × (K + V) × 2 bytes.
    expect(e.kvBytesPerToken).toBe(10 * 8 * 128 * 2 * 2);
    expect((e.notes as string[]).filter((n) => n.startsWith("Approximate:"))).toEqual([]);
  });

  it("llama.cpp says it does not run MiniMax-M3, with exit 2 and one line", async () => {
    const r = await runMain([
      "estimate",
      "--model",
      fixture("MiniMaxAI/MiniMax-M3"),
      "--gpu",
      "H100-80GB",
      "--engine",
      "llama.cpp",
      "--weights",
      "Q4_K_M",
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/llama\.cpp does not run this architecture: model_type "minimax_m3"/);
  });
});
