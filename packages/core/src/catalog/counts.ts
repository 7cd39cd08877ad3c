import { MemlensError } from "../errors/memlens-error.js";

/** Throws unless `n` is a non-negative safe integer (an element count or a dimension). */
export function assertCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MemlensError("invalid-value", `${what} must be a non-negative integer, got ${n}`);
  }
}
