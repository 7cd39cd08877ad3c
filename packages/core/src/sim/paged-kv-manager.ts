import { blockHashesOfCoarseIds, blockHashesOfTokens } from "./block-hash.js";
import { BlockPool } from "./block-pool.js";
import type { AllocateOptions, KvManager, KvManagerStats } from "./kv-manager.js";
import { blocksForTokens, type KvEviction, type KvStorageSizes, residentTokens } from "./kv-policy.js";
import { numTokens, type SimRequest } from "./request.js";

/** Settings of a paged KV manager. */
export interface PagedKvOptions {
  /** Blocks in the pool including vLLM's null block (what vLLM logs as num_gpu_blocks). */
  readonly numGpuBlocks: number;
  /** Tokens per block (vLLM default 16 on CUDA). */
  readonly blockSize: number;
  /** Prefix caching (vLLM v1 default on). */
  readonly enablePrefixCaching: boolean;
  /** Free blocks kept back when admitting (vLLM `watermark`, in blocks); default 0. */
  readonly watermarkBlocks?: number;
  /** Token eviction policy; anything but "none" turns prefix caching off (retained tokens differ per request). */
  readonly eviction?: KvEviction;
  /** Storage sizes, for a KIVI residual window; undefined = uniform storage. */
  readonly storage?: KvStorageSizes;
}

/**
 * vLLM v1's KV cache manager over its block pool (`vllm/v1/core/kv_cache_manager.py`
 * KVCacheManager.get_computed_blocks / allocate_slots / free, `single_type_kv_cache_manager.py`
 * get_num_blocks_to_allocate, `block_pool.py`):
 * - lookup walks the request's chained full-block hashes and stops at the first miss; the hit is
 *   capped at num_tokens − 1 (`max_cache_hit_length`);
 * - allocation is all-or-nothing: blocks needed = ceil(tokens / block_size) − held − hit blocks,
 *   plus the hit blocks that sit in the free queue (touching them takes them out of it);
 * - newly full blocks are hashed and cached at allocation time, up to num_tokens;
 * - free releases blocks in reverse order, so a request's tail is evicted before its prefix.
 * With an eviction policy or a KIVI residual window the manager switches to count mode: a request
 * holds `blocksForTokens(...)` blocks, growing or shrinking, and nothing is shared.
 * `fork` shares a request's blocks with a child sequence; writing into a shared partial block copies
 * it first (copy-on-write, vLLM v0 `vllm/core/block/common.py` CopyOnWriteTracker).
 */
export class PagedKvManager implements KvManager {
  readonly kind = "paged" as const;
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly capacityTokens: number;
  readonly pool: BlockPool;
  private readonly caching: boolean;
  private readonly countMode: boolean;
  private readonly eviction: KvEviction;
  private readonly storage: KvStorageSizes | undefined;
  private readonly watermark: number;
  private waste = 0;
  private failed = 0;
  private cow = 0;
  private readonly scratch: number[] = [];

  constructor(o: PagedKvOptions) {
    this.blockSize = o.blockSize;
    this.totalBlocks = o.numGpuBlocks;
    this.pool = new BlockPool(o.numGpuBlocks, o.enablePrefixCaching);
    this.capacityTokens = (o.numGpuBlocks - 1) * o.blockSize;
    this.eviction = o.eviction ?? { kind: "none" };
    this.storage = o.storage;
    this.countMode = this.eviction.kind !== "none" || (o.storage?.residualTokens ?? 0) > 0;
    this.caching = o.enablePrefixCaching && !this.countMode;
    this.watermark = o.watermarkBlocks ?? 0;
  }

  private hashesOf(req: SimRequest): Float64Array | null {
    const kv = req.kv;
    if (kv.hashesBlockSize !== this.blockSize) {
      // Computed once per request (per block size: disaggregated engines may differ).
      kv.hashesBlockSize = this.blockSize;
      kv.hashes = null;
      const c = req.content;
      if (c?.kind === "tokens") {
        let ids: Int32Array = c.promptIds;
        if (c.outputIds && c.outputIds.length > 0) {
          ids = new Int32Array(c.promptIds.length + c.outputIds.length);
          ids.set(c.promptIds, 0);
          ids.set(c.outputIds, c.promptIds.length);
        }
        kv.hashes = blockHashesOfTokens(ids, this.blockSize);
      } else if (c?.kind === "coarse-blocks") {
        kv.hashes = blockHashesOfCoarseIds(c.ids, c.blockTokens, req.promptTokens, this.blockSize);
      }
    }
    return kv.hashes;
  }

  lookupPrefix(req: SimRequest): number {
    const hit = req.kv.hitBlocks;
    if (hit.length > 0) hit.length = 0;
    if (!this.caching) return 0;
    const hashes = this.hashesOf(req);
    if (!hashes) return 0;
    // kv_cache_manager.py get_computed_blocks: max_cache_hit_length = num_tokens - 1.
    const maxBlocks = Math.min(Math.floor((numTokens(req) - 1) / this.blockSize), hashes.length);
    for (let i = 0; i < maxBlocks; i++) {
      const b = this.pool.getCachedBlock(hashes[i]!);
      if (b < 0) break;
      hit.push(b);
    }
    return hit.length * this.blockSize;
  }

  allocate(req: SimRequest, numNewTokens: number, hitTokens: number, opts: AllocateOptions): boolean {
    return this.countMode
      ? this.allocateCounted(req, numNewTokens, opts)
      : this.allocatePositional(req, numNewTokens, hitTokens, opts);
  }

