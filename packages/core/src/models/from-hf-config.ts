import { describeAllowed, MemlensError } from "../errors/memlens-error.js";
import { ConfigReader } from "./config-reader.js";
import {
  type CheckpointDtype,
  countElements,
  type FfnSpec,
  type LayerSpec,
  type MixerSpec,
  type ModelSpec,
  type NativeQuantization,
  type TensorSpec,
} from "./model-spec.js";
import { TensorList } from "./tensor-list.js";

/**
 * Parameter layouts follow each architecture's Hugging Face modeling file
 * (transformers/src/transformers/models/<model_type>/modeling_<model_type>.py); the tensor
 * names below are that file's parameter names.
 */

type Builder = (cfg: ConfigReader, t: TensorList, notes: string[]) => LayerSpec[];

const LLAMA_LIKE = [
  "llama",
  "mistral",
  "mixtral",
  "qwen2",
  "qwen2_moe",
  "qwen3",
  "qwen3_moe",
  "gemma",
  "gemma2",
  "gemma3_text",
  "granite",
  "olmo2",
  "phi3",
  "starcoder2",
  "llama4_text",
  "gpt_oss",
  "qwen3_next",
  "deepseek_v2",
  "deepseek_v3",
  "deepseek_v32",
  "kimi_k2",
  "glm4_moe",
  "cohere",
  "yi",
] as const;

const BUILDERS: Record<string, Builder> = {
  gpt2: buildGpt2,
  gpt_neox: buildGptNeox,
  gptj: buildGptj,
  phi: buildPhi,
  "phi-msft": buildPhi,
  falcon: buildFalcon,
  RefinedWebModel: buildFalcon,
  RefinedWeb: buildFalcon,
  mamba: buildMamba,
  falcon_mamba: buildMamba,
  jamba: buildJamba,
};
for (const a of LLAMA_LIKE) BUILDERS[a] = buildDecoder;

/** Architectures (config.json `model_type`) memlens can turn into an exact ModelSpec. */
export const SUPPORTED_ARCHITECTURES: readonly string[] = [
  ...Object.keys(BUILDERS),
  "llama4",
  "gemma3",
  "mistral3",
].sort();

/**
 * Builds a ModelSpec from a Hugging Face config.json object: every tensor with its shape, every
 * layer's attention kind. Unknown architectures are an error naming the `model_type`.
 * @example modelSpecFromHfConfig(JSON.parse(text), "meta-llama/Llama-3.1-8B").parameters // 8030261248
 */
export function modelSpecFromHfConfig(raw: unknown, id: string): ModelSpec {
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
  if (modelType === "llama4" || modelType === "gemma3" || modelType === "mistral3") {
    const tc = root.child("text_config");
    if (!tc)
      throw new MemlensError(
        "malformed-config",
        `config.text_config is missing for ${modelType}`,
        "config.text_config",
      );
    text = tc;
    textType =
      tc.str("model_type") ??
      (modelType === "gemma3" ? "gemma3_text" : modelType === "llama4" ? "llama4_text" : "mistral");
  }
  const builder = BUILDERS[textType];
  if (!builder)
    throw new MemlensError(
      "unsupported-architecture",
      `model_type "${textType}" is not supported; supported: ${describeAllowed(SUPPORTED_ARCHITECTURES, 40)}`,
      "config.model_type",
      SUPPORTED_ARCHITECTURES,
    );
  const layers = builder(text, t, notes);
  if (text !== root) addVisionTower(root, modelType, text, t, notes);

  const tensors: readonly TensorSpec[] = t.tensors;
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
    checkpointDtype: checkpointDtypeOf(root, text, notes),
    nativeQuantization: nativeQuantizationOf(root),
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
  const q = root.child("quantization_config");
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
    if (x.role !== "expert" || x.layer === null) continue;
    const ffn = layers[x.layer]?.ffn;
    if (ffn?.kind !== "moe") continue;
    inactive += (countElements(x.shape) * (ffn.numExperts - ffn.expertsPerToken)) / ffn.numExperts;
  }
  return inactive;
}

// ---------------------------------------------------------------------------------------------
// Llama-like decoders (RMSNorm, rotary, gated MLP), with each family's variations.

interface LayerKinds {
  mixer: (i: number) => "attention" | "mla" | "linear-attention";
  slidingWindow: (i: number) => number | null;
  moe: (i: number) => boolean;
}

