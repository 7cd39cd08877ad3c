import { MemlensError } from "../errors/memlens-error.js";
import { findModelAlias, findModelRow } from "./models.js";

/** One ollama library tag: the catalog model it pulls and the GGUF quantization it pulls it at. */
export interface OllamaTag {
  /** The tag as `ollama pull` takes it, e.g. "llama3.1:8b". */
  readonly tag: string;
  /** A catalog id or alias (data/hf-configs). */
  readonly model: string;
  /** The GGUF file type of the tag's weights, in llama-quantize's spelling ("Q4_K_M"). */
  readonly weights: string;
  /** Where the mapping and the quantization were read. */
  readonly source: string;
}

const LLAMA31_8B_BLOBS =
  "https://ollama.com/library/llama3.1:8b (the model page's GGUF metadata: general.file_type Q4_K_M, llama.block_count 32, llama.embedding_length 4096, tokenizer.ggml.eos_token_id 128009 = the Instruct release's <|eot_id|>; read from a copy of that page kept in a public GitHub file titled 'Llama 3.1 8B info Ollama')";
const DEVTOOLKIT_LLAMA =
  'https://devtoolkit.sh/examples/llama/quantization: "ollama pull llama3.1:8b # default Q4_K_M"; lists llama3.1:8b-instruct-fp16, -q8_0, -q5_K_M, -q4_K_M';

const ISSUE_12887 =
  "https://github.com/ollama/ollama/issues/12887 (an ollama log of llama3.2:1b: general.name Llama 3.2 1B Instruct's tokenizer, eos_token_id 128009, 113 q8_0 tensors, print_info file type = Q8_0, file size 1.22 GiB)";
const ISSUE_8200 =
  "https://github.com/ollama/ollama/issues/8200 (an ollama log of llama3.2 and llama3.2:1b: general.name = Llama 3.2 1B Instruct, general.finetune = Instruct)";
const PR_15505 =
  "https://github.com/ollama/ollama/pull/15505 (mchehab, 2026-05-19: llama3.2:3b and qwen2.5:7b measured at the tags' default quantization, Q4_K_M; the qwen2.5:7b figures are equal at 32768 and 65536 tokens, its GGUF's context_length being 32768, the Instruct release's)";
const ISSUE_9176 =
  "https://github.com/ollama/ollama/issues/9176 (an ollama log of the default llama3.2 blob: general.name = Llama 3.2 3B Instruct, llama.block_count 28)";
const ISSUE_10458 =
  'https://github.com/ollama/ollama/issues/10458 (chrisoutwright, 2025-06-08, ollama 0.9.0 log of "qwen3:30b-a3b-q4_K_M": general.architecture qwen3moe, general.name = Qwen3 30B A3B, 49 layers incl. output, memory.weights.total 17.2 GiB)';

const GPT_OSS_LAYOUT =
  "ollama ships its own gpt-oss GGUF (MXFP4 experts, file_type 4); memlens loads it as llama-quantize's MXFP4_MOE, whose other tensors are smaller: the 120b model buffer is 2.2% under the logged one (test/ollama/goldens.test.ts)";

/**
 * ollama library tags memlens knows, each with a source (issue 14 item 4). Only tags whose model
 * and default quantization were read from a source are listed; anything else is refused.
 */
