/**
 * The shape every engine's log comparison returns, so `memlens compare` can print and JSON-encode
 * any of them. A new engine (vLLM, SGLang...) adds a module beside llamacpp.ts implementing
 * `LogComparer` and registers it in ./index.ts (`COMPARERS`); the dispatcher picks the first
 * comparer whose `detect` accepts the log.
 */
import type { ModelSpec } from "@memlens/core";

/** One measured figure from the log next to memlens' estimate of it. */
export interface CompareRow {
  /** What the figure is, e.g. "model buffer CUDA0", "KV buffer", "compute buffer CUDA_Host". */
  readonly quantity: string;
  /** The log line it came from, verbatim. */
  readonly line: string;
  readonly measuredBytes: number;
  /** null when memlens has no estimate for it (reported, not compared). */
  readonly estimatedBytes: number | null;
  /** (estimated − measured) / measured; null when not compared. */
  readonly error: number | null;
}

export interface CompareReport {
  /** Engine family the log came from ("llama.cpp", "vllm"...). */
  readonly engine: string;
  /** The scenario memlens rebuilt from the log (SCENARIO.md shape) plus engine settings it read. */
  readonly scenario: Record<string, unknown>;
  readonly model: { readonly name: string; readonly source: string };
  readonly rows: readonly CompareRow[];
  /** What memlens had to assume because the log does not say. */
  readonly assumptions: readonly string[];
}

/** Options the user can give to fill in what a log leaves out (flags of `memlens compare`). */
export interface CompareOptions {
  /** A model the log does not describe well enough: catalog id, config.json, .gguf or safetensors. */
  readonly modelSpec?: ModelSpec;
  readonly modelSource?: string;
  /** Scenario fields that override what the log says (contextLength, batch, engineOptions...). */
  readonly overrides?: Record<string, unknown>;
}

export interface LogComparer {
  readonly engine: string;
  /** True when these lines look like this engine's start-up log. */
  detect(lines: readonly string[]): boolean;
  compare(lines: readonly string[], options: CompareOptions): CompareReport;
}
