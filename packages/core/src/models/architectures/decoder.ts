import { MemlensError } from "../../errors/memlens-error.js";
import type { ConfigReader } from "../config-reader.js";
import type { FfnSpec, LayerSpec, MixerSpec } from "../model-spec.js";
import type { TensorList } from "../tensor-list.js";
import { type ArchitectureBuilder, denseFfn, throwMissing } from "./common.js";

// Llama-like decoders (RMSNorm, rotary, gated MLP): one builder, each family's variations as traits.

/**
 * A mixer other than the standard attention block (MLA, linear attention), adding its tensors
 * under `prefix` (e.g. `model.layers.3`).
 */
export type CustomMixer = (
  cfg: ConfigReader,
  t: TensorList,
  prefix: string,
  layer: number,
  hidden: number,
  numHeads: number,
) => MixerSpec;

/** How a family's MoE blocks are laid out (modeling_<family>.py's sparse MLP). */
export interface MoeLayout {
  /** Which layers are MoE (read once, before the layers are built). */
  readonly layers: (cfg: ConfigReader) => (i: number) => boolean;
  /** Routed experts' width, and the shared experts: how many and their total width. */
  readonly widths: (cfg: ConfigReader) => { expert: number; numShared: number; sharedInter: number };
  /** Name of the shared-expert MLP: `shared_expert` (Qwen) or `shared_experts` (DeepSeek). */
  readonly sharedName?: "shared_expert" | "shared_experts";
  /** A sigmoid gate on the shared expert (`shared_expert_gate`, Qwen). */
  readonly sharedGate?: boolean;
  /** The router has a bias (gpt-oss). */
  readonly routerBias?: boolean;
  /** The router always keeps a score correction bias (otherwise only with topk_method noaux_tc). */
  readonly scoreCorrectionBias?: boolean;
  /** Experts carry biases (gpt-oss). */
  readonly expertBias?: boolean;
}

/** Reads a family's sliding-window pattern: layer i's window or chunk, null for a global layer. */
export type WindowRule = (
  cfg: ConfigReader,
  window: number | null,
  notes: string[],
) => (i: number) => number | null;

/** What sets a Llama-like family apart; every field is optional and defaults to Llama. */
export interface DecoderFamily {
  /**
   * Layer i's sliding window or chunk (null: global) when config.json has no `layer_types`;
   * `window` is `sliding_window` (or `sliding_window_size`). Default: every layer global.
   */
  readonly slidingWindow?: WindowRule;
  /**
   * Layer i's mixer when it is not standard attention, or null. `layerTypes` is config.json's
   * `layer_types` when present.
   */
  readonly customMixer?: (
    cfg: ConfigReader,
    layerTypes: readonly string[] | undefined,
  ) => (i: number) => CustomMixer | null;
  readonly moe?: MoeLayout;
  /** Biases on q/k/v, o and the MLP. Default: `attention_bias` and `mlp_bias`. */
  readonly biases?: (cfg: ConfigReader) => { qkv: boolean; o: boolean; mlp: boolean };
  /**
   * q/k norms: per head (`[head_dim]`), over the whole projection (OLMo 2), per head and
   * position (Cohere `[heads, head_dim]`), or none (default).
   */
  readonly qkNorm?: (cfg: ConfigReader) => "head" | "full" | "cohere" | "none";
  /**
   * Norms of a layer: before attention and MLP (default), after them (OLMo 2), both
   * (Gemma 2/3 sandwich), or one before the parallel attention and MLP (Cohere).
   */
  readonly norms?: "pre" | "post" | "sandwich" | "parallel";
  /** LayerNorms with bias (StarCoder2), the final norm included. */
  readonly normBias?: boolean;
  /** One fused qkv_proj (Phi-3). */
  readonly fusedQkv?: boolean;
  /** q_proj twice as wide: a gate on the attention output (Qwen3-Next). */
  readonly gatedQuery?: boolean;
  /** Learned attention sinks, one per head (gpt-oss). */
  readonly sinks?: boolean;
  /** Dense MLP: gate/up/down (default), c_fc/c_proj without gate (StarCoder2), or a fused gate_up_proj (Phi-3). */
  readonly mlp?: "gated" | "plain" | "fused-gated";
  /** Width of a dense MLP. Default: `intermediate_size`. */
  readonly denseIntermediate?: (cfg: ConfigReader) => number;
  /** Whether the output projection is tied to the embeddings when config.json does not say. */
  readonly tiedByDefault?: boolean;
}

/** A Gemma layer's norms: before and after both attention and the MLP (Gemma 2/3/4). */
export const SANDWICH_NORMS = [
  "input_layernorm",
  "post_attention_layernorm",
  "pre_feedforward_layernorm",
  "post_feedforward_layernorm",
] as const;

/** Layer i uses the window for every layer (Mistral, StarCoder2, Phi-3) when one is set. */
export const everyLayerWindow: WindowRule = (_cfg, window) => () => window;

/** The builder of a Llama-like family. */
export function decoder(family: DecoderFamily): ArchitectureBuilder {
  return (cfg, t, notes) => buildDecoder(family, cfg, t, notes);
}