export const OLLAMA_TAGS: readonly OllamaTag[] = [
  {
    tag: "llama3.1:8b",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    weights: "Q4_K_M",
    source: `${LLAMA31_8B_BLOBS}; ${DEVTOOLKIT_LLAMA}`,
  },
  {
    tag: "llama3.1:8b-instruct-q4_K_M",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    weights: "Q4_K_M",
    source: DEVTOOLKIT_LLAMA,
  },
  {
    tag: "llama3.1:8b-instruct-q5_K_M",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    weights: "Q5_K_M",
    source: DEVTOOLKIT_LLAMA,
  },
  {
    tag: "llama3.1:8b-instruct-q8_0",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    weights: "Q8_0",
    source: DEVTOOLKIT_LLAMA,
  },
  {
    tag: "llama3.1:8b-instruct-fp16",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    weights: "F16",
    source: DEVTOOLKIT_LLAMA,
  },
  {
    tag: "llama3.2:1b",
    model: "meta-llama/Llama-3.2-1B-Instruct",
    weights: "Q8_0",
    source: `${ISSUE_12887}; ${ISSUE_8200}`,
  },
  {
    tag: "llama3.2:3b",
    model: "meta-llama/Llama-3.2-3B-Instruct",
    weights: "Q4_K_M",
    source: `${PR_15505}; ${ISSUE_9176}`,
  },
  {
    tag: "qwen2.5:7b",
    model: "Qwen/Qwen2.5-7B-Instruct",
    weights: "Q4_K_M",
    source: PR_15505,
  },
  {
    tag: "qwen3:30b-a3b",
    model: "Qwen/Qwen3-30B-A3B",
    weights: "Q4_K_M",
    source: `${ISSUE_10458}; the bare tag is that quantization of the same release (the log's blob is general.name Qwen3 30B A3B); whether ollama later pointed it at the 2507 Instruct update (https://github.com/ollama/ollama/issues/11570; same shapes, 262144 positions) is not confirmed`,
  },
  {
    tag: "qwen3:30b-a3b-q4_K_M",
    model: "Qwen/Qwen3-30B-A3B",
    weights: "Q4_K_M",
    source: ISSUE_10458,
  },
  {
    tag: "gpt-oss:20b",
    model: "openai/gpt-oss-20b",
    weights: "MXFP4_MOE",
    source: `https://github.com/ollama/ollama/issues/16499 (ollama 0.30.4 starting llama-server for gpt-oss:20b); ${GPT_OSS_LAYOUT}`,
  },
  {
    tag: "gpt-oss:120b",
    model: "openai/gpt-oss-120b",
    weights: "MXFP4_MOE",
    source: `https://github.com/ollama/ollama/issues/16416 (ollama 0.30, gpt-oss:120b: general.file_type 4, "detected Ollama-format gpt-oss GGUF", ROCm0 model buffer 61223 MiB); ${GPT_OSS_LAYOUT}`,
  },
  {
    tag: "gemma3:12b-it-q8_0",
    model: "google/gemma-3-12b-it",
    weights: "Q8_0",
    source:
      "issue 14 names the tag; its own name says the model: gemma3, 12b, -it (the instruction-tuned release, google/gemma-3-12b-it), -q8_0 (Q8_0)",
  },
  {
    tag: "mistral:7b-instruct-v0.3-fp16",
    model: "mistralai/Mistral-7B-Instruct-v0.3",
    weights: "F16",
    source:
      "https://github.com/ollama/ollama/issues/4592 (jmorganca, 2024-05-23: `ollama run mistral:7b-instruct-v0.3-fp16` for https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3); -fp16 is the tag's F16 GGUF",
  },
];

/**
 * Tags users name whose model the catalog does not have yet: the tag error names the model to add
 * (data/hf-configs), so `memlens estimate --model TAG` says what is missing instead of "unknown tag".
 */
export const OLLAMA_TAGS_MISSING_MODEL: readonly {
  readonly tag: string;
  readonly hubModel: string;
  readonly source: string;
}[] = [
  {
    tag: "qwen3-coder:30b",
    hubModel: "Qwen/Qwen3-Coder-30B-A3B-Instruct",
    source:
      "https://github.com/ollama/ollama/issues/12060 (an ollama log of qwen3-coder:30b: general.name = Qwen3 Coder 30B A3B Instruct, general.file_type 15 = Q4_K_M, general.parameter_count 30532122624)",
  },
];

const byLowerTag = new Map(OLLAMA_TAGS.map((t) => [t.tag.toLowerCase(), t]));

/** Whether `ref` is spelled like an ollama tag ("name:tag", optionally "library/name:tag"), not a Hub id. */
export function looksLikeOllamaTag(ref: string): boolean {
  const r = ref.trim().replace(/^library\//i, "");
  return /^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$/i.test(r);
}

/**
 * The ollama tag `ref` names (case-insensitive; "library/" and ":latest" spellings aside), or a
 * MemlensError listing the nearest known tags.
 * @example findOllamaTag("llama3.1:8b").weights // "Q4_K_M"
 */
export function findOllamaTag(ref: string, field = "model.id"): OllamaTag {
  const k = ref
    .trim()
    .replace(/^library\//i, "")
    .toLowerCase();
  const hit = byLowerTag.get(k);
  if (hit) return hit;
  const missing = OLLAMA_TAGS_MISSING_MODEL.find((t) => t.tag.toLowerCase() === k);
  if (missing)
    throw new MemlensError(
      "unknown-model",
      `${field} "${ref}" is ollama's build of ${missing.hubModel}, which the catalog does not have yet; pass its config.json or a GGUF file`,
      field,
      OLLAMA_TAGS.map((t) => t.tag),
    );
  const name = k.split(":")[0] ?? k;
  const near = OLLAMA_TAGS.map((t) => t.tag)
    .filter((t) => t.toLowerCase().startsWith(`${name}:`) || name.startsWith(t.split(":")[0] ?? ""))
    .slice(0, 5);
  const list = near.length > 0 ? near : OLLAMA_TAGS.map((t) => t.tag).slice(0, 5);
  throw new MemlensError(
    "unknown-model",
    `${field} "${ref}" is not an ollama tag memlens knows; nearest: ${list.join(", ")} (${OLLAMA_TAGS.length} tags known; or pass a GGUF file)`,
    field,
    OLLAMA_TAGS.map((t) => t.tag),
  );
}

/** Every tag's model resolves in the catalog (checked by the tests). */
export function ollamaTagModelKnown(t: OllamaTag): boolean {
  return findModelRow(t.model) !== undefined || findModelAlias(t.model) !== undefined;
}