function layerKindsOf(cfg: ConfigReader, arch: string, numLayers: number, notes: string[]): LayerKinds {
  const layerTypes = cfg.strArray("layer_types");
  const window = cfg.intOr("sliding_window", null) ?? cfg.intOr("sliding_window_size", null);
  const isMla =
    arch === "deepseek_v2" || arch === "deepseek_v3" || arch === "deepseek_v32" || arch === "kimi_k2";

  let slidingWindow: (i: number) => number | null = () => null;
  let mixer: LayerKinds["mixer"] = () => (isMla ? "mla" : "attention");
  if (layerTypes) {
    if (layerTypes.length !== numLayers)
      throw new MemlensError(
        "malformed-config",
        `config.layer_types has ${layerTypes.length} entries but num_hidden_layers is ${numLayers}`,
        "config.layer_types",
      );
    const chunk = cfg.intOr("attention_chunk_size", null);
    slidingWindow = (i) => {
      const lt = layerTypes[i];
      if (lt === "sliding_attention") return window;
      if (lt === "chunked_attention") return chunk;
      return null;
    };
    if (arch === "qwen3_next")
      mixer = (i) => (layerTypes[i] === "linear_attention" ? "linear-attention" : "attention");
  } else if (arch === "gemma2") {
    // modeling_gemma2.py: even layers use the sliding window, odd layers are global.
    slidingWindow = (i) => (i % 2 === 0 ? window : null);
  } else if (arch === "gemma3_text") {
    // modeling_gemma3.py: layer i is global when (i + 1) % sliding_window_pattern == 0.
    const pattern = cfg.intOr("sliding_window_pattern", 6);
    slidingWindow = (i) => ((i + 1) % pattern === 0 ? null : window);
  } else if (arch === "llama4_text") {
    // modeling_llama4.py: NoPE layers ((i + 1) % 4 == 0 by default) are global; RoPE layers use
    // chunked attention over attention_chunk_size tokens.
    const chunk = cfg.intOr("attention_chunk_size", null);
    const noRope = cfg.intArray("no_rope_layers");
    slidingWindow = (i) => {
      const usesRope = noRope ? noRope[i] !== 0 : (i + 1) % 4 !== 0;
      return usesRope ? chunk : null;
    };
    if (chunk !== null)
      notes.push(
        `RoPE layers use chunked attention over ${chunk} tokens; every fourth (NoPE) layer is global.`,
      );
  } else if (arch === "qwen3_next") {
    const interval = cfg.intOr("full_attention_interval", 4);
    mixer = (i) => ((i + 1) % interval === 0 ? "attention" : "linear-attention");
  } else if (arch === "qwen2" || arch === "qwen2_moe" || arch === "qwen3" || arch === "qwen3_moe") {
    // modeling_qwen2.py: the window applies only with use_sliding_window, from max_window_layers on.
    if (cfg.bool("use_sliding_window", false) && window !== null) {
      const from = cfg.intOr("max_window_layers", 0);
      slidingWindow = (i) => (i >= from ? window : null);
    }
  } else if (arch === "mistral" || arch === "mixtral" || arch === "starcoder2" || arch === "phi3") {
    if (window !== null) slidingWindow = () => window;
  }

  let moe: (i: number) => boolean = () => false;
  if (arch === "mixtral" || arch === "gpt_oss") moe = () => true;
  else if (arch === "qwen2_moe" || arch === "qwen3_moe" || arch === "qwen3_next") {
    // modeling_qwen2_moe.py: sparse when not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0.
    const step = cfg.intOr("decoder_sparse_step", 1);
    const only = new Set(cfg.intArray("mlp_only_layers") ?? []);
    moe = (i) => !only.has(i) && (i + 1) % step === 0 && cfg.has("num_experts") && cfg.int("num_experts") > 0;
  } else if (isMla || arch === "glm4_moe") {
    // modeling_deepseek_v3.py (and glm4_moe): MoE from first_k_dense_replace on, every moe_layer_freq layers.
    const firstDense = cfg.intOr("first_k_dense_replace", 0);
    const freq = cfg.intOr("moe_layer_freq", 1);
    moe = (i) => cfg.has("n_routed_experts") && i >= firstDense && i % freq === 0;
  } else if (arch === "llama4_text") {
    // modeling_llama4.py: layer i is MoE when (i + 1) % interleave_moe_layer_step == 0.
    const step = cfg.intOr("interleave_moe_layer_step", 1);
    const moeLayers = cfg.intArray("moe_layers");
    moe = moeLayers ? (i) => moeLayers.includes(i) : (i) => (i + 1) % step === 0;
  }
  return { mixer, slidingWindow, moe };
}

