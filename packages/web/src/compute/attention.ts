/**
 * Attention workspace of one prefill pass with each kernel, from core's activation model:
 * eager attention materialises the n × n scores per head; SDPA and FlashAttention stream tiles.
 */
import {
  estimateInferenceActivations,
  type InferenceActivationBreakdown,
  type ModelSpec,
} from "@memlens/core";

export const ATTENTION_IMPLS = ["eager", "sdpa", "flash"] as const;
export type AttentionImpl = (typeof ATTENTION_IMPLS)[number];

export const ATTENTION_IMPL_LABEL: Record<AttentionImpl, string> = {
  eager: "Eager (n² scores)",
  sdpa: "SDPA (fused)",
  flash: "FlashAttention (tiled)",
};

/** Prefill of `tokens` tokens for `batch` sequences at 16-bit activations. */
export function attentionAt(
  spec: ModelSpec,
  tokens: number,
  batch: number,
  impl: AttentionImpl,
): InferenceActivationBreakdown {
  return estimateInferenceActivations(spec, {
    batch,
    queryTokens: tokens,
    keyTokens: tokens,
    attention: impl,
    dtypeBytes: 2,
    logitPositions: 1,
    mlaExpanded: true,
  });
}

/** The largest sliding window among the model's layers, or null when every layer is global. */
export function slidingWindowOf(spec: ModelSpec): number | null {
  let w: number | null = null;
  for (const l of spec.layers)
    if (l.mixer.kind === "attention" && l.mixer.slidingWindow !== null)
      w = Math.max(w ?? 0, l.mixer.slidingWindow);
  return w;
}

/**
 * The score matrix drawn as a `cells` × `cells` grid of `tokens` tokens: each cell stands for a
 * block of query × key positions. A cell is "masked" above the diagonal (causal), "outside"
 * when beyond the sliding window, and in FlashAttention's "tile" when it belongs to the one
 * query block the kernel holds on chip at a time (the `activeRow`-th block row).
 */
export type GridCell = "score" | "masked" | "outside" | "tile" | "streamed";

export function scoreGrid(
  tokens: number,
  cells: number,
  window: number | null,
  impl: AttentionImpl,
  activeRow: number,
): GridCell[] {
  const per = tokens / cells;
  const out: GridCell[] = [];
  for (let q = 0; q < cells; q++)
    for (let k = 0; k < cells; k++) {
      if (k > q) out.push("masked");
      else if (window !== null && (q - k - 1) * per >= window) out.push("outside");
      else if (impl === "eager") out.push("score");
      else out.push(q === activeRow ? "tile" : "streamed");
    }
  return out;
}
