/**
 * The quantization a checkpoint ships with, read from config.json `quantization_config` or
 * ModelOpt's `hf_quant_config.json`, and applied tensor by tensor: which linear weights are stored
 * quantized (and how) and which stay at the checkpoint dtype. It works from tensor names and roles
 * plus the config's own lists (ignore / modules_to_not_convert / exclude_modules /
 * quantized_layers / config_groups targets), so any architecture builder's tensors can use it.
 *
 * What each method quantizes by default, and where that was read:
 * - fp8 (`quant_method: "fp8"`): every linear layer of the decoder (attention, MLP, experts, SSM
 *   projections); never embeddings, norms, routers or lm_head (vllm-project/vllm
 *   vllm/model_executor/layers/quantization/fp8.py Fp8Config.get_quant_method: LinearBase and
 *   FusedMoE only). Scales: `weight_block_size` [bn, bk] → one FP32 `weight_scale_inv` per block,
 *   else one per tensor.
 * - mxfp4 (gpt-oss): the routed experts only (transformers quantizer_mxfp4 swaps the experts module).
 * - modelopt (`hf_quant_config.json` or `quant_method: "modelopt"`): `quant_algo` FP8 (per-tensor
 *   scale), NVFP4 / W4A16_NVFP4 (group 16, FP8 E4M3 block scales + FP32 `weight_scale_2`), or
 *   MIXED_PRECISION with a `quantized_layers` map; every Linear (lm_head included) unless
 *   `exclude_modules` names it.
 * - compressed-tensors: each `config_groups` entry's `weights` (int/float, num_bits, strategy,
 *   group_size) applied to its `targets` ("Linear", names or "re:" regexes), minus `ignore`.
 * - awq / gptq / bitsandbytes: every decoder linear layer, minus `modules_to_not_convert` /
 *   `llm_int8_skip_modules`; lm_head only where the config says so (gptq `lm_head: true`).
 */
import { MemlensError } from "../errors/memlens-error.js";
import { ConfigReader } from "./config-reader.js";
import type { NativeQuantization, TensorRole, TensorSpec, TensorStorage } from "./model-spec.js";

/** A parsed quantization: the storage of targeted linear weights and the rules that pick them. */
export interface CheckpointQuantPlan {
  readonly quantization: NativeQuantization;
  /** Storage of a targeted linear weight no rule names; null = only named modules are quantized. */
  readonly defaultStorage: TensorStorage | null;
  /** Roles the default storage applies to. */
  readonly targetRoles: ReadonlySet<TensorRole>;
  /** Named rules, first match wins: a storage, or null for "keep at the checkpoint dtype". */
  readonly rules: readonly { readonly match: ModuleMatcher; readonly storage: TensorStorage | null }[];
  /** Patterns of modules kept at the checkpoint dtype. */
  readonly exclude: ModuleMatcher;
  /** quant_algo values memlens does not know (their tensors are counted at 16 bit). */
  readonly unknownAlgos: readonly string[];
}

const DECODER_LINEAR: ReadonlySet<TensorRole> = new Set([
  "attention",
  "mlp",
  "expert",
  "shared-expert",
  "ssm",
]);
const WITH_OUTPUT: ReadonlySet<TensorRole> = new Set([...DECODER_LINEAR, "output"]);
const EXPERTS_ONLY: ReadonlySet<TensorRole> = new Set(["expert"]);

const MAX_PATTERNS = 200_000;
const MAX_PATTERN_CHARS = 1000;

/**
 * Module-name patterns as quantization configs write them: exact names (a parent module covers its
 * children; a bare name such as "lm_head" or "gate" matches that last component anywhere), globs
 * with `*` (ModelOpt, fnmatch), and compressed-tensors `re:` regexes (matched from the start).
 */
export class ModuleMatcher {
  private readonly exact = new Set<string>();
  private readonly regexes: RegExp[] = [];
  readonly size: number;

