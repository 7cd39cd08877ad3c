/**
 * A request as the simulator sees it: what arrives (time, lengths, optional content for prefix
 * caching) and the mutable state the scheduler and KV managers keep on it.
 */

/** What a request's tokens are, when known (prefix caching needs it; lengths alone never hit). */
export type RequestContent =
  /** Token ids (the recorded vLLM workload): prompt ids and, when known, the generated ids. */
  | { readonly kind: "tokens"; readonly promptIds: Int32Array; readonly outputIds?: Int32Array }
  /**
   * Coarse prefix-block ids (Mooncake FAST'25 traces: one `hash_id` per 512 prompt tokens, equal ids
   * meaning reusable KV).
   */
  | { readonly kind: "coarse-blocks"; readonly ids: Int32Array; readonly blockTokens: number };

/** One request of a workload (input to the simulator). */
export interface WorkloadRequest {
  /** Arrival time, seconds from the start of the run. */
  readonly arrivalSeconds: number;
  /** Prompt tokens (≥ 1). */
  readonly promptTokens: number;
  /** Tokens to generate (≥ 1); the simulator stops the request after exactly this many. */
  readonly outputTokens: number;
  /** Token identity for prefix caching; absent = unique content. */
  readonly content?: RequestContent;
}

/** Simulator state of one request (mutable; owned by one engine at a time). */
export interface SimRequest {
  /** Index in the workload (arrival order). */
  readonly id: number;
  readonly arrivalSeconds: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly content: RequestContent | undefined;
  /** Tokens whose KV is computed (vLLM `num_computed_tokens`). */
  computed: number;
  /** Output tokens emitted so far. */
  generated: number;
  /** Tokens whose KV is already on this engine without computing them (disaggregated transfer). */
  externalTokens: number;
  firstScheduledSeconds: number;
  firstTokenSeconds: number;
  lastTokenSeconds: number;
  preemptions: number;
  /** Prompt tokens served from the prefix cache at the first admission. */
  prefixHitTokens: number;
  /** Tokens looked up in the prefix cache at the first admission (vLLM counts num_tokens). */
  prefixQueriedTokens: number;
  /** True once the first lookup was counted (preempted requests look up again, not counted). */
  prefixCounted: boolean;
  /** Tokens recomputed because of preemption. */
  recomputedTokens: number;
  /** KV-manager state (opaque to the scheduler). */
  kv: KvRequestState;
}

/** Per-request state the KV managers keep. */
export interface KvRequestState {
  /** Block ids (paged) in position order; 0 = the null block (freed by a window policy). */
  blocks: number[];
  /** Blocks already registered in the prefix cache. */
  numCachedBlocks: number;
  /** Full-block hashes of the known content, computed on first use; null when none. */
  hashes: Float64Array | null;
  /** Block size the hashes were computed for (0 = not computed yet). */
  hashesBlockSize: number;
  /** Tokens that have KV slots (computed + scheduled). */
  slotTokens: number;
  /** Slots reserved but not holding a token (block tail, or contiguous reservation). */
  wasteSlots: number;
  /** Prefix-lookup result waiting for allocate: cached blocks (paged). */
  hitBlocks: number[];
  /** Contiguous reservation: start offset and length in token slots, or -1. */
  segmentStart: number;
  segmentLength: number;
  /** Radix: locked node and the tokens of the request's private KV. */
  radixNode: unknown;
  radixLockedTokens: number;
  privateTokens: number;
}

/** Total tokens of a request right now (vLLM `num_tokens`: prompt + generated). */
export const numTokens = (r: SimRequest): number => r.promptTokens + r.generated;

export function createSimRequest(id: number, w: WorkloadRequest): SimRequest {
  return {
    id,
    arrivalSeconds: w.arrivalSeconds,
    promptTokens: w.promptTokens,
    outputTokens: w.outputTokens,
    content: w.content,
    computed: 0,
    generated: 0,
    externalTokens: 0,
    firstScheduledSeconds: Number.NaN,
    firstTokenSeconds: Number.NaN,
    lastTokenSeconds: Number.NaN,
    preemptions: 0,
    prefixHitTokens: 0,
    prefixQueriedTokens: 0,
    prefixCounted: false,
    recomputedTokens: 0,
    kv: {
      blocks: [],
      numCachedBlocks: 0,
      hashes: null,
      hashesBlockSize: 0,
      slotTokens: 0,
      wasteSlots: 0,
      hitBlocks: [],
      segmentStart: -1,
      segmentLength: 0,
      radixNode: null,
      radixLockedTokens: 0,
      privateTokens: 0,
    },
  };
}
