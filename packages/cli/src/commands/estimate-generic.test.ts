import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runJson, runMain } from "../testing/run-main.js";

// `estimate --model config.json` for a model_type memlens has no builder for (issue 15 item 2).
const here = dirname(fileURLToPath(import.meta.url));
const qwen35 = join(here, "../../../../../shared/fixtures/hf-configs-2026/Qwen/Qwen3.5-27B/config.json");
// memlens reads qwen3_5 exactly now (architectures/qwen3-5.ts); an unknown model_type with the
// same hybrid text config still takes the approximate path.
const unknownHybrid = join(mkdtempSync(join(tmpdir(), "memlens-generic-")), "config.json");
writeFileSync(
  unknownHybrid,
  JSON.stringify({
    ...(JSON.parse(readFileSync(qwen35, "utf8")) as { text_config: object }).text_config,
    model_type: "never_seen_hybrid",
  }),
);
const SCENARIO_KEYS = [
  "memlensVersion",
  "scenario",
  "model",
  "devices",
  "engine",
  "performance",
  "fits",
  "maxContextLength",
  "maxConcurrentSequences",
  "kvBytesPerToken",
  "notes",
];

describe("estimate of an unknown model_type", () => {
  const argv = ["estimate", "--model", unknownHybrid, "--gpu", "H100-80GB", "--ctx", "32768"];

  it("answers with Approximate notes in --json, and no new top-level keys", async () => {
    const e = await runJson([...argv, "--json"]);
    expect(Object.keys(e)).toEqual(SCENARIO_KEYS);
    const notes = (e.notes as string[]).filter((n) => n.startsWith("Approximate:"));
    expect(notes.join("\n")).toMatch(/model_type "never_seen_hybrid" is not one memlens knows/);
    expect(notes.join("\n")).toMatch(/layer_types names linear_attention layers/);
    expect(notes.join("\n")).toMatch(/linear_num_key_heads/);
  });

  it("shows the notes under the table", async () => {
    const r = await runMain(argv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Notes:\n {2}- Approximate:/);
  });

  it("refuses a config without the standard fields with one line and exit 2", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "memlens-generic-")), "config.json");
    writeFileSync(file, JSON.stringify({ model_type: "never_seen", hidden_size: 64 }));
    const r = await runMain(["estimate", "--model", file, "--gpu", "H100-80GB"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(
      /never_seen.*num_hidden_layers, num_attention_heads, vocab_size, intermediate_size/,
    );
  });
});

describe("estimate of a Qwen3.5 config.json (issue 15 item 1)", () => {
  it("is exact: no Approximate notes; KV only from the 16 full-attention layers", async () => {
    const e = await runJson([
      "estimate",
      "--model",
      qwen35,
      "--gpu",
      "H100-80GB",
      "--ctx",
      "32768",
      "--json",
    ]);
    expect(Object.keys(e)).toEqual(SCENARIO_KEYS);
    expect((e.notes as string[]).filter((n) => n.startsWith("Approximate:"))).toEqual([]);
    // 16 layers × (K + V) × 4 KV heads × 256 × 2 bytes (bf16 KV cache).
    expect(e.kvBytesPerToken).toBe(16 * 2 * 4 * 256 * 2);
    expect((e.model as { parameters: number }).parameters).toBe(27781427952);
  });
});
