/**
 * `memlens compare --engines`: one scenario estimated under several inference engines, and why
 * their figures differ, read off each engine's typed report.
 */
import {
  ENGINES,
  type EngineIssue,
  type EngineReport,
  type Estimate,
  type EstimateWithReport,
  estimateWithReport,
  findGpu,
  formatBinaryBytes,
  INFERENCE_ENGINES,
  type InferenceEngine,
  isInputError,
  issueText,
  type LlamaCppReport,
  llamaCppEngineFields,
  MemlensError,
  type ModelSpec,
  parseScenario,
  parseWeightFormat,
  resolveModelSpec,
  scenarioToJson,
  vllmLoggedConcurrency,
  vllmRankWeights,
} from "@memlens/core";

/** The engines `--engines` accepts, in the order the table shows them. */
export const COMPARE_ENGINES: readonly InferenceEngine[] = ["llama.cpp", "vllm", "sglang", "transformers"];

/** An engine that could not estimate the scenario: the error core threw, as data. */
export interface EngineError {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

export type EngineOutcome = Estimate | EngineError;

/** An engine's estimate with its typed report, or its error: what the differences are read from. */
export type ReportedOutcome = EstimateWithReport | EngineError;

/** One reason the engines' figures differ: a one-line summary and each engine's part. */
export interface EngineDifference {
  readonly topic:
    | "weights"
    | "kvCache"
    | "activations"
    | "overhead"
    | "fit"
    | "kvBytesPerToken"
    | "decode"
    | "errors";
  readonly summary: string;
  /** What this engine does, with its own figures; engines without anything to add are absent. */
  readonly byEngine: Readonly<Partial<Record<InferenceEngine, string>>>;
}

export interface EnginesReport {
  /** The common scenario (SCENARIO.md) with defaults filled, `engine` left out. */
  readonly scenario: Record<string, unknown>;
  readonly engines: Readonly<Partial<Record<InferenceEngine, EngineOutcome>>>;
  readonly differences: readonly EngineDifference[];
}

export const isEngineError = (o: EngineOutcome | ReportedOutcome): o is EngineError => "error" in o;

/** Every engine --engines takes: the compared ones first, then the variants (ollama). */
const ALLOWED: readonly InferenceEngine[] = [
  ...COMPARE_ENGINES,
  ...INFERENCE_ENGINES.filter((e) => !COMPARE_ENGINES.includes(e)),
];

/** `--engines llama.cpp,vllm`: the engines named, deduplicated, in the order given. */
export function parseEngineList(value: string | undefined): InferenceEngine[] {
  const allowed: readonly string[] = INFERENCE_ENGINES;
  const names = (value ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
  const bad = names.filter((n) => !allowed.includes(n.toLowerCase()));
  if (names.length === 0 || bad.length > 0)
    throw new MemlensError(
      "invalid-value",
      `--engines ${names.length === 0 ? "is empty" : `has unknown engine${bad.length > 1 ? "s" : ""} ${bad.map((b) => `"${b}"`).join(", ")}`}; allowed (comma-separated): ${ALLOWED.join(", ")}`,
      "--engines",
      ALLOWED,
    );
  return [...new Set(names.map((n) => n.toLowerCase() as InferenceEngine))];
}

/**
 * Estimates `scenario` once per engine, `engine` being the only field that changes. Input errors
 * common to every engine (unknown model or GPU, a malformed field) are thrown; an engine that
 * rejects the scenario (a weight format or KV dtype it cannot load) gets its error as data.
 */
export function compareEngines(
  scenario: Record<string, unknown>,
  engines: readonly InferenceEngine[],
  modelSpec?: ModelSpec,
): EnginesReport {
  const parsed = parseScenario({ ...scenario, engine: "transformers" });
  if (parsed.task !== "inference")
    throw new MemlensError(
      "invalid-value",
      `compare --engines compares inference engines; task "${parsed.task}" is not allowed`,
      "task",
      ["inference"],
    );
  // A fresh object per comparison: core's llama.cpp engine memoises its tensor model per ModelSpec
  // object and does not notice a later non-GGUF weight format for the same (catalog-memoised) spec.
  const spec = { ...resolveModelSpec(parsed, modelSpec) };
  if ("gpu" in parsed.hardware) findGpu(parsed.hardware.gpu);
  parseWeightFormat(parsed.weights, spec);

  const reported: Partial<Record<InferenceEngine, ReportedOutcome>> = {};
  const outcomes: Partial<Record<InferenceEngine, EngineOutcome>> = {};
  for (const engine of engines) {
    try {
      const r = estimateWithReport({ ...scenario, engine }, { modelSpec: spec });
      reported[engine] = r;
      outcomes[engine] = r.estimate;
    } catch (e) {
      if (!(e instanceof MemlensError)) throw e;
      const error = {
        error: { code: e.code, message: e.message, ...(e.field !== undefined ? { field: e.field } : {}) },
      };
      reported[engine] = error;
      outcomes[engine] = error;
    }
  }
  const { engine: _engine, ...common } = scenarioToJson(parsed);
  return { scenario: common, engines: outcomes, differences: engineDifferences(reported, spec) };
}

/** True when every engine failed with the same input error (then it is the user's input, not an engine's). */
export function commonInputError(report: EnginesReport): MemlensError | null {
  const all = Object.values(report.engines);
  if (all.length === 0 || !all.every(isEngineError)) return null;
  const first = all[0]!.error;
  if (!all.every((o) => o.error.message === first.message)) return null;
  const err = new MemlensError(first.code as MemlensError["code"], first.message, first.field);
  return isInputError(err) ? err : null;
}

/** The device whose total is largest (the one that decides whether it fits). */
export function fullestDevice(e: Estimate): Estimate["devices"][number] {
  return e.devices.reduce((a, b) => (b.bytes.total > a.bytes.total ? b : a));
}

const gib = (n: number): string => formatBinaryBytes(n, 2);
const count = (n: number): string => Math.round(n).toLocaleString("en-US");
/** llama.cpp's log figures from its typed report (null when it would not run). */
const llamaFields = (r: LlamaCppReport) => (r.memory ? llamaCppEngineFields(r.memory, r.gpuCount) : null);
/** A per-device figure when there is one device (llama.cpp prints one line per device otherwise). */
const one = (v: number | readonly number[] | undefined): number | undefined =>
  typeof v === "number" ? v : undefined;

/** Pool engines (vLLM, SGLang) size their KV cache from free memory, not from the context. */
export const isPoolEngine = (name: InferenceEngine): boolean => ENGINES[name].kvPool === true;

/** An engine that estimated the scenario: its name, its estimate, its typed report and issues. */
type Ok = readonly [InferenceEngine, Estimate, EngineReport, readonly EngineIssue[]];

/**
 * "a 1.00 GiB, b 2.00 GiB" when the figures differ by more than `tolerance`, else the one figure
 * ("all 1.00 GiB", or "1.00 GiB (vllm only)" when one engine ran).
 */
function spread(
  ok: readonly Ok[],
  f: (e: Estimate) => number,
  show: (n: number) => string,
  tolerance = 0.005,
): { same: boolean; text: string } {
  const xs = ok.map(([, e]) => f(e));
  const hi = Math.max(...xs);
  const lo = Math.min(...xs);
  const same = hi === lo || (hi > 0 && (hi - lo) / hi <= tolerance);
  if (!same) return { same, text: ok.map(([n, e]) => `${n} ${show(f(e))}`).join(", ") };
  return {
    same,
    text: ok.length > 1 ? `all ${show(xs[0] ?? 0)}` : `${show(xs[0] ?? 0)}, ${ok[0]?.[0]} only`,
  };
}

/** The reasons behind each row of the table, from the estimates' own figures. */
export function engineDifferences(
  outcomes: Readonly<Partial<Record<InferenceEngine, ReportedOutcome>>>,
  spec: ModelSpec,
): EngineDifference[] {
  const ok: Ok[] = [];
  const failed: [InferenceEngine, EngineError][] = [];
  for (const [n, o] of Object.entries(outcomes) as [InferenceEngine, ReportedOutcome][])
    if (isEngineError(o)) failed.push([n, o]);
    else if (o.report) ok.push([n, o.estimate, o.report, o.issues]);
  const out: EngineDifference[] = [];
  if (ok.length > 0) {
    out.push(weightsDifference(ok, spec));
    out.push(kvDifference(ok));
    out.push(activationsDifference(ok));
    out.push(overheadDifference(ok));
    out.push(fitDifference(ok, spec));
    out.push(kvPerTokenDifference(ok));
    out.push(decodeDifference(ok));
  }
  if (failed.length > 0)
    out.push({
      topic: "errors",
      summary: `${failed.map(([n]) => n).join(", ")} cannot run this scenario`,
      byEngine: Object.fromEntries(failed.map(([n, f]) => [n, `${f.error.code}: ${f.error.message}`])),
    });
  return out;
}

function weightsDifference(ok: readonly Ok[], spec: ModelSpec): EngineDifference {
  const s = spread(ok, (e) => fullestDevice(e).bytes.weights, gib);
  const byEngine: Partial<Record<InferenceEngine, string>> = {};
  for (const [n, e, r] of ok) {
    const sc = e.scenario as { weights?: string; parallel?: { tensor?: number; pipeline?: number } };
    const w = fullestDevice(e).bytes.weights;
    switch (r.engine) {
      case "llama.cpp": {
        const host = llamaFields(r)?.hostModelBufferBytes ?? 0;
        const simulated = e.notes.some((x) => x.includes("llama-quantize picks"));
        byEngine[n] =
          `GGUF ${sc.weights ?? "file"} (${simulated ? "per-tensor types as llama-quantize picks them" : "the file's own tensor types"}); ${gib(w)} in GPU model buffers` +
          (host > 0
            ? ` and ${gib(host)} in host memory (the token embedding, input layer, stays on the CPU: llama_model_base::load_tensors)`
            : "");
        break;
      }
      case "vllm":
      case "sglang": {
        // vLLM and SGLang share the loader arithmetic (vocab-parallel embedding, rotary cache).
        const tp = sc.parallel?.tensor ?? 1;
        const pp = sc.parallel?.pipeline ?? 1;
        let detail = "";
        try {
          const r = vllmRankWeights(spec, parseWeightFormat(sc.weights, spec), tp, pp);
          const params = r.parameterBytes[0] ?? 0;
          const parts = [`parameters ${gib(params)}`];
          if (r.rotaryCacheBytes > 0) parts.push(`rotary cos/sin cache ${gib(r.rotaryCacheBytes)}`);
          const mla = r.mlaAbsorbedBytes[0] ?? 0;
          if (mla > 0) parts.push(`MLA absorbed matrices ${gib(mla)}`);
          detail = ` (${parts.join(" + ")})`;
        } catch {
          detail = "";
        }
        byEngine[n] =
          `${sc.weights ?? "checkpoint"} as ${ENGINES[n].label} loads it per rank (vocabulary padded to 64, every tensor on the GPU${tp > 1 ? `, sharded over TP ${tp}` : ""}): ${gib(w)}${detail}`;
        break;
      }
      case "transformers":
        byEngine[n] =
          `${sc.weights ?? "checkpoint"} as published (every tensor on the GPU, token embedding included): ${gib(w)}`;
        break;
    }
  }
  return {
    topic: "weights",
    summary: s.same
      ? `Weights per GPU: ${s.text}.`
      : `Weights per GPU: ${s.text}: the same checkpoint, loaded differently.`,
    byEngine,
  };
}

function kvDifference(ok: readonly Ok[]): EngineDifference {
  const byEngine: Partial<Record<InferenceEngine, string>> = {};
  let need: { bytes: number; from: InferenceEngine } | null = null;
  for (const [n, e, r] of ok) {
    const sc = e.scenario as { contextLength: number; batch: number; kvCache?: string };
    const kv = fullestDevice(e).bytes.kvCache;
    switch (r.engine) {
      case "llama.cpp": {
        const f = llamaFields(r);
        const cells = f?.kvCells;
        const nCtx = f?.nCtx;
        byEngine[n] =
          `allocates K/V for n_ctx ${nCtx !== undefined ? count(nCtx) : "?"} cells up front (${cells !== undefined ? count(cells) : "?"} per sequence × ${sc.batch}, padded to 256) in ${f?.typeK ?? "?"}/${f?.typeV ?? "?"}: ${gib(kv)}, whatever the prompt length`;
        need ??= { bytes: kv, from: n };
        break;
      }
      case "vllm": {
        const s = r.startup;
        const first = s.stages[0]!;
        byEngine[n] =
          `pre-allocates a paged pool from what is left of gpu_memory_utilization ${s.gpuMemoryUtilization} × ${gib(s.visibleMemoryBytes)} after weights, activation peak, non-torch memory${first.cudaGraphBytes > 0 ? " and CUDA graphs" : ""}: ${gib(Math.max(0, first.availableKvBytes))} available → ${count(s.numGpuBlocks)} blocks of ${s.blockSize} tokens = ${count(s.kvCacheTokens)} tokens (${gib(kv)}), ${vllmLoggedConcurrency(s)}× a ${count(sc.contextLength)}-token sequence`;
        break;
      }
      case "sglang": {
        const s = r.startup;
        byEngine[n] =
          `pre-allocates a token pool of mem_fraction_static ${s.memFractionStatic} × free memory − weights: ${count(s.maxTotalNumTokens)} tokens (K ${gib(s.kSizeBytes)} + V ${gib(s.vSizeBytes)})`;
        break;
      }
      case "transformers":
        byEngine[n] =
          `DynamicCache grows with the tokens actually held; at ${count(sc.contextLength)} tokens × ${sc.batch} it is ${gib(kv)}`;
        if (need === null || need.from !== "llama.cpp") need = { bytes: kv, from: n };
        break;
    }
  }
  const pools = ok.filter(([n]) => isPoolEngine(n)).map(([n]) => n);
  const growers = ok.filter(([n]) => !isPoolEngine(n)).map(([n]) => n);
  const first = ok[0]![1].scenario as { contextLength: number; batch: number };
  const needText =
    need !== null
      ? `${gib(need.bytes)} (as ${need.from} holds it)`
      : `up to ${gib(ok[0]![1].kvBytesPerToken * first.contextLength * first.batch)} (contextLength × batch × KV bytes per token)`;
  let summary: string;
  if (pools.length > 0 && growers.length > 0)
    summary = `For ${pools.join(" and ")} "KV cache" is a pool sized by the memory left over, not by this context; for ${growers.join(" and ")} it is what ${count(first.contextLength)} tokens × ${first.batch} need: ${needText}.`;
  else if (pools.length > 0)
    summary = `${pools.join(" and ")} size the KV pool by the memory left over, not by this context (which needs ${needText}).`;
  else summary = `KV cache is sized by the context: ${needText}.`;
  return { topic: "kvCache", summary, byEngine };
}

function activationsDifference(ok: readonly Ok[]): EngineDifference {
  const byEngine: Partial<Record<InferenceEngine, string>> = {};
  for (const [n, e, r] of ok) {
    const sc = e.scenario as { contextLength: number; batch: number };
    const a = fullestDevice(e).bytes.activations;
    switch (r.engine) {
      case "llama.cpp": {
        const f = llamaFields(r);
        byEngine[n] =
          `compute buffer ${gib(one(f?.computeBufferBytes) ?? 0)} from the reserve graph at n_ubatch ${f?.nUbatch ?? "?"} tokens (flash attention ${f?.flashAttention ? "on" : "off"}) + output buffer ${gib(f?.outputBufferBytes ?? 0)}; prompts run in n_ubatch chunks, so it does not grow with the context`;
        break;
      }
      case "vllm":
        byEngine[n] =
          `profile-run peak over max_num_batched_tokens ${count(r.startup.maxNumBatchedTokens)} tokens (chunked prefill) plus the sampler: ${gib(r.startup.stages[0]!.activationPeakBytes)}`;
        break;
      case "sglang": {
        const s = r.startup;
        byEngine[n] =
          `the 1 − mem_fraction_static (${Math.round((1 - s.memFractionStatic) * 1000) / 1000}) share of free memory SGLang keeps for prefill chunks of ${count(s.defaults.chunkedPrefillSize)} tokens and CUDA graphs (up to batch ${s.defaults.cudaGraphMaxBs}): ${gib(a)}`;
        break;
      }
      case "transformers":
        byEngine[n] =
          `prefill of the whole ${count(sc.contextLength)}-token context × ${sc.batch} in one forward pass (${r.attention} attention): ${gib(a)}, growing with the prompt`;
        break;
    }
  }
  const s = spread(ok, (e) => fullestDevice(e).bytes.activations, gib);
  return {
    topic: "activations",
    summary: s.same
      ? `Activations: ${s.text}.`
      : `Activations: ${s.text}: each engine bounds the forward pass differently.`,
    byEngine,
  };
}

function overheadDifference(ok: readonly Ok[]): EngineDifference {
  const byEngine: Partial<Record<InferenceEngine, string>> = {};
  for (const [n, e, r] of ok) {
    const o = fullestDevice(e).bytes.overhead;
    switch (r.engine) {
      case "vllm": {
        const nonTorch = r.startup.stages[0]!.nonTorchBytes;
        const graphs = r.startup.stages[0]!.cudaGraphBytes;
        byEngine[n] =
          `CUDA context ${gib(o - nonTorch - graphs)} + non-torch memory (cuBLAS, NCCL) ${gib(nonTorch)} + CUDA graphs ${gib(graphs)}`;
        break;
      }
      case "sglang":
        byEngine[n] = `CUDA context ${gib(o)} (CUDA graphs live in the activation headroom)`;
        break;
      case "llama.cpp":
      case "transformers":
        byEngine[n] = `CUDA context and kernels outside the engine's buffers: ${gib(o)}`;
        break;
    }
  }
  const s = spread(ok, (e) => fullestDevice(e).bytes.overhead, gib);
  return {
    topic: "overhead",
    summary: `Overhead: ${s.text}.`,
    byEngine,
  };
}

function fitDifference(ok: readonly Ok[], spec: ModelSpec): EngineDifference {
  const byEngine: Partial<Record<InferenceEngine, string>> = {};
  for (const [n, e, r, issues] of ok) {
    const d = fullestDevice(e);
    const sc = e.scenario as { contextLength: number; batch: number };
    const refusal = issues[0] ? issueText(issues[0]) : undefined;
    const poolTokens =
      r.engine === "vllm" ? r.startup.kvCacheTokens : r.engine === "sglang" ? r.startup.maxTotalNumTokens : 0;
    const capped = spec.maxPositionEmbeddings !== null && e.maxContextLength === spec.maxPositionEmbeddings;
    const maxCtx =
      e.maxContextLength === null
        ? "none"
        : `${count(e.maxContextLength)} tokens${capped ? " (the model's max_position_embeddings)" : ""}`;
    if (isPoolEngine(n))
      byEngine[n] =
        `fills ${gib(d.bytes.total)} of ${gib(d.capacityBytes)} whatever the context; fits when the pool (${count(poolTokens)} tokens) holds one ${count(sc.contextLength)}-token sequence. Max context ${maxCtx}; ${count(e.maxConcurrentSequences)} sequences = pool ÷ ${count(sc.contextLength)}` +
        (refusal ? `. ${refusal}` : "");
    else
      byEngine[n] =
        `uses ${gib(d.bytes.total)} of ${gib(d.capacityBytes)} (${gib(Math.max(0, d.capacityBytes - d.bytes.total))} free); max context ${maxCtx} and ${count(e.maxConcurrentSequences)} sequences where ${r.engine === "transformers" ? "KV and prefill activations fill the GPU" : "KV fills the GPU (the compute buffer stays at n_ubatch)"}` +
        (refusal ? `. ${refusal}` : "");
  }
  const s = spread(
    ok,
    (e) => e.maxContextLength ?? 0,
    (x) => `${count(x)} tokens`,
    0.01,
  );
  return {
    topic: "fit",
    summary: s.same
      ? `Max context at this batch: ${s.text}.`
      : `Max context at this batch: ${s.text}: pool engines count tokens in their pool, the others grow until the GPU is full.`,
    byEngine,
  };
}

function kvPerTokenDifference(ok: readonly Ok[]): EngineDifference {
  const dtype = (e: Estimate): string => String((e.scenario as { kvCache?: string }).kvCache ?? "?");
  const s = spread(
    ok,
    (e) => e.kvBytesPerToken,
    (x) => `${count(x)} B`,
    0,
  );
  if (s.same)
    return {
      topic: "kvBytesPerToken",
      summary: `KV bytes per token: ${s.text}: K and V are ${[...new Set(ok.map(([, e]) => dtype(e)))].join(" / ")} under every engine, the same width.`,
      byEngine: {},
    };
  return {
    topic: "kvBytesPerToken",
    summary: `KV bytes per token: ${s.text}: the engines store K/V in different dtypes or layouts (e.g. MLA latent vs expanded).`,
    byEngine: Object.fromEntries(
      ok.map(([n, e]) => [n, `KV dtype ${dtype(e)}: ${count(e.kvBytesPerToken)} bytes per token`]),
    ),
  };
}

function decodeDifference(ok: readonly Ok[]): EngineDifference {
  const s = spread(
    ok,
    (e) => e.performance.decodeTokensPerSecond,
    (x) => `${Math.round(x)} tok/s`,
    0.01,
  );
  if (s.same)
    return {
      topic: "decode",
      summary: `Decode speed: ${s.text}: memlens' roofline depends on the bytes each token reads (weights, KV), not on the engine's kernels.`,
      byEngine: {},
    };
  return {
    topic: "decode",
    summary: `Decode speed: ${s.text}: the engines read different weight or KV bytes per token (the roofline does not model engine kernels).`,
    byEngine: Object.fromEntries(
      ok.map(([n, e]) => [
        n,
        `${Math.round(e.performance.decodeTokensPerSecond).toLocaleString("en-US")} tok/s (${e.performance.bound}-bound, weights ${String((e.scenario as { weights?: string }).weights ?? "?")}, KV ${String((e.scenario as { kvCache?: string }).kvCache ?? "?")})`,
      ]),
    ),
  };
}
