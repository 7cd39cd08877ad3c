import type { LayerSpec, ModelSpec } from "../models/model-spec.js";
import { cudaReservedBytes } from "./cuda-allocator.js";
import { type LinearGroup, type LinearModule, linearModules } from "./lora.js";

/**
 * Training activation memory, tensor by tensor, for the real architecture.
 *
 * Every decoder layer lists the tensors autograd saves between forward and backward, following
 * Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models", §4.1):
 * a tensor is saved by the op that needs it for its backward; with 16-bit activations, dropout and
 * eager attention a GPT layer saves s·b·h·(34 + 5·a·s/h) bytes, which this inventory reproduces
 * exactly for a GPT-2 layer in that setting. Modern models change the list: FlashAttention / SDPA
 * save no s² scores (Dao et al. 2022), GQA saves K/V at the KV width unless repeat_kv expands them,
 * gated MLPs save three intermediate-wide tensors, HF RMSNorm saves an FP32 copy of its input,
 * frozen linears save no input (autograd only saves what a required gradient needs), LoRA saves the
 * adapter input and its rank-wide output, MoE saves every routed token's copy per chosen expert.
 */

export type AttentionImpl = "eager" | "sdpa" | "flash";
export type Recompute = "none" | "selective" | "full";

/** Dtype rules of the framework, as bytes per element. */
export interface ActivationDtypes {
  /** Residual stream (the embedding output's dtype). */
  readonly residualBytes: number;
  /** Matmul / attention compute dtype. */
  readonly computeBytes: number;
  readonly autocast: boolean;
  /** RMSNorm saves an FP32 copy of its input (HF / torchtune `x.to(torch.float32)`). */
  readonly normUpcast: boolean;
  readonly adapterBytes: number;
  readonly adapterCastsInput: boolean;
  /** SwiGLU fused: saves gate and up outputs only (see TrainingProfile.fusedSwiGlu). */
  readonly fusedSwiGlu: boolean;
  /** LoRA dropout probability (the framework's default: LitGPT 0.05, PEFT 0.0). */
  readonly adapterDropout: number;
  /** A 4-bit frozen linear keeps its input for backward (bitsandbytes MatMul4Bit: ctx.tensors = (A, B)). */
  readonly quantizedSavesInput: boolean;
}

export interface TrainingActivationInput {
  readonly spec: ModelSpec;
  readonly dtypes: ActivationDtypes;
  /** Base weights trainable (full fine-tuning): every linear and norm saves its input. */
  readonly fullTraining: boolean;
  /** Module paths that carry a LoRA adapter, and its rank. */
  readonly adaptedModules: ReadonlySet<string>;
  readonly loraRank: number;
  /** The frozen base is 4-bit (bitsandbytes / torchao NF4): no saved input, dequantized weight transient. */
  readonly quantizedBase: boolean;
  readonly microBatch: number;
  readonly sequenceLength: number;
  readonly packed: boolean;
  readonly attention: AttentionImpl;
  /** repeat_kv expands K/V to every query head before the attention kernel (eager; SDPA with a mask). */
  readonly expandKv: boolean;
  /** Attention-probability and hidden dropout probabilities from the config. */
  readonly attentionDropout: number;
  readonly hiddenDropout: number;
  /** Softmax of eager attention in FP32 (`softmax(..., dtype=torch.float32)` in HF Llama-style models). */
  readonly softmaxFp32: boolean;
  readonly tensorParallel: number;
  readonly sequenceParallel: boolean;
}

/** One saved tensor of one layer, for one micro-batch, on one tensor-parallel rank. */
export interface SavedTensor {
  readonly name: string;
  readonly bytes: number;
  /** s²-sized (attention scores): dropped by selective recomputation. */
  readonly scoreSized: boolean;
}

export interface LayerActivations {
  readonly layer: number;
  readonly saved: readonly SavedTensor[];
  /** Saved bytes with no recomputation. */
  readonly savedBytes: number;
  /** Saved bytes with selective recomputation (attention core recomputed: no s² tensors). */
  readonly selectiveBytes: number;
  /** The layer input: all full recomputation keeps (Korthikanti: 2·s·b·h). */
  readonly inputBytes: number;
  /** Transient peak of the layer's forward beyond what it saves. */
  readonly forwardWorkspaceBytes: number;
  /** Transient peak of the layer's backward (activation gradients, dequantized weights). */
  readonly backwardWorkspaceBytes: number;
  /** Scores rebuilt in backward under selective recomputation. */
  readonly recomputedCoreBytes: number;
  /** Block-rounding slack of the saved tensors in the caching allocator. */
  readonly savedSlackBytes: number;
}

