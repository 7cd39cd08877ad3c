import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import type { TokenCounter } from "@memlens/core";
import { MemlensError } from "@memlens/core";

/** Largest tokenizer.json memlens reads (large multilingual vocabularies are ~10-20 MB). */
export const MAX_TOKENIZER_JSON_BYTES = 64 * 1024 * 1024;

/**
 * A token counter from a parsed `tokenizer.json` (and, optionally, `tokenizer_config.json`), through
 * `@huggingface/tokenizers` (pure JS; also runs in browsers). Counts without the special tokens a
 * template would add (`add_special_tokens: false`); added tokens written in the text are matched, as
 * the Rust `tokenizers` library does by default.
 */
export function hfTokenCounterFromJson(tokenizerJson: unknown, config: unknown, name: string): TokenCounter {
  if (typeof tokenizerJson !== "object" || tokenizerJson === null || !("model" in tokenizerJson))
    throw new MemlensError(
      "malformed-file",
      `${name}: not a tokenizer.json (no "model" object)`,
      "--tokenizer",
    );
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, (config ?? {}) as object);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new MemlensError("malformed-file", `${name}: cannot build the tokenizer (${msg})`, "--tokenizer");
  }
  return { name, count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length };
}

function readJson(path: string, what: string): unknown {
  const size = statSync(path).size;
  if (size > MAX_TOKENIZER_JSON_BYTES)
    throw new MemlensError(
      "malformed-file",
      `--tokenizer: ${what} "${path}" is ${size} bytes; the limit is ${MAX_TOKENIZER_JSON_BYTES}`,
      "--tokenizer",
    );
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new MemlensError(
      "malformed-file",
      `--tokenizer: ${what} "${path}" is not valid JSON (${msg})`,
      "--tokenizer",
    );
  }
}

/**
 * Loads `tokenizer.json` from a file path or a model directory; a `tokenizer_config.json` beside it
 * is read too when present. The counter is named `hf:<directory name>`.
 */
export function loadHfTokenCounter(path: string): TokenCounter {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, "tokenizer.json");
    statSync(file);
  } catch {
    throw new MemlensError(
      "invalid-value",
      `--tokenizer: no tokenizer.json at "${path}" (give a tokenizer.json file or a directory holding one)`,
      "--tokenizer",
    );
  }
  const configPath = join(dirname(file), "tokenizer_config.json");
  const config = existsSync(configPath) ? readJson(configPath, "tokenizer_config.json") : {};
  const label =
    basename(file) === "tokenizer.json" ? basename(dirname(file)) : basename(file).replace(/\.json$/u, "");
  return hfTokenCounterFromJson(readJson(file, "tokenizer.json"), config, `hf:${label}`);
}
