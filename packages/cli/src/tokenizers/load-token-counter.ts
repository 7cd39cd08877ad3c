import { existsSync } from "node:fs";
import type { TokenCounter } from "@memlens/core";
import { MemlensError } from "@memlens/core";
import { BUNDLED_TOKENIZERS, bundledTokenizerPath } from "./bundled-tokenizers.js";
import { loadHfTokenCounter } from "./hf-token-counter.js";
import {
  isOpenAiEncoding,
  loadOpenAiTokenCounter,
  OPENAI_ENCODINGS,
  openAiEncodingForModel,
} from "./openai-token-counter.js";
import { PACKAGED_TOKENIZERS, packagedTokenizerPath } from "./packaged-tokenizers.js";

/** The forms `--tokenizer` accepts, for help and error messages. */
export const TOKENIZER_SPEC_FORMS = [
  ...OPENAI_ENCODINGS,
  "openai:<model> (e.g. openai:gpt-4o)",
  ...BUNDLED_TOKENIZERS.map((t) => t.id),
  ...PACKAGED_TOKENIZERS.map((t) => t.id),
  "<path to tokenizer.json or a model directory>",
];

/**
 * Resolves a `--tokenizer` value: an OpenAI encoding (`o200k_base`), `openai:<model>`, a bundled
 * tokenizer (`gpt2`), a packaged one (`llama3_1`, `qwen3`...: packaged-tokenizers.ts), or a path to
 * a `tokenizer.json` (or a directory holding one).
 *
 * @example await loadTokenCounter("cl100k_base"); await loadTokenCounter("./Qwen2.5-7B/")
 */
export async function loadTokenCounter(spec: string): Promise<TokenCounter> {
  if (isOpenAiEncoding(spec)) return loadOpenAiTokenCounter(spec);
  if (spec.startsWith("openai:")) return loadOpenAiTokenCounter(await openAiEncodingForModel(spec.slice(7)));
  const bundled = BUNDLED_TOKENIZERS.find((t) => t.id === spec);
  if (bundled) {
    const c = loadHfTokenCounter(bundledTokenizerPath(bundled));
    return { name: `hf:${bundled.id}`, count: c.count };
  }
  const packaged = PACKAGED_TOKENIZERS.find((t) => t.id === spec);
  if (packaged) {
    const c = loadHfTokenCounter(packagedTokenizerPath(packaged));
    return { name: `hf:${packaged.id}`, count: c.count };
  }
  if (existsSync(spec)) return loadHfTokenCounter(spec);
  throw new MemlensError(
    "invalid-value",
    `--tokenizer: "${spec}" is neither a known tokenizer nor an existing path; allowed: ${TOKENIZER_SPEC_FORMS.join(", ")}`,
    "--tokenizer",
    TOKENIZER_SPEC_FORMS,
  );
}
