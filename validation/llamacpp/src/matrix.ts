/**
 * The measurement matrix: which synthetic model files to write and which context settings to
 * measure on each. Layer counts are scaled down where the full model would not fit this machine's
 * RAM/time budget; every record stores the exact shape used.
 */
import type { WeightPolicy } from "./model-file.js";
import type { GgufArch } from "./shapes.js";

export interface Settings {
  readonly nCtx: number;
  /** node-llama-cpp batchSize; its addon sets n_ubatch = n_batch (AddonContext.cpp) */
  readonly nBatch: number;
  readonly flashAttn: boolean;
  readonly typeK: string;
  readonly typeV: string;
  readonly nSeqMax: number;
  readonly mmap: boolean;
  readonly swaFull: boolean;
}

export interface ModelPlan {
  /** stable id of the model file: source-L<n>-<policy> */
  readonly id: string;
  readonly hfId: string;
  readonly arch: GgufArch;
  readonly nLayer: number;
  readonly policy: WeightPolicy;
  readonly settings: readonly Settings[];
}

export const BASE: Settings = {
  nCtx: 4096,
  nBatch: 512,
  flashAttn: true,
  typeK: "f16",
  typeV: "f16",
  nSeqMax: 1,
  mmap: true,
  swaFull: false,
};

const s = (o: Partial<Settings>): Settings => ({ ...BASE, ...o });

/** Every weight type this llama.cpp build defines for GGUF files (ggml-types.ts). */
export const ALL_WEIGHT_TYPES = [
  "F32",
  "F16",
  "BF16",
  "Q8_0",
  "Q4_0",
  "Q4_1",
  "Q5_0",
  "Q5_1",
  "Q2_K",
  "Q3_K",
  "Q4_K",
  "Q5_K",
  "Q6_K",
  "IQ1_S",
  "IQ1_M",
  "IQ2_XXS",
  "IQ2_XS",
  "IQ2_S",
  "IQ3_XXS",
  "IQ3_S",
  "IQ4_NL",
  "IQ4_XS",
  "TQ1_0",
  "TQ2_0",
  "MXFP4",
  "NVFP4",
  "Q1_0",
  "Q2_0",
] as const;

/** Context sweep: sizes (incl. one not a multiple of 256), FA, K/V types, batch, sequences, mmap. */
function contextSweep(opts: { maxCtx: number; swa: boolean; small?: boolean }): Settings[] {
  const out: Settings[] = [];
  const ctxs = [512, 1000, 2048, 8192, 32768].filter((c) => c <= opts.maxCtx);
  for (const nCtx of ctxs) {
    out.push(s({ nCtx, flashAttn: true }), s({ nCtx, flashAttn: false }));
  }
  out.push(
    s({ typeK: "q8_0", typeV: "q8_0" }),
    s({ typeK: "q4_0", typeV: "q4_0" }),
    s({ typeK: "q8_0", typeV: "f16" }),
    s({ typeK: "q4_0", typeV: "q8_0" }),
    s({ typeK: "q8_0", typeV: "f16", flashAttn: false }),
    // quantized V without FA: llama.cpp refuses; the failure is recorded
    s({ typeK: "f16", typeV: "q8_0", flashAttn: false }),
    s({ nBatch: 64 }),
    s({ nBatch: 256 }),
    s({ nBatch: 2048 }),
    s({ nBatch: 2048, flashAttn: false }),
    s({ nSeqMax: 2, nCtx: 8192 }),
    s({ nSeqMax: 4, nCtx: 8192 }),
    s({ nSeqMax: 3, nCtx: 4000, flashAttn: false }),
    s({ mmap: false }),
  );
  if (opts.swa) out.push(s({ swaFull: true }), s({ swaFull: true, flashAttn: false, nCtx: 8192 }));
  if (opts.small) return out.filter((_, i) => i % 2 === 0 || i >= ctxs.length * 2);
  return out;
}

