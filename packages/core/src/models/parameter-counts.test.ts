import { describe, expect, it } from "vitest";
import { catalogModelSpec, MODEL_ROWS } from "../catalog/models.js";

// Every catalog model's parameter count, computed from its config.json's tensor shapes, against
// the count its publisher states (data/published-params.json, a source per row). Figures published
// with only two or three significant digits ("109B") carry that rounding in the tolerance.
const TOLERANCE = 0.005;

describe("parameter counts within 0.5% of the published figures, for every catalog model", () => {
  it("every catalog model has a published count", () => {
    const missing = MODEL_ROWS.filter((r) => !r.publishedParameters).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it.each(MODEL_ROWS.filter((r) => r.publishedParameters).map((r) => [r.id, r.publishedParameters!] as const))(
    "%s",
    (id, pub) => {
      const spec = catalogModelSpec(id);
      // A figure like "109B" is only known to ±0.5 in its last digit.
      const digits = pub.precision === "rounded" ? String(pub.value).replace(/0+$/, "").length : 0;
      const rounding = digits > 0 ? (0.5 * 10 ** (String(pub.value).length - digits)) / pub.value : 0;
      const err = Math.abs(spec.parameters / pub.value - 1);
      expect(err, `computed ${spec.parameters} vs published ${pub.value} (${pub.source})`).toBeLessThanOrEqual(TOLERANCE + rounding);
      if (pub.activeValue !== undefined) {
        const aerr = Math.abs(spec.activeParameters / pub.activeValue - 1);
        const arounding = (0.5 * 10 ** (String(pub.activeValue).length - String(pub.activeValue).replace(/0+$/, "").length)) / pub.activeValue;
        expect(aerr, `active ${Math.round(spec.activeParameters)} vs ${pub.activeValue}`).toBeLessThanOrEqual(
          TOLERANCE + (pub.precision === "rounded" ? arounding : 0),
        );
      }
    },
  );
});