const ceil = Math.ceil;

class Inventory {
  readonly items: SavedTensor[] = [];
  constructor(
    private readonly tokens: number,
    private readonly tp: number,
    private readonly sp: boolean,
  ) {}
  /** Adds a [tokens, width] tensor; `tp` = inside the tensor-parallel region (split by heads/columns). */
  add(name: string, widthBytes: number, region: "seq" | "tp"): void {
    if (widthBytes <= 0) return;
    const div = region === "tp" || this.sp ? this.tp : 1;
    this.items.push({ name, bytes: ceil((this.tokens * widthBytes) / div), scoreSized: false });
  }
  /** Adds a tensor of raw bytes (scores: batch·heads·s², already per rank). */
  addRaw(name: string, bytes: number, scoreSized: boolean): void {
    if (bytes > 0) this.items.push({ name, bytes: ceil(bytes), scoreSized });
  }
}

/** Linears of a layer that read one tensor, and which of them need it saved. */
function saveLinearInput(
  inv: Inventory,
  x: TrainingActivationInput,
  consumers: readonly LinearModule[],
  what: string,
  width: number,
  inputBytes: number,
  region: "seq" | "tp",
  alreadySaved: boolean,
): void {
  const d = x.dtypes;
  let shared = false;
  let droppedQkv = false;
  for (const m of consumers) {
    const adapted = x.adaptedModules.has(m.module);
    // bitsandbytes MatMul4Bit.forward keeps A whenever the input needs a gradient
    // (bitsandbytes/autograd/_functions.py); torchao's linear_nf4 keeps only the weight.
    const baseNeeds =
      (x.fullTraining && !x.quantizedBase) ||
      (x.quantizedBase && d.quantizedSavesInput && m.tensor.role !== "router");
    if (baseNeeds) {
      // Autocast casts the input per op and the matmul saves the cast copy.
      if (d.autocast && inputBytes !== d.computeBytes)
        inv.add(`${m.leaf} input (autocast copy)`, width * d.computeBytes, region);
      else shared = true;
    }
    if (adapted) {
      const castTo = d.autocast ? d.computeBytes : d.adapterCastsInput ? d.adapterBytes : inputBytes;
      if (d.adapterDropout > 0) {
        // nn.Dropout before lora_A: its 1-byte mask and its output (lora_A's saved input); LitGPT's
        // fused qkv linear applies one dropout for q, k and v.
        if (!(m.group === "attn-in" && droppedQkv)) {
          inv.add(`${m.leaf} lora dropout mask`, width, region);
          inv.add(`${m.leaf} lora dropout output`, width * castTo, region);
        }
        droppedQkv ||= m.group === "attn-in";
      } else if (castTo !== inputBytes) inv.add(`${m.leaf} lora_A input (cast)`, width * castTo, region);
      else shared = true;
      // lora_A output, saved by lora_B: rank wide.
      inv.add(`${m.leaf} lora_A output`, x.loraRank * (d.autocast ? d.computeBytes : d.adapterBytes), "tp");
    }
  }
  if (shared && !alreadySaved) inv.add(what, width * inputBytes, region);
}

/** Output dtype of a linear reading `inputBytes` (bitsandbytes Linear4bit returns its input dtype). */
function linearOut(x: TrainingActivationInput, inputBytes: number): number {
  if (x.quantizedBase) return inputBytes;
  return x.dtypes.autocast ? x.dtypes.computeBytes : x.dtypes.residualBytes;
}

/** Saved bytes of a norm over `width` features of an input of `inputBytes`. */
function addNorm(
  inv: Inventory,
  x: TrainingActivationInput,
  name: string,
  width: number,
  inputBytes: number,
  layerNorm: boolean,
  region: "seq" | "tp",
): void {
  if (layerNorm || !x.dtypes.normUpcast) {
    // Native LayerNorm / fused RMSNorm kernels save the input (and per-row FP32 statistics, ≤ 8
    // bytes per token, ignored here as in Korthikanti et al.).
    inv.add(`${name} input`, width * inputBytes, region);
    return;
  }
  // HF LlamaRMSNorm: x.to(float32) saved by pow and mul; weight * h.to(dtype) saves h if weight trains.
  inv.add(`${name} input (FP32)`, width * 4, region);
  if (x.fullTraining && !x.quantizedBase) inv.add(`${name} normalized`, width * inputBytes, region);
}

