import { hashBlock } from "./block-hash.js";
import { EventQueue } from "./event-queue.js";
import type { AllocateOptions, KvManager, KvManagerStats } from "./kv-manager.js";
import { numTokens, type SimRequest } from "./request.js";

export interface RadixKvOptions {
  /** Token slots in the pool (SGLang token_to_kv_pool size). */
  readonly capacityTokens: number;
  /** Tokens per page (SGLang `--page-size`, default 1: token-granular matching). */
  readonly pageSize: number;
  /** Radix cache on (SGLang's default; `--disable-radix-cache` turns it off). */
  readonly enableCache: boolean;
}

class RadixNode {
  readonly children = new Map<number, RadixNode>();
  parent: RadixNode | null;
  /** Page keys of this edge. */
  key: Float64Array;
  lockRef = 0;
  lastAccess = 0;
  constructor(parent: RadixNode | null, key: Float64Array) {
    this.parent = parent;
    this.key = key;
  }
}

/**
 * SGLang's RadixAttention cache (`python/sglang/srt/mem_cache/radix_cache.py`):
 * - a radix tree over page keys (token ids when page_size = 1); `match_prefix` walks from the root
 *   and splits a node when the match ends inside it (`_split_node`), touching last_access_time;
 * - running requests lock their matched node up to the root (`inc_lock_ref`), moving those tokens
 *   from evictable to protected;
 * - a finished (or retracted) request inserts its page-aligned tokens (`cache_finished_req`); KV that
 *   duplicates what the tree already holds is freed;
 * - `evict(n)`: a heap of unlocked leaves by last access (LRU, `evict_policy.py`); only leaves are
 *   evicted, a parent that becomes an unlocked leaf joins the heap.
 * Requests whose content is unknown never match and are not inserted (their KV is freed at once,
 * which is what inserting-then-evicting amounts to for capacity).
 */
export class RadixKvManager implements KvManager {
  readonly kind = "radix" as const;
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly capacityTokens: number;
  private readonly enable: boolean;
  private readonly root = new RadixNode(null, new Float64Array(0));
  private clock = 0;
  /** Tokens held by tree nodes (locked or evictable). */
  private treeTokens = 0;
  /** Tokens of tree nodes with lockRef > 0. */
  private protectedTokens = 0;
  /** Tokens held privately by running requests (not in the tree). */
  private privateTokens = 0;
  private waste = 0;
  private evicted = 0;
  private hitPages = 0;
  private failed = 0;
  private readonly keyCache = new WeakMap<SimRequest, Float64Array>();

  constructor(o: RadixKvOptions) {
    this.blockSize = o.pageSize;
    this.capacityTokens = o.capacityTokens;
    this.totalBlocks = Math.floor(o.capacityTokens / o.pageSize);
    this.enable = o.enableCache;
    this.root.lockRef = 1; // the root is never evicted
  }

