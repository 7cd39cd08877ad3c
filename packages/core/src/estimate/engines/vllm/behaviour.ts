import { MemlensError } from "../../../errors/memlens-error.js";
import { GIB } from "../../../units/units.js";

/**
 * vLLM version families with their own start-up rules: "v0" (before 0.8, the legacy engine's
 * vllm/worker/worker.py), "0.8-0.11" (the V1 engine before 0.12: sort-based top-k/top-p, the
 * 0.13 GiB non-torch term) and "0.12+" (the current start-up arithmetic).
 */
export type VllmFamily = "v0" | "0.8-0.11" | "0.12+";

/** Version-dependent behaviour of the start-up profiler. */
export interface VllmBehaviour {
  readonly version: string;
  readonly family: VllmFamily;
  /** "v0": the legacy engine (vllm/worker/worker.py), "v1": vllm/v1/worker/gpu_worker.py. */
  readonly engine: "v0" | "v1";
  /** Bytes the dummy sampler run holds per (request × vocabulary entry). */
  readonly samplerBytesPerLogit: number;
  /** Non-torch memory (cuBLAS/NCCL handles, CUDA graphs pools) the profile run adds on one GPU. */
  readonly nonTorchBytes: number;
  /**
   * V0 before 0.7: the profiler charges all memory in use outside torch (the CUDA context
   * included) rather than the increase over a baseline snapshot.
   */
  readonly chargesCudaContext: boolean;
  /** Whether the estimated CUDA graph memory is taken out of the KV budget. */
  readonly subtractsCudaGraphs: boolean;
}

/** The version assumed when the scenario names none: the current start-up arithmetic. */
export const DEFAULT_VLLM_VERSION = "0.21.0";

function parseVersion(v: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

const atLeast = (v: readonly number[], major: number, minor: number): boolean =>
  (v[0] ?? 0) > major || ((v[0] ?? 0) === major && (v[1] ?? 0) >= minor);

/**
 * The legacy (V0) engine's start-up: no CUDA graph estimate; profile_run builds max_num_seqs
 * dummy sequences (SchedulerConfig default 256) with SamplingParams(top_p=0.99,
 * top_k=vocab_size - 1) (vllm/worker/model_runner.py GPUModelRunnerBase.profile_run, the V0
 * engine), so the sampler sorts every sequence's logits over the whole vocabulary
 * (model_executor/layers/sampler.py _apply_top_k_top_p): the sort path V1 kept until 0.17.
 */
const legacyBehaviour = (version: string, v: readonly number[] | null): VllmBehaviour => ({
  version,
  // "Memory profiling results: ... initial_memory_usage=15.34GiB ... non_torch_memory=0.35GiB"
  // (vllm#10517, 0.6.4, weights 14.99 GiB): the 0.35 GiB in use before profiling is charged as
  // non-torch. PR #10511 (0.6.5) still charges 1.79 GiB on one H100; PR #12126 (Jan 2025, 0.7)
  // measures the increase over a snapshot (0.16 GiB).
  chargesCudaContext: v !== null && !atLeast(v, 0, 7),
  family: "v0",
  engine: "v0",
  samplerBytesPerLogit: SAMPLER_BYTES_SORT,
  nonTorchBytes: V0_NON_TORCH_BYTES,
  subtractsCudaGraphs: false,
});

/**
 * Start-up behaviour of a vLLM version ("0.19.0", "v0.15", or "v0" for the legacy engine).
 * Constants are read off vLLM's own start-up logs (shared/fixtures/measured/public.jsonl, llm-d
 * planner sweeps on H100): they describe mechanisms, not single models.
 */
export function vllmBehaviour(version: string | undefined): VllmBehaviour {
  const name = version ?? DEFAULT_VLLM_VERSION;
  if (name.trim().toLowerCase() === "v0") return legacyBehaviour(name, null);
  const v = parseVersion(name);
  if (!v)
    throw new MemlensError(
      "invalid-value",
      `engineOptions.engineVersion "${name}" is not a vLLM version such as 0.19.0 (or "v0" for the legacy engine)`,
      "engineOptions.engineVersion",
    );
  if (!atLeast(v, 0, 8)) return legacyBehaviour(name, v);
  return {
    version: name,
    family: atLeast(v, 0, 12) ? "0.12+" : "0.8-0.11",
    engine: "v1",
    samplerBytesPerLogit: atLeast(v, 0, 17) ? SAMPLER_BYTES_TRITON : SAMPLER_BYTES_SORT,
    // non_torch_forward_increase on one H100: 0.13 GiB in v0.15–v0.17 runs, 0.24–0.26 GiB from v0.18.
    nonTorchBytes: atLeast(v, 0, 18) ? Math.round(0.25 * GIB) : Math.round(0.13 * GIB),
    chargesCudaContext: false,
    // "CUDA graph memory profiling is enabled (default since v0.21.0)" (vLLM gpu_worker.py log).
    subtractsCudaGraphs: atLeast(v, 0, 21),
  };
}

// gpu_model_runner._dummy_sampler_run: logits [max_num_seqs, vocab] in the model dtype (2 B), the
// sampler's FP32 copy (4 B), softmax probabilities (4 B) and the exponential noise of
// random_sample (4 B), plus the Triton top-k/top-p kernel's scratch: 14.5 B per logit, the slope
// of torch peak against vocab × max_num_seqs over the v0.19 H100 logs (vocab 51k–262k).
const SAMPLER_BYTES_TRITON = 14.5;
// Before v0.17 (and in V0) top-k/top-p sorted the logits (values 4 B + int64 indices 8 B, masks, sorted
// probabilities, the scattered result): 38 B per logit fits Qwen3-14B's 5.64 GiB peak in v0.15/16.
const SAMPLER_BYTES_SORT = 38;
// Legacy engine: "non_torch_memory takes 0.04GiB / 0.10GiB" in the two V0 logs.
const V0_NON_TORCH_BYTES = Math.round(0.07 * GIB);