function modulesIn(
  all: readonly LinearModule[],
  layer: number,
  group: LinearGroup,
  roles?: readonly string[],
) {
  return all.filter(
    (m) => m.layer === layer && m.group === group && (!roles || roles.includes(m.tensor.role)),
  );
}

/** The attention block's input: the norm output its q/k/v (or MLA down-) projections read. */
function saveAttentionInput(
  inv: Inventory,
  x: TrainingActivationInput,
  mods: readonly LinearModule[],
  layer: number,
  hidden: number,
  normBytes: number,
) {
  saveLinearInput(
    inv,
    x,
    modulesIn(mods, layer, "attn-in"),
    "attention input (norm output)",
    hidden,
    normBytes,
    "seq",
    false,
  );
}

/**
 * What attention saves past the scores: flash / memory-efficient SDPA save the output and the FP32
 * log-sum-exp per head (eager's softmax is saved by the caller). o_proj reads the attention output:
 * flash returns [b, s, heads, d] (a view for o_proj); SDPA and eager transpose into a contiguous copy.
 */
function saveAttentionOutput(
  inv: Inventory,
  x: TrainingActivationInput,
  mods: readonly LinearModule[],
  layer: number,
  heads: number,
  width: number,
  bytes: number,
) {
  if (x.attention !== "eager") {
    inv.add("attention output", width * bytes, "tp");
    inv.add("softmax lse", heads * 4, "tp");
  }
  saveLinearInput(
    inv,
    x,
    modulesIn(mods, layer, "attn-out"),
    "o_proj input",
    width,
    bytes,
    "tp",
    x.attention === "flash",
  );
}

