import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deque } from "./deque.js";
import { EventQueue } from "./event-queue.js";

describe("EventQueue (binary heap)", () => {
  it("pops in time order, ties in insertion order (seeded property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const q = new EventQueue<number>();
        times.forEach((t, i) => {
          q.push(t, i);
        });
        const out: [number, number][] = [];
        for (let e = q.pop(); e; e = q.pop()) out.push([e.time, e.item]);
        const expected = times
          .map((t, i) => [t, i] as [number, number])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
        expect(q.size).toBe(0);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("interleaved push/pop keeps the heap order", () => {
    const q = new EventQueue<string>();
    q.push(5, "a");
    q.push(1, "b");
    expect(q.pop()?.item).toBe("b");
    q.push(3, "c");
    q.push(3, "d");
    expect(q.peekTime()).toBe(3);
    expect([q.pop()?.item, q.pop()?.item, q.pop()?.item, q.pop()]).toEqual(["c", "d", "a", undefined]);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("Deque", () => {
  it("behaves like an array used at both ends (seeded property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer()), { maxLength: 300 }),
        (ops) => {
          const d = new Deque<number>(4);
          const a: number[] = [];
          for (const [op, v] of ops) {
            if (op === 0) {
              d.pushBack(v);
              a.push(v);
            } else if (op === 1) {
              d.pushFront(v);
              a.unshift(v);
            } else if (op === 2) expect(d.popFront()).toBe(a.shift());
            else expect(d.popBack()).toBe(a.pop());
            expect(d.length).toBe(a.length);
            expect(d.peekFront()).toBe(a[0]);
          }
          for (let i = 0; i < a.length; i++) expect(d.at(i)).toBe(a[i]);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
});
