import { describe, expect, it } from "vitest";
import { findModelRow } from "../../catalog/models.js";
import { MemlensError } from "../../errors/memlens-error.js";
import { kvBytesPerToken, uniformKvLayout } from "../../estimate/kv-cache.js";
import { modelSpecFromHfConfig } from "../from-hf-config.js";

const fp16 = uniformKvLayout("fp16");
const configOf = (id: string) => {
  const row = findModelRow(id);
  if (!row) throw new Error(`${id} is not in the catalog`);
  return row.config as Record<string, unknown>;
};
const approximateNotes = (notes: readonly string[]) => notes.filter((n) => n.startsWith("Approximate:"));

describe("a model_type memlens does not know", () => {
  // Llama and Mixtral are exactly the generic decoder: same tensors, so the same counts.
  it.each(["meta-llama/Llama-3.1-8B", "mistralai/Mixtral-8x7B-v0.1", "mistralai/Mistral-7B-v0.3"])(
    "%s renamed estimates exactly like its real family",
    (id) => {
      const cfg = configOf(id);
      const real = modelSpecFromHfConfig(cfg, id);
      const generic = modelSpecFromHfConfig({ ...cfg, model_type: "never_seen" }, id);
      expect(generic.architecture).toBe("never_seen");
      expect(generic.parameters).toBe(real.parameters);
      expect(generic.activeParameters).toBe(real.activeParameters);
      expect(kvBytesPerToken(generic, fp16)).toBe(kvBytesPerToken(real, fp16));
      expect(generic.layers.map((l) => l.mixer)).toEqual(real.layers.map((l) => l.mixer));
      expect(approximateNotes(generic.notes)[0]).toMatch(
        /Approximate: model_type "never_seen".*fields hidden_size, num_hidden_layers, num_attention_heads, vocab_size, intermediate_size, num_key_value_heads/,
      );
      expect(approximateNotes(real.notes)).toEqual([]);
    },
  );

  // Qwen2 always biases q/k/v (no attention_bias field says so): the generic path, which reads
  // only attention_bias, misses exactly those biases: (heads + 2 kv heads) × head_dim per layer.
  it("Qwen2 renamed is short by exactly its q/k/v biases; KV per token is the same", () => {
    const id = "Qwen/Qwen2.5-7B";
    const cfg = configOf(id);
    const real = modelSpecFromHfConfig(cfg, id);
    const generic = modelSpecFromHfConfig({ ...cfg, model_type: "never_seen" }, id);
    const h = cfg.hidden_size as number;
    const heads = cfg.num_attention_heads as number;
    const kv = cfg.num_key_value_heads as number;
    const biases = (cfg.num_hidden_layers as number) * (heads + 2 * kv) * (h / heads);
    expect(real.parameters - generic.parameters).toBe(biases);
    expect(biases / real.parameters).toBeLessThan(1e-4);
    expect(kvBytesPerToken(generic, fp16)).toBe(kvBytesPerToken(real, fp16));
  });

  it("a config without the standard fields is refused with one line naming them", () => {
    try {
      modelSpecFromHfConfig({ model_type: "never_seen", hidden_size: 64, num_hidden_layers: 2 }, "x");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MemlensError);
      expect((e as MemlensError).code).toBe("unsupported-architecture");
      expect((e as MemlensError).field).toBe("config.model_type");
      expect((e as MemlensError).message).toContain("num_attention_heads, vocab_size, intermediate_size");
      expect((e as MemlensError).message).not.toContain("\n");
    }
  });
});

// Every 2025–2026 config in shared/fixtures/hf-configs-2026 has a builder of its own now (they
// measured -9.8% to +8.9% on this generic path before): arch-2026.test.ts (qwen3_5, qwen3_5_moe,
// qwen3_vl, gemma4, mimo, mimo_v2_flash, step3p7), arch-2026-b.test.ts (nemotron_h, glm_moe_dsa,
// minimax_m2) and arch-2026-c.test.ts (deepseek_v4, minimax_m3, kimi_k3) check that each estimates.