/** The activation inventory of one decoder layer (one micro-batch, one tensor-parallel rank). */
export function layerActivations(x: TrainingActivationInput, layer: LayerSpec): LayerActivations {
  const spec = x.spec;
  const d = x.dtypes;
  const h = spec.hiddenSize;
  const b = x.microBatch;
  const s = x.sequenceLength;
  const T = b * s;
  const tp = x.tensorParallel;
  const inv = new Inventory(T, tp, x.sequenceParallel);
  const mods = linearModules(spec);
  const r = d.residualBytes;
  const c = d.computeBytes;
  const normTensors = spec.tensors.filter((t) => t.layer === layer.index && t.role === "norm");
  const hasBias = (weightName: string) =>
    normTensors.some((t) => t.name === weightName.replace(/weight$/, "bias"));
  const hiddenNorms = normTensors.filter((t) => t.name.endsWith("weight") && t.shape[0] === h);
  const headNorms = normTensors.filter((t) => t.name.endsWith("weight") && t.shape[0] !== h);
  const layerNorm = hiddenNorms.some((t) => hasBias(t.name));
  const n = r; // norm output: weight (stored like the residual) × normalized input
  let forwardTemp = 0;
  let backwardTemp = 0;
  let dequant = 0;
  for (const m of mods)
    if (m.layer === layer.index && x.quantizedBase && m.tensor.role !== "router")
      // bitsandbytes / torchao dequantize the whole 4-bit weight to the compute dtype per matmul.
      dequant = Math.max(dequant, ceil((m.rows * m.cols * c) / tp));

  // Norms on the hidden size (2 for most models, 4 for Gemma 2/3 and OLMo 2 post-norms).
  hiddenNorms.forEach((t, i) => {
    addNorm(inv, x, t.name.split(".").slice(-2, -1)[0] ?? `norm${i}`, h, r, layerNorm, "seq");
  });
  if (hiddenNorms.length === 0 && layer.mixer.kind !== "mamba") addNorm(inv, x, "norm", h, r, false, "seq");
  if (d.normUpcast && !layerNorm)
    forwardTemp = Math.max(forwardTemp, (T * h * 4) / (x.sequenceParallel ? tp : 1));

  // Mixer.
  const m = layer.mixer;
  let attnScoresTemp = 0;
  let attnBackward = 0;
  switch (m.kind) {
    case "attention": {
      const ak = x.attention === "flash" || d.autocast ? c : linearOut(x, n);
      const qW = m.numHeads * m.headDim;
      const kvHeads = x.expandKv ? m.numHeads : m.numKvHeads;
      const kW = kvHeads * m.headDim;
      const vW = kvHeads * m.valueHeadDim;
      const oW = m.numHeads * m.valueHeadDim;
      saveAttentionInput(inv, x, mods, layer.index, h, n);
      for (const t of headNorms) {
        // Qwen3 / OLMo 2 q_norm and k_norm over head_dim (per head) or the projected width.
        const isK = /k_norm|k_layernorm/.test(t.name);
        const width = isK ? m.numKvHeads * m.headDim : qW;
        addNorm(inv, x, isK ? "k_norm" : "q_norm", width, linearOut(x, n), hasBias(t.name), "tp");
      }
      inv.add("q", qW * ak, "tp");
      inv.add(x.expandKv && m.numKvHeads !== m.numHeads ? "k (repeat_kv)" : "k", kW * ak, "tp");
      inv.add(x.expandKv && m.numKvHeads !== m.numHeads ? "v (repeat_kv)" : "v", vW * ak, "tp");
      const window = m.slidingWindow === null ? s : Math.min(s, m.slidingWindow);
      const cells = (b * m.numHeads * s * window) / tp;
      if (x.attention === "eager") {
        // eager_attention_forward: softmax saved (FP32 when upcast), its cast copy saved by the
        // matmul with V, or with dropout: the mask (1 byte) and dropout output (Korthikanti 5as²b).
        const sm = x.softmaxFp32 ? 4 : ak;
        inv.addRaw("attention softmax", cells * sm, true);
        if (x.attentionDropout > 0) {
          inv.addRaw("attention dropout mask", cells, true);
          inv.addRaw("attention dropout output", cells * ak, true);
        } else if (x.softmaxFp32) inv.addRaw("attention probs (cast)", cells * ak, true);
        attnScoresTemp = cells * ak;
        attnBackward = cells * (4 + ak);
      } else attnBackward = (T * (qW + kW + vW + oW) * ak) / tp;
      saveAttentionOutput(inv, x, mods, layer.index, m.numHeads, oW, ak);
      break;
    }
    case "mla": {
      // DeepSeek MLA as transformers computes it: q/kv down-projections, their RMSNorms, then full
      // per-head q, k (nope + rope) and v.
      const ak = d.autocast ? c : linearOut(x, n);
      const qk = m.qkNopeHeadDim + m.qkRopeHeadDim;
      saveAttentionInput(inv, x, mods, layer.index, h, n);
      const lat = (m.qLoraRank ?? 0) + m.kvLoraRank;
      for (const t of headNorms)
        addNorm(
          inv,
          x,
          t.name.includes("q_a") ? "q_a_layernorm" : "kv_a_layernorm",
          t.shape[0] ?? 0,
          linearOut(x, n),
          false,
          "seq",
        );
      saveLinearInput(
        inv,
        x,
        modulesIn(mods, layer.index, "attn-mid"),
        "latent (norm output)",
        lat,
        linearOut(x, n),
        "seq",
        false,
      );
      inv.add("q", m.numHeads * qk * ak, "tp");
      inv.add("k", m.numHeads * qk * ak, "tp");
      inv.add("v", m.numHeads * m.valueHeadDim * ak, "tp");
      const oW = m.numHeads * m.valueHeadDim;
      if (x.attention === "eager") {
        const cells = (b * m.numHeads * s * s) / tp;
        inv.addRaw("attention softmax", cells * (x.softmaxFp32 ? 4 : ak), true);
        if (x.softmaxFp32) inv.addRaw("attention probs (cast)", cells * ak, true);
        attnScoresTemp = cells * ak;
        attnBackward = cells * (4 + ak);
      } else attnBackward = (T * m.numHeads * (2 * qk + 2 * m.valueHeadDim) * ak) / tp;
      saveAttentionOutput(inv, x, mods, layer.index, m.numHeads, oW, ak);
      break;
    }
    case "mamba": {
      // Approximate: in_proj input, its output (x, z, B, C, dt), the conv output, the scan's saved
      // inputs and the gated output before out_proj (mamba_ssm selective_scan_fn saves u, delta, A, B, C, z).
      const mo = linearOut(x, n);
      saveLinearInput(inv, x, modulesIn(mods, layer.index, "attn-in"), "in_proj input", h, n, "seq", false);
      const proj = 2 * m.dInner + 2 * m.nGroups * m.dState + m.numHeads;
      inv.add("in_proj output", proj * mo, "tp");
      inv.add("conv output", m.dInner * mo, "tp");
      inv.add("scan inputs", (2 * m.dInner + 2 * m.nGroups * m.dState) * 4, "tp");
      saveLinearInput(
        inv,
        x,
        modulesIn(mods, layer.index, "attn-out"),
        "out_proj input",
        m.dInner,
        mo,
        "tp",
        false,
      );
      attnBackward = (T * proj * mo * 2) / tp;
      break;
    }
    case "linear-attention": {
      // Approximate (Gated DeltaNet): projections, short convs and the chunked recurrence inputs.
      const mo = linearOut(x, n);
      saveLinearInput(
        inv,
        x,
        modulesIn(mods, layer.index, "attn-in"),
        "projection input",
        h,
        n,
        "seq",
        false,
      );
      const qk = 2 * m.numKeyHeads * m.keyHeadDim;
      const v = m.numValueHeads * m.valueHeadDim;
      inv.add("q, k, v (pre-conv)", (qk + v) * mo, "tp");
      inv.add("q, k, v (post-conv)", (qk + v) * mo, "tp");
      inv.add("gate / beta", (v + 2 * m.numValueHeads) * mo, "tp");
      inv.add("recurrence output", v * mo, "tp");
      saveLinearInput(inv, x, modulesIn(mods, layer.index, "attn-out"), "out_proj input", v, mo, "tp", false);
      attnBackward = (T * (qk + 2 * v) * mo * 2) / tp;
      break;
    }
  }
  if (x.hiddenDropout > 0) inv.add("attention residual dropout mask", h, "seq");

  // FFN.
  const f = layer.ffn;
  let mlpBackward = 0;
  switch (f.kind) {
    case "none":
      break;
    case "dense": {
      saveLinearInput(
        inv,
        x,
        modulesIn(mods, layer.index, "mlp-in"),
        "MLP input (norm output)",
        h,
        n,
        "seq",
        false,
      );
      const mo = linearOut(x, n);
      const I = f.intermediateSize;
      if (f.gated && d.fusedSwiGlu) {
        // Fused SiLU·mul saves its two inputs and recomputes the product for down_proj's backward.
        inv.add("gate_proj output", I * mo, "tp");
        inv.add("up_proj output", I * mo, "tp");
        mlpBackward = (3 * T * I * mo) / tp;
        break;
      }
      if (f.gated) {
        // act(gate) * up: SiLU saves gate, the product saves act(gate) and up.
        inv.add("gate_proj output", I * mo, "tp");
        inv.add("act(gate)", I * mo, "tp");
        inv.add("up_proj output", I * mo, "tp");
        mlpBackward = (3 * T * I * mo) / tp;
      } else {
        // fc1 output saved by the activation (Korthikanti: GeLU input 8sbh).
        inv.add("fc1 output", I * mo, "tp");
        mlpBackward = (2 * T * I * mo) / tp;
      }
      saveLinearInput(inv, x, modulesIn(mods, layer.index, "mlp-out"), "down_proj input", I, mo, "tp", false);
      break;
    }
    case "moe": {
      const router = modulesIn(mods, layer.index, "mlp-in", ["router"]);
      const shared = modulesIn(mods, layer.index, "mlp-in", ["shared-expert"]);
      saveLinearInput(inv, x, [...router, ...shared], "MoE input (norm output)", h, n, "seq", false);
      // Router softmax in FP32 (transformers: F.softmax(router_logits, dtype=torch.float)).
      inv.add("router probabilities (FP32)", f.numExperts * 4, "seq");
      const mo = linearOut(x, n);
      const k = f.expertsPerToken;
      const expertsIn = modulesIn(mods, layer.index, "mlp-in", ["expert"]);
      const expertsOut = modulesIn(mods, layer.index, "mlp-out", ["expert"]);
      // Each routed token is gathered (hidden_states[top_x]) once per chosen expert.
      const gatherNeeded =
        expertsIn.some((e) => x.adaptedModules.has(e.module)) || (x.fullTraining && !x.quantizedBase);
      if (gatherNeeded) inv.add("routed token copies", k * h * n, "seq");
      const Ie = f.expertIntermediateSize;
      inv.add("expert gate outputs", k * Ie * mo, "tp");
      inv.add("expert act(gate)", k * Ie * mo, "tp");
      inv.add("expert up outputs", k * Ie * mo, "tp");
      if (expertsOut.some((e) => x.adaptedModules.has(e.module)) || (x.fullTraining && !x.quantizedBase))
        inv.add("expert down inputs", k * Ie * (d.autocast && mo !== c ? c : mo), "tp");
      inv.add("expert outputs × routing weight", k * h * mo, "seq");
      if (f.sharedIntermediateSize > 0) {
        const Is = f.sharedIntermediateSize;
        inv.add("shared expert gate output", Is * mo, "tp");
        inv.add("shared expert act(gate)", Is * mo, "tp");
        inv.add("shared expert up output", Is * mo, "tp");
        saveLinearInput(
          inv,
          x,
          modulesIn(mods, layer.index, "mlp-out", ["shared-expert"]),
          "shared down_proj input",
          Is,
          mo,
          "tp",
          false,
        );
      }
      mlpBackward = (3 * T * k * Ie * mo) / tp;
      break;
    }
  }
  if (x.hiddenDropout > 0) inv.add("MLP residual dropout mask", h, "seq");

  const savedBytes = inv.items.reduce((a, t) => a + t.bytes, 0);
  const selectiveBytes = inv.items.reduce((a, t) => a + (t.scoreSized ? 0 : t.bytes), 0);
  const seqDiv = x.sequenceParallel ? tp : 1;
  const inputBytes = ceil((T * h * r) / seqDiv);
  // Residual gradient in and out of the layer, plus the larger of the MLP's and attention's
  // activation gradients, plus a dequantized 4-bit weight.
  backwardTemp = 2 * inputBytes + Math.max(mlpBackward, attnBackward) + dequant;
  forwardTemp = Math.max(forwardTemp, attnScoresTemp, dequant) + inputBytes;
  const savedSlackBytes = inv.items.reduce((a, t) => a + cudaReservedBytes(t.bytes) - t.bytes, 0);
  return {
    layer: layer.index,
    saved: inv.items,
    savedBytes,
    selectiveBytes,
    inputBytes,
    forwardWorkspaceBytes: ceil(forwardTemp),
    backwardWorkspaceBytes: ceil(backwardTemp),
    recomputedCoreBytes: savedBytes - selectiveBytes,
    savedSlackBytes,
  };
}

