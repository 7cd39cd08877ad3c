import type { AllocateOptions, KvManager, KvManagerStats } from "./kv-manager.js";
import type { SimRequest } from "./request.js";

/** How much a contiguous allocator reserves per request. */
export type ContiguousReservation =
  /** The whole context window (FasterTransformer / pre-vLLM HF serving; Kwon et al. 2023 §3). */
  | "max-model-len"
  /** Prompt + the request's actual output length: an oracle lower bound (Orca-style with known lengths). */
  | "prompt-plus-output";

export interface ContiguousKvOptions {
  /** Token slots in the pool. */
  readonly capacityTokens: number;
  readonly maxModelLen: number;
  readonly reservation: ContiguousReservation;
}

/**
 * The pre-PagedAttention baseline: each admitted request reserves one contiguous run of slots for
 * its maximum length, first-fit in address order; freed runs merge with their neighbours. Internal
 * fragmentation is the reserved-but-unused part of each run, external fragmentation the free slots
 * outside the largest hole (Kwon et al., SOSP'23, "Efficient Memory Management for LLM Serving with
 * PagedAttention", §3 and Fig. 2).
 */
export class ContiguousKvManager implements KvManager {
  readonly kind = "contiguous" as const;
  readonly blockSize = 1;
  readonly totalBlocks: number;
  readonly capacityTokens: number;
  private readonly maxModelLen: number;
  private readonly reservation: ContiguousReservation;
  /** Free holes sorted by start: parallel arrays. */
  private holeStart: number[] = [];
  private holeLength: number[] = [];
  private used = 0;
  private waste = 0;
  private failed = 0;

  constructor(o: ContiguousKvOptions) {
    this.capacityTokens = o.capacityTokens;
    this.totalBlocks = o.capacityTokens;
    this.maxModelLen = o.maxModelLen;
    this.reservation = o.reservation;
    this.holeStart.push(0);
    this.holeLength.push(o.capacityTokens);
  }

  /** Slots a request reserves at admission. */
  reservationOf(req: SimRequest): number {
    return this.reservation === "max-model-len"
      ? this.maxModelLen
      : Math.min(this.maxModelLen, req.promptTokens + req.outputTokens);
  }

  lookupPrefix(_req: SimRequest): number {
    return 0;
  }

  allocate(req: SimRequest, numNewTokens: number, _hit: number, _opts: AllocateOptions): boolean {
    const kv = req.kv;
    if (kv.segmentStart < 0) {
      const need = this.reservationOf(req);
      const i = this.firstFit(need);
      if (i < 0) {
        this.failed++;
        return false;
      }
      kv.segmentStart = this.holeStart[i]!;
      kv.segmentLength = need;
      this.holeStart[i] = this.holeStart[i]! + need;
      this.holeLength[i] = this.holeLength[i]! - need;
      if (this.holeLength[i] === 0) {
        this.holeStart.splice(i, 1);
        this.holeLength.splice(i, 1);
      }
      this.used += need;
    }
    const slots = req.computed + req.externalTokens + numNewTokens;
    if (slots > kv.segmentLength) {
      this.failed++;
      return false; // longer than its reservation: the request cannot grow in place
    }
    const waste = kv.segmentLength - slots;
    this.waste += waste - kv.wasteSlots;
    kv.wasteSlots = waste;
    kv.slotTokens = slots;
    return true;
  }

  private firstFit(need: number): number {
    for (let i = 0; i < this.holeLength.length; i++) if (this.holeLength[i]! >= need) return i;
    return -1;
  }

  free(req: SimRequest, _reason: "finished" | "preempted"): void {
    const kv = req.kv;
    if (kv.segmentStart < 0) return;
    const start = kv.segmentStart;
    const len = kv.segmentLength;
    this.used -= len;
    this.waste -= kv.wasteSlots;
    kv.segmentStart = -1;
    kv.segmentLength = 0;
    kv.wasteSlots = 0;
    kv.slotTokens = 0;
    // Insert the hole in address order and merge with neighbours.
    let i = 0;
    while (i < this.holeStart.length && this.holeStart[i]! < start) i++;
    this.holeStart.splice(i, 0, start);
    this.holeLength.splice(i, 0, len);
    if (i + 1 < this.holeStart.length && start + len === this.holeStart[i + 1]) {
      this.holeLength[i] = this.holeLength[i]! + this.holeLength[i + 1]!;
      this.holeStart.splice(i + 1, 1);
      this.holeLength.splice(i + 1, 1);
    }
    if (i > 0 && this.holeStart[i - 1]! + this.holeLength[i - 1]! === start) {
      this.holeLength[i - 1] = this.holeLength[i - 1]! + this.holeLength[i]!;
      this.holeStart.splice(i, 1);
      this.holeLength.splice(i, 1);
    }
  }

  usage(): number {
    return this.used / this.capacityTokens;
  }

  usedSlots(): number {
    return this.used;
  }

  wasteSlots(): number {
    return this.waste;
  }

  externalFragmentSlots(): number {
    let total = 0;
    let largest = 0;
    for (const l of this.holeLength) {
      total += l;
      if (l > largest) largest = l;
    }
    return total - largest;
  }

  stats(): KvManagerStats {
    return { evictedCachedBlocks: 0, prefixHitBlocks: 0, copyOnWrites: 0, failedAllocations: this.failed };
  }

  checkInvariants(): string[] {
    const errors: string[] = [];
    let free = 0;
    for (let i = 0; i < this.holeStart.length; i++) {
      const s = this.holeStart[i]!;
      const l = this.holeLength[i]!;
      if (l <= 0) errors.push(`hole ${i} has length ${l}`);
      if (i > 0 && this.holeStart[i - 1]! + this.holeLength[i - 1]! >= s)
        errors.push(`holes ${i - 1} and ${i} overlap or touch`);
      free += l;
    }
    if (free + this.used !== this.capacityTokens)
      errors.push(`free ${free} + used ${this.used} ≠ capacity ${this.capacityTokens}`);
    return errors;
  }
}