function buildDecoder(cfg: ConfigReader, t: TensorList, notes: string[]): LayerSpec[] {
  const arch = cfg.str("model_type") ?? "llama";
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const numHeads = cfg.int("num_attention_heads");
  const numKvHeads = cfg.intOr("num_key_value_heads", numHeads);
  const headDim = cfg.intOr("head_dim", null) ?? h / numHeads;
  if (!Number.isInteger(headDim))
    throw new MemlensError(
      "malformed-config",
      `hidden_size ${h} is not a multiple of num_attention_heads ${numHeads} and no head_dim is given`,
      "config.head_dim",
    );
  const kinds = layerKindsOf(cfg, arch, n, notes);

  const isGemma = arch.startsWith("gemma");
  // q/k/v biases: always in Qwen2 (modeling_qwen2.py), `use_bias` in StarCoder2, else `attention_bias`.
  const starcoderBias = arch === "starcoder2" && cfg.bool("use_bias", true);
  const attnBias =
    arch === "qwen2" || arch === "qwen2_moe" || starcoderBias || cfg.bool("attention_bias", false);
  // GLM-4.5 biases q/k/v only (modeling_glm4_moe.py: o_proj bias=False).
  const oBias =
    starcoderBias ||
    (arch !== "qwen2" && arch !== "qwen2_moe" && arch !== "glm4_moe" && cfg.bool("attention_bias", false));
  const normBias = arch === "starcoder2"; // StarCoder2 uses LayerNorm with bias
  const mlpBias = starcoderBias || cfg.bool("mlp_bias", false);
  // Per-head q/k RMSNorm weights (Qwen3, Gemma 3, Qwen3-Next); OLMo 2 normalises the whole projection.
  const qkNorm =
    arch === "qwen3" ||
    arch === "qwen3_moe" ||
    arch === "gemma3_text" ||
    arch === "qwen3_next" ||
    (arch === "glm4_moe" && cfg.bool("use_qk_norm", false))
      ? "head"
      : arch === "olmo2"
        ? "full"
        : arch === "cohere" && cfg.bool("use_qk_norm", false)
          ? "cohere"
          : "none";

  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    // Norms around the mixer and MLP.
    if (arch === "olmo2") {
      t.norm(`${p}.post_attention_layernorm`, h, i);
      t.norm(`${p}.post_feedforward_layernorm`, h, i);
    } else if (arch === "gemma2" || arch === "gemma3_text") {
      for (const nm of [
        "input_layernorm",
        "post_attention_layernorm",
        "pre_feedforward_layernorm",
        "post_feedforward_layernorm",
      ])
        t.norm(`${p}.${nm}`, h, i);
    } else if (arch === "cohere") {
      t.norm(`${p}.input_layernorm`, h, i);
    } else {
      t.norm(`${p}.input_layernorm`, h, i, normBias);
      t.norm(`${p}.post_attention_layernorm`, h, i, normBias);
    }

    let mixer: MixerSpec;
    const mk = kinds.mixer(i);
    if (mk === "mla") mixer = addMla(cfg, t, p, i, h, numHeads);
    else if (mk === "linear-attention") mixer = addGatedDeltaNet(cfg, t, p, i, h);
    else {
      const a = `${p}.self_attn`;
      if (arch === "phi3") {
        t.linear(`${a}.qkv_proj`, (numHeads + 2 * numKvHeads) * headDim, h, "attention", i);
      } else {
        // Qwen3-Next full-attention layers gate their output: q_proj is twice as wide.
        const qOut = arch === "qwen3_next" ? 2 * numHeads * headDim : numHeads * headDim;
        t.linear(`${a}.q_proj`, qOut, h, "attention", i, attnBias);
        t.linear(`${a}.k_proj`, numKvHeads * headDim, h, "attention", i, attnBias);
        t.linear(`${a}.v_proj`, numKvHeads * headDim, h, "attention", i, attnBias);
      }
      t.linear(`${a}.o_proj`, h, numHeads * headDim, "attention", i, oBias);
      if (qkNorm === "head") {
        t.norm(`${a}.q_norm`, headDim, i);
        t.norm(`${a}.k_norm`, headDim, i);
      } else if (qkNorm === "full") {
        t.norm(`${a}.q_norm`, numHeads * headDim, i);
        t.norm(`${a}.k_norm`, numKvHeads * headDim, i);
      } else if (qkNorm === "cohere") {
        t.add(`${a}.q_norm.weight`, [numHeads, headDim], "norm", i);
        t.add(`${a}.k_norm.weight`, [numKvHeads, headDim], "norm", i);
      }
      if (arch === "gpt_oss") t.add(`${a}.sinks`, [numHeads], "attention", i);
      mixer = {
        kind: "attention",
        numHeads,
        numKvHeads,
        headDim,
        valueHeadDim: headDim,
        slidingWindow: kinds.slidingWindow(i),
      };
    }

    let ffn: FfnSpec;
    const m = `${p}.mlp`;
    if (kinds.moe(i)) ffn = addMoe(cfg, arch, t, m, i, h);
    else {
      const inter =
        arch === "llama4_text"
          ? cfg.int("intermediate_size_mlp")
          : (cfg.intOr("intermediate_size", null) ?? throwMissing("intermediate_size"));
      if (arch === "starcoder2") {
        t.linear(`${m}.c_fc`, inter, h, "mlp", i, mlpBias);
        t.linear(`${m}.c_proj`, h, inter, "mlp", i, mlpBias);
        ffn = { kind: "dense", intermediateSize: inter, gated: false };
      } else if (arch === "phi3") {
        t.linear(`${m}.gate_up_proj`, 2 * inter, h, "mlp", i);
        t.linear(`${m}.down_proj`, h, inter, "mlp", i);
        ffn = { kind: "dense", intermediateSize: inter, gated: true };
      } else {
        t.gatedMlp(m, h, inter, "mlp", i, mlpBias);
        ffn = { kind: "dense", intermediateSize: inter, gated: true };
      }
    }
    layers.push({ index: i, mixer, ffn });
  }
  t.norm("model.norm", h, null, normBias);
  // Gemma, Granite, Qwen small models and others tie the output projection to the embeddings.
  const tieDefault = isGemma || arch === "cohere" || arch === "starcoder2";
  if (!cfg.bool("tie_word_embeddings", tieDefault)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
}

