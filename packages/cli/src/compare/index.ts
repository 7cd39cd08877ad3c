/**
 * `memlens compare` dispatcher: finds the engine a start-up log came from and hands it to that
 * engine's comparer.
 *
 * TODO(vLLM/SGLang owner): add `compare/vllm.ts` exporting a `LogComparer` (see ./types.ts) whose
 * `detect` recognises vLLM's start-up lines ("Loading model weights took", "Available KV cache
 * memory", "GPU KV cache size", "Maximum concurrency") and whose `compare` rebuilds the scenario and
 * returns CompareRows against the vLLM engine; then add it to COMPARERS below, before llama.cpp.
 */
import { MemlensError } from "@memlens/core";
import { llamaCppComparer } from "./llamacpp.js";
import type { CompareOptions, CompareReport, LogComparer } from "./types.js";
import { vllmComparer } from "./vllm.js";

export type { CompareOptions, CompareReport, CompareRow, LogComparer } from "./types.js";

/** Comparers in the order they are tried. */
export const COMPARERS: LogComparer[] = [vllmComparer, llamaCppComparer];

/** Registers another engine's comparer (tried before the built-in ones). */
export function registerComparer(c: LogComparer): void {
  COMPARERS.unshift(c);
}

/** The comparer for a log, or an error naming the engines memlens reads. */
export function detectComparer(lines: readonly string[], engine?: string): LogComparer {
  if (engine) {
    // ollama runs llama-server: its log's buffer lines are llama.cpp's
    const reader = engine === "ollama" ? "llama.cpp" : engine;
    const c = COMPARERS.find((x) => x.engine === reader);
    if (!c)
      throw new MemlensError(
        "invalid-value",
        `--engine "${engine}" has no log reader; allowed: ${COMPARERS.map((x) => x.engine).join(", ")}`,
        "--engine",
        COMPARERS.map((x) => x.engine),
      );
    return c;
  }
  const c = COMPARERS.find((x) => x.detect(lines));
  if (!c)
    throw new MemlensError(
      "malformed-file",
      `the log has none of the start-up lines memlens reads (engines: ${COMPARERS.map((x) => x.engine).join(", ")})`,
      "log",
    );
  return c;
}

/** Compares a start-up log with memlens' estimate of the same setup. */
export function compareLog(
  lines: readonly string[],
  options: CompareOptions & { engine?: string },
): CompareReport {
  return detectComparer(lines, options.engine).compare(lines, options);
}