  /** Page keys of a request's known tokens (token id per page of 1; a page hash otherwise). */
  private keysOf(req: SimRequest): Float64Array | null {
    const c = req.content;
    if (!c) return null;
    let k = this.keyCache.get(req);
    if (k) return k;
    const p = this.blockSize;
    if (c.kind === "tokens") {
      const total = c.promptIds.length + (c.outputIds?.length ?? 0);
      const ids = new Int32Array(total);
      ids.set(c.promptIds, 0);
      if (c.outputIds) ids.set(c.outputIds, c.promptIds.length);
      const n = Math.floor(total / p);
      k = new Float64Array(n);
      if (p === 1) for (let i = 0; i < n; i++) k[i] = ids[i]!;
      else for (let i = 0; i < n; i++) k[i] = hashBlock(0, ids, i * p, (i + 1) * p);
    } else {
      // Coarse ids (Mooncake): a token is (coarse id, offset); a page key is its first token's.
      const n = Math.floor(req.promptTokens / p);
      k = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = i * p;
        k[i] = (c.ids[Math.floor(t / c.blockTokens)] ?? -1) * c.blockTokens + (t % c.blockTokens);
      }
    }
    this.keyCache.set(req, k);
    return k;
  }

  /** Walks the tree along `keys[0, maxPages)`; returns the deepest node and pages matched. */
  private match(keys: Float64Array, maxPages: number): { node: RadixNode; pages: number } {
    let node = this.root;
    let i = 0;
    const now = ++this.clock;
    node.lastAccess = now;
    while (i < maxPages) {
      const child = node.children.get(keys[i]!);
      if (!child) break;
      const ck = child.key;
      let common = 0;
      while (common < ck.length && i + common < maxPages && ck[common] === keys[i + common]) common++;
      child.lastAccess = now;
      if (common < ck.length) {
        const top = this.split(child, common);
        return { node: top, pages: i + common };
      }
      node = child;
      i += common;
    }
    return { node, pages: i };
  }

  /** `_split_node`: child keeps key[at:], a new parent takes key[:at]. */
  private split(child: RadixNode, at: number): RadixNode {
    const parent = child.parent!;
    const top = new RadixNode(parent, child.key.slice(0, at));
    top.lockRef = child.lockRef;
    top.lastAccess = child.lastAccess;
    parent.children.set(top.key[0]!, top);
    child.key = child.key.slice(at);
    child.parent = top;
    top.children.set(child.key[0]!, child);
    return top;
  }

  /** Inserts `keys[0, pages)`; returns pages that were new (now owned by the tree). */
  private insert(keys: Float64Array, pages: number): number {
    let node = this.root;
    let i = 0;
    const now = ++this.clock;
    while (i < pages) {
      const child = node.children.get(keys[i]!);
      if (!child) {
        const leaf = new RadixNode(node, keys.slice(i, pages));
        leaf.lastAccess = now;
        node.children.set(keys[i]!, leaf);
        this.treeTokens += (pages - i) * this.blockSize;
        return pages - i;
      }
      const ck = child.key;
      let common = 0;
      while (common < ck.length && i + common < pages && ck[common] === keys[i + common]) common++;
      child.lastAccess = now;
      node = common < ck.length ? this.split(child, common) : child;
      i += common;
    }
    return 0;
  }

  private lock(node: RadixNode, delta: 1 | -1): void {
    for (let n: RadixNode | null = node; n && n !== this.root; n = n.parent) {
      const tokens = n.key.length * this.blockSize;
      if (delta === 1 && n.lockRef === 0) this.protectedTokens += tokens;
      n.lockRef += delta;
      if (delta === -1 && n.lockRef === 0) this.protectedTokens -= tokens;
    }
  }

  private freeTokens(): number {
    return this.capacityTokens - this.treeTokens - this.privateTokens;
  }

  /** `evict(num_tokens)`: drops least recently used unlocked leaves until `tokens` are free. */
  private evict(tokens: number): void {
    const heap = new EventQueue<RadixNode>();
    const stack: RadixNode[] = [this.root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.children.size === 0 && n.lockRef === 0) heap.push(n.lastAccess, n);
      for (const c of n.children.values()) stack.push(c);
    }
    let freed = 0;
    while (freed < tokens && heap.size > 0) {
      const n = heap.pop()!.item;
      const t = n.key.length * this.blockSize;
      const parent = n.parent!;
      parent.children.delete(n.key[0]!);
      this.treeTokens -= t;
      this.evicted += n.key.length;
      freed += t;
      if (parent !== this.root && parent.children.size === 0 && parent.lockRef === 0)
        heap.push(parent.lastAccess, parent);
    }
  }

  lookupPrefix(req: SimRequest): number {
    req.kv.radixNode = null;
    if (!this.enable) return 0;
    const keys = this.keysOf(req);
    if (!keys) return 0;
    // schedule_policy.py: at least one token is computed (max prefix = len(input) − 1).
    const maxPages = Math.min(keys.length, Math.floor((numTokens(req) - 1) / this.blockSize));
    const { node, pages } = this.match(keys, maxPages);
    if (pages === 0) return 0;
    req.kv.radixNode = node;
    return pages * this.blockSize;
  }

  allocate(req: SimRequest, numNewTokens: number, hitTokens: number, opts: AllocateOptions): boolean {
    const kv = req.kv;
    const p = this.blockSize;
    let lockedNow = false;
    if (hitTokens > 0 && kv.radixNode) {
      this.lock(kv.radixNode as RadixNode, 1);
      kv.radixLockedTokens = hitTokens;
      lockedNow = true;
    }
    const computed = req.computed + hitTokens + req.externalTokens;
    const slots = computed + numNewTokens;
    const needPrivate = Math.ceil((slots - kv.radixLockedTokens) / p) * p;
    const delta = needPrivate - kv.privateTokens;
    const fullDelta = opts.fullSequenceMustFit
      ? Math.ceil((numTokens(req) - kv.radixLockedTokens) / p) * p - kv.privateTokens
      : delta;
    const want = Math.max(delta, fullDelta);
    if (want > this.freeTokens()) {
      const evictable = this.treeTokens - this.protectedTokens;
      if (want <= this.freeTokens() + evictable) this.evict(want - this.freeTokens());
      if (want > this.freeTokens()) {
        if (lockedNow) {
          this.lock(kv.radixNode as RadixNode, -1);
          kv.radixLockedTokens = 0;
          kv.radixNode = null;
        }
        this.failed++;
        return false;
      }
    }
    if (lockedNow) this.hitPages += hitTokens / p;
    if (delta > 0) {
      this.privateTokens += delta;
      kv.privateTokens += delta;
    }
    const waste = kv.privateTokens + kv.radixLockedTokens - slots;
    this.waste += waste - kv.wasteSlots;
    kv.wasteSlots = waste;
    kv.slotTokens = slots;
    return true;
  }

  free(req: SimRequest, _reason: "finished" | "preempted"): void {
    const kv = req.kv;
    const keys = this.enable ? this.keysOf(req) : null;
    if (keys) {
      // cache_finished_req: insert the page-aligned tokens that hold KV; the tree adopts new pages.
      const pages = Math.min(keys.length, Math.floor(kv.slotTokens / this.blockSize));
      const adopted = Math.min(this.insert(keys, pages) * this.blockSize, kv.privateTokens);
      kv.privateTokens -= adopted;
      this.privateTokens -= adopted;
    }
    this.privateTokens -= kv.privateTokens;
    kv.privateTokens = 0;
    if (kv.radixNode && kv.radixLockedTokens > 0) this.lock(kv.radixNode as RadixNode, -1);
    kv.radixNode = null;
    kv.radixLockedTokens = 0;
    this.waste -= kv.wasteSlots;
    kv.wasteSlots = 0;
    kv.slotTokens = 0;
  }

  usage(): number {
    return (this.protectedTokens + this.privateTokens) / this.capacityTokens;
  }

  usedSlots(): number {
    return this.protectedTokens + this.privateTokens;
  }

  wasteSlots(): number {
    return this.waste;
  }

  externalFragmentSlots(): number {
    return 0;
  }

  /** Tokens cached in the tree (held or evictable). */
  cachedTokens(): number {
    return this.treeTokens;
  }

  stats(): KvManagerStats {
    return {
      evictedCachedBlocks: this.evicted,
      prefixHitBlocks: this.hitPages,
      copyOnWrites: 0,
      failedAllocations: this.failed,
    };
  }

  checkInvariants(): string[] {
    const errors: string[] = [];
    let tree = 0;
    let prot = 0;
    const stack: RadixNode[] = [...this.root.children.values()];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const t = n.key.length * this.blockSize;
      tree += t;
      if (n.lockRef > 0) prot += t;
      if (n.lockRef < 0) errors.push("negative lock");
      if (n.key.length === 0) errors.push("empty edge");
      for (const [k, c] of n.children) {
        if (c.parent !== n) errors.push("bad parent link");
        if (c.key[0] !== k) errors.push("child keyed wrongly");
        stack.push(c);
      }
    }
    if (tree !== this.treeTokens) errors.push(`tree tokens ${tree} ≠ counter ${this.treeTokens}`);
    if (prot !== this.protectedTokens) errors.push(`protected ${prot} ≠ counter ${this.protectedTokens}`);
    if (this.privateTokens < 0) errors.push(`private tokens ${this.privateTokens} < 0`);
    if (this.freeTokens() < 0) errors.push(`over capacity by ${-this.freeTokens()}`);
    return errors;
  }
}
