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
