import { describe, expect, it } from "vitest";
import {
  deepspeedZero2Estimate,
  deepspeedZero3Estimate,
  MIXED_PRECISION_ADAM,
  zeroModelStateBytes,
} from "./training-states.js";

// Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models"
// (arXiv:1910.02054), Table 1: per-device model-state memory in GB, K = 12, for Ψ = 7.5B / 128B / 1T
// at N_d = 1, 4, 16, 64, 256, 1024 (the C_training_analytical rows of shared/fixtures/measured).
const DP = [1, 4, 16, 64, 256, 1024] as const;
const TABLE1: Record<string, Record<"os" | "osg" | "osgp", readonly number[]>> = {
  "7.5e9": {
    os: [120, 52.5, 35.6, 31.4, 30.4, 30.1],
    osg: [120, 41.3, 21.6, 16.6, 15.4, 15.1],
    osgp: [120, 30, 7.5, 1.88, 0.47, 0.12],
  },
  "128e9": {
    os: [2048, 896, 608, 536, 518, 513],
    osg: [2048, 704, 368, 284, 263, 257],
    osgp: [2048, 512, 128, 32, 8, 2],
  },
  "1e12": {
    os: [16000, 7000, 4750, 4187, 4046, 4011],
    osg: [16000, 5500, 2875, 2218, 2054, 2013],
    osgp: [16000, 4000, 1000, 250, 62.5, 15.6],
  },
};

/** The paper prints 3 significant figures, truncating some cells (4187.5 → 4187, 2218.75 → 2218). */
function printedLike(gb: number, printed: number): boolean {
  const decimals = (String(printed).split(".")[1] ?? "").length;
  const f = 10 ** decimals;
  return Math.round(gb * f) / f === printed || Math.trunc(gb * f) / f === printed;
}

describe("ZeRO paper analytical model states (Table 1, Figure 1)", () => {
  it("7.5B at N_d = 64: 120 GB → 31.4 → 16.6 → 1.9 GB, exactly in the paper's arithmetic", () => {
    const psi = 7.5e9;
    expect(zeroModelStateBytes(psi, MIXED_PRECISION_ADAM, 64, 0).total).toBe(120e9);
    // P_os: 2Ψ + 2Ψ + KΨ/N_d = 30 + 90/64 GB
    expect(zeroModelStateBytes(psi, MIXED_PRECISION_ADAM, 64, 1).total).toBe(31_406_250_000);
    // P_os+g: 2Ψ + (2 + K)Ψ/N_d = 15 + 105/64 GB
    expect(zeroModelStateBytes(psi, MIXED_PRECISION_ADAM, 64, 2).total).toBe(16_640_625_000);
    // P_os+g+p: (2 + 2 + K)Ψ/N_d = 120/64 GB
    expect(zeroModelStateBytes(psi, MIXED_PRECISION_ADAM, 64, 3).total).toBe(1_875_000_000);
    expect((31_406_250_000 / 1e9).toFixed(1)).toBe("31.4");
    expect((16_640_625_000 / 1e9).toFixed(1)).toBe("16.6");
    expect((1_875_000_000 / 1e9).toFixed(1)).toBe("1.9");
  });

  it.each(Object.entries(TABLE1))("Ψ = %s: every cell of the table", (psiText, row) => {
    const psi = Number(psiText);
    const stages = { os: 1, osg: 2, osgp: 3 } as const;
    for (const [k, stage] of Object.entries(stages) as [keyof typeof stages, 1 | 2 | 3][]) {
      DP.forEach((n, i) => {
        const gb = zeroModelStateBytes(psi, MIXED_PRECISION_ADAM, n, stage).total / 1e9;
        expect(printedLike(gb, row[k][i] as number), `${psiText} ${k} N_d=${n}: ${gb} vs ${row[k][i]}`).toBe(
          true,
        );
      });
    }
  });

  // Table 2 ("1 64 2B 7.6B 14.4B 128B" ... "16 1024 32B 121.6B 230.4B 2T"): the largest Ψ whose model
  // states fit 32 GB per V100 with N_d = 64, Ψ/MP per model-parallel rank. The paper rounds the
  // per-rank size (7.64 → 7.6, 14.42 → 14.4) before multiplying by MP.
  it.each([
    [1, 2, 7.6, 14.4, "128B"],
    [2, 4, 15.2, 28.8, "256B"],
    [4, 8, 30.4, 57.6, "0.5T"],
    [8, 16, 60.8, 115.2, "1T"],
    [16, 32, 121.6, 230.4, "2T"],
  ] as const)("Table 2, MP = %i: %sB / %sB / %sB / %s theoretical maxima", (mp, base, os, osg, osgp) => {
    const perRankB = (stage: 0 | 1 | 2 | 3) =>
      32e9 / zeroModelStateBytes(1e9, MIXED_PRECISION_ADAM, 64, stage).total;
    const printed = (x: number) => Math.round(x * 10) / 10;
    expect(printed(perRankB(0)) * mp).toBeCloseTo(base, 6);
    expect(printed(perRankB(1)) * mp).toBeCloseTo(os, 6);
    expect(printed(perRankB(2)) * mp).toBeCloseTo(osg, 6);
    const gpp = perRankB(3) * mp;
    expect(gpp).toBeCloseTo(128 * mp, 6);
    expect(gpp < 500 ? `${gpp}B` : `${Math.round(gpp / 100) / 10}T`).toBe(osgp);
  });
});

