import type { LayerSpec, ModelSpec } from "../models/model-spec.js";

/** Attention implementations as transformers names them (`attn_implementation`). */
export type AttentionImplementation = "eager" | "sdpa" | "flash";

export interface InferenceActivationInput {
  /** Sequences processed together. */
  readonly batch: number;
  /** Tokens per sequence in this forward pass (the prompt during prefill, 1 during decode). */
  readonly queryTokens: number;
  /** Tokens each query attends to (cache plus new tokens). */
  readonly keyTokens: number;
  readonly attention: AttentionImplementation;
  /** Bytes per activation element (2 for bf16/fp16 compute). */
  readonly dtypeBytes: number;
  /** Positions whose logits are computed: 1 in generate() (logits_to_keep=1), all in a plain forward. */
  readonly logitPositions: number;
  /** How MLA attention is computed: "expanded" per-head K/V (transformers) or on the latent. */
  readonly mlaExpanded: boolean;
}

export interface InferenceActivationBreakdown {
  /** Largest transient of one layer's attention: Q, K, V (repeated to all heads), scores, mask. */
  readonly attentionBytes: number;
  /** n² score matrix alone, as materialised by eager attention (0 with SDPA / flash kernels). */
  readonly attentionScoresBytes: number;
  readonly mlpBytes: number;
  /** Hidden states, residual and the normalised copy alive across a layer. */
  readonly residualBytes: number;
  /** Logits in the model dtype plus their FP32 upcast. */
  readonly logitsBytes: number;
  /** Peak: the residual stream plus the largest of one layer's workspace or the logits. */
  readonly peakBytes: number;
}

/**
 * Transient activation memory of one inference forward pass, layer by layer (inference frees a
 * layer's intermediates before the next starts, so the peak is the largest layer, not a sum).
 * Tensor inventory follows transformers' LlamaAttention / eager_attention_forward and LlamaMLP.
 */
export function estimateInferenceActivations(
  spec: ModelSpec,
  x: InferenceActivationInput,
): InferenceActivationBreakdown {
  const tokens = x.batch * x.queryTokens;
  const h = spec.hiddenSize;
  const b = x.dtypeBytes;
  // hidden_states, residual and the RMSNorm output (transformers' decoder layer).
  const residualBytes = 3 * tokens * h * b;
  let attentionBytes = 0;
  let scoresBytes = 0;
  let mlpBytes = 0;
  // Each figure is a maximum over layers: layers with the same mixer and FFN give the same terms.
  for (const layer of distinctLayers(spec)) {
    const a = layerAttention(layer, x);
    attentionBytes = Math.max(attentionBytes, a.total);
    scoresBytes = Math.max(scoresBytes, a.scores);
    mlpBytes = Math.max(mlpBytes, layerMlp(layer, tokens, b));
  }
  // lm_head output in the model dtype, then .float() in generate()'s logits processing.
  const logitsBytes = x.batch * x.logitPositions * spec.vocabSize * (b + 4);
  const peakBytes = residualBytes + Math.max(attentionBytes, mlpBytes, logitsBytes);
  return {
    attentionBytes,
    attentionScoresBytes: scoresBytes,
    mlpBytes,
    residualBytes,
    logitsBytes,
    peakBytes,
  };
}

const distinct = new WeakMap<ModelSpec, readonly LayerSpec[]>();

/** One layer of each distinct (mixer, FFN) pair, in order of first appearance (memoised per model). */
function distinctLayers(spec: ModelSpec): readonly LayerSpec[] {
  let out = distinct.get(spec);
  if (!out) {
    const seen = new Set<string>();
    const kept: LayerSpec[] = [];
    for (const l of spec.layers) {
      const key = JSON.stringify([l.mixer, l.ffn]);
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(l);
    }
    out = Object.freeze(kept);
    distinct.set(spec, out);
  }
  return out;
}

function layerAttention(layer: LayerSpec, x: InferenceActivationInput): { total: number; scores: number } {
  const m = layer.mixer;
  const b = x.dtypeBytes;
  const q = x.batch * x.queryTokens;
  const kv = x.batch * x.keyTokens;
  switch (m.kind) {
    case "attention": {
      const window =
        m.slidingWindow === null ? x.keyTokens : Math.min(x.keyTokens, m.slidingWindow + x.queryTokens);
      const qkv = q * m.numHeads * m.headDim * b * 2; // Q and the attention output
      // repeat_kv expands K and V to every query head before eager / SDPA attention.
      const kvBytes = kv * m.numHeads * (m.headDim + m.valueHeadDim) * b;
      return attentionWorkspace(x, m.numHeads, window, qkv + kvBytes);
    }
    case "mla": {
      const qBytes = q * m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim) * b;
      const out = q * m.numHeads * m.valueHeadDim * b;
      const kvBytes = x.mlaExpanded
        ? kv * m.numHeads * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.valueHeadDim) * b
        : kv * (m.kvLoraRank + m.qkRopeHeadDim) * b;
      return attentionWorkspace(x, m.numHeads, x.keyTokens, qBytes + out + kvBytes);
    }
    case "mamba":
      // in_proj output (2·d_inner) plus the scan's x, dt, B, C per token.
      return { total: q * (3 * m.dInner + 2 * m.dState) * b, scores: 0 };
    case "linear-attention": {
      const width = 2 * (2 * m.numKeyHeads * m.keyHeadDim + 2 * m.numValueHeads * m.valueHeadDim);
      return { total: q * width * b, scores: 0 };
    }
    case "none":
      return { total: 0, scores: 0 };
  }
}

function attentionWorkspace(
  x: InferenceActivationInput,
  heads: number,
  keyTokens: number,
  tensors: number,
): { total: number; scores: number } {
  const cells = x.batch * heads * x.queryTokens * keyTokens;
  switch (x.attention) {
    case "eager": {
      // eager_attention_forward: scores in the model dtype, softmax in FP32, cast back: 2+4+2 bytes
      // per cell alive at once, plus the 4-D causal mask [batch, 1, q, k] in the model dtype.
      const scores = cells * x.dtypeBytes;
      const mask = x.batch * x.queryTokens * keyTokens * x.dtypeBytes;
      return { total: tensors + cells * (2 * x.dtypeBytes + 4) + mask, scores };
    }
    case "sdpa": {
      // Fused SDPA kernels never materialise the scores; batches with padding pass a boolean mask.
      const mask = x.batch > 1 ? x.batch * x.queryTokens * keyTokens : 0;
      return { total: tensors + mask, scores: 0 };
    }
    case "flash":
      return { total: tensors, scores: 0 };
  }
}

function layerMlp(layer: LayerSpec, tokens: number, b: number): number {
  const f = layer.ffn;
  switch (f.kind) {
    case "none":
      return 0;
    case "dense":
      // gate, up and act(gate) alive together for gated MLPs; fc1 output and its activation otherwise.
      return (f.gated ? 3 : 2) * tokens * f.intermediateSize * b;
    case "moe": {
      // Router logits in FP32, then each expert runs on at most every token; the shared expert too.
      const router = tokens * f.numExperts * 4;
      const expert = 3 * tokens * f.expertIntermediateSize * b;
      const shared = 3 * tokens * f.sharedIntermediateSize * b;
      // The [tokens, hidden] output accumulator is counted in the residual term.
      return router + Math.max(expert, shared);
    }
  }
}
