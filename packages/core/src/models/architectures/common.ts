import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { AttentionMixer, FfnSpec, LayerSpec } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";

/**
 * Parameter layouts follow each architecture's Hugging Face modeling file
 * (transformers/src/transformers/models/<model_type>/modeling_<model_type>.py); the tensor
 * names in this folder are that file's parameter names.
 */

/**
 * Builds one text architecture: adds every tensor to `t` and returns each layer's mixer and FFN.
 * `cfg` is the text model's config (the top level, or `text_config` of a multimodal wrapper);
 * `notes` collects what the user should know about how the model was read.
 */
export type ArchitectureBuilder = (cfg: ConfigReader, t: TensorList, notes: string[]) => LayerSpec[];

/** The vision encoder's sizes every tower reads from `vision_config`, and the text model's width. */
export interface VisionDims {
  /** Vision hidden size. */
  readonly hidden: number;
  readonly intermediate: number;
  readonly layers: number;
  readonly patch: number;
  readonly channels: number;
  /** The language model's hidden size (what the projector maps to). */
  readonly textHidden: number;
}

/** A multimodal wrapper `model_type` whose language model lives in `text_config`. */
export interface MultimodalArchitecture {
  /** The text model's `model_type` when `text_config` names none. */
  readonly textModelType: string;
  /** Prefix of vision_config's size keys when they are not the plain ones (Kimi-K2.5: `vt_hidden_size`). */
  readonly visionKeyPrefix?: string;
  /** Adds the vision encoder and projector tensors (`root` is the wrapper's config). */
  readonly addVisionTower: (
    t: TensorList,
    dims: VisionDims,
    vision: ConfigReader,
    root: ConfigReader,
    notes: string[],
  ) => void;
}

/** The error for a required field a config leaves out. */
export function throwMissing(key: string): never {
  throw new MemlensError("malformed-config", `config.${key} is missing`, `config.${key}`);
}

/** A plain MLP (no gate) or a gated one, `inter` wide. */
export const denseFfn = (intermediateSize: number, gated: boolean): FfnSpec => ({
  kind: "dense",
  intermediateSize,
  gated,
});

/** Full attention (no sliding window) with `kvHeads` KV heads of `headDim`. */
export function attentionMixer(heads: number, headDim: number, kvHeads = heads): AttentionMixer {
  return {
    kind: "attention",
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim,
    valueHeadDim: headDim,
    slidingWindow: null,
  };
}

/** A layer with full attention and the given FFN. */
export function mhaLayer(
  i: number,
  heads: number,
  headDim: number,
  ffn: FfnSpec,
  kvHeads = heads,
): LayerSpec {
  return { index: i, mixer: attentionMixer(heads, headDim, kvHeads), ffn };
}

/** A pre-LayerNorm transformer block with biased attention and a plain GELU MLP (SigLIP/CLIP style). */
export function vitBlock(t: TensorList, p: string, h: number, inter: number, bias: boolean): void {
  t.norm(`${p}.layer_norm1`, h, null, true);
  for (const x of ["q_proj", "k_proj", "v_proj", "out_proj"])
    t.linear(`${p}.self_attn.${x}`, h, h, "vision", null, bias);
  t.norm(`${p}.layer_norm2`, h, null, true);
  t.linear(`${p}.mlp.fc1`, inter, h, "vision", null, bias);
  t.linear(`${p}.mlp.fc2`, h, inter, "vision", null, bias);
}