/** Bytes a layer keeps from forward to backward under a recomputation policy. */
export function heldBytes(l: LayerActivations, recompute: Recompute): number {
  switch (recompute) {
    case "none":
      return l.savedBytes;
    case "selective":
      return l.selectiveBytes;
    case "full":
      return l.inputBytes;
  }
}

export interface LossActivationInput {
  readonly spec: ModelSpec;
  readonly dtypes: ActivationDtypes;
  readonly fullTraining: boolean;
  readonly tokens: number;
  readonly lossChunks: number;
  /** Fixed tokens per head/loss chunk (LitGPT 128); 0 = split into `lossChunks`. */
  readonly lossChunkTokens: number;
  readonly fused: boolean;
  /** torch.compile'd loss: saves the 16-bit logits and a per-token log-sum-exp. */
  readonly compiled: boolean;
  /** Logits upcast to FP32 before log_softmax. */
  readonly upcast: boolean;
  /** A 4-bit LM head dequantized to the compute dtype for each head matmul (bitsandbytes). */
  readonly headDequantBytes: number;
  readonly tensorParallel: number;
  readonly sequenceParallel: boolean;
}

export interface LossActivations {
  /** Final norm and lm_head inputs saved for backward. */
  readonly savedBytes: number;
  /** Peak of the loss in forward (logits, FP32 upcast, log_softmax output). */
  readonly forwardPeakBytes: number;
  /** Peak of the loss in backward (saved log-probs, their gradient, the logits gradient). */
  readonly backwardPeakBytes: number;
  /** Rows of the output head (vocabulary). */
  readonly vocab: number;
}

