/**
 * ModelSpec: what memlens knows about a model's architecture, derived from a real config.json
 * (or a GGUF / safetensors header). Every tensor is listed with its shape, so weights at any
 * dtype or quant type are exact, and every layer says how it remembers past tokens.
 */

import type { QuantizedMatrixOptions, QuantSchemeId } from "../catalog/quant-schemes.js";

export type TensorRole =
  | "embedding"
  | "position-embedding"
  | "output"
  | "attention"
  | "mlp"
  | "expert"
  | "shared-expert"
  | "router"
  | "norm"
  | "ssm"
  | "vision"
  | "other";

export interface TensorSpec {
  /** Hugging Face parameter name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly name: string;
  /** PyTorch shape (out, in) for linear weights; stacked experts put the expert count first. */
  readonly shape: readonly number[];
  readonly role: TensorRole;
  /** Decoder layer index, or null for tensors outside the layer stack. */
  readonly layer: number | null;
  /**
   * Part of a multi-token-prediction (MTP) module: stored in the checkpoint and counted in its
   * weights, but outside the decoder stack (no KV layer of its own here) and not touched by a
   * token of plain decoding (not in `activeParameters`).
   */
  readonly mtp?: true;
  /** How a pre-quantized checkpoint stores this tensor; absent = at the checkpoint dtype. */
  readonly stored?: TensorStorage;
}

/** A quantized tensor's storage: a scheme of the dtype catalog and its options (group, bits, scales). */
export interface TensorStorage {
  readonly scheme: QuantSchemeId;
  readonly options: QuantizedMatrixOptions;
  /** Bytes per output row of a bias the quantizer saves with every layer (AutoGPTQ: fp16, 2). */
  readonly biasBytesPerRow?: number;
  /** GPTQ `sym`: zero points are implied (vLLM's Marlin kernels drop the stored qzeros). */
  readonly symmetric?: boolean;
}

/** Standard softmax attention with a per-layer KV cache. */
export interface AttentionMixer {
  readonly kind: "attention";
  readonly numHeads: number;
  readonly numKvHeads: number;
  /** Key (and query) head size. */
  readonly headDim: number;
  /** Value head size (equal to headDim for nearly all models). */
  readonly valueHeadDim: number;
  /** Tokens a layer attends to: null = all (global); a number = sliding window (or chunked local). */
  readonly slidingWindow: number | null;
  /**
   * Block-sparse attention with a lightning indexer (MiniMax-M3's sparse layers): the index key
   * elements one token caches beside K/V, one per KV head (sparse_num_index_heads ×
   * sparse_index_dim), in the KV dtype. Absent on ordinary layers.
   */
  readonly indexKeyDim?: number;
}

/** Multi-head latent attention (DeepSeek-V2/V3, Kimi K2): K/V compressed to a shared latent. */
export interface MlaMixer {
  readonly kind: "mla";
  readonly numHeads: number;
  readonly kvLoraRank: number;
  readonly qLoraRank: number | null;
  readonly qkNopeHeadDim: number;
  readonly qkRopeHeadDim: number;
  readonly valueHeadDim: number;
  /**
   * DeepSeek sparse attention (V3.2, GLM-5): the lightning indexer's key size, one key per token
   * cached beside the latent; absent on layers without an indexer.
   */
  readonly indexerHeadDim?: number;
  /**
   * DeepSeek-V4 compressed attention (one shared K=V latent of kvLoraRank + qkRopeHeadDim): every
   * layer keeps the last `window` tokens' latents; `ratio` > 0 adds one compressed latent per
   * `ratio` tokens (4: CSA, with the indexer's compressed key, indexerHeadDim; 128: HCA); 0: the
   * window only. Absent on ordinary MLA layers, which keep one latent per token.
   */
  readonly compressed?: { readonly ratio: number; readonly window: number };
}

