/**
 * The contract every engine module implements (engines/<engine>/index.ts exports one `Engine`).
 * An engine owns what it accepts (weight formats, KV dtypes), its limits and defaults, and its
 * memory answer as a typed report; callers (estimate, planner, CLI, simulator, web) read these
 * fields and never keep their own lists. Prose and the SCENARIO.md `engine` record are made from
 * the report only at the edge (`toJson`, and `issueText` in the registry, engines/index.ts).
 */
import type { GpuSpec } from "../../catalog/gpu-types.js";
import type { InferenceEngine } from "../../scenario/scenario.js";
import type { Bytes } from "../../units/units.js";
import type { DeviceBytes, EngineInput } from "../estimate-types.js";
import type { KvLayoutOptions } from "../kv-cache.js";

/** SCENARIO.md `engine`: engine-specific figures named after what the engine prints. */
export type EngineJson = Readonly<Record<string, number | readonly number[] | string | boolean>>;

/**
 * Something the engine would do or refuse, as data. Prose comes from `issueText` at the edge; the
 * web page and the CLI branch on `code`, never on a note's wording.
 */
export type EngineIssue =
  /** The engine would not start (vLLM's and SGLang's start-up checks). `reason` is the engine's own words. */
  | { readonly code: "engine-refuses"; readonly engine: InferenceEngine; readonly reason: string }
  /** The KV pool cannot hold one request of `contextTokens` (pool-sizing engines). */
  | {
      readonly code: "kv-too-small";
      readonly engine: InferenceEngine;
      readonly contextTokens: number;
      readonly poolTokens: number;
    }
  /** More parallel sequences than the engine serves (llama.cpp's LLAMA_MAX_SEQ). */
  | {
      readonly code: "too-many-sequences";
      readonly engine: InferenceEngine;
      readonly sequences: number;
      readonly maxSequences: number;
    }
  /** The context is past the model's trained positions and the engine refuses it (SGLang's context_length check). */
  | {
      readonly code: "context-over-trained";
      readonly engine: InferenceEngine;
      readonly contextTokens: number;
      readonly maxPositionEmbeddings: number;
    };

/** An engine's memory answer for one (context, batch) point, with its typed report. */
export interface EngineResult<R> {
  readonly devices: readonly DeviceBytes[];
  /** What the engine decided (its start-up, its buffers), typed per engine. */
  readonly report: R;
  readonly issues: readonly EngineIssue[];
  /** KV layout the engine uses, for speed and per-token figures. */
  readonly kvLayout: KvLayoutOptions;
  /** Explanations that are not issues (how a figure was derived). */
  readonly notes: readonly string[];
  /** For engines that size the KV pool themselves (vLLM, SGLang): tokens the pool holds. */
  readonly kvPoolTokens?: number;
}

/** What an engine is willing to run, as data. */
export interface EngineCapabilities {
  /** `scenario.kvCache` values the engine accepts ("auto" first where it has one). */
  readonly kvDtypes: readonly string[];
  /**
   * Weight formats the engine loads, by `scenario.weights` name. A predicate, since GGUF engines
   * take every GGUF file type and HF engines take named quantization methods.
   */
  acceptsWeights(format: string): boolean;
  /**
   * KV dtypes and weight formats worth searching (the planner's candidates), a subset of the
   * above. `searchKvDtypes` starts with the engine's full-width default ("auto" or fp16), so the
   * rest are the smaller caches (plan/changes.ts suggests those).
   */
  readonly searchKvDtypes: readonly string[];
  readonly searchWeights: readonly string[];
  /** Most sequences one engine instance serves together, or null for no limit of its own. */
  readonly maxSequences: number | null;
  /**
   * True for engines that pre-allocate their KV cache as a pool from the memory left at start-up
   * (vLLM, SGLang: `kvPoolTokens` in their results); absent or false where KV grows with the context.
   */
  readonly kvPool?: boolean;
  /**
   * Tokens by which a sequence's memory steps (llama.cpp pads n_ctx to 256 cells): searches for
   * the largest context (plan/fits.ts) probe multiples of it. Absent: 1.
   */
  readonly contextStep?: number;
}

/** Settings the engine picks when the user names none (e.g. vLLM's max_num_seqs for the GPU). */
export interface EngineDefaults {
  /**
   * Sequences scheduled together by default (vLLM's max_num_seqs, llama.cpp's n_seq_max); null
   * where the engine has no such setting (transformers' generate() runs the batch it is given) or
   * sizes it at start-up from its pool (SGLang's max_running_requests).
   */
  readonly maxNumSeqs: number | null;
  /** Tokens per KV block (paged engines) or 1. */
  readonly blockSize: number;
  /** Per-device memory the engine cannot use: the CUDA context and the like. */
  readonly contextBytes: Bytes;
}

export interface Engine<R = unknown> extends EngineCapabilities {
  readonly name: InferenceEngine;
  /** How the engine calls itself in prose ("vLLM", "SGLang", "llama.cpp", "transformers"). */
  readonly label: string;
  /**
   * The engine whose code this one runs with its own defaults (ollama runs llama-server). The
   * planner's default search skips such an engine: its candidates are the base engine's.
   */
  readonly variantOf?: InferenceEngine;
  /**
   * How the engine's fit is measured on a catalog GPU: "reported" = against the memory the driver
   * reports as total (`reportedTotalBytes`: llama.cpp fits what the driver reports free,
   * transformers what is left of the reported total), where the catalog has that figure;
   * omitted = against the board's marketed size (engines that size a pool from the reported
   * total themselves, vLLM and SGLang, report it in their own start-up figures).
   */
  readonly fitCapacity?: "reported";
  defaults(gpu: GpuSpec | undefined, deviceCount: number): EngineDefaults;
  /**
   * Tokens per sequence the engine runs when the scenario names no contextLength (ollama picks
   * num_ctx from the GPUs' memory). Omitted: the scenario's own default.
   */
  defaultContextLength?(input: EngineInput): number;
  /** Memory at `contextLength` tokens per sequence and `batch` sequences. */
  memory(input: EngineInput, contextLength: number, batch: number): EngineResult<R>;
  /**
   * Each device's total from below, more cheaply than `memory()` (llama.cpp: every buffer but the
   * compute graph's); never above `memory()`'s total for the same input. Omitted: no bound.
   */
  lowerBound?(input: EngineInput, contextLength: number, batch: number): readonly number[];
  /** SCENARIO.md `engine` record from the report (the edge: names fixed by the contract). */
  toJson(report: R): EngineJson;
}
