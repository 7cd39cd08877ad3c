import { describe, expect, test } from "vitest";
import { catalogModelSpec } from "../../../catalog/models.js";
import { loaderOrder, quantizedTypes } from "./quant.js";
import { llamaCppModelFromSpec } from "./tensors.js";

const typesOf = (id: string, ft: string) => {
  const m = llamaCppModelFromSpec(catalogModelSpec(id), ft);
  return new Map(m.tensors.map((t) => [t.name, t.type]));
};
const count = (types: Map<string, string>, re: RegExp, type: string) =>
  [...types].filter(([n, t]) => re.test(n) && t === type).length;

describe("llama-quantize type choice (llama_tensor_get_type)", () => {
  test("Q4_K_M: tied output at Q6_K, attn_v / ffn_down at Q6_K on use_more_bits layers, norms F32", () => {
    const t = typesOf("Qwen/Qwen3-0.6B", "Q4_K_M");
    expect(t.get("token_embd.weight")).toBe("Q6_K"); // tied: quantized like output.weight
    // use_more_bits(i, 28): i < 3, i >= 24, or (i - 3) % 3 == 2 → 14 of 28 layers
    expect(count(t, /attn_v\.weight$/, "Q6_K")).toBe(14);
    expect(count(t, /ffn_down\.weight$/, "Q6_K")).toBe(14);
    expect(t.get("blk.3.attn_v.weight")).toBe("Q4_K");
    expect(t.get("blk.5.attn_v.weight")).toBe("Q6_K");
    expect(t.get("blk.0.attn_q.weight")).toBe("Q4_K");
    expect(t.get("blk.0.attn_norm.weight")).toBe("F32");
    expect(t.get("blk.0.attn_q_norm.weight")).toBe("F32");
  });

  test("rows that are not whole blocks fall back (tensor_type_fallback)", () => {
    // Gemma 3 1B: n_embd 1152 is not a multiple of 256
    const t = typesOf("google/gemma-3-1b-it", "Q4_K_M");
    expect(t.get("blk.0.attn_q.weight")).toBe("Q5_0"); // Q4_K → Q5_0
    expect(t.get("token_embd.weight")).toBe("Q8_0"); // tied output with nx % 256 != 0 → Q8_0
    const q2 = typesOf("google/gemma-3-1b-it", "Q2_K");
    expect(q2.get("blk.0.attn_q.weight")).toBe("Q4_0"); // Q2_K → Q4_0
  });

  test("8-expert models: attn_v and attn_k at Q8_0, attn_output at Q5_K", () => {
    const t = typesOf("mistralai/Mixtral-8x7B-v0.1", "Q4_K_M");
    expect(t.get("blk.0.attn_v.weight")).toBe("Q8_0");
    expect(t.get("blk.0.attn_k.weight")).toBe("Q8_0");
    expect(t.get("blk.0.attn_output.weight")).toBe("Q5_K");
    expect(t.get("blk.0.ffn_gate_inp.weight")).toBe("F32");
    expect(t.get("output.weight")).toBe("Q6_K");
  });

  test("70B (80 layers, GQA): attn_v Q4_K/Q3_K raised to Q5_K", () => {
    const t = typesOf("meta-llama/Llama-3.1-70B", "Q4_K_M");
    const v = [...t].filter(([n]) => n.endsWith("attn_v.weight")).map(([, x]) => x);
    expect(new Set(v)).toEqual(new Set(["Q5_K", "Q6_K"]));
  });

  test("MXFP4_MOE: experts MXFP4, every other quantized tensor Q8_0", () => {
    const t = typesOf("openai/gpt-oss-20b", "MXFP4_MOE");
    expect(t.get("blk.0.ffn_down_exps.weight")).toBe("MXFP4");
    expect(t.get("blk.0.attn_q.weight")).toBe("Q8_0");
    expect(t.get("output.weight")).toBe("Q8_0");
    expect(t.get("blk.0.attn_sinks.weight")).toBe("F32");
  });

  test("--pure keeps every quantizable tensor at the base type", () => {
    const m = llamaCppModelFromSpec(catalogModelSpec("Qwen/Qwen3-0.6B"), "Q4_K_M");
    const pure = quantizedTypes(
      m.tensors.map((x) => ({ name: x.name, ne: x.ne, type: "F16" })),
      { arch: "qwen3", nLayer: 28, nExpert: 0, nGqa: 2, is70B: false },
      "Q4_K_M",
      { pure: true },
    );
    expect(pure.get("blk.5.attn_v.weight")).toBe("Q4_K");
    expect(pure.get("token_embd.weight")).toBe("Q4_K");
  });

  test("the loader visits tensors by layer, then by name", () => {
    expect(
      loaderOrder([
        { name: "blk.10.a" },
        { name: "blk.2.b" },
        { name: "output.weight" },
        { name: "blk.2.a" },
      ]).map((t) => t.name),
    ).toEqual(["output.weight", "blk.2.a", "blk.2.b", "blk.10.a"]);
  });
});
