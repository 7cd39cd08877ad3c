/**
 * DeepSeek GGUFs converted before llama.cpp's MLA support (ggml-org/llama.cpp PR #12801) hold one
 * attn_kv_b tensor per layer and no attention.key_length_mla / value_length_mla keys; newer
 * conversions split it into attn_k_b / attn_v_b and write those keys. llama.cpp decides from the
 * keys (src/models/deepseek2.cpp @ 59b9e36f872df37454c1a01a5dd4ea69ede65832:
 * `is_mla = n_embd_head_k_mla != 0 && n_embd_head_v_mla != 0`), and the non-MLA path caches the
 * decompressed K (n_head × (nope + rope)) and V (n_head × v_head_dim) of every head; the MLA path
 * caches kv_lora_rank + rope per token, K only.
 */
import { describe, expect, test } from "vitest";
import { readGgufHeader } from "../../../models/gguf.js";
import { llamaCppModelFromGguf } from "../../../models/gguf-model.js";
import { type GgufWriteTensor, type GgufWriteValue, writeGgufHeader } from "../../../models/gguf-writer.js";
import { cpuLlamaCppSettings as cpu } from "../../../testing/llamacpp-settings.js";
import { llamaCppMemory } from "./index.js";

const u32 = (value: number): GgufWriteValue => ({ type: "uint32", value });

/** A DeepSeek-R1-shaped GGUF header (the hyper-parameters llama.cpp printed for the record below). */
function deepseekR1(legacy: boolean, attention: "fused" | "split" = legacy ? "fused" : "split") {
  const a = "deepseek2";
  const metadata: [string, GgufWriteValue][] = [
    ["general.architecture", { type: "string", value: a }],
    [`${a}.block_count`, u32(61)],
    [`${a}.context_length`, u32(163840)],
    [`${a}.embedding_length`, u32(7168)],
    [`${a}.feed_forward_length`, u32(18432)],
    [`${a}.attention.head_count`, u32(128)],
    // the MLA conversion stores attention as MQA of kv_lora_rank + rope (K) and kv_lora_rank (V)
    [`${a}.attention.head_count_kv`, u32(legacy ? 128 : 1)],
    [`${a}.attention.key_length`, u32(legacy ? 192 : 576)],
    [`${a}.attention.value_length`, u32(legacy ? 128 : 512)],
    ...(legacy
      ? []
      : ([
          [`${a}.attention.key_length_mla`, u32(192)],
          [`${a}.attention.value_length_mla`, u32(128)],
        ] as [string, GgufWriteValue][])),
    [`${a}.rope.dimension_count`, u32(64)],
    [`${a}.attention.q_lora_rank`, u32(1536)],
    [`${a}.attention.kv_lora_rank`, u32(512)],
    [`${a}.leading_dense_block_count`, u32(3)],
    [`${a}.expert_count`, u32(256)],
    [`${a}.expert_used_count`, u32(8)],
    [`${a}.expert_shared_count`, u32(1)],
    [`${a}.expert_feed_forward_length`, u32(2048)],
    [`${a}.vocab_size`, u32(129280)],
  ];
  const tensors: GgufWriteTensor[] = [{ name: "token_embd.weight", type: "Q8_0", ne: [7168, 129280] }];
  const t = (name: string, ne: number[], type = "Q8_0") => tensors.push({ name, type, ne });
  for (let i = 0; i < 61; i++) {
    const b = `blk.${i}.`;
    t(`${b}attn_norm.weight`, [7168], "F32");
    t(`${b}attn_q_a_norm.weight`, [1536], "F32");
    t(`${b}attn_kv_a_norm.weight`, [512], "F32");
    t(`${b}attn_q_a.weight`, [7168, 1536]);
    t(`${b}attn_q_b.weight`, [1536, 128 * 192]);
    t(`${b}attn_kv_a_mqa.weight`, [7168, 576]);
    if (attention === "fused") t(`${b}attn_kv_b.weight`, [512, 128 * (128 + 128)]);
    else {
      t(`${b}attn_k_b.weight`, [128, 512, 128]);
      t(`${b}attn_v_b.weight`, [512, 128, 128]);
    }
    t(`${b}attn_output.weight`, [128 * 128, 7168]);
    t(`${b}ffn_norm.weight`, [7168], "F32");
    if (i < 3) {
      t(`${b}ffn_gate.weight`, [7168, 18432]);
      t(`${b}ffn_up.weight`, [7168, 18432]);
      t(`${b}ffn_down.weight`, [18432, 7168]);
    } else {
      t(`${b}ffn_gate_inp.weight`, [7168, 256], "F32");
      t(`${b}ffn_gate_exps.weight`, [7168, 2048, 256]);
      t(`${b}ffn_up_exps.weight`, [7168, 2048, 256]);
      t(`${b}ffn_down_exps.weight`, [2048, 7168, 256]);
      t(`${b}ffn_gate_shexp.weight`, [7168, 2048]);
      t(`${b}ffn_up_shexp.weight`, [7168, 2048]);
      t(`${b}ffn_down_shexp.weight`, [2048, 7168]);
    }
  }
  t("output_norm.weight", [7168], "F32");
  t("output.weight", [7168, 129280]);
  const w = writeGgufHeader({ metadata, tensors });
  return llamaCppModelFromGguf(readGgufHeader(w.header, { fileBytes: w.fileBytes }));
}

const MiB = 2 ** 20;

describe("DeepSeek GGUFs with and without llama.cpp's MLA cache", () => {
  test("a pre-MLA conversion caches every head's decompressed K and V, as llama.cpp printed for one", () => {
    const legacy = deepseekR1(true);
    expect(legacy.hparams.mla).toBeNull();
    // shared/fixtures/measured/public.jsonl "llamacpp-mainline-deepseek-r1-q8_0-cpu-ctx2048-nomla"
    // (ikawrakow/ik_llama.cpp github-data/issues/271, mainline llama-perplexity, f16 cache, 2048
    // cells): K_size 5856.00 MiB, V_size 3904.00 MiB.
    const m = llamaCppMemory(legacy, cpu({ contextLength: 2048 }));
    expect(m.kvCaches[0]!.kBytes / MiB).toBe(5856);
    expect(m.kvCaches[0]!.vBytes / MiB).toBe(3904);
    // 61 layers × 2048 cells × 2 bytes × (128 heads × 192) for K and (128 × 128) for V
    expect(m.kvCaches[0]!.kBytes).toBe(61 * 2048 * 2 * 128 * 192);
  });

  test("an MLA conversion of the same model caches kv_lora_rank + rope per token, K only", () => {
    const mla = deepseekR1(false);
    expect(mla.hparams.mla).not.toBeNull();
    const m = llamaCppMemory(mla, cpu({ contextLength: 2048 }));
    expect(m.kvCaches[0]).toMatchObject({ kBytes: 61 * 2048 * 2 * (512 + 64), vBytes: 0 });
    // the two files hold the same weights apart from splitting attn_kv_b
    const legacy = deepseekR1(true);
    const params = (x: typeof mla) => x.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
    expect(params(mla)).toBe(params(legacy));
  });

  test("keys and attention tensors that disagree are refused in one line, as llama.cpp cannot load them", () => {
    expect(() => deepseekR1(false, "fused")).toThrow(/key_length_mla says MLA, but the file has attn_kv_b/);
    expect(() => deepseekR1(true, "split")).toThrow(/attn_k_b\/attn_v_b but no attention.key_length_mla/);
  });
});
