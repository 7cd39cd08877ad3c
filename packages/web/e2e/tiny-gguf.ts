/** A tiny llama-architecture GGUF file (header + zeroed data) written with core's GGUF writer. */
import { writeGgufHeader } from "@memlens/core";

const u32 = (value: number) => ({ type: "uint32" as const, value });
const f32 = (value: number) => ({ type: "float32" as const, value });

export const TINY = { layers: 2, hidden: 256, ffn: 512, heads: 4, kvHeads: 2, vocab: 1024 } as const;

export function tinyLlamaGguf(): Uint8Array {
  const { layers, hidden, ffn, heads, kvHeads, vocab } = TINY;
  const kv = (hidden / heads) * kvHeads;
  const tensors: { name: string; type: string; ne: number[] }[] = [
    { name: "token_embd.weight", type: "Q4_K", ne: [hidden, vocab] },
  ];
  for (let i = 0; i < layers; i++)
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, type: "F32", ne: [hidden] },
      { name: `blk.${i}.attn_q.weight`, type: "Q4_K", ne: [hidden, hidden] },
      { name: `blk.${i}.attn_k.weight`, type: "Q4_K", ne: [hidden, kv] },
      { name: `blk.${i}.attn_v.weight`, type: "Q6_K", ne: [hidden, kv] },
      { name: `blk.${i}.attn_output.weight`, type: "Q4_K", ne: [hidden, hidden] },
      { name: `blk.${i}.ffn_norm.weight`, type: "F32", ne: [hidden] },
      { name: `blk.${i}.ffn_gate.weight`, type: "Q4_K", ne: [hidden, ffn] },
      { name: `blk.${i}.ffn_up.weight`, type: "Q4_K", ne: [hidden, ffn] },
      { name: `blk.${i}.ffn_down.weight`, type: "Q6_K", ne: [ffn, hidden] },
    );
  tensors.push(
    { name: "output_norm.weight", type: "F32", ne: [hidden] },
    { name: "output.weight", type: "Q6_K", ne: [hidden, vocab] },
  );
  const w = writeGgufHeader({
    metadata: [
      ["general.architecture", { type: "string", value: "llama" }],
      ["general.name", { type: "string", value: "tiny" }],
      ["general.file_type", u32(15)],
      ["llama.block_count", u32(layers)],
      ["llama.context_length", u32(4096)],
      ["llama.embedding_length", u32(hidden)],
      ["llama.feed_forward_length", u32(ffn)],
      ["llama.attention.head_count", u32(heads)],
      ["llama.attention.head_count_kv", u32(kvHeads)],
      ["llama.attention.layer_norm_rms_epsilon", f32(1e-5)],
      ["llama.rope.freq_base", f32(10000)],
      ["llama.vocab_size", u32(vocab)],
    ],
    tensors,
  });
  const file = new Uint8Array(w.fileBytes);
  file.set(w.header, 0);
  return file;
}
