import { MemlensError } from "../errors/memlens-error.js";
import { countElements, type ModelSpec, type TensorSpec } from "../models/model-spec.js";

/**
 * What a linear layer reads inside a decoder layer, which decides which activation it saves:
 * `attn-in` reads the first norm's output (q/k/v, fused qkv, MLA down-projections), `attn-mid` an
 * MLA latent (q_b_proj, kv_b_proj), `attn-out` the attention output (o_proj), `mlp-in` the second
 * norm's output (gate/up/fc1, the MoE router), `mlp-out` the MLP product (down/fc2).
 */
export type LinearGroup = "attn-in" | "attn-mid" | "attn-out" | "mlp-in" | "mlp-out" | "other";

/** A projection matrix of the model (or a stack of expert matrices) that LoRA can adapt. */
export interface LinearModule {
  /** Module path as PEFT sees it, e.g. `model.layers.0.self_attn.q_proj`. */
  readonly module: string;
  /** Last path component (what `target_modules` entries match): `q_proj`. */
  readonly leaf: string;
  readonly tensor: TensorSpec;
  readonly layer: number | null;
  /** Matrices in the tensor (experts stacked as [E, out, in]); 1 for plain linears. */
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly group: LinearGroup;
}

const OUT_PROJ = /(^|\.)(o_proj|out_proj|dense|wo|c_proj)$/;
const MLP_OUT = /(^|\.)(down_proj|fc2|c_proj|dense_4h_to_h|w2)$/;
const MLA_MID = /(^|\.)(q_b_proj|kv_b_proj)$/;

/** Module path of a parameter: `...q_proj.weight` → `...q_proj`; stacked experts keep their name. */
export function moduleOf(t: TensorSpec): string {
  return t.name.replace(/\.(weight|bias)$/, "");
}

function groupOf(t: TensorSpec, module: string): LinearGroup {
  switch (t.role) {
    case "attention":
      if (MLA_MID.test(module)) return "attn-mid";
      return OUT_PROJ.test(module) ? "attn-out" : "attn-in";
    case "mlp":
    case "expert":
    case "shared-expert":
      return MLP_OUT.test(module) ? "mlp-out" : "mlp-in";
    case "router":
      return "mlp-in";
    default:
      return "other";
  }
}

const linearCache = new WeakMap<ModelSpec, readonly LinearModule[]>();

/**
 * Every matrix LoRA could wrap (2-D weights and stacked expert weights), from the real tensor
 * list. Embeddings are included (PEFT can target them); 1-D norms and biases are not.
 */
export function linearModules(spec: ModelSpec): readonly LinearModule[] {
  const hit = linearCache.get(spec);
  if (hit) return hit;
  const out: LinearModule[] = [];
  for (const t of spec.tensors) {
    if (t.name.endsWith(".bias") || t.name.endsWith("_bias")) continue;
    const stacked = t.shape.length === 3 && (t.role === "expert" || t.role === "shared-expert");
    if (t.shape.length !== 2 && !stacked) continue;
    const module = moduleOf(t);
    const leaf = module.split(".").pop() ?? module;
    const [a, b, c] = t.shape;
    out.push({
      module,
      leaf,
      tensor: t,
      layer: t.layer,
      count: stacked ? (a ?? 1) : 1,
      rows: (stacked ? b : a) ?? 0,
      cols: (stacked ? c : b) ?? 0,
      group: groupOf(t, module),
    });
  }
  linearCache.set(spec, out);
  return out;
}

/** PEFT's `_is_valid_match`: the module path equals the target or ends with `.target`. */
function matchesTarget(m: LinearModule, target: string): boolean {
  if (target === "all-linear")
    // PEFT "all-linear": every linear layer except the output head (and never embeddings).
    return (
      m.tensor.role !== "output" && m.tensor.role !== "embedding" && m.tensor.role !== "position-embedding"
    );
  return m.module === target || m.module.endsWith(`.${target}`);
}