function throwMissing(key: string): never {
  throw new MemlensError("malformed-config", `config.${key} is missing`, `config.${key}`);
}

// DeepSeek-V2/V3 multi-head latent attention (modeling_deepseek_v3.py DeepseekV3Attention).
function addMla(
  cfg: ConfigReader,
  t: TensorList,
  p: string,
  i: number,
  h: number,
  numHeads: number,
): MixerSpec {
  const kvLoraRank = cfg.int("kv_lora_rank");
  const qLoraRank = cfg.intOr("q_lora_rank", null);
  const nope = cfg.int("qk_nope_head_dim");
  const rope = cfg.int("qk_rope_head_dim");
  const v = cfg.int("v_head_dim");
  const a = `${p}.self_attn`;
  if (qLoraRank !== null) {
    t.linear(`${a}.q_a_proj`, qLoraRank, h, "attention", i);
    t.norm(`${a}.q_a_layernorm`, qLoraRank, i);
    t.linear(`${a}.q_b_proj`, numHeads * (nope + rope), qLoraRank, "attention", i);
  } else {
    t.linear(`${a}.q_proj`, numHeads * (nope + rope), h, "attention", i);
  }
  t.linear(`${a}.kv_a_proj_with_mqa`, kvLoraRank + rope, h, "attention", i);
  t.norm(`${a}.kv_a_layernorm`, kvLoraRank, i);
  t.linear(`${a}.kv_b_proj`, numHeads * (nope + v), kvLoraRank, "attention", i);
  t.linear(`${a}.o_proj`, h, numHeads * v, "attention", i);
  if (cfg.has("index_n_heads") && qLoraRank !== null) {
    // DeepSeek-V3.2 lightning indexer (inference/model.py Indexer): wq_b, wk, k_norm (LayerNorm), weights_proj.
    const ih = cfg.int("index_n_heads");
    const id = cfg.int("index_head_dim");
    t.linear(`${a}.indexer.wq_b`, ih * id, qLoraRank, "attention", i);
    t.linear(`${a}.indexer.wk`, id, h, "attention", i);
    t.norm(`${a}.indexer.k_norm`, id, i, true);
    t.linear(`${a}.indexer.weights_proj`, ih, h, "attention", i);
  }
  return {
    kind: "mla",
    numHeads,
    kvLoraRank,
    qLoraRank,
    qkNopeHeadDim: nope,
    qkRopeHeadDim: rope,
    valueHeadDim: v,
  };
}

// Qwen3-Next Gated DeltaNet (modeling_qwen3_next.py Qwen3NextGatedDeltaNet).
function addGatedDeltaNet(cfg: ConfigReader, t: TensorList, p: string, i: number, h: number): MixerSpec {
  const nk = cfg.int("linear_num_key_heads");
  const nv = cfg.int("linear_num_value_heads");
  const dk = cfg.int("linear_key_head_dim");
  const dv = cfg.int("linear_value_head_dim");
  const k = cfg.int("linear_conv_kernel_dim");
  const a = `${p}.linear_attn`;
  const keyDim = nk * dk;
  const valueDim = nv * dv;
  t.linear(`${a}.in_proj_qkvz`, 2 * keyDim + 2 * valueDim, h, "attention", i);
  t.linear(`${a}.in_proj_ba`, 2 * nv, h, "attention", i);
  t.add(`${a}.conv1d.weight`, [2 * keyDim + valueDim, 1, k], "attention", i);
  t.add(`${a}.dt_bias`, [nv], "attention", i);
  t.add(`${a}.A_log`, [nv], "attention", i);
  t.norm(`${a}.norm`, dv, i);
  t.linear(`${a}.out_proj`, h, valueDim, "attention", i);
  return {
    kind: "linear-attention",
    numKeyHeads: nk,
    numValueHeads: nv,
    keyHeadDim: dk,
    valueHeadDim: dv,
    convKernel: k,
  };
}