/** A short sweep for the largest files (few but varied settings). */
function shortSweep(swa: boolean): Settings[] {
  const out = [
    s({}),
    s({ flashAttn: false }),
    s({ nCtx: 16384 }),
    s({ typeK: "q8_0", typeV: "q8_0" }),
    s({ typeK: "q4_0", typeV: "q4_0", nCtx: 8192 }),
    s({ nBatch: 2048, flashAttn: false }),
    s({ nSeqMax: 4, nCtx: 8192 }),
    s({ mmap: false }),
  ];
  if (swa) out.push(s({ swaFull: true }));
  return out;
}

const pure = (type: string): WeightPolicy => ({ kind: "pure", type });

function plan(
  hfId: string,
  arch: GgufArch,
  nLayer: number,
  policy: WeightPolicy,
  settings: readonly Settings[],
): ModelPlan {
  const short = hfId.split("/")[1]!;
  const pname = policy.kind === "pure" ? policy.type : "MXFP4_MOE";
  return { id: `${short}-L${nLayer}-${pname}`, hfId, arch, nLayer, policy, settings };
}

export function buildMatrix(): ModelPlan[] {
  const plans: ModelPlan[] = [];
  // A. weight-type sweep on three small shapes (one with n_embd = 1152, not a multiple of 256,
  //    so 256-block types exercise llama-quant's fallback)
  for (const type of ALL_WEIGHT_TYPES) {
    plans.push(
      plan("meta-llama/Llama-3.2-1B-Instruct", "llama", 4, pure(type), [
        s({}),
        s({ flashAttn: false, nCtx: 2048 }),
      ]),
    );
    plans.push(plan("Qwen/Qwen3-0.6B", "qwen3", 28, pure(type), [s({})]));
    plans.push(plan("google/gemma-3-1b-it", "gemma3", 26, pure(type), [s({})]));
  }
  // B. context sweeps, one model file per shape
  plans.push(
    plan(
      "meta-llama/Llama-3.2-1B-Instruct",
      "llama",
      16,
      pure("Q8_0"),
      contextSweep({ maxCtx: 32768, swa: false }),
    ),
    plan("meta-llama/Llama-3.1-8B", "llama", 2, pure("Q4_K"), contextSweep({ maxCtx: 32768, swa: false })),
    plan(
      "mistralai/Mistral-7B-v0.3",
      "llama",
      4,
      pure("Q5_K"),
      contextSweep({ maxCtx: 32768, swa: false, small: true }),
    ),
    plan("mistralai/Mixtral-8x7B-v0.1", "llama", 2, pure("Q2_K"), shortSweep(false)),
    plan("Qwen/Qwen2.5-1.5B", "qwen2", 8, pure("Q4_0"), contextSweep({ maxCtx: 32768, swa: false })),
    plan("Qwen/Qwen3-0.6B", "qwen3", 28, pure("Q8_0"), contextSweep({ maxCtx: 32768, swa: false })),
    plan("Qwen/Qwen3-8B", "qwen3", 4, pure("Q6_K"), contextSweep({ maxCtx: 32768, swa: false, small: true })),
    plan(
      "Qwen/Qwen3-30B-A3B",
      "qwen3moe",
      4,
      pure("Q4_K"),
      contextSweep({ maxCtx: 32768, swa: false, small: true }),
    ),
    plan("google/gemma-2-2b", "gemma2", 6, pure("Q8_0"), contextSweep({ maxCtx: 32768, swa: true })),
    plan("google/gemma-3-1b-it", "gemma3", 26, pure("Q4_0"), contextSweep({ maxCtx: 32768, swa: true })),
    plan(
      "microsoft/Phi-3-mini-4k-instruct",
      "phi3",
      4,
      pure("Q4_K"),
      contextSweep({ maxCtx: 8192, swa: false }),
    ),
    plan(
      "deepseek-ai/DeepSeek-V2-Lite",
      "deepseek2",
      4,
      pure("Q4_0"),
      contextSweep({ maxCtx: 32768, swa: false }),
    ),
    plan(
      "openai/gpt-oss-20b",
      "gpt-oss",
      2,
      { kind: "mxfp4-moe" },
      contextSweep({ maxCtx: 32768, swa: true }),
    ),
    plan("Qwen/Qwen3-Next-80B-A3B-Thinking", "qwen3next", 4, pure("IQ2_XXS"), shortSweep(false)),
  );
  return plans;
}