export interface LoraAdapter {
  readonly module: LinearModule;
  /** lora_A [rank, in] and lora_B [out, rank] elements, times the experts of a stacked tensor. */
  readonly aElements: number;
  readonly bElements: number;
}

export interface LoraPlan {
  readonly rank: number;
  readonly adapters: readonly LoraAdapter[];
  /** Trainable parameters PEFT reports (`num_trainable_params`). */
  readonly parameters: number;
  /** Adapted module paths by leaf name, for quick lookups. */
  readonly adaptedModules: ReadonlySet<string>;
}

/**
 * LoRA adapters for `targets` on the model's real tensor shapes: r·(in + out) parameters per
 * adapted matrix (Hu et al. 2021, §4.1; PEFT LoraLayer.update_layer creates lora_A in→r and
 * lora_B r→out). Unknown targets are an input error naming the modules that exist.
 * @example planLora(catalogModelSpec("meta-llama/Llama-3.2-3B"), 32, ["q_proj", "v_proj"]).parameters // 9175040
 */
export function planLora(spec: ModelSpec, rank: number, targets: readonly string[]): LoraPlan {
  const mods = linearModules(spec);
  const adapters: LoraAdapter[] = [];
  for (const target of targets) {
    if (!mods.some((m) => matchesTarget(m, target))) {
      const leaves = [...new Set(mods.filter((m) => m.layer !== null).map((m) => m.leaf))];
      throw new MemlensError(
        "invalid-value",
        `training.lora.targets: "${target}" matches no module of ${spec.id}; its linear modules are ${leaves.join(", ")} (or "all-linear")`,
        "training.lora.targets",
        [...leaves, "all-linear"],
      );
    }
  }
  for (const m of mods) {
    if (!targets.some((t) => matchesTarget(m, t))) continue;
    // PyTorch Linear weight is [out, in]; GPT-2's Conv1D stores [in, out]; r·(in+out) either way.
    adapters.push({ module: m, aElements: m.count * rank * m.cols, bElements: m.count * rank * m.rows });
  }
  const parameters = adapters.reduce((s, a) => s + a.aElements + a.bElements, 0);
  return { rank, adapters, parameters, adaptedModules: new Set(adapters.map((a) => a.module.module)) };
}

/** A trainable tensor: its element count and shape (the optimizer's per-tensor state depends on it). */
export interface TrainableTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly elements: number;
  readonly layer: number | null;
}

/** Trainable tensors of a LoRA plan: lora_A and lora_B per adapted module. */
export function loraTensors(plan: LoraPlan): TrainableTensor[] {
  const out: TrainableTensor[] = [];
  for (const a of plan.adapters) {
    const m = a.module;
    const pre = m.count > 1 ? [m.count] : [];
    out.push({
      name: `${m.module}.lora_A`,
      shape: [...pre, plan.rank, m.cols],
      elements: a.aElements,
      layer: m.layer,
    });
    out.push({
      name: `${m.module}.lora_B`,
      shape: [...pre, m.rows, plan.rank],
      elements: a.bElements,
      layer: m.layer,
    });
  }
  return out;
}

/** Every tensor of the model as trainable (full fine-tuning). */
export function fullTensors(spec: ModelSpec): TrainableTensor[] {
  return spec.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    elements: countElements(t.shape),
    layer: t.layer,
  }));
}

/**
 * Parameters of the largest single module (its own tensors, not its children): DeepSpeed's
 * `largest_layer_params` in estimate_zero3_model_states_mem_needs (model_to_params sums
 * `m.parameters(recurse=False)` per module).
 */
export function largestModuleParameters(spec: ModelSpec): number {
  const byModule = new Map<string, number>();
  for (const t of spec.tensors) {
    const m = moduleOf(t);
    byModule.set(m, (byModule.get(m) ?? 0) + countElements(t.shape));
  }
  return Math.max(0, ...byModule.values());
}
