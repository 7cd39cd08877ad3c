/** Test support (not built into dist): the byte-mutation fuzz every file-header parser's test runs. */
import fc from "fast-check";
import { expect } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";

/**
 * Cuts `bytes` at a random length and overwrites up to `maxEdits` of the bytes left, then hands
 * the result to `parse`: whatever `parse` checks must hold, or it throws a malformed-file
 * MemlensError, never anything else.
 */
export function fuzzMutatedBytes(
  bytes: Uint8Array,
  o: { readonly maxEdits: number; readonly seed: number; readonly numRuns: number },
  parse: (mutated: Uint8Array) => void,
): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: o.maxEdits,
      }),
      fc.nat(bytes.length),
      (edits, cut) => {
        const b = bytes.slice(0, Math.max(cut, 1));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        try {
          parse(b);
        } catch (e) {
          expect(e).toBeInstanceOf(MemlensError);
          expect((e as MemlensError).code).toBe("malformed-file");
        }
      },
    ),
    { seed: o.seed, numRuns: o.numRuns },
  );
}
