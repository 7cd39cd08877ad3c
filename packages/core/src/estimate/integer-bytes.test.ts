import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MODEL_ROWS } from "../catalog/models.js";
import { MemlensError } from "../errors/memlens-error.js";
import { INFERENCE_ENGINES } from "../scenario/scenario.js";
import { estimate } from "./estimate.js";

// SCENARIO.md: "All byte counts are integers." Every engine, on any catalog model, context, batch
// and GPU count, returns whole, non-negative byte counts (or refuses with a MemlensError).
const IDS = MODEL_ROWS.map((r) => r.id).filter(
  (id) => !/235B|V3|R1|Kimi|405B|Maverick|GLM-4\.5|120b/i.test(id),
);

function byteFields(o: unknown, path: string, out: [string, unknown][]): void {
  if (o === null || typeof o !== "object") return;
  for (const [k, v] of Object.entries(o)) {
    const p = `${path}.${k}`;
    if (typeof v === "number" && /Bytes$/.test(k)) out.push([p, v]);
    else if (typeof v === "object") byteFields(v, p, out);
  }
}

describe("byte counts are whole numbers", () => {
  it("for every engine, model, context, batch and GPU count", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...IDS),
        fc.constantFrom(...INFERENCE_ENGINES),
        fc.integer({ min: 1, max: 65536 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(1, 2, 4),
        (id, engine, contextLength, batch, count) => {
          let e: ReturnType<typeof estimate>;
          try {
            e = estimate({
              model: { id },
              engine,
              contextLength,
              batch,
              hardware: { gpu: "H100-SXM-80GB", count },
              parallel: { tensor: count },
            });
          } catch (err) {
            if (err instanceof MemlensError) return;
            throw err;
          }
          const fields: [string, unknown][] = [];
          for (const d of e.devices)
            for (const [k, v] of Object.entries(d.bytes)) fields.push([`${d.name}.${k}`, v]);
          byteFields(e.engine, "engine", fields);
          for (const [p, v] of fields) {
            expect(Number.isSafeInteger(v), `${engine} ${id}: ${p} = ${v}`).toBe(true);
            expect(v as number, p).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { seed: 20261123, numRuns: 120 },
    );
  });
});
