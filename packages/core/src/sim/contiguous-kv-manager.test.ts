import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContiguousKvManager } from "./contiguous-kv-manager.js";
import { createSimRequest } from "./request.js";

const ADMIT = { fullSequenceMustFit: false, admission: true };
const req = (id: number, prompt: number, output = 1) =>
  createSimRequest(id, { arrivalSeconds: 0, promptTokens: prompt, outputTokens: output });

describe("ContiguousKvManager (max-length reservation)", () => {
  it("reserves max-model-len per request; the unused part is internal fragmentation", () => {
    const kv = new ContiguousKvManager({
      capacityTokens: 100,
      maxModelLen: 25,
      reservation: "max-model-len",
    });
    const rs = [18, 25, 9, 14].map((t, i) => req(i, t));
    for (const r of rs) expect(kv.allocate(r, r.promptTokens, 0, ADMIT)).toBe(true);
    expect(kv.usage()).toBe(1);
    expect(kv.wasteSlots()).toBe(7 + 0 + 16 + 11);
    expect(kv.allocate(req(9, 5), 5, 0, ADMIT)).toBe(false);
  });

  it("a request cannot outgrow its reservation", () => {
    const kv = new ContiguousKvManager({
      capacityTokens: 100,
      maxModelLen: 50,
      reservation: "prompt-plus-output",
    });
    const r = req(0, 10, 5);
    expect(kv.allocate(r, 10, 0, ADMIT)).toBe(true);
    r.computed = 10;
    expect(kv.allocate(r, 5, 0, ADMIT)).toBe(true);
    expect(kv.allocate(r, 6, 0, ADMIT)).toBe(false);
  });

  it("frees merge with neighbours; split holes are external fragmentation", () => {
    const kv = new ContiguousKvManager({
      capacityTokens: 100,
      maxModelLen: 100,
      reservation: "prompt-plus-output",
    });
    const rs = [20, 20, 20, 20].map((t, i) => req(i, t - 1));
    for (const r of rs) kv.allocate(r, r.promptTokens, 0, ADMIT);
    kv.free(rs[0]!, "finished");
    kv.free(rs[2]!, "finished");
    // Holes 0–20, 40–60, 80–100: 60 free, largest 20 → 40 unusable for a 21+ request.
    expect(kv.externalFragmentSlots()).toBe(40);
    expect(kv.allocate(req(5, 30), 30, 0, ADMIT)).toBe(false);
    kv.free(rs[1]!, "finished");
    expect(kv.externalFragmentSlots()).toBe(20);
    expect(kv.allocate(req(6, 59), 59, 0, ADMIT)).toBe(true);
    expect(kv.checkInvariants()).toEqual([]);
  });

  it("keeps free + used = capacity under random admit/free (seeded property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 })), { maxLength: 100 }),
        (ops) => {
          const kv = new ContiguousKvManager({
            capacityTokens: 200,
            maxModelLen: 64,
            reservation: "prompt-plus-output",
          });
          const held = [] as ReturnType<typeof req>[];
          ops.forEach(([admit, n], i) => {
            if (admit) {
              const r = req(i, n);
              if (kv.allocate(r, n, 0, ADMIT)) held.push(r);
            } else if (held.length > 0) kv.free(held.splice(n % held.length, 1)[0]!, "finished");
            expect(kv.checkInvariants()).toEqual([]);
          });
          for (const r of held) kv.free(r, "finished");
          expect(kv.usedSlots()).toBe(0);
          expect(kv.externalFragmentSlots()).toBe(0);
        },
      ),
      { seed: 5, numRuns: 150 },
    );
  });
});
