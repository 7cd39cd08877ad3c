import { MemlensError } from "../errors/memlens-error.js";
import type { StepRecord } from "./step-time.js";

/**
 * Per-operator latency profiles in LLMServingSim's format (`profiler/perf/<hw>/<model>/<variant>/
 * tp<N>/{dense,per_sequence,attention}.csv`, docs/docs/simulator/trace-generation.md): one decoder
 * layer measured inside vLLM. Composing them into whole steps gives measured step records for
 * `fitLinearStepTime`, the calibration hook.
 */
export interface OperatorProfile {
  /** Dense operators: name → (batch tokens, µs) sorted by tokens. */
  readonly dense: ReadonlyMap<string, readonly (readonly [number, number])[]>;
  /** Per-sequence operators (lm_head, sampler): name → (sequences, µs). */
  readonly perSequence: ReadonlyMap<string, readonly (readonly [number, number])[]>;
  /** Attention: (prefill chunk, prefill KV history, decode sequences, decode KV length, µs). */
  readonly attention: readonly (readonly [number, number, number, number, number])[];
}

function parseCsv(text: string, file: string, columns: readonly string[]): number[][] & { names: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const idx = columns.map((c) => {
    const j = header.indexOf(c);
    if (j < 0) throw new MemlensError("malformed-file", `${file} line 1: missing column "${c}"`, c);
    return j;
  });
  const rows = [] as unknown as number[][] & { names: string[] };
  rows.names = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(",");
    const row: number[] = [];
    idx.forEach((j, k) => {
      if (k === 0 && columns[0] === "layer") {
        rows.names.push((f[j] ?? "").trim());
        row.push(0);
        return;
      }
      const v = Number(f[j]);
      if (!Number.isFinite(v) || v < 0)
        throw new MemlensError(
          "malformed-file",
          `${file} line ${i + 1}: field "${columns[k]}" must be a number ≥ 0, got ${JSON.stringify(f[j])}`,
          columns[k],
        );
      row.push(v);
    });
    rows.push(row);
  }
  return rows;
}

function byName(rows: number[][] & { names: string[] }) {
  const m = new Map<string, [number, number][]>();
  rows.forEach((r, i) => {
    const name = rows.names[i]!;
    const list = m.get(name) ?? [];
    list.push([r[1]!, r[2]!]);
    m.set(name, list);
  });
  for (const l of m.values()) l.sort((a, b) => a[0] - b[0]);
  return m;
}

/** Parses the three CSV texts of an LLMServingSim operator profile. */
export function parseOperatorProfile(texts: {
  readonly dense: string;
  readonly perSequence: string;
  readonly attention: string;
}): OperatorProfile {
  const dense = byName(parseCsv(texts.dense, "dense.csv", ["layer", "tokens", "time_us"]));
  const perSequence = byName(
    parseCsv(texts.perSequence, "per_sequence.csv", ["layer", "sequences", "time_us"]),
  );
  const attention = parseCsv(texts.attention, "attention.csv", [
    "prefill_chunk",
    "kv_prefill",
    "n_decode",
    "kv_decode",
    "time_us",
  ]).map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, r[4]!] as const);
  return { dense, perSequence, attention };
}

/** Linear interpolation (and extrapolation from the end segments) in a sorted (x, y) table. */
export function interpolate(table: readonly (readonly [number, number])[], x: number): number {
  const n = table.length;
  if (n === 0) return 0;
  if (n === 1) return table[0]![1];
  let lo = 0;
  let hi = n - 1;
  if (x <= table[0]![0]) hi = 1;
  else if (x >= table[n - 1]![0]) lo = n - 2;
  else {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (table[mid]![0] <= x) lo = mid;
      else hi = mid;
    }
  }
  const [x0, y0] = table[lo]!;
  const [x1, y1] = table[hi]!;
  return x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Which profiled operators make up one step of a model (LLMServingSim `profiler/models/<arch>.yaml`). */
export interface ProfileArchitecture {
  readonly numLayers: number;
  /** Dense operators run once per step (prologue and head: embedding, final_layernorm). */
  readonly oncePerStep: readonly string[];
  /** Dense operators per decoder layer, with repeats (a layernorm before attention and after). */
  readonly perLayer: readonly string[];
  /** Per-sequence operators (lm_head, sampler). */
  readonly perSequence: readonly string[];
}

/** Llama 3.x: `profiler/models/llama.yaml` sequence (prologue, pre_attn, post_attn, mlp_dense, head). */
export const LLAMA_PROFILE_ARCHITECTURE: ProfileArchitecture = {
  numLayers: 32,
  oncePerStep: ["embedding", "final_layernorm"],
  perLayer: [
    "layernorm",
    "qkv_proj",
    "rotary_emb",
    "o_proj",
    "layernorm",
    "gate_up_proj",
    "act_fn",
    "down_proj",
  ],
  perSequence: ["lm_head", "sampler"],
};

/** Limits of the batches to compose (the engine's settings). */
export interface ProfileRecordLimits {
  /** Token budget of a step (`max_num_batched_tokens`). */
  readonly maxBatchedTokens: number;
  /** KV tokens the pool holds: batches reading more are skipped. */
  readonly maxKvTokens: number;
}

/**
 * Step records composed from a profile at every attention grid point within the limits: the step
 * time is Σ once-per-step ops(T) + layers × (Σ per-layer ops(T) + attention) + Σ per-sequence
 * ops(requests), with T = prefill chunk + decode sequences (trace_generator.py `_emit_sequence`,
 * block copy over identical layers). Batch fields use the simulator's conventions
 * (kvTokensRead = prefill KV + chunk + decodes × (KV + 1)).
 */
export function stepRecordsFromOperatorProfile(
  profile: OperatorProfile,
  arch: ProfileArchitecture,
  limits: ProfileRecordLimits,
): StepRecord[] {
  const op = (name: string, tokens: number): number => {
    const t = profile.dense.get(name);
    if (!t) throw new MemlensError("malformed-file", `dense.csv has no operator "${name}"`, name);
    return interpolate(t, tokens);
  };
  const seq = (name: string, n: number): number => {
    const t = profile.perSequence.get(name);
    if (!t) throw new MemlensError("malformed-file", `per_sequence.csv has no operator "${name}"`, name);
    return interpolate(t, n);
  };
  const out: StepRecord[] = [];
  for (const [pc, kp, nd, kvd, attentionUs] of profile.attention) {
    const tokens = pc + nd;
    if (tokens === 0 || tokens > limits.maxBatchedTokens) continue;
    if (pc === 0 && kp > 0) continue; // KV history without a chunk: not a real batch
    const kvTokensRead = kp + pc + nd * (kvd + 1);
    if (kp + pc + nd * kvd > limits.maxKvTokens) continue;
    const requests = nd + (pc > 0 ? 1 : 0);
    let us = 0;
    for (const name of arch.oncePerStep) us += op(name, tokens);
    let layer = attentionUs;
    for (const name of arch.perLayer) layer += op(name, tokens);
    us += arch.numLayers * layer;
    for (const name of arch.perSequence) us += seq(name, requests);
    const prefillAttentionPairs = pc * (kp + (pc + 1) / 2);
    out.push({
      batch: { prefillTokens: pc, decodeSeqs: nd, kvTokensRead, prefillAttentionPairs },
      seconds: us / 1e6,
    });
  }
  return out;
}
