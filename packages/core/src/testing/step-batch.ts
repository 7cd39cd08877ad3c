/** Test support (not built into dist): step batches for the step-time models' tests. */
import type { StepBatch } from "../sim/index.js";

/** An empty step with the given fields set. */
export const stepBatch = (p: Partial<StepBatch>): StepBatch => ({
  prefillTokens: 0,
  prefillSeqs: 0,
  decodeSeqs: 0,
  decodeContextTokens: 0,
  contextTokens: 0,
  kvTokensRead: 0,
  kvBytesRead: 0,
  prefillAttentionPairs: 0,
  ...p,
});
