import { describe, expect, it } from "vitest";
import { MemlensError } from "../errors/memlens-error.js";
import type { GpuSpec } from "./gpu-types.js";
import datacenterRows from "./gpus/nvidia-datacenter.json" with { type: "json" };
import { GPUS, gpuSpecsFromRows } from "./gpus.js";

const list: readonly GpuSpec[] = GPUS;
const byId = (id: string): GpuSpec => {
  const g = list.find((x) => x.id === id);
  if (!g) throw new Error(`missing ${id}`);
  return g;
};
/** Same normalisation as gpu-lookup.ts, so a name that collides there collides here. */
const norm = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-")
    .replace(/^nvidia-|^amd-|^apple-/, "");
/** Relative closeness for FLOP/s (floating multiply in tflops()). */
const close = (actual: number | undefined, expected: number, rel = 1e-9): void => {
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected) / expected).toBeLessThan(rel);
};

describe("GPU catalog", () => {
  it("has at least 60 entries", () => {
    expect(list.length).toBeGreaterThanOrEqual(60);
  });

  it("has unique ids and aliases (case-insensitive, and after lookup normalisation)", () => {
    const rawSeen = new Map<string, string>();
    const normSeen = new Map<string, string>();
    for (const g of list) {
      for (const name of [g.id, ...g.aliases]) {
        const raw = name.toLowerCase();
        expect(rawSeen.has(raw), `"${name}" (${g.id}) duplicates ${rawSeen.get(raw)}`).toBe(false);
        rawSeen.set(raw, g.id);
        const n = norm(name);
        const owner = normSeen.get(n);
        // Within one GPU a spelling may normalise onto another of its own; across GPUs never.
        expect(owner === undefined || owner === g.id, `"${name}" (${g.id}) collides with ${owner}`).toBe(
          true,
        );
        normSeen.set(n, g.id);
      }
    }
  });

  it("has no alias equal to another entry's id", () => {
    const ids = new Map(list.map((g) => [g.id.toLowerCase(), g.id]));
    for (const g of list) {
      for (const a of g.aliases) {
        const other = ids.get(a.toLowerCase());
        expect(other === undefined || other === g.id, `alias "${a}" of ${g.id} is id ${other}`).toBe(true);
      }
    }
  });

  it.each(list.map((g) => [g.id, g] as const))("%s has sane, sourced fields", (_id, g) => {
    expect(g.source.trim().length).toBeGreaterThan(0);
    expect(g.name.trim().length).toBeGreaterThan(0);
    expect(g.memoryType.trim().length).toBeGreaterThan(0);
    expect(Number.isInteger(g.memoryBytes)).toBe(true);
    expect(g.memoryBytes).toBeGreaterThan(0);
    expect(Number.isFinite(g.bandwidthBytesPerSecond)).toBe(true);
    expect(Number.isInteger(g.bandwidthBytesPerSecond)).toBe(true);
    expect(g.bandwidthBytesPerSecond).toBeGreaterThan(0);
    expect(Number.isInteger(g.interconnect.bandwidthBytesPerSecond)).toBe(true);
    expect(g.interconnect.bandwidthBytesPerSecond).toBeGreaterThan(0);
    expect(g.interconnect.kind.trim().length).toBeGreaterThan(0);
    // GPUs carry a 16-bit tensor/matrix figure; CPU-only rows carry their cited FP32.
    if (g.kind === "cpu") expect(g.flopsPerSecond.fp32).toBeDefined();
    else expect(g.flopsPerSecond.fp16 !== undefined || g.flopsPerSecond.bf16 !== undefined).toBe(true);
    for (const v of Object.values(g.flopsPerSecond)) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    if (g.tdpWatts !== undefined) expect(g.tdpWatts).toBeGreaterThan(0);
    // Apple silicon is always unified; other unified machines (DGX Spark, Strix Halo) say so in
    // their interconnect; CPU-only rows are not "unified" (there is no GPU to share with).
    if (g.vendor === "apple") expect(g.unifiedMemory).toBe(true);
    if (g.kind === "cpu") expect(g.unifiedMemory).toBe(false);
    expect(g.unifiedMemory).toBe(g.interconnect.kind === "none (unified memory SoC)");
    for (const t of g.reportedTotals ?? []) {
      expect(t.source.trim().length).toBeGreaterThan(0);
      expect(Number.isInteger(t.bytes)).toBe(true);
      // Software sees the board less what the driver keeps: a few percent below the marketed size.
      expect(t.bytes).toBeLessThanOrEqual(g.memoryBytes);
      expect(t.bytes).toBeGreaterThan(0.85 * g.memoryBytes);
    }
  });

  it("dense tensor figures are never below non-tensor FP32 and bf16 never exceeds fp8", () => {
    for (const g of list) {
      const f = g.flopsPerSecond;
      const half = f.bf16 ?? f.fp16;
      if (f.fp32 !== undefined && half !== undefined) expect(half).toBeGreaterThanOrEqual(f.fp32);
      if (f.fp8 !== undefined && f.bf16 !== undefined) expect(f.fp8).toBeGreaterThanOrEqual(f.bf16);
    }
  });

  describe("spot values (looked up; see each row's source)", () => {
    it("H100 SXM: 80 GiB HBM3, 3.35 TB/s, dense BF16 989 TFLOP/s, NVLink 900 GB/s, 700 W", () => {
      const h = byId("H100-SXM-80GB");
      expect(h.memoryBytes).toBe(85_899_345_920);
      expect(h.bandwidthBytesPerSecond).toBe(3_350_000_000_000);
      close(h.flopsPerSecond.bf16, 989e12);
      close(h.flopsPerSecond.fp8, 1979e12);
      close(h.flopsPerSecond.fp32, 67e12);
      expect(h.interconnect.bandwidthBytesPerSecond).toBe(900_000_000_000);
      expect(h.tdpWatts).toBe(700);
    });

    it("RTX 4090: 24 GiB, 1008 GB/s, 165.15 TFLOP/s FP16 (FP32 accumulate), 450 W", () => {
      const g = byId("RTX-4090");
      expect(g.memoryBytes).toBe(25_769_803_776);
      expect(g.bandwidthBytesPerSecond).toBe(1_008_000_000_000);
      close(g.flopsPerSecond.fp16, 165.15e12);
      close(g.flopsPerSecond.fp32, 82.58e12);
      expect(g.tdpWatts).toBe(450);
    });

    it("A100 80GB: 2039 GB/s, 312 TFLOP/s BF16, NVLink 600 GB/s", () => {
      const g = byId("A100-80GB");
      expect(g.memoryBytes).toBe(80 * 2 ** 30);
      expect(g.bandwidthBytesPerSecond).toBe(2_039_000_000_000);
      close(g.flopsPerSecond.bf16, 312e12);
      expect(g.interconnect.bandwidthBytesPerSecond).toBe(600_000_000_000);
    });

    it("H200: 141 GiB at 4.8 TB/s; B200: 180 GiB at 8 TB/s, 2250 TFLOP/s BF16, 9 PFLOP/s FP4", () => {
      const h = byId("H200-141GB");
      expect(h.memoryBytes).toBe(141 * 2 ** 30);
      expect(h.bandwidthBytesPerSecond).toBe(4_800_000_000_000);
      const b = byId("B200-180GB");
      expect(b.memoryBytes).toBe(180 * 2 ** 30);
      expect(b.bandwidthBytesPerSecond).toBe(8_000_000_000_000);
      close(b.flopsPerSecond.bf16, 2250e12);
      close(b.flopsPerSecond.fp4, 9000e12);
    });

    it("L4 dense = datasheet sparse / 2", () => {
      const g = byId("L4-24GB");
      close(g.flopsPerSecond.fp16, 121e12);
      close(g.flopsPerSecond.fp8, 242.5e12);
      expect(g.bandwidthBytesPerSecond).toBe(300_000_000_000);
    });

    it("MI300X: 192 GiB HBM3 at 5.3 TB/s, 1307.4 TFLOP/s BF16, 750 W", () => {
      const g = byId("MI300X");
      expect(g.memoryBytes).toBe(192 * 2 ** 30);
      expect(g.bandwidthBytesPerSecond).toBe(5_300_000_000_000);
      close(g.flopsPerSecond.bf16, 1307.4e12);
      expect(g.tdpWatts).toBe(750);
    });

    it("Apple: M3 Max 128 GiB at 400 GB/s, M2 Ultra 192 GiB at 800 GB/s (27.2 TFLOP/s), M4 Pro 273 GB/s", () => {
      const m3 = byId("M3-Max-128GB");
      expect(m3.memoryBytes).toBe(128 * 2 ** 30);
      expect(m3.bandwidthBytesPerSecond).toBe(400_000_000_000);
      expect(m3.unifiedMemory).toBe(true);
      const u = byId("M2-Ultra-192GB");
      expect(u.memoryBytes).toBe(192 * 2 ** 30);
      expect(u.bandwidthBytesPerSecond).toBe(800_000_000_000);
      close(u.flopsPerSecond.fp32, 27.2e12);
      expect(byId("M4-Pro-64GB").bandwidthBytesPerSecond).toBe(273_000_000_000);
      expect(byId("M4-Max-128GB").bandwidthBytesPerSecond).toBe(546_000_000_000);
    });

    it("issue 15 families are present (consumer, datacenter, unified memory, CPU only)", () => {
      for (const id of [
        "RTX-5090",
        "RTX-5080",
        "RTX-5070-Ti",
        "RTX-5070",
        "RTX-5060-Ti-16GB",
        "RTX-3070",
        "RTX-3060-Ti",
        "RTX-4060",
        "RTX-4060-Ti-8GB",
        "RX-9070-XT",
        "RX-7900-XT",
        "RX-7800-XT",
        "Arc-B580",
        "B200-180GB",
        "B300-288GB",
        "GB200",
        "GB300",
        "GH200-144GB",
        "H20-96GB",
        "L20-48GB",
        "MI300X",
        "MI325X",
        "MI350X",
        "MI355X",
        "DGX-Spark",
        "Ryzen-AI-Max-395-128GB",
        "M1-Pro-32GB",
        "M1-Max-64GB",
        "M1-Ultra-128GB",
        "M3-Pro-36GB",
        "M3-Ultra-512GB",
        "CPU-i9-13900K-DDR5-64GB",
        "CPU-Ryzen7-7800X3D-DDR5-64GB",
      ])
        expect(byId(id).id).toBe(id);
      expect(list.filter((g) => g.kind === "cpu").length).toBeGreaterThanOrEqual(2);
      expect(list.filter((g) => g.unifiedMemory && g.vendor !== "apple").length).toBeGreaterThanOrEqual(2);
    });

    it("new rows: B300 288 GiB at 8 TB/s, 2250 TFLOP/s BF16; M3 Ultra 512 GiB at 819 GB/s; DGX Spark 128 GiB at 273 GB/s", () => {
      const b = byId("B300-288GB");
      expect(b.memoryBytes).toBe(288 * 2 ** 30);
      expect(b.bandwidthBytesPerSecond).toBe(8e12);
      close(b.flopsPerSecond.bf16, 2250e12);
      const m = byId("M3-Ultra-512GB");
      expect(m.memoryBytes).toBe(512 * 2 ** 30);
      expect(m.bandwidthBytesPerSecond).toBe(819e9);
      const s = byId("DGX-Spark");
      expect(s.memoryBytes).toBe(128 * 2 ** 30);
      expect(s.bandwidthBytesPerSecond).toBe(273e9);
      expect(s.unifiedMemory).toBe(true);
      const c = byId("CPU-i9-13900K-DDR5-64GB");
      expect(c.kind).toBe("cpu");
      expect(c.bandwidthBytesPerSecond).toBe(89.6e9);
    });

    it("reported totals carried from the vLLM engine: H100 79.19 GiB, RTX 4090 25250627584 bytes", () => {
      const cuda = (id: string) => byId(id).reportedTotals?.find((t) => t.reportedBy === "cuda")?.bytes;
      expect(cuda("H100-SXM-80GB")).toBe(Math.round(79.19 * 2 ** 30));
      expect(cuda("RTX-4090")).toBe(25250627584);
      expect(byId("H100-SXM-80GB").reportedTotals?.find((t) => t.reportedBy === "nvidia-smi")?.bytes).toBe(
        81559 * 2 ** 20,
      );
    });

    it("common spellings resolve to the expected entries", () => {
      const owner = (name: string): string | undefined =>
        list.find((g) => [g.id, ...g.aliases].some((n) => n.toLowerCase() === name.toLowerCase()))?.id;
      expect(owner("H100")).toBe("H100-SXM-80GB");
      expect(owner("H100-SXM")).toBe("H100-SXM-80GB");
      expect(owner("RTX4090")).toBe("RTX-4090");
      expect(owner("4090")).toBe("RTX-4090");
      expect(owner("A100")).toBe("A100-80GB");
      expect(owner("MI300X")).toBe("MI300X");
      expect(owner("M3-Max")).toBe("M3-Max-128GB");
    });
  });

  describe("rows (./gpus/*.json) are checked at load", () => {
    const [first] = datacenterRows;
    const row = { ...first } as Record<string, unknown>;
    const rejects = (r: Record<string, unknown>, field: string): void => {
      let err: unknown;
      try {
        gpuSpecsFromRows([r], "test.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MemlensError);
      expect((err as MemlensError).field).toBe(field);
    };

    it("a row converts to the catalog's GpuSpec (units through units.ts)", () => {
      expect(gpuSpecsFromRows([row], "test.json")).toEqual([list[0]]);
    });

    it("rejects an unknown field", () => {
      rejects({ ...row, memoryGb: 16 }, "test.json[0].memoryGb");
    });

    it("rejects a missing field", () => {
      const { source: _, ...noSource } = row;
      rejects(noSource, "test.json[0].source");
    });

    it("rejects a figure given in two units, or in none", () => {
      rejects({ ...row, memoryGB: 16 }, "test.json[0]");
      const { memoryGiB: _, ...noMemory } = row;
      rejects(noMemory, "test.json[0]");
    });

    it("rejects a wrong type, an unknown dtype and an unknown link", () => {
      rejects({ ...row, memoryGiB: "16" }, "test.json[0].memoryGiB");
      rejects({ ...row, tflops: { fp64: 1 } }, "test.json[0].tflops.fp64");
      rejects({ ...row, interconnect: "NVLink 9" }, "test.json[0].interconnect");
    });
  });
});
