import { MemlensError } from "../errors/memlens-error.js";
import { genericArchitecture } from "./architectures/generic.js";
import {
  MULTIMODAL_ARCHITECTURES,
  type MultimodalArchitecture,
  multimodalArchitecture,
  TEXT_ARCHITECTURES,
  textArchitecture,
  type VisionDims,
} from "./architectures/index.js";
import { applyCheckpointQuant, checkpointQuantPlan, quantizationConfigOf } from "./checkpoint-quant.js";
import { ConfigReader } from "./config-reader.js";
import {
  type CheckpointDtype,
  countElements,
  type LayerSpec,
  type ModelSpec,
  type NativeQuantization,
  type TensorSpec,
} from "./model-spec.js";
import { TensorList } from "./tensor-list.js";

/** Architectures (config.json `model_type`) memlens can turn into an exact ModelSpec. */
export const SUPPORTED_ARCHITECTURES: readonly string[] = [
  ...Object.keys(TEXT_ARCHITECTURES),
  ...Object.keys(MULTIMODAL_ARCHITECTURES),
].sort();

/**
 * Builds a ModelSpec from a Hugging Face config.json object: every tensor with its shape, every
 * layer's attention kind. A `model_type` memlens does not know is read as a Llama-like decoder from
 * the standard fields, with notes saying it is approximate (architectures/generic.ts).
 * A pre-quantized checkpoint's `quantization_config` (or its `hf_quant_config.json`, passed in
 * `options`) sets each tensor's `stored` format (checkpoint-quant.ts).
 * @example modelSpecFromHfConfig(JSON.parse(text), "meta-llama/Llama-3.1-8B").parameters // 8030261248
 */
export function modelSpecFromHfConfig(
  raw: unknown,
  id: string,
  options: { readonly hfQuantConfig?: unknown } = {},
): ModelSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new MemlensError("malformed-config", "config.json must be a JSON object", "config");
  const root = new ConfigReader(raw as Record<string, unknown>, "config");
  const modelType = root.str("model_type");
  if (modelType === undefined)
    throw new MemlensError("malformed-config", "config.model_type is missing", "config.model_type");

  const notes: string[] = [];
  const t = new TensorList();
  let text = root;
  let textType = modelType;
  // Multimodal wrappers keep the language model in text_config.
  const wrapper = multimodalArchitecture(modelType);
  if (wrapper) {
    const tc = root.child("text_config");
    if (!tc)
      throw new MemlensError(
        "malformed-config",
        `config.text_config is missing for ${modelType}`,
        "config.text_config",
      );
    text = tc;
    textType = tc.str("model_type") ?? wrapper.textModelType;
  }
  let builder = textArchitecture(textType);
  if (!builder) {
    // An unknown wrapper keeps its language model in text_config too.
    const tc = wrapper ? undefined : root.child("text_config");
    if (tc && !root.has("hidden_size")) {
      text = tc;
      textType = tc.str("model_type") ?? modelType;
      builder = textArchitecture(textType);
      if (root.has("vision_config"))
        notes.push(
          "Approximate: the vision_config tower of this unknown wrapper is not counted (text model only).",
        );
    }
    builder ??= genericArchitecture(textType);
  }
  const layers = builder(text, t, notes);
  if (wrapper) addVisionTower(root, wrapper, text, t, notes);

  const checkpointDtype = checkpointDtypeOf(root, text, notes);
  let tensors: readonly TensorSpec[] = t.tensors;
  let nativeQuantization = nativeQuantizationOf(root);
  const quantPlan = checkpointQuantPlan(root, options.hfQuantConfig);
  if (quantPlan) {
    const applied = applyCheckpointQuant(tensors, quantPlan, checkpointDtype);
    tensors = applied.tensors;
    nativeQuantization = {
      ...quantPlan.quantization,
      appliedNote: applied.note,
      namesUnquantized: applied.namesUnquantized,
    };
  }
  const parameters = tensors.reduce((s, x) => s + countElements(x.shape), 0);
  const activeParameters = parameters - inactiveExpertParameters(tensors, layers);
  return {
    id,
    architecture: textType,
    hiddenSize: text.intAny(["hidden_size", "n_embd", "d_model"]),
    numLayers: layers.length,
    vocabSize: text.intAny(["vocab_size", "padded_vocab_size"]),
    tiedEmbeddings: !t.tensors.some((x) => x.role === "output" && x.name.endsWith(".weight")),
    maxPositionEmbeddings:
      text.intOr("max_position_embeddings", null) ??
      text.intOr("n_positions", null) ??
      text.intOr("seq_length", null),
    layers,
    tensors,
    parameters,
    activeParameters,
    checkpointDtype,
    nativeQuantization,
    notes,
  };
}

function checkpointDtypeOf(root: ConfigReader, text: ConfigReader, notes: string[]): CheckpointDtype {
  const d = root.str("torch_dtype") ?? root.str("dtype") ?? text.str("torch_dtype") ?? text.str("dtype");
  switch (d) {
    case "float32":
      return "fp32";
    case "float16":
      return "fp16";
    case "bfloat16":
      return "bf16";
    default:
      notes.push("config.json names no torch_dtype; assumed the checkpoint is stored in bf16.");
      return "bf16";
  }
}

function nativeQuantizationOf(root: ConfigReader): NativeQuantization | null {
  const q = quantizationConfigOf(root);
  if (!q) return null;
  const method = q.str("quant_method") ?? "unknown";
  if (method === "fp8") {
    const block = q.intArray("weight_block_size");
    return {
      method,
      description: block ? `FP8 E4M3 weights with FP32 scales per ${block.join("×")} block` : "FP8 weights",
    };
  }
  if (method === "mxfp4")
    return { method, description: "MXFP4 experts (32 FP4 values share one E8M0 scale)" };
  return { method, description: method };
}

// Routed experts not picked for a token: (E - k) / E of each layer's stacked expert tensors.
function inactiveExpertParameters(tensors: readonly TensorSpec[], layers: readonly LayerSpec[]): number {
  let inactive = 0;
  for (const x of tensors) {
    // A multi-token-prediction module runs only for speculative decoding.
    if (x.mtp) {
      inactive += countElements(x.shape);
      continue;
    }
    if (x.role !== "expert" || x.layer === null) continue;
    const ffn = layers[x.layer]?.ffn;
    if (ffn?.kind !== "moe") continue;
    inactive += (countElements(x.shape) * (ffn.numExperts - ffn.expertsPerToken)) / ffn.numExperts;
  }
  return inactive;
}

// Vision towers of multimodal checkpoints, counted so totals match the published figures.
function addVisionTower(
  root: ConfigReader,
  wrapper: MultimodalArchitecture,
  text: ConfigReader,
  t: TensorList,
  notes: string[],
): void {
  const v = root.child("vision_config");
  if (!v) {
    notes.push("config.json has no vision_config: the vision encoder is not counted (text model only).");
    return;
  }
  const k = wrapper.visionKeyPrefix ?? "";
  const dims: VisionDims = {
    hidden: v.int(`${k}hidden_size`),
    intermediate: v.int(`${k}intermediate_size`),
    // Qwen-VL towers say depth and in_channels.
    layers: v.intAny([`${k}num_hidden_layers`, `${k}depth`]),
    patch: v.int("patch_size"),
    channels: v.intOr("num_channels", null) ?? v.intOr("in_channels", 3),
    textHidden: text.int("hidden_size"),
  };
  wrapper.addVisionTower(t, dims, v, root, notes);
}