  private allocatePositional(
    req: SimRequest,
    numNew: number,
    hitTokens: number,
    opts: AllocateOptions,
  ): boolean {
    const kv = req.kv;
    const bs = this.blockSize;
    const pool = this.pool;
    const hit = hitTokens > 0 ? kv.hitBlocks : EMPTY;
    let evictableHits = 0;
    for (let i = 0; i < hit.length; i++) if (pool.refCount[hit[i]!] === 0) evictableHits++;
    const held = kv.blocks.length;
    const computed = req.computed + hit.length * bs + req.externalTokens;
    const watermark = opts.admission ? this.watermark : 0;
    // Copy-on-write: appending into a shared, partially filled last block needs a private copy.
    const last = held > 0 ? kv.blocks[held - 1]! : 0;
    const cowNeeded = numNew > 0 && last !== 0 && kv.slotTokens % bs !== 0 && pool.refCount[last]! > 1;
    const free = pool.numFreeBlocks;
    if (opts.fullSequenceMustFit) {
      const full = Math.ceil(numTokens(req) / bs) - held - hit.length + evictableHits;
      if (Math.max(0, full) + watermark > free) {
        this.failed++;
        return false;
      }
    }
    const slotTokens = computed + numNew;
    const required = Math.ceil(slotTokens / bs);
    const newBlocks = Math.max(0, required - held - hit.length);
    if (newBlocks + evictableHits + (cowNeeded ? 1 : 0) + watermark > free) {
      this.failed++;
      return false;
    }
    if (hit.length > 0) {
      pool.touch(hit);
      for (let i = 0; i < hit.length; i++) kv.blocks.push(hit[i]!);
      kv.numCachedBlocks = kv.blocks.length;
      hit.length = 0;
    }
    if (cowNeeded) {
      const s = this.scratch;
      s.length = 0;
      pool.getNewBlocks(1, s);
      kv.blocks[held - 1] = s[0]!;
      pool.freeBlocks([last], false);
      this.cow++;
    }
    if (newBlocks > 0) pool.getNewBlocks(newBlocks, kv.blocks);
    this.setSlots(req, slotTokens, kv.blocks.length * bs - slotTokens);
    if (this.caching) {
      const hashes = this.hashesOf(req);
      if (hashes) {
        const full = Math.min(Math.floor(Math.min(slotTokens, numTokens(req)) / bs), hashes.length);
        if (full > kv.numCachedBlocks) {
          pool.cacheFullBlocks(kv.blocks, hashes, kv.numCachedBlocks, full);
          kv.numCachedBlocks = full;
        }
      }
    }
    return true;
  }

  private allocateCounted(req: SimRequest, numNew: number, opts: AllocateOptions): boolean {
    const kv = req.kv;
    const storage = this.storage ?? UNIFORM;
    const bs = this.blockSize;
    const held = kv.blocks.length;
    const slotTokens = req.computed + req.externalTokens + numNew;
    const target = blocksForTokens(this.eviction, storage, bs, slotTokens, req.promptTokens);
    const watermark = opts.admission ? this.watermark : 0;
    const free = this.pool.numFreeBlocks;
    if (opts.fullSequenceMustFit) {
      const full = blocksForTokens(this.eviction, storage, bs, numTokens(req), req.promptTokens);
      if (Math.max(0, full - held) + watermark > free) {
        this.failed++;
        return false;
      }
    }
    const delta = target - held;
    if (delta + watermark > free && delta > 0) {
      this.failed++;
      return false;
    }
    if (delta > 0) this.pool.getNewBlocks(delta, kv.blocks);
    else if (delta < 0) {
      // Compaction after eviction (H2O / SnapKV) or blocks leaving the window (StreamingLLM).
      const released = kv.blocks.splice(target, -delta);
      this.pool.freeBlocks(released, true);
    }
    const resident = residentTokens(this.eviction, slotTokens, req.promptTokens);
    this.setSlots(req, slotTokens, Math.max(0, kv.blocks.length * bs - resident));
    return true;
  }

  private setSlots(req: SimRequest, slotTokens: number, waste: number): void {
    this.waste += waste - req.kv.wasteSlots;
    req.kv.wasteSlots = waste;
    req.kv.slotTokens = slotTokens;
  }

  free(req: SimRequest, _reason: "finished" | "preempted"): void {
    const kv = req.kv;
    this.pool.freeBlocks(kv.blocks, true);
    kv.blocks = [];
    kv.numCachedBlocks = 0;
    if (kv.hitBlocks.length > 0) kv.hitBlocks.length = 0;
    this.setSlots(req, 0, 0);
  }

  /**
   * Parallel sampling: `child` starts with `parent`'s blocks, shared by reference count; the first
   * write into a shared partial block copies it (see allocate).
   */
  fork(parent: SimRequest, child: SimRequest): void {
    const blocks = parent.kv.blocks;
    this.pool.share(blocks);
    for (const b of blocks) child.kv.blocks.push(b);
    child.kv.numCachedBlocks = parent.kv.numCachedBlocks;
    child.computed = parent.computed;
    this.setSlots(child, parent.kv.slotTokens, parent.kv.wasteSlots);
  }

  usage(): number {
    return this.pool.usage();
  }

  usedSlots(): number {
    return this.pool.numUsedBlocks * this.blockSize;
  }

  wasteSlots(): number {
    return this.waste;
  }

  externalFragmentSlots(): number {
    return 0;
  }

  stats(): KvManagerStats {
    return {
      evictedCachedBlocks: this.pool.evictions,
      prefixHitBlocks: this.pool.cacheHitBlocks,
      copyOnWrites: this.cow,
      failedAllocations: this.failed,
    };
  }

  checkInvariants(): string[] {
    return this.pool.checkInvariants();
  }
}

const EMPTY: number[] = [];
const UNIFORM: KvStorageSizes = {
  bitsPerElement: 16,
  bytesPerToken: 1,
  fullBytesPerToken: 1,
  residualTokens: 0,
};
