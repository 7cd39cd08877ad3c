import type { TokenCounter } from "./token-counter.js";

/** One piece of what a summarizer is asked to compress. */
export interface SummaryInput {
  /** Role of the original turn, or "summary" for the previous summary being folded in. */
  readonly role: string;
  readonly text: string;
}

/** What a summarizer is asked to do. */
export interface SummaryRequest {
  /** Oldest first; a previous summary, when there is one, comes first with role "summary". */
  readonly inputs: readonly SummaryInput[];
  /** The summary's token budget under `counter`; longer answers are cut to fit. */
  readonly maxTokens: number;
  readonly counter: TokenCounter;
}

/**
 * Compresses turns into a summary. Sync or async: an LLM behind an OpenAI-compatible endpoint
 * (async, lives in the CLI or the web app) or {@link extractiveSummarizer} (sync, deterministic).
 */
export interface Summarizer {
  readonly name: string;
  summarize(request: SummaryRequest): string | Promise<string>;
}