function buildDecoder(f: DecoderFamily, cfg: ConfigReader, t: TensorList, notes: string[]): LayerSpec[] {
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

  // Which layers slide, which are not attention, which are MoE.
  const layerTypes = cfg.strArray("layer_types");
  const window = cfg.intOr("sliding_window", null) ?? cfg.intOr("sliding_window_size", null);
  let slidingWindow: (i: number) => number | null = () => null;
  if (layerTypes) {
    if (layerTypes.length !== n)
      throw new MemlensError(
        "malformed-config",
        `config.layer_types has ${layerTypes.length} entries but num_hidden_layers is ${n}`,
        "config.layer_types",
      );
    const chunk = cfg.intOr("attention_chunk_size", null);
    slidingWindow = (i) => {
      const lt = layerTypes[i];
      if (lt === "sliding_attention") return window;
      if (lt === "chunked_attention") return chunk;
      return null;
    };
  } else if (f.slidingWindow) slidingWindow = f.slidingWindow(cfg, window, notes);
  const customMixer = f.customMixer?.(cfg, layerTypes) ?? (() => null);
  const isMoe = f.moe?.layers(cfg) ?? (() => false);

  const { qkv: attnBias, o: oBias, mlp: mlpBias } = f.biases?.(cfg) ?? defaultBiases(cfg);
  const qkNorm = f.qkNorm?.(cfg) ?? "none";
  const normBias = f.normBias ?? false;

  t.add("model.embed_tokens.weight", [vocab, h], "embedding");
  const layers: LayerSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p = `model.layers.${i}`;
    // Norms around the mixer and MLP.
    switch (f.norms ?? "pre") {
      case "post":
        t.norm(`${p}.post_attention_layernorm`, h, i);
        t.norm(`${p}.post_feedforward_layernorm`, h, i);
        break;
      case "sandwich":
        for (const nm of SANDWICH_NORMS) t.norm(`${p}.${nm}`, h, i);
        break;
      case "parallel":
        t.norm(`${p}.input_layernorm`, h, i);
        break;
      case "pre":
        t.norm(`${p}.input_layernorm`, h, i, normBias);
        t.norm(`${p}.post_attention_layernorm`, h, i, normBias);
    }

    const custom = customMixer(i);
    let mixer: MixerSpec;
    if (custom) mixer = custom(cfg, t, p, i, h, numHeads);
    else {
      const a = `${p}.self_attn`;
      if (f.fusedQkv) {
        t.linear(`${a}.qkv_proj`, (numHeads + 2 * numKvHeads) * headDim, h, "attention", i);
      } else {
        const qOut = f.gatedQuery ? 2 * numHeads * headDim : numHeads * headDim;
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
      if (f.sinks) t.add(`${a}.sinks`, [numHeads], "attention", i);
      mixer = {
        kind: "attention",
        numHeads,
        numKvHeads,
        headDim,
        valueHeadDim: headDim,
        slidingWindow: slidingWindow(i),
      };
    }

    let ffn: FfnSpec;
    const m = `${p}.mlp`;
    if (f.moe && isMoe(i)) ffn = addMoe(f.moe, cfg, t, m, i, h);
    else {
      const inter = f.denseIntermediate
        ? f.denseIntermediate(cfg)
        : (cfg.intOr("intermediate_size", null) ?? throwMissing("intermediate_size"));
      switch (f.mlp ?? "gated") {
        case "plain":
          t.linear(`${m}.c_fc`, inter, h, "mlp", i, mlpBias);
          t.linear(`${m}.c_proj`, h, inter, "mlp", i, mlpBias);
          ffn = denseFfn(inter, false);
          break;
        case "fused-gated":
          t.linear(`${m}.gate_up_proj`, 2 * inter, h, "mlp", i);
          t.linear(`${m}.down_proj`, h, inter, "mlp", i);
          ffn = denseFfn(inter, true);
          break;
        case "gated":
          t.gatedMlp(m, h, inter, "mlp", i, mlpBias);
          ffn = denseFfn(inter, true);
      }
    }
    layers.push({ index: i, mixer, ffn });
  }
  t.norm("model.norm", h, null, normBias);
  if (!cfg.bool("tie_word_embeddings", f.tiedByDefault ?? false))
    t.linear("lm_head", vocab, h, "output", null);
  return layers;
}

function defaultBiases(cfg: ConfigReader): { qkv: boolean; o: boolean; mlp: boolean } {
  const attention = cfg.bool("attention_bias", false);
  return { qkv: attention, o: attention, mlp: cfg.bool("mlp_bias", false) };
}

function addMoe(moe: MoeLayout, cfg: ConfigReader, t: TensorList, m: string, i: number, h: number): FfnSpec {
  const numExperts = cfg.intAny(["num_local_experts", "num_experts", "n_routed_experts"]);
  const topK = cfg.intAny(["num_experts_per_tok", "experts_per_token"]);
  const { expert, numShared, sharedInter } = moe.widths(cfg);
  t.linear(`${m}.gate`, numExperts, h, "router", i, moe.routerBias ?? false);
  // DeepSeek-V3-style routers keep a per-expert score correction bias (noaux_tc; GLM-4.5 too).
  if (cfg.str("topk_method") === "noaux_tc" || moe.scoreCorrectionBias)
    t.add(`${m}.gate.e_score_correction_bias`, [numExperts], "router", i);
  t.stackedExperts(`${m}.experts`, numExperts, h, expert, i, moe.expertBias ?? false);
  if (sharedInter > 0) {
    t.gatedMlp(`${m}.${moe.sharedName ?? "shared_experts"}`, h, sharedInter, "shared-expert", i);
    if (moe.sharedGate) t.linear(`${m}.shared_expert_gate`, 1, h, "router", i);
  }
  return {
    kind: "moe",
    numExperts,
    expertsPerToken: topK,
    expertIntermediateSize: expert,
    numSharedExperts: numShared,
    sharedIntermediateSize: sharedInter,
  };
}

/** Every layer is MoE (Mixtral, gpt-oss). */
export const allLayers = () => () => true;
