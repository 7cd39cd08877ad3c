import { MemlensError } from "../errors/memlens-error.js";

const TWO32 = 4294967296;

/**
 * A map from 52-bit block hashes to block ids on typed arrays: open addressing with linear
 * probing and backward-shift deletion (Knuth, TAOCP vol. 3, §6.4 Algorithm R), so no tombstones
 * build up. A JS Map with non-Smi number keys boxes every key; this stays allocation-free, which
 * matters when millions of blocks are cached and evicted (Mooncake traces).
 */
export class HashIndex {
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly val: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** Room for `maxEntries` keys at a load factor ≤ 0.5. */
  constructor(maxEntries: number) {
    let cap = 16;
    while (cap < 2 * maxEntries) cap *= 2;
    this.lo = new Int32Array(cap);
    this.hi = new Int32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private home(lo: number, hi: number): number {
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
  }

  private find(key: number): number {
    const lo = (key % TWO32) | 0;
    const hi = Math.floor(key / TWO32) | 0;
    for (let i = this.home(lo, hi); ; i = (i + 1) & this.mask) {
      if (this.val[i] === -1) return -1 - i; // absent: encode the free slot
      if (this.lo[i] === lo && this.hi[i] === hi) return i;
    }
  }

  /** The value stored for `key`, or -1. */
  get(key: number): number {
    const i = this.find(key);
    return i >= 0 ? this.val[i]! : -1;
  }

  /** Sets `key` to `value` (≥ 0), inserting or replacing. */
  set(key: number, value: number): void {
    const i = this.find(key);
    if (i >= 0) {
      this.val[i] = value;
      return;
    }
    const slot = -1 - i;
    if (this.count + 1 > (this.mask + 1) / 2)
      throw new MemlensError("internal", "HashIndex full: sized for fewer entries");
    this.lo[slot] = (key % TWO32) | 0;
    this.hi[slot] = Math.floor(key / TWO32) | 0;
    this.val[slot] = value;
    this.count++;
  }

  /** Removes `key` if present. */
  delete(key: number): void {
    let i = this.find(key);
    if (i < 0) return;
    this.count--;
    const mask = this.mask;
    for (let j = (i + 1) & mask; this.val[j] !== -1; j = (j + 1) & mask) {
      const k = this.home(this.lo[j]!, this.hi[j]!);
      // Move j back to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.lo[i] = this.lo[j]!;
      this.hi[i] = this.hi[j]!;
      this.val[i] = this.val[j]!;
      i = j;
    }
    this.val[i] = -1;
  }

  /** Every (key, value) pair; for invariant checks. */
  *entries(): Generator<[number, number]> {
    for (let i = 0; i <= this.mask; i++)
      if (this.val[i] !== -1) yield [(this.hi[i]! >>> 0) * TWO32 + (this.lo[i]! >>> 0), this.val[i]!];
  }
}
