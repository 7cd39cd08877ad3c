import { MemlensError } from "../errors/memlens-error.js";
import { type Bytes, bytes, type Seconds, seconds } from "../units/units.js";

/** What a context costs on one model and GPU, given per-token figures from elsewhere in core. */
export interface ContextCostInput {
  /** Tokens in the context window. */
  readonly contextTokens: number;
  /**
   * Tokens whose KV the engine already holds (prefix caching); only the rest is prefilled.
   * Default 0. At most `contextTokens`.
   */
  readonly cachedTokens?: number;
  /** KV cache bytes one token takes on this model and KV dtype (see `kvBytesPerToken`). */
  readonly kvBytesPerToken: number;
  /** Prefill throughput on this model and GPU, in prompt tokens per second. */
  readonly prefillTokensPerSecond: number;
}

export interface ContextCost {
  /** KV cache the whole context holds. */
  readonly kvBytes: Bytes;
  /** Tokens that must be prefilled (context minus cached prefix). */
  readonly prefillTokens: number;
  /** Time to first token: the prefill of the uncached tokens. Queueing and the first decode step are left out. */
  readonly timeToFirstTokenSeconds: Seconds;
}

/**
 * KV bytes and time to first token of a context. A linear model: every token costs the same KV
 * and the same prefill time (layers with a sliding window, which cap their KV, are not modelled
 * here; pass an averaged `kvBytesPerToken` for those).
 *
 * @example
 * estimateContextCost({ contextTokens: 8000, kvBytesPerToken: 131_072, prefillTokensPerSecond: 10_000 })
 * // { kvBytes: 1_048_576_000, prefillTokens: 8000, timeToFirstTokenSeconds: 0.8 }
 */
export function estimateContextCost(input: ContextCostInput): ContextCost {
  const { contextTokens, kvBytesPerToken, prefillTokensPerSecond } = input;
  const cachedTokens = input.cachedTokens ?? 0;
  if (!Number.isInteger(contextTokens) || contextTokens < 0)
    throw new MemlensError(
      "invalid-value",
      `contextTokens must be a whole number ≥ 0, got ${contextTokens}`,
      "contextTokens",
    );
  if (!Number.isInteger(cachedTokens) || cachedTokens < 0 || cachedTokens > contextTokens)
    throw new MemlensError(
      "invalid-value",
      `cachedTokens must be a whole number from 0 to contextTokens (${contextTokens}), got ${cachedTokens}`,
      "cachedTokens",
    );
  if (!Number.isFinite(kvBytesPerToken) || kvBytesPerToken < 0)
    throw new MemlensError(
      "invalid-value",
      `kvBytesPerToken must be a finite number ≥ 0, got ${kvBytesPerToken}`,
      "kvBytesPerToken",
    );
  if (!Number.isFinite(prefillTokensPerSecond) || prefillTokensPerSecond <= 0)
    throw new MemlensError(
      "invalid-value",
      `prefillTokensPerSecond must be a finite number > 0, got ${prefillTokensPerSecond}`,
      "prefillTokensPerSecond",
    );
  const prefillTokens = contextTokens - cachedTokens;
  return {
    // KV cache grows linearly with tokens: bytes = tokens × per-token KV (estimate/kv-cache.ts).
    kvBytes: bytes(contextTokens * kvBytesPerToken),
    prefillTokens,
    // TTFT ≈ prefill time of the uncached prompt = tokens / prefill throughput.
    timeToFirstTokenSeconds: seconds(prefillTokens / prefillTokensPerSecond),
  };
}
