import { MemlensError } from "../errors/memlens-error.js";
import { HashIndex } from "./hash-index.js";

/**
 * vLLM v1's block pool, rule for rule (`vllm/v1/core/block_pool.py` BlockPool and
 * BlockHashToBlockMap, `vllm/v1/core/kv_cache_utils.py` FreeKVCacheBlockQueue):
 * - block 0 is the reserved null block (`null_block = free_block_queue.popleft()`), so
 *   `numBlocks - 1` are usable;
 * - free blocks sit in a doubly linked queue in eviction order; allocation pops the head
 *   (`popleft_n`), freeing appends to the tail, so among free cached blocks the least recently
 *   freed is evicted first (LRU);
 * - a block keeps its hash while free (a cached free block can be hit again: `touch` pulls it out of
 *   the queue); the hash is dropped only when the block is popped for reuse
 *   (`_maybe_evict_cached_block`): that is the only eviction;
 * - reference counts: a block is in the free queue iff its ref count is 0;
 * - no de-duplication: two blocks may carry the same hash (block tables are append-only).
 * Typed arrays keep it allocation-free on the hot path.
 */
export class BlockPool {
  readonly numBlocks: number;
  readonly enableCaching: boolean;
  /** Reference count per block. */
  readonly refCount: Int32Array;
  /** Block hash per block, or -1 when the block holds no cached full block. */
  readonly blockHash: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly head: number;
  private readonly tail: number;
  private free = 0;
  /** hash → first cached block with it (vLLM get_one_block returns the first inserted). */
  private readonly hashToBlock: HashIndex;
  /** Blocks sharing a hash form a circular doubly linked list in insertion order (O(1) evict). */
  private readonly dupNext: Int32Array;
  private readonly dupPrev: Int32Array;
  /** Cached blocks whose hash was dropped to reuse the block. */
  evictions = 0;
  /** Cached blocks handed out again by `touch` (prefix-cache hits at block level). */
  cacheHitBlocks = 0;

  constructor(numBlocks: number, enableCaching: boolean) {
    if (!Number.isInteger(numBlocks) || numBlocks < 2)
      throw new MemlensError(
        "invalid-value",
        `numGpuBlocks must be an integer ≥ 2 (block 0 is the null block), got ${numBlocks}`,
        "numGpuBlocks",
      );
    this.numBlocks = numBlocks;
    this.enableCaching = enableCaching;
    this.refCount = new Int32Array(numBlocks);
    this.blockHash = new Float64Array(numBlocks).fill(-1);
    this.hashToBlock = new HashIndex(numBlocks);
    this.dupNext = new Int32Array(numBlocks);
    this.dupPrev = new Int32Array(numBlocks);
    this.prev = new Int32Array(numBlocks + 2);
    this.next = new Int32Array(numBlocks + 2);
    this.head = numBlocks;
    this.tail = numBlocks + 1;
    this.next[this.head] = this.tail;
    this.prev[this.tail] = this.head;
    // Block 0 is the null block: never in the free queue.
    for (let b = 1; b < numBlocks; b++) this.append(b);
  }

  /** Usable blocks (all but the null block). */
  get usableBlocks(): number {
    return this.numBlocks - 1;
  }

  /** Blocks in the free queue (including cached, evictable ones). */
  get numFreeBlocks(): number {
    return this.free;
  }

  /** Blocks referenced by at least one request. */
  get numUsedBlocks(): number {
    return this.numBlocks - 1 - this.free;
  }

  /** vLLM `get_usage`: 1 − free / usable. */
  usage(): number {
    return 1 - this.free / (this.numBlocks - 1);
  }

  /** Distinct hashes currently cached (held or free). */
  get numCachedHashes(): number {
    return this.hashToBlock.size;
  }

  /** `get_cached_block`: any block with this hash, or -1. */
  getCachedBlock(hash: number): number {
    return this.hashToBlock.get(hash);
  }

  /** `get_new_blocks`: pops `n` blocks from the head of the free queue, evicting their hashes. */
  getNewBlocks(n: number, out: number[]): void {
    if (n > this.free)
      throw new MemlensError("internal", `cannot get ${n} free blocks from the pool (${this.free} free)`);
    for (let i = 0; i < n; i++) {
      const b = this.next[this.head]!;
      this.unlink(b);
      if (this.enableCaching && this.blockHash[b]! >= 0) this.evict(b);
      this.refCount[b] = 1;
      out.push(b);
    }
  }

  /** `touch`: a hit on cached blocks; ref-0 blocks leave the free queue. */
  touch(blocks: readonly number[], start = 0, end = blocks.length): void {
    for (let i = start; i < end; i++) {
      const b = blocks[i]!;
      if (this.refCount[b] === 0 && b !== 0) this.unlink(b);
      this.refCount[b]!++;
      this.cacheHitBlocks++;
    }
  }

