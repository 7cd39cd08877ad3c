import type { TokenCounter } from "@memlens/core";
import { MemlensError } from "@memlens/core";

/** tiktoken encodings that gpt-tokenizer ships (o200k_base: GPT-4o and later; cl100k_base: GPT-4, GPT-3.5). */
export const OPENAI_ENCODINGS = ["o200k_base", "cl100k_base", "p50k_base", "r50k_base"] as const;
export type OpenAiEncoding = (typeof OPENAI_ENCODINGS)[number];

export const isOpenAiEncoding = (s: string): s is OpenAiEncoding =>
  (OPENAI_ENCODINGS as readonly string[]).includes(s);

interface GptEncodingModule {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

// Static specifiers so bundlers (the web app) can split each encoding into its own chunk.
const LOADERS: Record<OpenAiEncoding, () => Promise<GptEncodingModule>> = {
  o200k_base: () => import("gpt-tokenizer/encoding/o200k_base"),
  cl100k_base: () => import("gpt-tokenizer/encoding/cl100k_base"),
  p50k_base: () => import("gpt-tokenizer/encoding/p50k_base"),
  r50k_base: () => import("gpt-tokenizer/encoding/r50k_base"),
};

/**
 * A token counter for an OpenAI encoding, through gpt-tokenizer (pure JS; also runs in browsers).
 * Text that looks like a special token (`<|endoftext|>`) is counted as ordinary text, like
 * tiktoken's `encode(text, disallowed_special=())`: a chat message cannot smuggle one in.
 *
 * @example (await loadOpenAiTokenCounter("o200k_base")).count("Hello, world!") // 4
 */
export async function loadOpenAiTokenCounter(encoding: OpenAiEncoding): Promise<TokenCounter> {
  const mod = await LOADERS[encoding]();
  const plainText = { disallowedSpecial: new Set<string>() };
  return { name: encoding, count: (text) => mod.countTokens(text, plainText) };
}

/**
 * The encoding of an OpenAI model, from gpt-tokenizer's tables: legacy models are mapped explicitly,
 * every other model it knows uses its default for new models, o200k_base (o200k_harmony, for
 * gpt-oss, has o200k_base's ranks for ordinary text).
 */
export async function openAiEncodingForModel(model: string): Promise<OpenAiEncoding> {
  const [{ modelToEncodingMap, DEFAULT_ENCODING }, models] = await Promise.all([
    import("gpt-tokenizer/mapping"),
    import("gpt-tokenizer/models"),
  ]);
  const mapped = (modelToEncodingMap as Record<string, string | undefined>)[model];
  const known = mapped !== undefined || Object.hasOwn(models, model);
  const enc =
    mapped === "gpt2"
      ? "r50k_base"
      : mapped === "o200k_harmony"
        ? "o200k_base"
        : (mapped ?? DEFAULT_ENCODING);
  if (!known || !isOpenAiEncoding(enc))
    throw new MemlensError(
      "invalid-value",
      `--tokenizer: unknown OpenAI model "${model}"; give an encoding instead (${OPENAI_ENCODINGS.join(", ")})`,
      "--tokenizer",
      OPENAI_ENCODINGS,
    );
  return enc;
}
