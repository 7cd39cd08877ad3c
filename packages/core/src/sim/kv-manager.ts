import type { SimRequest } from "./request.js";

/** Options of one allocation. */
export interface AllocateOptions {
  /**
   * Admission gate: only allocate if the whole current sequence fits (vLLM 0.19
   * `scheduler_reserve_full_isl`, passed as `full_sequence_must_fit` to `allocate_slots`).
   */
  readonly fullSequenceMustFit: boolean;
  /** True when admitting a waiting or preempted request (a watermark applies to those only). */
  readonly admission: boolean;
}

/** Counters a KV manager keeps over a run. */
export interface KvManagerStats {
  /** Cached blocks (or tokens, radix) dropped to make room. */
  readonly evictedCachedBlocks: number;
  /** Blocks (or pages) served from the prefix cache. */
  readonly prefixHitBlocks: number;
  /** Copy-on-write block copies (a shared, partially filled block written to). */
  readonly copyOnWrites: number;
  /** Allocation attempts refused for lack of space. */
  readonly failedAllocations: number;
}

/**
 * What the schedulers need from KV memory. Three implementations: vLLM v1's paged block pool
 * (`paged`), the pre-PagedAttention contiguous max-length reservation (`contiguous`) and SGLang's
 * radix-tree token cache (`radix`). Sizes are in token slots so the three are comparable.
 */
export interface KvManager {
  readonly kind: "paged" | "contiguous" | "radix";
  /** Tokens per block (1 for a token-granular pool). */
  readonly blockSize: number;
  /** Blocks in the pool as the engine reports them (vLLM: num_gpu_blocks, null block included). */
  readonly totalBlocks: number;
  /** Token slots usable by requests. */
  readonly capacityTokens: number;
  /**
   * Prefix lookup for a request that holds no KV: tokens whose KV is cached (capped at
   * num_tokens − 1 so at least one token is computed). The hit is remembered for `allocate`.
   */
  lookupPrefix(req: SimRequest): number;
  /**
   * Slots for `numNewTokens` more tokens of `req` after `hitTokens` of prefix hit (all-or-nothing,
   * vLLM `allocate_slots`). Returns false, changing nothing, when they do not fit.
   */
  allocate(req: SimRequest, numNewTokens: number, hitTokens: number, opts: AllocateOptions): boolean;
  /** Releases a request's KV (finished, or preempted for recomputation). */
  free(req: SimRequest, reason: "finished" | "preempted"): void;
  /** Fraction of usable slots held by requests (vLLM `kv_cache_usage_perc` / 100). */
  usage(): number;
  /** Slots held by requests. */
  usedSlots(): number;
  /** Held slots that hold no token: the block tail (paged) or the unused reservation (contiguous). */
  wasteSlots(): number;
  /** Free slots that cannot be used because they are split into too-small holes (contiguous only). */
  externalFragmentSlots(): number;
  stats(): KvManagerStats;
  /** Invariant violations (empty when consistent); for tests. */
  checkInvariants(): string[];
}