/** Selective state-space layer (Mamba 1 or 2): constant-size state per sequence. */
export interface MambaMixer {
  readonly kind: "mamba";
  readonly version: 1 | 2;
  readonly dInner: number;
  readonly dState: number;
  readonly dConv: number;
  readonly nGroups: number;
  /** Mamba-2 heads (1 for Mamba-1). */
  readonly numHeads: number;
  /**
   * Bytes per element of the SSM (temporal) state vLLM keeps when it differs from the model dtype
   * (Nemotron-H: config.json `mamba_ssm_cache_dtype`, float32 by default); absent: the model dtype.
   */
  readonly ssmStateDtypeBytes?: number;
}

/** Gated DeltaNet linear attention (Qwen3-Next): constant-size recurrent state per sequence. */
export interface LinearAttentionMixer {
  readonly kind: "linear-attention";
  readonly numKeyHeads: number;
  readonly numValueHeads: number;
  readonly keyHeadDim: number;
  readonly valueHeadDim: number;
  readonly convKernel: number;
}

/**
 * No token mixer: the layer is only an MLP or MoE block (Nemotron-H's `-`/`E` layers, a
 * Nemotron-NAS block whose attention is a no-op or a plain linear map). No cache, no state.
 */
export interface NoMixer {
  readonly kind: "none";
}

export type MixerSpec = AttentionMixer | MlaMixer | MambaMixer | LinearAttentionMixer | NoMixer;

export type FfnSpec =
  | { readonly kind: "dense"; readonly intermediateSize: number; readonly gated: boolean }
  | {
      readonly kind: "moe";
      readonly numExperts: number;
      readonly expertsPerToken: number;
      readonly expertIntermediateSize: number;
      readonly numSharedExperts: number;
      /** Total intermediate width of the always-on shared expert(s); 0 when none. */
      readonly sharedIntermediateSize: number;
    }
  | { readonly kind: "none" };

export interface LayerSpec {
  readonly index: number;
  readonly mixer: MixerSpec;
  readonly ffn: FfnSpec;
}

/** Attention kind of a mixer as people name it. */
export type AttentionKind = "mha" | "gqa" | "mqa" | "mla" | "ssm" | "linear" | "none";

export function attentionKindOf(mixer: MixerSpec): AttentionKind {
  switch (mixer.kind) {
    case "attention":
      if (mixer.numKvHeads === mixer.numHeads) return "mha";
      return mixer.numKvHeads === 1 ? "mqa" : "gqa";
    case "mla":
      return "mla";
    case "mamba":
      return "ssm";
    case "linear-attention":
      return "linear";
    case "none":
      return "none";
  }
}

/** Storage dtypes a checkpoint can declare (`torch_dtype`). */
export type CheckpointDtype = "fp32" | "fp16" | "bf16";

/** A quantization the checkpoint ships with (config.json `quantization_config`). */
export interface NativeQuantization {
  /** The scenario `weights` name it answers to: "fp8", "nvfp4", "mxfp4", "awq", "gptq", "nf4", ... */
  readonly method: string;
  readonly description: string;
  /** Where it was read: "config.json quantization_config" or "hf_quant_config.json". */
  readonly source?: string;
  /** What was applied to the tensors: the scheme and which linear weights stay 16-bit (estimate notes). */
  readonly appliedNote?: string;
  /** Whether the config itself names modules it keeps unquantized (ignore / modules_to_not_convert ...). */
  readonly namesUnquantized?: boolean;
}

export interface ModelSpec {
  /** Hugging Face id or a name given by the caller. */
  readonly id: string;
  /** config.json `model_type` (the text model's for multimodal configs). */
  readonly architecture: string;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly vocabSize: number;
  readonly tiedEmbeddings: boolean;
  readonly maxPositionEmbeddings: number | null;
  readonly layers: readonly LayerSpec[];
  readonly tensors: readonly TensorSpec[];
  /** Sum of all tensor elements. */
  readonly parameters: number;
  /** Parameters a token touches: all but the experts the router does not pick (equals `parameters` for dense models). */
  readonly activeParameters: number;
  readonly checkpointDtype: CheckpointDtype;
  readonly nativeQuantization: NativeQuantization | null;
  /** What the parser assumed, one sentence each. */
  readonly notes: readonly string[];
}

export const countElements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
