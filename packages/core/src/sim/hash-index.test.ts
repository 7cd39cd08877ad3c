import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HashIndex } from "./hash-index.js";

describe("HashIndex (open addressing, backward-shift deletion)", () => {
  it("behaves like a Map of 52-bit keys under random set/delete (seeded property)", () => {
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 52 - 1 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), key, fc.integer({ min: 0, max: 1000 })), { maxLength: 300 }),
        (ops) => {
          const h = new HashIndex(200);
          const m = new Map<number, number>();
          for (const [set, k, v] of ops) {
            if (set && (m.has(k) || m.size < 200)) {
              h.set(k, v);
              m.set(k, v);
            } else {
              h.delete(k);
              m.delete(k);
            }
            expect(h.size).toBe(m.size);
          }
          for (const [k, v] of m) expect(h.get(k)).toBe(v);
          expect(new Map(h.entries())).toEqual(m);
        },
      ),
      { seed: 17, numRuns: 200 },
    );
  });

  it("returns -1 for absent keys and refuses to overfill", () => {
    const h = new HashIndex(2);
    expect(h.get(123)).toBe(-1);
    for (let i = 0; i < 8; i++) h.set(i * 2 ** 40, i);
    expect(h.get(3 * 2 ** 40)).toBe(3);
    expect(() => {
      for (let i = 8; i < 100; i++) h.set(i, i);
    }).toThrow(/full/);
  });
});
