import { describe, expect, it } from "vitest";
import { type RooflineStepParams, rooflineStepTime, rooflineTerms } from "../perf/roofline.js";
import { stepBatch } from "../testing/step-batch.js";
import { solveLeastSquares } from "./least-squares.js";
import { createRng } from "./rng.js";
import {
  fitLinearStepTime,
  fitRooflineScales,
  linearStepTime,
  type StepRecord,
  scaledRooflineStepTime,
} from "./step-time.js";

// An 8B-like model on a 1008 GB/s, 165 TFLOP/s GPU (numbers as inputs; core/perf will supply them).
const params: RooflineStepParams = {
  weightBytes: 16e9,
  flopsPerToken: 16e9,
  attentionFlopsPerPair: 4 * 32 * 32 * 128,
  kvBytesPerToken: 131072,
  bandwidthBytesPerSecond: 1.008e12,
  flopsPerSecond: 165e12,
  computeEfficiency: 1,
  memoryEfficiency: 1,
};

describe("roofline step time", () => {
  it("a small decode batch is bandwidth-bound: weights + KV bytes / bandwidth", () => {
    const b = stepBatch({
      decodeSeqs: 8,
      decodeContextTokens: 8000,
      kvTokensRead: 8008,
      kvBytesRead: 8008 * 131072,
    });
    const t = rooflineStepTime(params)(b);
    expect(t).toBeCloseTo((16e9 + 8008 * 131072 + 8 * 131072) / 1.008e12, 9);
    const terms = rooflineTerms(params, b);
    expect(terms.memorySeconds).toBeGreaterThan(terms.computeSeconds);
  });

  it("a 2048-token prefill chunk is compute-bound: 2·N·tokens + attention / FLOP/s", () => {
    const pairs = 2048 * (2049 / 2);
    const b = stepBatch({
      prefillTokens: 2048,
      prefillSeqs: 1,
      prefillAttentionPairs: pairs,
      kvTokensRead: 2048,
    });
    const t = rooflineStepTime(params)(b);
    expect(t).toBeCloseTo((16e9 * 2048 + 4 * 32 * 32 * 128 * pairs) / 165e12, 9);
  });

  it("efficiencies and overheads scale and add", () => {
    const b = stepBatch({ decodeSeqs: 1, kvTokensRead: 1 });
    const base = rooflineStepTime(params)(b);
    const slow = rooflineStepTime({
      ...params,
      memoryEfficiency: 0.5,
      stepOverheadSeconds: 0.001,
      perSeqOverheadSeconds: 1e-5,
    })(b);
    expect(slow).toBeCloseTo(2 * base + 0.001 + 1e-5, 9);
  });
});

describe("least squares and the calibration hook", () => {
  it("solves an exact linear system and a badly scaled one", () => {
    expect(
      solveLeastSquares(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        [2, 3, 5],
      ).map((x) => Math.round(x * 1e9) / 1e9),
    ).toEqual([2, 3]);
    const x = [1, 10, 100, 1000, 1e5].map((v) => [1, v, v * 1e-3]);
    const beta = solveLeastSquares(
      x.map((r, i) => [r[0]!, r[1]!, i * i]),
      x.map((r, i) => 0.01 + 2e-7 * r[1]! + 3e-6 * i * i),
    );
    expect(beta[0]).toBeCloseTo(0.01, 12);
    expect(beta[1]).toBeCloseTo(2e-7, 15);
  });

  it("fitLinearStepTime recovers the coefficients of noiseless records (staged and joint)", () => {
    const truth = { a: 0.015, b: 9e-5, c: 4e-5, d: 1.5e-7 };
    const model = linearStepTime(truth);
    const rng = createRng(1);
    const records: StepRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const prefill = i % 3 === 0 ? rng.int(1, 2048) : 0;
      const b = stepBatch({
        prefillTokens: prefill,
        decodeSeqs: rng.int(0, 64),
        kvTokensRead: rng.int(0, 40000),
      });
      records.push({ batch: b, seconds: model(b) });
    }
    for (const method of ["staged", "joint"] as const) {
      const fit = fitLinearStepTime(records, { method });
      expect(fit.method).toBe(method);
      expect(fit.coefficients.a).toBeCloseTo(truth.a, 9);
      expect(fit.coefficients.b).toBeCloseTo(truth.b, 12);
      expect(fit.coefficients.c).toBeCloseTo(truth.c, 12);
      expect(fit.coefficients.d).toBeCloseTo(truth.d, 14);
      expect(fit.mape).toBeLessThan(1e-9);
    }
  });

  it("fits the optional prefill-attention term and fixes terms that never vary at 0", () => {
    const truth = { a: 0.01, b: 5e-5, c: 3e-5, d: 2e-7, e: 4e-9 };
    const model = linearStepTime(truth);
    const records: StepRecord[] = [];
    for (let p = 0; p <= 2048; p += 128)
      for (const n of [0, 8, 32]) {
        const b = stepBatch({
          prefillTokens: p,
          decodeSeqs: n,
          kvTokensRead: 1000 * n + p,
          prefillAttentionPairs: (p * (p + 1)) / 2,
        });
        records.push({ batch: b, seconds: model(b) });
      }
    const fit = fitLinearStepTime(records, { prefillAttentionTerm: true });
    expect(fit.coefficients.e).toBeCloseTo(4e-9, 15);
    const decodeOnly = records.filter((r) => r.batch.prefillTokens === 0);
    expect(fitLinearStepTime(decodeOnly).coefficients.b).toBe(0);
    expect(() => fitLinearStepTime([])).toThrow(/at least one/);
  });

  it("roofline scales fitted on one GPU carry over to another through the roofline terms", () => {
    const truth = { overheadSeconds: 0.002, computeScale: 1.6, memoryScale: 1.25, mape: 0 };
    const gpus = [params, { ...params, bandwidthBytesPerSecond: 3.35e12, flopsPerSecond: 989e12 }];
    const records = [];
    for (const g of gpus)
      for (const n of [1, 16, 64])
        for (const p of [0, 512, 2048]) {
          const b = stepBatch({
            decodeSeqs: n,
            prefillTokens: p,
            kvTokensRead: n * 1000,
            kvBytesRead: n * 1000 * 131072,
          });
          records.push({ terms: rooflineTerms(g, b), seconds: scaledRooflineStepTime(g, truth)(b) });
        }
    const fit = fitRooflineScales(records);
    expect(fit.computeScale).toBeCloseTo(1.6, 9);
    expect(fit.memoryScale).toBeCloseTo(1.25, 9);
    expect(fit.overheadSeconds).toBeCloseTo(0.002, 9);
  });
});