/**
 * Logits and cross-entropy: transformers' ForCausalLMLoss upcasts the [tokens, vocab] logits to
 * FP32 and F.cross_entropy saves the FP32 log_softmax; backward holds it, its gradient and the
 * logits gradient at once (3 × 4 bytes × tokens × vocab), which for large vocabularies is the
 * step's peak. `lossChunks` splits tokens (torchtune CEWithChunkedOutputLoss: one chunk upcast at a
 * time, every chunk's log_softmax still saved); `fused` (Liger / Apple CCE) never materialises them.
 */
export function lossActivations(x: LossActivationInput): LossActivations {
  const spec = x.spec;
  const d = x.dtypes;
  const h = spec.hiddenSize;
  const out =
    spec.tensors.find((t) => t.role === "output") ?? spec.tensors.find((t) => t.role === "embedding");
  const vocab = out?.shape[0] ?? spec.vocabSize;
  const T = x.tokens;
  const tp = x.tensorParallel;
  const seqDiv = x.sequenceParallel ? tp : 1;
  const r = d.residualBytes;
  // Final norm (FP32 copy for HF RMSNorm) and the lm_head input when lm_head trains.
  let saved = (T * h * (d.normUpcast ? 4 : r)) / seqDiv;
  if (x.fullTraining) saved += (T * h * (d.autocast && r !== d.computeBytes ? d.computeBytes : r)) / seqDiv;
  const TV = (T * vocab) / tp; // vocab-parallel cross-entropy under tensor parallelism
  const logitBytes = d.autocast ? d.computeBytes : r;
  if (x.fused) {
    // Blockwise logits never leave on-chip memory; FP32 log-sum-exp per token plus a hidden-sized chunk.
    const chunk = 2 * T * h * 4;
    return {
      savedBytes: ceil(saved + T * 4),
      forwardPeakBytes: ceil(chunk),
      backwardPeakBytes: ceil(chunk),
      vocab,
    };
  }
  const n = x.lossChunkTokens > 0 ? Math.max(1, Math.ceil(T / x.lossChunkTokens)) : Math.max(1, x.lossChunks);
  const dq = x.headDequantBytes;
  if (x.compiled) {
    // Inductor's fused cross-entropy: the 16-bit logits stay saved with an FP32 log-sum-exp per
    // token; one chunk's FP32 softmax is rebuilt in backward next to the logits gradient.
    const chunk = (4 * TV) / n;
    return {
      savedBytes: ceil(saved + T * 4),
      forwardPeakBytes: ceil(logitBytes * TV + chunk + dq),
      backwardPeakBytes: ceil(logitBytes * TV + (logitBytes * TV) / n + chunk + dq),
      vocab,
    };
  }
  if (!x.upcast && logitBytes !== 4) {
    // F.cross_entropy on 16-bit logits (LitGPT chunked_cross_entropy): log_softmax saved at the
    // logits' dtype for every chunk; the logits list stays referenced through backward.
    return {
      savedBytes: ceil(saved),
      forwardPeakBytes: ceil(2 * logitBytes * TV + dq),
      backwardPeakBytes: ceil(2 * logitBytes * TV + (2 * logitBytes * TV) / n + dq),
      vocab,
    };
  }
  const upcast = logitBytes === 4 ? 0 : (4 * TV) / n;
  const forward = logitBytes * TV + upcast + 4 * TV + dq;
  const backward = 4 * TV + (8 * TV) / n + dq;
  return {
    savedBytes: ceil(saved),
    forwardPeakBytes: ceil(forward),
    backwardPeakBytes: ceil(backward),
    vocab,
  };
}

/**
 * Korthikanti et al. 2022, Table 2 (16-bit activations, dropout): activation bytes per transformer
 * layer. The inventory above reproduces these for a GPT layer; kept as the reference formula.
 */
export function korthikantiLayerBytes(
  s: number,
  b: number,
  h: number,
  a: number,
  t: number,
  mode: "none" | "tensor" | "tensor-sequence" | "selective-sequence" | "full",
): number {
  switch (mode) {
    case "none":
      return s * b * h * (34 + (5 * a * s) / h);
    case "tensor":
      return s * b * h * (10 + 24 / t + (5 * a * s) / (h * t));
    case "tensor-sequence":
      return ((s * b * h) / t) * (34 + (5 * a * s) / h);
    case "selective-sequence":
      return (34 * s * b * h) / t;
    case "full":
      return 2 * s * b * h;
  }
}
