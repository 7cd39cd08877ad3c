/**
 * KV cache by context, batch, KV dtype and attention kind. Sizes come from core's
 * `estimateKvCache`; "what if this model used MHA / GQA / MQA" rewrites the model's own
 * config.json and asks core to rebuild the ModelSpec, so every variant is a real model shape.
 */
import {
  attentionKindOf,
  catalogModelSpec,
  estimateKvCache,
  type KvCacheBreakdown,
  type KvDtype,
  type KvLayoutOptions,
  kvBytesPerToken,
  MODEL_ROWS,
  type ModelSpec,
  modelSpecFromHfConfig,
} from "@memlens/core";
import type { ModelChoice } from "../lib/models.js";

/** MLA latent (what vLLM, SGLang and llama.cpp store); recurrent state as transformers keeps it. */
export function kvLayout(dtype: KvDtype, mla: "latent" | "expanded" = "latent"): KvLayoutOptions {
  return {
    kDtype: dtype,
    vDtype: dtype,
    mla,
    recurrent: "hf",
    recurrentDtypeBytes: dtype === "fp32" ? 4 : 2,
  };
}

export function kvTotal(
  spec: ModelSpec,
  contextLength: number,
  batch: number,
  dtype: KvDtype,
): KvCacheBreakdown {
  return estimateKvCache(spec, contextLength, batch, kvLayout(dtype));
}

export const kvPerToken = (spec: ModelSpec, dtype: KvDtype): number => kvBytesPerToken(spec, kvLayout(dtype));

/** Context lengths for curves: powers of two from 256 to `max`. */
export function contextGrid(max: number, min = 256): number[] {
  const out: number[] = [];
  for (let c = min; c <= max; c *= 2) out.push(c);
  if (out[out.length - 1] !== max) out.push(max);
  return out;
}

/** How a model remembers, as the KV widget names it: the five attention kinds plus recurrent state. */
export const MEMORY_KINDS = ["mha", "gqa", "mqa", "mla", "swa", "ssm"] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export const MEMORY_KIND_LABEL: Record<MemoryKind, string> = {
  mha: "MHA (one K/V per query head)",
  gqa: "GQA (K/V shared by groups of heads)",
  mqa: "MQA (one K/V for all heads)",
  mla: "MLA (compressed latent)",
  swa: "Sliding window (local layers)",
  ssm: "SSM / linear (constant state)",
};

/** The kind that decides a model's KV growth: recurrent > MLA > sliding window > MHA/GQA/MQA. */
export function memoryKindOf(spec: ModelSpec): MemoryKind {
  const mixers = spec.layers.map((l) => l.mixer);
  if (mixers.some((m) => m.kind === "mamba" || m.kind === "linear-attention")) return "ssm";
  if (mixers.some((m) => m.kind === "mla")) return "mla";
  if (mixers.some((m) => m.kind === "attention" && m.slidingWindow !== null)) return "swa";
  // Layers without a mixer (Nemotron-H MLP/MoE blocks) keep no cache and do not decide it.
  const first = mixers.find((m) => m.kind !== "none");
  const k = first ? attentionKindOf(first) : "mha";
  return k === "mqa" || k === "gqa" ? k : "mha";
}

/** Every kind a model uses (Gemma 3 1B: MQA and sliding window; Qwen3-Next: GQA and linear). */
export function memoryKindsOf(spec: ModelSpec): Set<MemoryKind> {
  const kinds = new Set<MemoryKind>();
  for (const l of spec.layers) {
    const m = l.mixer;
    if (m.kind === "mamba" || m.kind === "linear-attention") kinds.add("ssm");
    else if (m.kind === "mla") kinds.add("mla");
    else if (m.kind === "attention") {
      if (m.slidingWindow !== null) kinds.add("swa");
      const k = attentionKindOf(m);
      kinds.add(k === "mqa" || k === "gqa" ? k : "mha");
    }
  }
  return kinds;
}

interface CatalogKind {
  readonly id: string;
  readonly kind: MemoryKind;
  readonly kinds: ReadonlySet<MemoryKind>;
  readonly parameters: number;
}

let catalogKinds: CatalogKind[] | null = null;

/** Every catalog model with its memory kinds (built once, on first use). */
export function catalogByKind(): readonly CatalogKind[] {
  if (!catalogKinds) {
    catalogKinds = [];
    for (const r of MODEL_ROWS) {
      try {
        const s = catalogModelSpec(r.id);
        catalogKinds.push({
          id: r.id,
          kind: memoryKindOf(s),
          kinds: memoryKindsOf(s),
          parameters: s.parameters,
        });
      } catch {
        // A catalog row core cannot parse is left out of the comparison.
      }
    }
  }
  return catalogKinds;
}

/**
 * For each memory kind, one catalog model that uses it: models whose main kind it is first, then
 * the nearest in size to `parameters` (log scale).
 */
export function exemplars(parameters: number): { kind: MemoryKind; id: string }[] {
  const out: { kind: MemoryKind; id: string }[] = [];
  for (const kind of MEMORY_KINDS) {
    let best: { id: string; d: number } | null = null;
    for (const m of catalogByKind()) {
      if (!m.kinds.has(kind)) continue;
      const d = Math.abs(Math.log(m.parameters / parameters)) + (m.kind === kind ? 0 : 100);
      if (!best || d < best.d || (d === best.d && m.id < best.id)) best = { id: m.id, d };
    }
    if (best) out.push({ kind, id: best.id });
  }
  return out;
}

export const ATTENTION_OVERRIDES = ["published", "mha", "gqa", "mqa"] as const;
export type AttentionOverride = (typeof ATTENTION_OVERRIDES)[number];

/** Where a config keeps its text model's attention fields (top level, or text_config). */
function attentionConfig(
  config: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> | null {
  const tc = config.text_config;
  const inner = typeof tc === "object" && tc !== null ? (tc as Record<string, unknown>) : null;
  if (inner && typeof inner.num_attention_heads === "number") return inner;
  return typeof config.num_attention_heads === "number" ? config : null;
}

/** K/V heads an override asks for: all heads, the largest divisor ≤ 8, or one. */
export function kvHeadsFor(override: Exclude<AttentionOverride, "published">, heads: number): number {
  if (override === "mha") return heads;
  if (override === "mqa") return 1;
  for (let g = Math.min(8, heads); g >= 1; g--) if (heads % g === 0) return g;
  return 1;
}

const variantCache = new Map<string, ModelSpec | null>();

/**
 * The model as if its attention were `override`: its config.json with `num_key_value_heads`
 * rewritten, rebuilt by core. Null for models whose layers are not plain attention (MLA, SSM)
 * or whose config does not name its heads.
 */
export function attentionVariant(choice: ModelChoice, override: AttentionOverride): ModelSpec | null {
  if (override === "published") return choice.spec;
  if (!choice.spec.layers.every((l) => l.mixer.kind === "attention")) return null;
  const key = `${choice.key}|${override}`;
  const hit = variantCache.get(key);
  if (hit !== undefined) return hit;
  const at = choice.config ? attentionConfig(choice.config) : null;
  let spec: ModelSpec | null = null;
  if (at) {
    const heads = at.num_attention_heads as number;
    const patched = { ...at, num_key_value_heads: kvHeadsFor(override, heads) };
    const config = at === choice.config ? patched : { ...(choice.config ?? {}), text_config: patched };
    try {
      spec = modelSpecFromHfConfig(config, `${choice.spec.id} (${override.toUpperCase()})`);
    } catch {
      spec = null;
    }
  }
  variantCache.set(key, spec);
  return spec;
}