function addMoe(cfg: ConfigReader, arch: string, t: TensorList, m: string, i: number, h: number): FfnSpec {
  const numExperts = cfg.intAny(["num_local_experts", "num_experts", "n_routed_experts"]);
  const topK = cfg.intAny(["num_experts_per_tok", "experts_per_token"]);
  let expertInter: number;
  let sharedInter = 0;
  let numShared = 0;
  switch (arch) {
    case "mixtral":
    case "gpt_oss":
      expertInter = cfg.int("intermediate_size");
      break;
    case "llama4_text":
      // modeling_llama4.py Llama4TextMoe: one shared expert as wide as a routed one.
      expertInter = cfg.int("intermediate_size");
      sharedInter = expertInter;
      numShared = 1;
      break;
    case "qwen2_moe":
    case "qwen3_next":
      expertInter = cfg.int("moe_intermediate_size");
      sharedInter = cfg.intOr("shared_expert_intermediate_size", 0);
      numShared = sharedInter > 0 ? 1 : 0;
      break;
    case "qwen3_moe":
      expertInter = cfg.int("moe_intermediate_size");
      break;
    default: {
      // DeepSeek: n_shared_experts experts of moe_intermediate_size, fused into one MLP.
      expertInter = cfg.int("moe_intermediate_size");
      numShared = cfg.intOr("n_shared_experts", 0);
      sharedInter = numShared * expertInter;
    }
  }
  const routerBias = arch === "gpt_oss";
  t.linear(`${m}.gate`, numExperts, h, "router", i, routerBias);
  // DeepSeek-V3-style routers keep a per-expert score correction bias (noaux_tc; GLM-4.5 too).
  if (cfg.str("topk_method") === "noaux_tc" || arch === "glm4_moe")
    t.add(`${m}.gate.e_score_correction_bias`, [numExperts], "router", i);
  t.stackedExperts(`${m}.experts`, numExperts, h, expertInter, i, arch === "gpt_oss");
  if (sharedInter > 0) {
    const name = arch === "qwen2_moe" || arch === "qwen3_next" ? "shared_expert" : "shared_experts";
    t.gatedMlp(`${m}.${name}`, h, sharedInter, "shared-expert", i);
    if (arch === "qwen2_moe" || arch === "qwen3_next") t.linear(`${m}.shared_expert_gate`, 1, h, "router", i);
  }
  return {
    kind: "moe",
    numExperts,
    expertsPerToken: topK,
    expertIntermediateSize: expertInter,
    numSharedExperts: numShared,
    sharedIntermediateSize: sharedInter,
  };
}

// ---------------------------------------------------------------------------------------------
// Vision towers of multimodal checkpoints, counted so totals match the published figures.

function addVisionTower(
  root: ConfigReader,
  modelType: string,
  text: ConfigReader,
  t: TensorList,
  notes: string[],
): void {
  const v = root.child("vision_config");
  if (!v) {
    notes.push("config.json has no vision_config: the vision encoder is not counted (text model only).");
    return;
  }
  const hv = v.int("hidden_size");
  const iv = v.int("intermediate_size");
  const lv = v.int("num_hidden_layers");
  const patch = v.int("patch_size");
  const channels = v.intOr("num_channels", 3);
  const ht = text.int("hidden_size");
  if (modelType === "gemma3") {
    // SigLIP (modeling_siglip.py): conv patch embedding, learned positions, pre-LN blocks with biases.
    const image = v.int("image_size");
    t.add("vision_tower.patch_embedding.weight", [hv, channels, patch, patch], "vision");
    t.add("vision_tower.patch_embedding.bias", [hv], "vision");
    t.add("vision_tower.position_embedding.weight", [(image / patch) ** 2, hv], "vision");
    for (let i = 0; i < lv; i++) vitBlock(t, `vision_tower.layers.${i}`, hv, iv, true, false);
    t.norm("vision_tower.post_layernorm", hv, null, true);
    // modeling_gemma3.py Gemma3MultiModalProjector.
    t.add("multi_modal_projector.mm_input_projection_weight", [hv, ht], "vision");
    t.norm("multi_modal_projector.mm_soft_emb_norm", hv, null);
  } else if (modelType === "mistral3") {
    // Pixtral (modeling_pixtral.py): RMSNorm, gated MLP, no biases, 2-D RoPE (no learned positions).
    t.add("vision_tower.patch_conv.weight", [hv, channels, patch, patch], "vision");
    t.norm("vision_tower.ln_pre", hv, null);
    for (let i = 0; i < lv; i++) {
      const p = `vision_tower.transformer.layers.${i}`;
      t.norm(`${p}.attention_norm`, hv, null);
      for (const x of ["q_proj", "k_proj", "v_proj", "o_proj"])
        t.linear(`${p}.attention.${x}`, hv, hv, "vision", null);
      t.norm(`${p}.ffn_norm`, hv, null);
      t.linear(`${p}.feed_forward.gate_proj`, iv, hv, "vision", null);
      t.linear(`${p}.feed_forward.up_proj`, iv, hv, "vision", null);
      t.linear(`${p}.feed_forward.down_proj`, hv, iv, "vision", null);
    }
    // modeling_mistral3.py Mistral3MultiModalProjector with its patch merger.
    const merge = root.intOr("spatial_merge_size", 2);
    const bias = root.bool("multimodal_projector_bias", false);
    t.norm("multi_modal_projector.norm", hv, null);
    t.linear("multi_modal_projector.patch_merger.merging_layer", hv, hv * merge * merge, "vision", null);
    t.linear("multi_modal_projector.linear_1", ht, hv, "vision", null, bias);
    t.linear("multi_modal_projector.linear_2", ht, ht, "vision", null, bias);
  } else {
    // Llama 4 vision (modeling_llama4.py Llama4VisionModel): CLS token, learned positions, LN blocks.
    const image = v.int("image_size");
    const outDim = v.intOr("vision_output_dim", hv);
    const projIn = v.intOr("projector_input_dim", outDim);
    const projOut = v.intOr("projector_output_dim", outDim);
    t.add("vision_model.patch_embedding.linear.weight", [hv, channels * patch * patch], "vision");
    t.add("vision_model.class_embedding", [hv], "vision");
    t.add("vision_model.positional_embedding_vlm", [(image / patch) ** 2 + 1, hv], "vision");
    t.norm("vision_model.layernorm_pre", hv, null, true);
    t.norm("vision_model.layernorm_post", hv, null, true);
    for (let i = 0; i < lv; i++) vitBlock(t, `vision_model.model.layers.${i}`, hv, iv, true, false);
    const ratio = v.num("pixel_shuffle_ratio") ?? 0.5;
    const shuffled = Math.round(hv / (ratio * ratio));
    t.linear("vision_model.vision_adapter.mlp.fc1", projIn, shuffled, "vision", null);
    t.linear("vision_model.vision_adapter.mlp.fc2", projOut, projIn, "vision", null);
    t.linear("multi_modal_projector.linear_1", ht, outDim, "vision", null);
  }
}

