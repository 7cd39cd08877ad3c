/**
 * Reads validation/llamacpp's measured records and turns each synthetic model file back into a
 * real GGUF header (memlens' writer, then memlens' parser), so the calibration runs the same path
 * as `memlens inspect` / `{"gguf": ...}`: header bytes → LlamaCppModel → llama.cpp buffers.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseGgufHeader } from "../../packages/core/src/models/gguf.js";
import { type LlamaCppModel, llamaCppModelFromGguf } from "../../packages/core/src/models/gguf-model.js";
import { type GgufWriteValue, writeGgufHeader } from "../../packages/core/src/models/gguf-writer.js";

export const HARNESS_DIR = join(import.meta.dirname, "../../validation/llamacpp");

// biome-ignore lint/suspicious/noExplicitAny: records are plain JSON written by the harness
export type HarnessRecord = any;

function readJsonl(path: string): HarnessRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

/** measured.jsonl (or the run's partial file) and model-files.jsonl; empty when not generated yet. */
export function loadHarness(): {
  records: HarnessRecord[];
  files: Map<string, HarnessRecord>;
  source: string;
} {
  const candidates: [string, string][] = [
    [join(HARNESS_DIR, "measured.jsonl"), join(HARNESS_DIR, "model-files.jsonl")],
    [join(HARNESS_DIR, "out/measured.partial.jsonl"), join(HARNESS_DIR, "out/model-files.partial.jsonl")],
  ];
  for (const [m, f] of candidates) {
    const records = readJsonl(m);
    if (records.length === 0) continue;
    const files = new Map(readJsonl(f).map((x) => [x.id as string, x]));
    return { records, files, source: m };
  }
  return { records: [], files: new Map(), source: "" };
}

const u32 = (value: number): GgufWriteValue => ({ type: "uint32", value });
const f32 = (value: number): GgufWriteValue => ({ type: "float32", value });
const str = (value: string): GgufWriteValue => ({ type: "string", value });

/** GGUF metadata for a harness shape, with the keys convert_hf_to_gguf.py writes for the arch. */
function metadataOf(shape: HarnessRecord, fileType: number): [string, GgufWriteValue][] {
  const a = shape.arch as string;
  const kv: [string, GgufWriteValue][] = [
    ["general.architecture", str(a)],
    ["general.name", str(`${shape.source} L${shape.nLayer}`)],
    ["general.file_type", u32(fileType)],
    [`${a}.vocab_size`, u32(shape.nVocab)],
    [`${a}.context_length`, u32(shape.nCtxTrain)],
    [`${a}.embedding_length`, u32(shape.nEmbd)],
    [`${a}.block_count`, u32(shape.nLayer)],
    [`${a}.feed_forward_length`, u32(shape.nFf)],
    [`${a}.attention.head_count`, u32(shape.nHead)],
    [`${a}.attention.head_count_kv`, u32(shape.nHeadKv)],
    [`${a}.attention.key_length`, u32(shape.headDimK)],
    [`${a}.attention.value_length`, u32(shape.headDimV)],
    [`${a}.rope.dimension_count`, u32(shape.nRot)],
    [`${a}.rope.freq_base`, f32(shape.ropeFreqBase)],
  ];
  if (shape.moe) {
    kv.push(
      [`${a}.expert_count`, u32(shape.moe.nExpert)],
      [`${a}.expert_used_count`, u32(shape.moe.nExpertUsed)],
    );
    if (a !== "llama") kv.push([`${a}.expert_feed_forward_length`, u32(shape.moe.nFfExp)]);
  }
  if (shape.nSwa !== null) kv.push([`${a}.attention.sliding_window`, u32(shape.nSwa)]);
  if (a === "gemma2")
    kv.push([`${a}.attn_logit_softcapping`, f32(50)], [`${a}.final_logit_softcapping`, f32(30)]);
  if (a === "phi3") kv.push([`${a}.attention.sliding_window`, u32(2047)]);
  if (a === "deepseek2") {
    const m = shape.mla;
    kv.push(
      [`${a}.leading_dense_block_count`, u32(shape.moe.nLeadingDense)],
      [`${a}.attention.q_lora_rank`, u32(m.qLoraRank)],
      [`${a}.attention.kv_lora_rank`, u32(m.kvLoraRank)],
      [`${a}.attention.key_length_mla`, u32(m.qkNopeHeadDim + m.qkRopeHeadDim)],
      [`${a}.attention.value_length_mla`, u32(m.vHeadDim)],
      [`${a}.expert_shared_count`, u32(shape.moe.nExpertShared)],
      [`${a}.expert_gating_func`, u32(1)],
    );
  }
  if (a === "qwen3next") {
    const s = shape.ssm;
    kv.push(
      [`${a}.expert_shared_feed_forward_length`, u32(shape.moe.nFfShexp)],
      [`${a}.ssm.conv_kernel`, u32(s.dConv)],
      [`${a}.ssm.state_size`, u32(s.dState)],
      [`${a}.ssm.group_count`, u32(s.nGroup)],
      [`${a}.ssm.time_step_rank`, u32(s.dtRank)],
      [`${a}.ssm.inner_size`, u32(s.dInner)],
      [`${a}.full_attention_interval`, u32(s.fullAttentionInterval)],
    );
  }
  return kv;
}

/** The model file of a record as memlens reads it from a GGUF header it wrote itself. */
export function modelOfFile(file: HarnessRecord): {
  model: LlamaCppModel;
  header: Uint8Array;
  fileBytes: number;
} {
  const w = writeGgufHeader({
    metadata: metadataOf(file.shape, file.fileType),
    tensors: (file.tensors as [string, string, number[]][]).map(([name, type, ne]) => ({ name, type, ne })),
  });
  const r = parseGgufHeader(w.header, { fileBytes: w.fileBytes });
  if (r.kind !== "header") throw new Error("header truncated");
  const model = llamaCppModelFromGguf(r.header);
  // file offsets of the data (for the mmap range of CPU_Mapped)
  const tensors = model.tensors.map((t, i) => ({ ...t, offset: r.header.tensors[i]!.offset }));
  return { model: { ...model, tensors }, header: w.header, fileBytes: w.fileBytes };
}