  constructor(patterns: readonly string[], field: string) {
    if (patterns.length > MAX_PATTERNS)
      throw new MemlensError("malformed-config", `${field} has more than ${MAX_PATTERNS} entries`, field);
    for (const p of patterns) {
      if (p.length > MAX_PATTERN_CHARS)
        throw new MemlensError(
          "malformed-config",
          `${field}: a pattern is longer than ${MAX_PATTERN_CHARS} characters`,
          field,
        );
      if (p.startsWith("re:")) this.regexes.push(compileRegex(p.slice(3), field));
      else if (/[*?[]/.test(p)) this.regexes.push(globToRegex(p));
      else this.exact.add(p);
    }
    this.size = patterns.length;
  }

  /** Whether any of a module's names (see `moduleNames`) matches. */
  matches(names: readonly string[]): boolean {
    if (this.size === 0) return false;
    for (const name of names) {
      if (this.exact.size > 0) {
        const parts = name.split(".");
        // Any run of whole dotted components: a parent module, a bare name, a sub-path.
        for (let i = 0; i < parts.length; i++) {
          let run = parts[i]!;
          if (this.exact.has(run)) return true;
          for (let j = i + 1; j < parts.length; j++) {
            run += `.${parts[j]}`;
            if (this.exact.has(run)) return true;
          }
        }
      }
      for (const r of this.regexes) if (r.test(name)) return true;
    }
    return false;
  }
}

function compileRegex(body: string, field: string): RegExp {
  try {
    return new RegExp(`^(?:${body})`);
  } catch {
    throw new MemlensError(
      "malformed-config",
      `${field}: "re:${body}" is not a valid regular expression`,
      field,
    );
  }
}

function globToRegex(glob: string): RegExp {
  let src = "";
  for (const c of glob) src += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${src}$`);
}

/**
 * The names a tensor's module goes by in quantization configs: its own (weight suffix dropped), the
 * per-expert name of a stacked expert tensor (`experts.gate_proj` → `experts.0.gate_proj`), and
 * the multimodal wrappers' prefixes (`language_model.`, `model.language_model.`).
 */
export function moduleNames(t: TensorSpec): string[] {
  const base = t.name.replace(/\.weight$/, "");
  const forms = [base];
  if (t.role === "expert" && t.shape.length === 3) forms.push(base.replace(/\.experts\./, ".experts.0."));
  const out: string[] = [];
  for (const f of forms) {
    out.push(f);
    if (f.startsWith("model.")) {
      out.push(`language_model.${f}`, `model.language_model.${f.slice(6)}`);
    }
  }
  return out;
}

/** A 2-D linear weight or a stacked 3-D expert tensor (not a bias, norm, embedding or conv). */
export function isLinearWeight(t: TensorSpec): boolean {
  if (t.name.endsWith(".bias") || t.name.endsWith("_bias")) return false;
  if (t.role === "expert") return t.shape.length === 3 || (t.shape.length === 2 && t.name.endsWith("weight"));
  return t.shape.length === 2 && t.name.endsWith(".weight") && t.role !== "embedding" && t.role !== "norm";
}

/** Storage of one tensor under a plan; undefined = the checkpoint dtype. */
export function storageOf(t: TensorSpec, plan: CheckpointQuantPlan): TensorStorage | undefined {
  if (!isLinearWeight(t) || t.role === "router" || t.role === "position-embedding") return undefined;
  const names = moduleNames(t);
  for (const r of plan.rules) if (r.match.matches(names)) return r.storage ?? undefined;
  if (plan.defaultStorage === null || !plan.targetRoles.has(t.role)) return undefined;
  if (plan.exclude.matches(names)) return undefined;
  return plan.defaultStorage;
}

export interface AppliedQuantization {
  readonly tensors: TensorSpec[];
  /** The config names modules it keeps unquantized (an exclusion list or a per-module map). */
  readonly namesUnquantized: boolean;
  /** One sentence: the scheme, where it was read, and which linear weights stay at 16 bit. */
  readonly note: string;
}

/** Tensors with their checkpoint storage set, and the note that says what was read. */
export function applyCheckpointQuant(
  tensors: readonly TensorSpec[],
  plan: CheckpointQuantPlan,
  dtype: string,
): AppliedQuantization {
  const kept = new Map<string, number>();
  let quantized = 0;
  const out = tensors.map((t) => {
    const stored = storageOf(t, plan);
    if (stored) {
      quantized++;
      return { ...t, stored };
    }
    if (isLinearWeight(t)) kept.set(t.role, (kept.get(t.role) ?? 0) + 1);
    return t;
  });
  const q = plan.quantization;
  const keptText = [...kept].map(([role, n]) => `${roleLabel(role as TensorRole)} (${n})`).join(", ");
  let note = `Weights as the checkpoint stores them: ${q.description}, read from ${q.source}; ${quantized} linear weight tensors quantized`;
  note += keptText ? `, kept in ${dtype}: ${keptText}` : "";
  note += "; embeddings and norms stay 16-bit.";
  if (plan.unknownAlgos.length > 0)
    note += ` Approximate: quant_algo ${plan.unknownAlgos.join(", ")} not read, those modules counted in ${dtype}.`;
  const namesUnquantized = plan.exclude.size > 0 || plan.rules.some((r) => r.match.size > 0);
  return { tensors: out, note, namesUnquantized };
}

function roleLabel(role: TensorRole): string {
  return role === "output" ? "lm_head" : role === "router" ? "routers" : role;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Reads the quantization of a checkpoint: `hf_quant_config.json` (ModelOpt) when given, else
 * config.json `quantization_config`. Null when neither says anything.
 */
export function checkpointQuantPlan(root: ConfigReader, hfQuantConfig?: unknown): CheckpointQuantPlan | null {
  if (hfQuantConfig !== undefined && hfQuantConfig !== null) {
    if (typeof hfQuantConfig !== "object" || Array.isArray(hfQuantConfig))
      throw new MemlensError(
        "malformed-config",
        "hf_quant_config.json must be a JSON object",
        "hf_quant_config",
      );
    const hq = new ConfigReader(hfQuantConfig as Record<string, unknown>, "hf_quant_config");
    const body = hq.child("quantization");
    if (!body)
      throw new MemlensError(
        "malformed-config",
        "hf_quant_config.quantization is missing",
        "hf_quant_config.quantization",
      );
    return modeloptPlan(body, "hf_quant_config.json", root.child("quantization_config"));
  }
  const q = quantizationConfigOf(root);
  if (!q) return null;
  const method = (q.str("quant_method") ?? "").toLowerCase();
  const source = root.has("quantization_config")
    ? "config.json quantization_config"
    : "config.json text_config.quantization_config";
  switch (method) {
    case "fp8":
      return fp8Plan(q, source, root.str("expert_dtype"));
    case "mxfp4":
      return plan(
        { method: "mxfp4", description: "MXFP4 experts (32 FP4 values share one E8M0 scale)", source },
        { scheme: "mxfp4", options: {} },
        EXPERTS_ONLY,
        excludeOf(q, ["modules_to_not_convert"]),
      );
    case "modelopt":
      return modeloptPlan(q, source, null);
    case "compressed-tensors":
      return compressedTensorsPlan(q, source);
    case "awq":
      return awqPlan(q, source);
    case "gptq":
      return gptqPlan(q, source);
    case "bitsandbytes":
      return bnbPlan(q, source);
    default:
      return null;
  }
}

/**
 * config.json `quantization_config`, or a multimodal wrapper's `text_config.quantization_config`
 * where only the text model carries one (Kimi-K2.5, Kimi-K3: their experts' INT4 / MXFP4 scheme).
 */
export function quantizationConfigOf(root: ConfigReader): ConfigReader | undefined {
  return root.child("quantization_config") ?? root.child("text_config")?.child("quantization_config");
}

function plan(
  quantization: NativeQuantization,
  defaultStorage: TensorStorage | null,
  targetRoles: ReadonlySet<TensorRole>,
  exclude: ModuleMatcher,
  rules: CheckpointQuantPlan["rules"] = [],
  unknownAlgos: readonly string[] = [],
): CheckpointQuantPlan {
  return { quantization, defaultStorage, targetRoles, exclude, rules, unknownAlgos };
}

function excludeOf(q: ConfigReader, keys: readonly string[]): ModuleMatcher {
  const all: string[] = [];
  for (const k of keys) {
    const v = q.raw[k];
    if (typeof v === "string") all.push(v);
    else if (v !== undefined && v !== null) all.push(...(q.strArray(k) ?? []));
  }
  return new ModuleMatcher(all, `${q.path}.${keys[0]}`);
}

/** An integer field that may be -1 (GPTQ's "one group per row"). */
function signedInt(q: ConfigReader, key: string, fallback: number): number {
  const v = q.raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < -1 || v === 0 || v > 2 ** 20)
    throw new MemlensError(
      "malformed-config",
      `${q.path}.${key} must be a positive integer or -1, got ${JSON.stringify(v)}`,
      `${q.path}.${key}`,
    );
  return v;
}

/**
 * FP8 (block-wise or per-tensor); DeepSeek-V4's `expert_dtype: "fp4"` stores the routed experts
 * as FP4 E2M1 with UE8M0 scales (DeepSeek's inference/model.py: torch.float4_e2m1fn_x2 experts),
 * which vLLM runs as MXFP4 (VllmMxfp4MoEMethod when expert_dtype == "fp4").
 */
function fp8Plan(q: ConfigReader, source: string, expertDtype?: string): CheckpointQuantPlan {
  const block = q.intArray("weight_block_size");
  if (block && block.length !== 2)
    throw new MemlensError(
      "malformed-config",
      `${q.path}.weight_block_size must be [rows, cols], got ${block.length} values`,
      `${q.path}.weight_block_size`,
    );
  const storage: TensorStorage = block
    ? { scheme: "fp8", options: { scaleGranularity: "block", blockShape: [block[0]!, block[1]!] } }
    : { scheme: "fp8", options: { scaleGranularity: "tensor" } };
  let description = block
    ? `FP8 E4M3 weights with FP32 scales per ${block.join("×")} block`
    : "FP8 E4M3 weights with one FP32 scale per tensor";
  const rules: { match: ModuleMatcher; storage: TensorStorage | null }[] = [];
  if (expertDtype === "fp4") {
    rules.push({
      match: new ModuleMatcher(["re:.*\\.experts\\..*"], "config.expert_dtype"),
      storage: { scheme: "mxfp4", options: {} },
    });
    description += ", routed experts in FP4 (expert_dtype fp4, MXFP4 layout)";
  }
  return plan(
    { method: "fp8", description, source },
    storage,
    DECODER_LINEAR,
    excludeOf(q, ["modules_to_not_convert", "ignored_layers"]),
    rules,
  );
}

/** Storage of a ModelOpt quant_algo; null when memlens does not know it. */
function modeloptStorage(algo: string, groupSize: number): TensorStorage | null {
  switch (algo.toUpperCase()) {
    case "FP8":
      // modelopt FP8: weight float8_e4m3fn + weight_scale FP32 scalar (+ input_scale scalar).
      return { scheme: "fp8", options: { scaleGranularity: "tensor" } };
    case "NVFP4":
    case "W4A16_NVFP4":
      if (groupSize !== 16) return null;
      return { scheme: "nvfp4", options: {} };
    case "MXFP4":
      return { scheme: "mxfp4", options: {} };
    default:
      return null;
  }
}

function modeloptPlan(
  q: ConfigReader,
  source: string,
  configQuant: ConfigReader | undefined | null,
): CheckpointQuantPlan {
  const algo = q.str("quant_algo") ?? "";
  const groupSize = q.intOr("group_size", 16);
  const exclude = excludeOf(q, q.has("exclude_modules") ? ["exclude_modules"] : ["ignore"]);
  const unknown = new Set<string>();
  if (algo.toUpperCase() === "MIXED_PRECISION") {
    const layers = q.child("quantized_layers");
    const rules: { match: ModuleMatcher; storage: TensorStorage | null }[] = [];
    const byAlgo = new Map<string, string[]>();
    if (layers) {
      const keys = Object.keys(layers.raw);
      if (keys.length > MAX_PATTERNS)
        throw new MemlensError("malformed-config", `${layers.path} has too many entries`, layers.path);
      for (const k of keys) {
        const entry = layers.child(k);
        const a = entry?.str("quant_algo") ?? "";
        const g = entry?.intOr("group_size", 16) ?? 16;
        const key = `${a}|${g}`;
        if (!byAlgo.has(key)) byAlgo.set(key, []);
        byAlgo.get(key)!.push(k);
      }
    }
    const names: string[] = [];
    for (const [key, modules] of byAlgo) {
      const [a, g] = key.split("|") as [string, string];
      const storage = modeloptStorage(a, Number(g));
      if (!storage) unknown.add(a);
      rules.push({ match: new ModuleMatcher(modules, `${q.path}.quantized_layers`), storage });
      names.push(a);
    }
    // Excluded modules first: a quantized_layers entry never overrides exclude_modules.
    rules.unshift({ match: exclude, storage: null });
    // A config.json fp8 block scheme beside a MIXED_PRECISION map (DeepSeek-V4-NVFP4) covers the rest.
    const rest =
      configQuant?.str("quant_method") === "fp8" ? fp8Plan(configQuant, source).defaultStorage : null;
    return plan(
      {
        method: "mixed",
        description: `ModelOpt mixed precision (${[...new Set(names)].join(" + ")})`,
        source,
      },
      rest,
      DECODER_LINEAR,
      new ModuleMatcher([], q.path),
      rules,
      [...unknown],
    );
  }
  const storage = modeloptStorage(algo, groupSize);
  if (!storage)
    throw new MemlensError(
      "unsupported",
      `${q.path}.quant_algo "${algo}" is not read by memlens; allowed: FP8, NVFP4, W4A16_NVFP4, MXFP4, MIXED_PRECISION`,
      `${q.path}.quant_algo`,
      ["FP8", "NVFP4", "W4A16_NVFP4", "MXFP4", "MIXED_PRECISION"],
    );
  const method = storage.scheme === "fp8" ? "fp8" : storage.scheme;
  const description =
    storage.scheme === "nvfp4"
      ? "NVFP4 (ModelOpt): 16 FP4 values share one FP8 E4M3 scale, plus one FP32 scale per tensor"
      : storage.scheme === "fp8"
        ? "FP8 E4M3 weights with one FP32 scale per tensor (ModelOpt)"
        : "MXFP4 (ModelOpt)";
  return plan({ method, description, source }, storage, WITH_OUTPUT, exclude);
}

function compressedTensorsPlan(q: ConfigReader, source: string): CheckpointQuantPlan {
  const groups = q.child("config_groups");
  if (!groups)
    throw new MemlensError(
      "malformed-config",
      `${q.path}.config_groups is missing`,
      `${q.path}.config_groups`,
    );
  const format = q.str("format") ?? "";
  const rules: { match: ModuleMatcher; storage: TensorStorage | null }[] = [];
  let linearDefault: TensorStorage | null = null;
  const names: string[] = [];
  for (const name of Object.keys(groups.raw).slice(0, 1000)) {
    const g = groups.child(name)!;
    const w = g.child("weights");
    if (!w) continue;
    const storage = compressedTensorsStorage(w, g.str("format") ?? format);
    names.push(describeStorage(storage));
    const targets = g.strArray("targets") ?? ["Linear"];
    const named = targets.filter((t) => t !== "Linear");
    if (targets.includes("Linear")) linearDefault ??= storage;
    if (named.length > 0) rules.push({ match: new ModuleMatcher(named, `${g.path}.targets`), storage });
  }
  const exclude = excludeOf(q, ["ignore"]);
  rules.unshift({ match: exclude, storage: null });
  const first = linearDefault ?? rules[1]?.storage ?? null;
  return plan(
    {
      method: first ? schemeName(first) : "compressed-tensors",
      description: `compressed-tensors ${format || "quantized"} (${[...new Set(names)].join(" + ")})`,
      source,
    },
    linearDefault,
    WITH_OUTPUT,
    exclude,
    rules,
  );
}

function compressedTensorsStorage(w: ConfigReader, format: string): TensorStorage | null {
  const bits = w.intOr("num_bits", 8);
  const type = w.str("type") ?? "int";
  const strategy = w.str("strategy") ?? "tensor";
  const group = w.intOr("group_size", null);
  if (type === "float" && bits === 8) {
    if (strategy === "block") {
      const b = w.intArray("block_structure") ?? [128, 128];
      return {
        scheme: "fp8",
        options: { scaleGranularity: "block", blockShape: [b[0] ?? 128, b[1] ?? 128] },
      };
    }
    return { scheme: "fp8", options: { scaleGranularity: strategy === "channel" ? "channel" : "tensor" } };
  }
  // FP4 with a group of 32 and a uint8 (E8M0) scale is MXFP4 (compressed-tensors
  // "mxfp4-pack-quantized", Kimi-K3); NVFP4 groups 16 values under an FP8 scale.
  if (type === "float" && bits === 4)
    return format.startsWith("mxfp4") || (group === 32 && w.str("scale_dtype") === "torch.uint8")
      ? { scheme: "mxfp4", options: {} }
      : { scheme: "nvfp4", options: {} };
  // naive-quantized / int-quantized keep each value in its own int8 (no packing).
  if (type === "int" && bits <= 8 && format !== "pack-quantized")
    return { scheme: "w8a8", options: { scaleGranularity: strategy === "tensor" ? "tensor" : "channel" } };
  if (type === "int" && (bits === 4 || bits === 8))
    return {
      scheme: "w4a16",
      options: {
        bits,
        groupSize: strategy === "channel" || group === null ? -1 : group,
        descAct: w.str("actorder") === "group",
      },
    };
  throw new MemlensError(
    "unsupported",
    `${w.path}: ${type} ${bits}-bit weights are not read by memlens; allowed: float 8/4-bit, int 4/8-bit`,
    w.path,
  );
}

function awqPlan(q: ConfigReader, source: string): CheckpointQuantPlan {
  const bits = q.intOr("bits", null) ?? q.intOr("w_bit", 4);
  const groupSize = signedInt(q, q.has("group_size") ? "group_size" : "q_group_size", 128);
  const version = (q.str("version") ?? "gemm").toLowerCase();
  if (bits !== 4 || version !== "gemm")
    throw new MemlensError(
      "unsupported",
      `${q.path}: AWQ ${bits}-bit "${version}" is not read by memlens; allowed: 4-bit GEMM`,
      `${q.path}.version`,
    );
  return plan(
    { method: "awq", description: `AWQ 4-bit (GEMM packing), group ${groupSize}, with zero points`, source },
    { scheme: "awq", options: { groupSize } },
    DECODER_LINEAR,
    excludeOf(q, ["modules_to_not_convert"]),
  );
}

function gptqPlan(q: ConfigReader, source: string): CheckpointQuantPlan {
  const bits = q.intOr("bits", 4);
  const groupSize = signedInt(q, "group_size", 128);
  const descAct = q.bool("desc_act", false);
  // AutoGPTQ saves g_idx int32[K] for every layer, act-order or not (AutoGPTQ/AutoGPTQ@058fd80
  // auto_gptq/nn_modules/qlinear/qlinear_cuda.py QuantLinear.__init__ buffers). Its 2023 releases
  // also built every QuantLinear with bias=True (modeling/_utils.py make_quant), so those
  // checkpoints carry an fp16 bias [N] per layer; later ones (bias = submodule.bias is not None,
  // AutoGPTQ@005a942) and GPTQModel write `checkpoint_format` / `meta` into the config.
  const legacy = !q.has("checkpoint_format") && !q.has("meta");
  const storage: TensorStorage = {
    scheme: "gptq",
    options: { bits, groupSize, descAct: true },
    symmetric: q.bool("sym", true),
    ...(legacy ? { biasBytesPerRow: 2 } : {}),
  };
  const roles = q.bool("lm_head", false) ? WITH_OUTPUT : DECODER_LINEAR;
  return plan(
    {
      method: "gptq",
      description: `GPTQ ${bits}-bit, group ${groupSize}${descAct ? ", act-order" : ""}${q.bool("sym", true) ? ", symmetric" : ""}`,
      source,
    },
    storage,
    roles,
    excludeOf(q, ["modules_to_not_convert"]),
  );
}

function bnbPlan(q: ConfigReader, source: string): CheckpointQuantPlan {
  const exclude = excludeOf(q, ["llm_int8_skip_modules"]);
  if (q.bool("load_in_8bit", false))
    return plan(
      { method: "int8", description: "bitsandbytes LLM.int8 (int8 weights, one FP32 scale per row)", source },
      { scheme: "int8-bnb", options: {} },
      DECODER_LINEAR,
      exclude,
    );
  if (!q.bool("load_in_4bit", false))
    throw new MemlensError(
      "malformed-config",
      `${q.path}: bitsandbytes config sets neither load_in_4bit nor load_in_8bit`,
      `${q.path}.load_in_4bit`,
    );
  const type = (q.str("bnb_4bit_quant_type") ?? "fp4").toLowerCase();
  const doubleQuant = q.bool("bnb_4bit_use_double_quant", false);
  const scheme = type === "nf4" ? "nf4" : "fp4-bnb";
  return plan(
    {
      method: "nf4",
      description: `bitsandbytes ${type.toUpperCase()} (block 64${doubleQuant ? ", double-quantized absmax" : ""})`,
      source,
    },
    { scheme, options: { doubleQuant } },
    DECODER_LINEAR,
    exclude,
  );
}

function schemeName(s: TensorStorage): string {
  return s.scheme === "int8-bnb" ? "int8" : s.scheme === "fp4-bnb" ? "nf4" : s.scheme;
}

function describeStorage(s: TensorStorage | null): string {
  if (!s) return "unknown";
  if (s.scheme === "fp8") return `fp8 ${s.options.scaleGranularity ?? "tensor"} scales`;
  if (s.scheme === "w4a16") return `int${s.options.bits ?? 4} group ${s.options.groupSize}`;
  return s.scheme;
}