  /** Increments ref counts of blocks already held (fork / copy-on-write sharing). */
  share(blocks: readonly number[]): void {
    for (const b of blocks) if (b !== 0) this.refCount[b]!++;
  }

  /**
   * `free_blocks`: decrements ref counts in the given order and appends ref-0 blocks to the tail.
   * Callers pass a request's blocks in reverse so its tail blocks are evicted before its prefix.
   */
  freeBlocks(blocksInOrder: readonly number[], reverse: boolean): void {
    const n = blocksInOrder.length;
    for (let k = 0; k < n; k++) {
      const b = blocksInOrder[reverse ? n - 1 - k : k]!;
      if (b === 0) continue; // null block: not ref-counted
      const r = --this.refCount[b]!;
      if (r < 0) throw new MemlensError("internal", `block ${b} freed more often than allocated`);
      if (r === 0) this.append(b);
    }
  }

  /** `cache_full_blocks`: gives blocks [from, to) of a request their hashes and registers them. */
  cacheFullBlocks(blocks: readonly number[], hashes: Float64Array, from: number, to: number): void {
    if (!this.enableCaching) return;
    for (let i = from; i < to; i++) {
      const b = blocks[i]!;
      if (b === 0 || this.blockHash[b]! >= 0) continue; // null, or already cached (a prefix hit)
      const h = hashes[i]!;
      this.blockHash[b] = h;
      const head = this.hashToBlock.get(h);
      if (head < 0) {
        this.hashToBlock.set(h, b);
        this.dupNext[b] = b;
        this.dupPrev[b] = b;
      } else {
        const tail = this.dupPrev[head]!;
        this.dupNext[tail] = b;
        this.dupPrev[b] = tail;
        this.dupNext[b] = head;
        this.dupPrev[head] = b;
      }
    }
  }

  /** Drops the hash of block `b` (BlockHashToBlockMap.pop + reset_hash). */
  private evict(b: number): void {
    const h = this.blockHash[b]!;
    this.blockHash[b] = -1;
    this.evictions++;
    const next = this.dupNext[b]!;
    if (next === b) this.hashToBlock.delete(h);
    else {
      const prev = this.dupPrev[b]!;
      this.dupNext[prev] = next;
      this.dupPrev[next] = prev;
      if (this.hashToBlock.get(h) === b) this.hashToBlock.set(h, next);
    }
  }

  private append(b: number): void {
    const last = this.prev[this.tail]!;
    this.next[last] = b;
    this.prev[b] = last;
    this.next[b] = this.tail;
    this.prev[this.tail] = b;
    this.free++;
  }

  private unlink(b: number): void {
    const p = this.prev[b]!;
    const n = this.next[b]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.free--;
  }

  /** Free-queue order from head (next evicted) to tail; for tests and pictures. */
  freeQueueOrder(): number[] {
    const out: number[] = [];
    for (let b = this.next[this.head]!; b !== this.tail; b = this.next[b]!) out.push(b);
    return out;
  }

  /** Checks the pool's invariants; returns a list of violations (empty when consistent). */
  checkInvariants(): string[] {
    const errors: string[] = [];
    const inQueue = new Uint8Array(this.numBlocks);
    let count = 0;
    for (let b = this.next[this.head]!; b !== this.tail; b = this.next[b]!) {
      if (inQueue[b]) {
        errors.push(`block ${b} twice in the free queue`);
        break;
      }
      inQueue[b] = 1;
      count++;
    }
    if (count !== this.free) errors.push(`free count ${this.free} but ${count} blocks in the queue`);
    if (inQueue[0]) errors.push("null block in the free queue");
    for (let b = 1; b < this.numBlocks; b++) {
      const r = this.refCount[b]!;
      if (r < 0) errors.push(`block ${b} has ref count ${r}`);
      if ((r === 0) !== (inQueue[b] === 1)) errors.push(`block ${b}: ref ${r} but in queue ${inQueue[b]}`);
      const h = this.blockHash[b]!;
      if (h >= 0) {
        const head = this.hashToBlock.get(h);
        let found = false;
        if (head >= 0) {
          let x = head;
          do {
            if (x === b) found = true;
            if (this.blockHash[x] !== h) errors.push(`block ${x} in the list of hash ${h} has another hash`);
            x = this.dupNext[x]!;
          } while (x !== head && !found);
        }
        if (!found) errors.push(`block ${b} has hash ${h} but is not in the hash map`);
      }
    }
    for (const [h, b] of this.hashToBlock.entries())
      if (this.blockHash[b] !== h) errors.push(`map ${h} → ${b} stale`);
    return errors;
  }
}