// A pre-LayerNorm transformer block with biased attention and a plain GELU MLP (SigLIP/CLIP style).
function vitBlock(t: TensorList, p: string, h: number, inter: number, bias: boolean, _gated: boolean): void {
  t.norm(`${p}.layer_norm1`, h, null, true);
  for (const x of ["q_proj", "k_proj", "v_proj", "out_proj"])
    t.linear(`${p}.self_attn.${x}`, h, h, "vision", null, bias);
  t.norm(`${p}.layer_norm2`, h, null, true);
  t.linear(`${p}.mlp.fc1`, inter, h, "vision", null, bias);
  t.linear(`${p}.mlp.fc2`, h, inter, "vision", null, bias);
}

// ---------------------------------------------------------------------------------------------
// Older and non-Llama families.

// modeling_gpt2.py: Conv1D weights are stored [in, out]; element counts are what matter.
function buildGpt2(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.intAny(["n_embd", "hidden_size"]);
  const n = cfg.intAny(["n_layer", "num_hidden_layers"]);
  const heads = cfg.intAny(["n_head", "num_attention_heads"]);
  const inter = cfg.intOr("n_inner", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  t.add("transformer.wte.weight", [vocab, h], "embedding");
  t.add("transformer.wpe.weight", [cfg.intAny(["n_positions", "n_ctx"]), h], "position-embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    t.norm(`${p}.ln_1`, h, i, true);
    t.add(`${p}.attn.c_attn.weight`, [h, 3 * h], "attention", i);
    t.add(`${p}.attn.c_attn.bias`, [3 * h], "attention", i);
    t.add(`${p}.attn.c_proj.weight`, [h, h], "attention", i);
    t.add(`${p}.attn.c_proj.bias`, [h], "attention", i);
    t.norm(`${p}.ln_2`, h, i, true);
    t.add(`${p}.mlp.c_fc.weight`, [h, inter], "mlp", i);
    t.add(`${p}.mlp.c_fc.bias`, [inter], "mlp", i);
    t.add(`${p}.mlp.c_proj.weight`, [inter, h], "mlp", i);
    t.add(`${p}.mlp.c_proj.bias`, [h], "mlp", i);
    layers.push(mhaLayer(i, heads, h / heads, { kind: "dense", intermediateSize: inter, gated: false }));
  }
  t.norm("transformer.ln_f", h, null, true);
  return layers;
}

function mhaLayer(i: number, heads: number, headDim: number, ffn: FfnSpec, kvHeads = heads): LayerSpec {
  return {
    index: i,
    mixer: {
      kind: "attention",
      numHeads: heads,
      numKvHeads: kvHeads,
      headDim,
      valueHeadDim: headDim,
      slidingWindow: null,
    },
    ffn,
  };
}

// modeling_gpt_neox.py (Pythia): LayerNorms with bias, fused QKV with bias, untied embed_out.
function buildGptNeox(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const heads = cfg.int("num_attention_heads");
  const inter = cfg.int("intermediate_size");
  const vocab = cfg.int("vocab_size");
  t.add("gpt_neox.embed_in.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `gpt_neox.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i, true);
    t.norm(`${p}.post_attention_layernorm`, h, i, true);
    t.linear(`${p}.attention.query_key_value`, 3 * h, h, "attention", i, true);
    t.linear(`${p}.attention.dense`, h, h, "attention", i, true);
    t.linear(`${p}.mlp.dense_h_to_4h`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.dense_4h_to_h`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, h / heads, { kind: "dense", intermediateSize: inter, gated: false }));
  }
  t.norm("gpt_neox.final_layer_norm", h, null, true);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("embed_out", vocab, h, "output", null);
  return layers;
}

// modeling_gptj.py (GPT-J-6B): parallel attention + MLP after one LayerNorm, biased MLP and head.
function buildGptj(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.intAny(["n_embd", "hidden_size"]);
  const n = cfg.intAny(["n_layer", "num_hidden_layers"]);
  const heads = cfg.intAny(["n_head", "num_attention_heads"]);
  const inter = cfg.intOr("n_inner", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  t.add("transformer.wte.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    t.norm(`${p}.ln_1`, h, i, true);
    for (const x of ["q_proj", "k_proj", "v_proj", "out_proj"])
      t.linear(`${p}.attn.${x}`, h, h, "attention", i);
    t.linear(`${p}.mlp.fc_in`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.fc_out`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, h / heads, { kind: "dense", intermediateSize: inter, gated: false }));
  }
  t.norm("transformer.ln_f", h, null, true);
  t.linear("lm_head", vocab, h, "output", null, true);
  return layers;
}