describe("seed 002: 7B with Adam", () => {
  it("FP16 weights + FP16 gradients + FP32 momentum + FP32 variance = 84 GB", () => {
    const seed = zeroModelStateBytes(7e9, { parameters: 2, gradients: 2, optimizer: 8 }, 1, 0);
    expect(seed.parameters).toBe(14e9);
    expect(seed.gradients).toBe(14e9);
    expect(seed.optimizer).toBe(56e9);
    expect(seed.total).toBe(84e9);
  });

  it("mixed precision with an FP32 master copy is 16 bytes per parameter: 112 GB", () => {
    const perParam =
      MIXED_PRECISION_ADAM.parameters + MIXED_PRECISION_ADAM.gradients + MIXED_PRECISION_ADAM.optimizer;
    expect(perParam).toBe(16);
    expect(zeroModelStateBytes(7e9, MIXED_PRECISION_ADAM, 1, 0).total).toBe(112e9);
  });
});

describe("DeepSpeed memory estimators (stage_1_and_2.py, stage3.py)", () => {
  it("ZeRO-2: GPU 2Ψ + 18Ψ/N, CPU 4Ψ·gpus_per_node·1.5; offload: GPU 2Ψ, CPU Ψ·max(4N, 16)·1.5", () => {
    const psi = 3e9;
    expect(deepspeedZero2Estimate(psi, 8, 1, false)).toEqual({
      gpuBytes: 2 * psi + (18 * psi) / 8,
      cpuBytes: psi * 4 * 8 * 1.5,
    });
    expect(deepspeedZero2Estimate(psi, 8, 1, true)).toEqual({ gpuBytes: 2 * psi, cpuBytes: psi * 32 * 1.5 });
    expect(deepspeedZero2Estimate(psi, 2, 1, true).cpuBytes).toBe(psi * 16 * 1.5);
  });

  it("ZeRO-3: Lmax = 4 × largest layer; GPU Lmax + 18Ψ/N, offload optimizer Lmax + 2Ψ/N, offload all Lmax", () => {
    const psi = 13e9;
    const largest = 325e6;
    const none = deepspeedZero3Estimate(psi, largest, 8, 1, "none");
    expect(none.largestLayerBytes).toBe(1.3e9);
    expect(none.gpuBytes).toBe(1.3e9 + (18 * psi) / 8);
    expect(deepspeedZero3Estimate(psi, largest, 8, 1, "optimizer").gpuBytes).toBe(1.3e9 + (2 * psi) / 8);
    expect(deepspeedZero3Estimate(psi, largest, 8, 1, "optimizer").cpuBytes).toBe(psi * 16 * 1.5);
    expect(deepspeedZero3Estimate(psi, largest, 8, 1, "all")).toEqual({
      gpuBytes: 1.3e9,
      cpuBytes: psi * 18 * 1.5,
      largestLayerBytes: 1.3e9,
    });
  });
});
