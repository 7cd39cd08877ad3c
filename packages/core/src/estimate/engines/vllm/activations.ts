import type { ModelSpec } from "../../../models/model-spec.js";
import { MIB } from "../../../units/units.js";

// Intercept of the sampler fit (SAMPLER_BYTES_TRITON in behaviour.ts): workspaces the first forward pass allocates (cuBLAS, attention
// backends) regardless of the model.
const FIRST_FORWARD_BYTES = 44 * MIB;
// fused_moe chunking (VLLM_FUSED_MOE_CHUNK_SIZE): workspaces never exceed this many tokens.
const FUSED_MOE_CHUNK_TOKENS = 32768;

/** The torch peak increase of the profile run on one GPU of a pipeline stage. */
export interface VllmActivationParts {
  readonly firstForwardBytes: number;
  /** Fused-MoE workspaces (kept by the workspace manager) and the multimodal encoder cache. */
  readonly persistentBytes: number;
  /** Largest layer's transient during the forward pass over max_num_batched_tokens. */
  readonly forwardBytes: number;
  /** Hidden states kept for the sampler plus the sampler's logits (last stage only). */
  readonly samplerBytes: number;
  readonly peakBytes: number;
}

/**
 * profile_run's torch peak on one GPU: the dummy forward pass at `tokens` tokens, then (last
 * stage) the sampler over `requests` rows while the forward's hidden states are still alive.
 */
export function vllmActivationPeak(
  spec: ModelSpec,
  o: {
    readonly tokens: number;
    readonly requests: number;
    readonly tp: number;
    readonly layers: readonly number[];
    readonly dtypeBytes: number;
    readonly samplerBytesPerLogit: number;
    readonly firstStage: boolean;
    readonly lastStage: boolean;
    readonly engine: "v0" | "v1";
  },
): VllmActivationParts {
  const T = o.tokens;
  const h = spec.hiddenSize;
  const b = o.dtypeBytes;
  let widest = 0;
  let moeWorkspace = 0;
  for (const i of o.layers) {
    const l = spec.layers[i];
    if (!l) continue;
    let attn = 0;
    const m = l.mixer;
    if (m.kind === "attention")
      // QKV output plus the attention output, per rank.
      attn = ((m.numHeads + 2 * m.numKvHeads) * m.headDim + m.numHeads * m.valueHeadDim) / o.tp;
    else if (m.kind === "mla")
      // q, the kv_b_proj expansion of the latent for the prefill, and the attention output.
      attn = (m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.qkNopeHeadDim + 2 * m.valueHeadDim)) / o.tp;
    else if (m.kind === "mamba") attn = (3 * m.dInner) / o.tp;
    else if (m.kind === "linear-attention")
      attn = (3 * (m.numKeyHeads * m.keyHeadDim + m.numValueHeads * m.valueHeadDim)) / o.tp;
    let ffn = 0;
    const f = l.ffn;
    if (f.kind === "dense")
      // gate_up (2I) and the activation output (I) for gated MLPs, fc1 and GELU (2I) otherwise.
      ffn = ((f.gated ? 3 : 2) * f.intermediateSize) / o.tp;
    else if (f.kind === "moe") {
      ffn = (3 * f.sharedIntermediateSize) / o.tp + f.numExperts;
      // fused_moe TritonExperts.workspace_shapes: workspace13 [M, topk, max(2I, h)], workspace2
      // [M, topk, I] and the output [M, h], I per rank; persistent in the workspace manager.
      const M = Math.min(T, FUSED_MOE_CHUNK_TOKENS);
      const I = Math.ceil(f.expertIntermediateSize / o.tp);
      moeWorkspace = Math.max(moeWorkspace, M * (f.expertsPerToken * (Math.max(2 * I, h) + I) + h) * b);
    }
    // hidden states, residual and the layer's output around the widest block.
    widest = Math.max(widest, 3 * h + Math.max(attn, ffn));
  }
  const forward = T * widest * b + (o.firstStage ? 0 : 2 * T * h * b);
  const vision = o.firstStage && spec.tensors.some((t) => t.role === "vision");
  // profile_run keeps the dummy encoder outputs (encoder cache, ~max_num_batched_tokens
  // embeddings) until the sampler has run.
  const persistent = moeWorkspace + (vision && o.engine === "v1" ? T * h * b : 0);
  let sampler = 0;
  if (o.lastStage) {
    if (o.engine === "v1")
      sampler = T * h * b + 2 * o.requests * h * b + o.requests * spec.vocabSize * o.samplerBytesPerLogit;
    // V0: one row of logits per dummy sequence (model dtype), sorted by the top-k/top-p sampler.
    else sampler = o.requests * spec.vocabSize * (b + o.samplerBytesPerLogit);
  }
  const peak = FIRST_FORWARD_BYTES + persistent + Math.max(forward, sampler);
  return {
    firstForwardBytes: FIRST_FORWARD_BYTES,
    persistentBytes: persistent,
    forwardBytes: forward,
    samplerBytes: sampler,
    peakBytes: Math.ceil(peak),
  };
}