// modeling_phi.py (Phi-1/1.5/2): parallel attention + MLP after one LayerNorm, biased everywhere.
function buildPhi(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.intAny(["hidden_size", "n_embd"]);
  const n = cfg.intAny(["num_hidden_layers", "n_layer"]);
  const heads = cfg.intAny(["num_attention_heads", "n_head"]);
  const kvHeads = cfg.intOr("num_key_value_heads", null) ?? cfg.intOr("n_head_kv", null) ?? heads;
  const inter = cfg.intOr("intermediate_size", null) ?? cfg.intOr("n_inner", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  const hd = h / heads;
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i, true);
    t.linear(`${p}.self_attn.q_proj`, heads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.k_proj`, kvHeads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.v_proj`, kvHeads * hd, h, "attention", i, true);
    t.linear(`${p}.self_attn.dense`, h, heads * hd, "attention", i, true);
    t.linear(`${p}.mlp.fc1`, inter, h, "mlp", i, true);
    t.linear(`${p}.mlp.fc2`, h, inter, "mlp", i, true);
    layers.push(mhaLayer(i, heads, hd, { kind: "dense", intermediateSize: inter, gated: false }, kvHeads));
  }
  t.norm("model.final_layernorm", h, null, true);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null, true);
  return layers;
}

// modeling_falcon.py (Falcon-7B/40B): fused QKV with multi-query or grouped KV, parallel attention.
function buildFalcon(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.intAny(["hidden_size", "n_embd"]);
  const n = cfg.intAny(["num_hidden_layers", "n_layer"]);
  const heads = cfg.intAny(["num_attention_heads", "n_head"]);
  const newArch = cfg.bool("new_decoder_architecture", false);
  const kvHeads = newArch
    ? cfg.intAny(["num_kv_heads", "n_head_kv"])
    : cfg.bool("multi_query", true)
      ? 1
      : heads;
  const bias = cfg.bool("bias", false);
  const inter = cfg.intOr("ffn_hidden_size", null) ?? 4 * h;
  const vocab = cfg.int("vocab_size");
  const hd = h / heads;
  t.add("transformer.word_embeddings.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `transformer.h.${i}`;
    if (newArch) {
      t.norm(`${p}.ln_attn`, h, i, true);
      t.norm(`${p}.ln_mlp`, h, i, true);
    } else t.norm(`${p}.input_layernorm`, h, i, true);
    t.linear(`${p}.self_attention.query_key_value`, (heads + 2 * kvHeads) * hd, h, "attention", i, bias);
    t.linear(`${p}.self_attention.dense`, h, h, "attention", i, bias);
    t.linear(`${p}.mlp.dense_h_to_4h`, inter, h, "mlp", i, bias);
    t.linear(`${p}.mlp.dense_4h_to_h`, h, inter, "mlp", i, bias);
    layers.push(mhaLayer(i, heads, hd, { kind: "dense", intermediateSize: inter, gated: false }, kvHeads));
  }
  t.norm("transformer.ln_f", h, null, true);
  if (!cfg.bool("tie_word_embeddings", true)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
}

// modeling_mamba.py MambaMixer (Mamba-1; Falcon-Mamba adds weightless RMS norms on B, C and dt).
function addMambaMixer(
  t: TensorList,
  p: string,
  i: number,
  h: number,
  m: MambaDims,
  convBias: boolean,
  projBias: boolean,
  innerNorms: boolean,
): MixerSpec {
  t.linear(`${p}.in_proj`, 2 * m.dInner, h, "ssm", i, projBias);
  t.add(`${p}.conv1d.weight`, [m.dInner, 1, m.dConv], "ssm", i);
  if (convBias) t.add(`${p}.conv1d.bias`, [m.dInner], "ssm", i);
  t.linear(`${p}.x_proj`, m.dtRank + 2 * m.dState, m.dInner, "ssm", i);
  t.linear(`${p}.dt_proj`, m.dInner, m.dtRank, "ssm", i, true);
  t.add(`${p}.A_log`, [m.dInner, m.dState], "ssm", i);
  t.add(`${p}.D`, [m.dInner], "ssm", i);
  t.linear(`${p}.out_proj`, h, m.dInner, "ssm", i, projBias);
  if (innerNorms) {
    t.norm(`${p}.dt_layernorm`, m.dtRank, i);
    t.norm(`${p}.b_layernorm`, m.dState, i);
    t.norm(`${p}.c_layernorm`, m.dState, i);
  }
  return {
    kind: "mamba",
    version: 1,
    dInner: m.dInner,
    dState: m.dState,
    dConv: m.dConv,
    nGroups: 1,
    numHeads: 1,
  };
}

interface MambaDims {
  dInner: number;
  dState: number;
  dConv: number;
  dtRank: number;
}

function buildMamba(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const expand = cfg.intOr("expand", 2);
  const dInner = cfg.intOr("intermediate_size", null) ?? expand * h;
  const rankRaw = cfg.raw["time_step_rank"];
  // configuration_mamba.py: time_step_rank "auto" = ceil(hidden_size / 16).
  const dtRank = typeof rankRaw === "number" ? cfg.int("time_step_rank") : Math.ceil(h / 16);
  const dims: MambaDims = {
    dInner,
    dState: cfg.intOr("state_size", 16),
    dConv: cfg.intOr("conv_kernel", 4),
    dtRank,
  };
  t.add("backbone.embeddings.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `backbone.layers.${i}`;
    t.norm(`${p}.norm`, h, i);
    const mixer = addMambaMixer(
      t,
      `${p}.mixer`,
      i,
      h,
      dims,
      cfg.bool("use_conv_bias", true),
      cfg.bool("use_bias", false),
      false,
    );
    layers.push({ index: i, mixer, ffn: { kind: "none" } });
  }
  t.norm("backbone.norm_f", h, null);
  if (!cfg.bool("tie_word_embeddings", true)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
}

// modeling_jamba.py: Mamba layers with one attention layer per attn_layer_period, MoE every
// expert_layer_period layers.
function buildJamba(cfg: ConfigReader, t: TensorList): LayerSpec[] {
  const h = cfg.int("hidden_size");
  const n = cfg.int("num_hidden_layers");
  const vocab = cfg.int("vocab_size");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.intOr("num_key_value_heads", heads);
  const inter = cfg.int("intermediate_size");
  const attnPeriod = cfg.intOr("attn_layer_period", 8);
  const attnOffset = cfg.intOr("attn_layer_offset", 4);
  const expertPeriod = cfg.intOr("expert_layer_period", 2);
  const expertOffset = cfg.intOr("expert_layer_offset", 1);
  const numExperts = cfg.intOr("num_experts", 16);
  const topK = cfg.intOr("num_experts_per_tok", 2);
  const expand = cfg.intOr("mamba_expand", 2);
  const dims: MambaDims = {
    dInner: expand * h,
    dState: cfg.intOr("mamba_d_state", 16),
    dConv: cfg.intOr("mamba_d_conv", 4),
    dtRank: typeof cfg.raw["mamba_dt_rank"] === "number" ? cfg.int("mamba_dt_rank") : Math.ceil(h / 16),
  };
  const hd = h / heads;
  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    t.norm(`${p}.input_layernorm`, h, i);
    t.norm(`${p}.pre_ff_layernorm`, h, i);
    let mixer: MixerSpec;
    if (i % attnPeriod === attnOffset) {
      t.linear(`${p}.self_attn.q_proj`, heads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.k_proj`, kvHeads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.v_proj`, kvHeads * hd, h, "attention", i);
      t.linear(`${p}.self_attn.o_proj`, h, heads * hd, "attention", i);
      mixer = {
        kind: "attention",
        numHeads: heads,
        numKvHeads: kvHeads,
        headDim: hd,
        valueHeadDim: hd,
        slidingWindow: null,
      };
    } else {
      mixer = addMambaMixer(
        t,
        `${p}.mamba`,
        i,
        h,
        dims,
        cfg.bool("mamba_conv_bias", true),
        cfg.bool("mamba_proj_bias", false),
        true,
      );
    }
    let ffn: FfnSpec;
    if (numExperts > 1 && i % expertPeriod === expertOffset) {
      t.linear(`${p}.feed_forward.router`, numExperts, h, "router", i);
      t.stackedExperts(`${p}.feed_forward.experts`, numExperts, h, inter, i);
      ffn = {
        kind: "moe",
        numExperts,
        expertsPerToken: topK,
        expertIntermediateSize: inter,
        numSharedExperts: 0,
        sharedIntermediateSize: 0,
      };
    } else {
      t.gatedMlp(`${p}.feed_forward`, h, inter, "mlp", i);
      ffn = { kind: "dense", intermediateSize: inter, gated: true };
    }
    layers.push({ index: i, mixer, ffn });
  }
  t.norm("model.final_layernorm", h, null);
  if (!cfg.bool("tie_word_embeddings", false)) t.linear("lm_head", vocab, h, "output", null);
  return layers;
}
