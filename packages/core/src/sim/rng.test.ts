import { describe, expect, it } from "vitest";
import { createRng } from "./rng.js";

const sample = (n: number, f: () => number) => Array.from({ length: n }, f);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
};

describe("createRng (xoshiro128**)", () => {
  it("same seed, same stream; different seeds differ", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = sample(100, () => a.nextUint32());
    expect(sample(100, () => b.nextUint32())).toEqual(sa);
    expect(sample(100, () => c.nextUint32())).not.toEqual(sa);
  });

  it("next() is uniform on [0, 1)", () => {
    const r = createRng(1);
    const xs = sample(50_000, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    expect(variance(xs)).toBeCloseTo(1 / 12, 2);
  });

  it("int(min, max) covers both ends and nothing else", () => {
    const r = createRng(2);
    const seen = new Set(sample(2000, () => r.int(3, 7)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it("exponential, normal and gamma have the right moments", () => {
    const r = createRng(3);
    expect(mean(sample(50_000, () => r.exponential(4)))).toBeCloseTo(0.25, 2);
    const z = sample(50_000, () => r.normal());
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(variance(z)).toBeCloseTo(1, 1);
    for (const shape of [0.25, 1, 4]) {
      const g = sample(50_000, () => r.gamma(shape, 2));
      expect(mean(g) / (shape * 2)).toBeCloseTo(1, 1); // E = kθ
      expect(variance(g) / (shape * 4)).toBeCloseTo(1, 0); // Var = kθ²
    }
  });

  it("fork() gives an independent, reproducible sub-stream", () => {
    const a = createRng(9).fork();
    const b = createRng(9).fork();
    expect(a.next()).toBe(b.next());
  });
});
