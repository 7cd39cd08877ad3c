import { describe, expect, it } from "vitest";
import distserveText from "../../../../../shared/fixtures/traces/calibration/distserve/profiler-a100-80g.vllm.json?raw";
import splitwiseText from "../../../../../shared/fixtures/traces/calibration/splitwise-sim/perf_model.csv?raw";
import { stepBatch } from "../testing/step-batch.js";
import {
  distServeCoefficients,
  distServeStepTime,
  parseDistServeProfile,
  parseSplitwisePerfModel,
  splitwiseStepRecords,
} from "./calibration-data.js";
import { fitLinearStepTime } from "./step-time.js";

describe("Splitwise measured steps (calibration/splitwise-sim/perf_model.csv)", () => {
  const rows = parseSplitwisePerfModel(splitwiseText);

  it("reads 1,260 measured configurations, times in seconds", () => {
    expect(rows.length).toBe(1260);
    expect(rows[0]).toMatchObject({
      model: "llama2-70b",
      hardware: "a100-80gb",
      tensorParallel: 2,
      promptTokens: 512,
    });
    expect(rows[0]!.tokenSeconds).toBeCloseTo(0.05488, 4);
  });

  it.each([
    ["llama2-70b", "a100-80gb", 2, 0.09],
    ["llama2-70b", "h100-80gb", 4, 0.05],
    ["llama2-70b", "h100-80gb", 8, 0.05],
    ["bloom-176b", "a100-80gb", 8, 0.05],
  ])("the linear hook fits %s on %s TP%d within MAPE %d", (model, hw, tp, mape) => {
    const records = splitwiseStepRecords(
      rows.filter((r) => r.model === model && r.hardware === hw && r.tensorParallel === tp),
    );
    const fit = fitLinearStepTime(records, { prefillAttentionTerm: true, weighting: "relative" });
    expect(fit.records).toBe(210);
    expect(fit.mape).toBeLessThan(mape);
    // An old stack (2023 vLLM, no CUDA graphs at TP ≥ 2): tens of ms per step even for one sequence.
    expect(fit.coefficients.a).toBeGreaterThan(0.02);
  });

  it("names the line and field of a bad row", () => {
    expect(() =>
      parseSplitwisePerfModel(
        "model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\nm,h,1,1,1,x,1,2\n",
      ),
    ).toThrow(/line 2: field "prompt_time"/);
  });
});

describe("DistServe fitted profiles (calibration/distserve)", () => {
  const p = parseDistServeProfile(distserveText, "facebook/opt-13b", 1);

  it("reads OPT-13B at TP1 on A100-80G and maps it onto the linear hook", () => {
    expect(p.largeBatchThreshold).toBe(95);
    const k = distServeCoefficients(p, false);
    expect(k.a).toBeCloseTo(0.023475, 6); // decode intercept 23.48 ms
    expect(k.b).toBeCloseTo(0.1405e-3, 7); // 0.1405 ms per prefill token
    expect(k.d).toBeCloseTo(0.593e-6, 8); // per context token
  });

  it("its step time follows DistServe's two formulas, and our fit recovers the decode one", () => {
    const t = distServeStepTime(p);
    expect(t(stepBatch({ prefillTokens: 1000, prefillSeqs: 1, prefillAttentionPairs: 500_500 }))).toBeCloseTo(
      (p.prefill[0] + p.prefill[1] * 1000 + p.prefill[2] * 1e6) / 1000,
      9,
    );
    const records = [];
    for (const n of [1, 8, 32, 64, 90])
      for (const ctx of [128, 512, 2048]) {
        const b = stepBatch({ decodeSeqs: n, decodeContextTokens: n * ctx, kvTokensRead: n * ctx });
        records.push({ batch: b, seconds: t(b) });
      }
    const fit = fitLinearStepTime(records);
    expect(fit.coefficients.a).toBeCloseTo(p.decodingSmallBatch[0] / 1000, 9);
    expect(fit.coefficients.c).toBeCloseTo(p.decodingSmallBatch[2] / 1000, 9);
    expect(() => parseDistServeProfile(distserveText, "facebook/opt-999b", 1)).toThrow(
      /no facebook\/opt-999b/,
    );
  });
});
