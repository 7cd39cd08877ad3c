import { MemlensError } from "../errors/memlens-error.js";
import {
  type Bytes,
  type BytesPerSecond,
  bytes,
  type FlopsPerSecond,
  gb,
  gbPerSecond,
  gib,
  mib,
  tbPerSecond,
  tflops,
} from "../units/units.js";
import type { GpuFlops, GpuInterconnect, GpuSpec, ReportedTotal } from "./gpu-types.js";
import amdIntel from "./gpus/amd-intel.json" with { type: "json" };
import links from "./gpus/links.json" with { type: "json" };
import nvidiaDatacenter from "./gpus/nvidia-datacenter.json" with { type: "json" };
import nvidiaRtx from "./gpus/nvidia-rtx.json" with { type: "json" };
import unifiedCpu from "./gpus/unified-cpu.json" with { type: "json" };

/*
 * GPU catalog: the rows are data in ./gpus/*.json (one file per family, joined here in display
 * order), in the units their sources print: memoryGiB, bandwidthGBps / bandwidthTBps, tflops per
 * dtype, reportedTotals in GiB / MiB / bytes, and the interconnect as a link named in
 * ./gpus/links.json (each link with its source) or, where it has no fixed rate, as
 * { kind, bandwidthGBps }. Every figure was looked up in the source named in its row (URL, or
 * repository/path@commit), and every source and note string is written out in full on its row;
 * nothing is entered from memory. This module converts the rows with the units.ts constructors
 * and rejects a malformed row (unknown or missing field, wrong type) with a MemlensError at load.
 * Conventions:
 *
 * - Memory: vendors' "GB" for HBM, GDDR and Apple LPDDR capacities is 2^30-sized in hardware
 *   (stacks/chips are 2^30 multiples), so rows give memoryGiB. Where the usable size differs from
 *   the marketed one (e.g. H200 "141GB" on 144 GiB of stacks) the marketed figure is kept.
 * - Bandwidth: decimal (1 TB/s = 1e12 B/s, 1 GB/s = 1e9 B/s), as vendors publish it.
 * - FLOP/s: dense (no 2:4 sparsity). Where a source gives only sparse figures they are halved and
 *   the row says so. `fp32` is non-tensor (CUDA-core / vector) FP32.
 * - GeForce (consumer) and RTX PRO Blackwell tensor cores run FP16/BF16 with FP32 accumulate at
 *   half the FP16-accumulate rate; `fp16`/`bf16` here are the FP32-accumulate figures (what
 *   PyTorch/cuBLAS use for half-precision GEMMs). Where no direct figure was found they are
 *   derived as 2 x the cited non-tensor FP32, the ratio the cited tables show for the same
 *   architectures (RTX 4090 82.58 -> 165.15 on waredb.com; RTX 3090 Ti 40 -> 80, RTX 4090 D
 *   73.54 -> 147.09 and RTX PRO 5000 Blackwell 73.69 -> 147.4 on hmc-tech.com). Such rows say so.
 * - Interconnect bandwidth is total bidirectional per device. PCIe figures: Gen4 x16 = 64 GB/s
 *   bidirectional (NVIDIA L40/L40S datasheet table), Gen5 x16 = 128 GB/s (NVIDIA H100 material),
 *   Gen3 x16 = 16 GB/s per direction (Alibaba Cloud topology doc) = 32 GB/s bidirectional.
 * - Rows added for issue 15 follow the same rules, plus: where a source gives cores and boost clock
 *   but no TFLOPS, FP32 = 2 x cores x boost clock (one FMA per core per clock) and the row says
 *   DERIVED; Apple GPU figures scale the cited per-core rate of the same generation by core count.
 * - Unified-memory machines (Apple, DGX Spark, Strix Halo): memoryBytes is the whole pool and the
 *   interconnect is the memory itself. CPU-only rows (kind "cpu"): memoryBytes is the system RAM of
 *   the named configuration, bandwidth = channels x 8 bytes x MT/s of the CPU's officially supported
 *   DDR5 speed (the JEDEC peak; sustained reads reach less), FLOP/s the cited FP32 figure only.
 * - reportedTotals: what CUDA / nvidia-smi / rocm-smi printed as total on a real device, each
 *   with the log or listing it came from; absent where none was found.
 */

type Fields = Readonly<Record<string, unknown>>;
/** Field name -> the units.ts constructor that reads a figure written in that unit. */
type Units<T> = Readonly<Record<string, (n: number) => T>>;

const MEMORY: Units<Bytes> = { memoryGiB: gib, memoryGB: gb };
const BANDWIDTH: Units<BytesPerSecond> = { bandwidthGBps: gbPerSecond, bandwidthTBps: tbPerSecond };
const TOTAL: Units<Bytes> = { GiB: gib, MiB: mib, GB: gb, bytes };
const DTYPES = ["fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4"] as const;
const VENDORS = ["nvidia", "amd", "apple", "intel"] as const;
const REPORTERS = ["cuda", "nvidia-smi", "rocm-smi"] as const;

const bad = (where: string, what: string): MemlensError =>
  new MemlensError("internal", `GPU catalog ${where}: ${what}`, where);

/** The object at `where`, checked to have every `required` key and no key outside `required` + `optional`. */
function fields(v: unknown, where: string, required: readonly string[], optional: readonly string[]): Fields {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(where, "expected an object");
  const o = v as Fields;
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) throw bad(`${where}.${k}`, "unknown field");
  }
  for (const k of required) if (!(k in o)) throw bad(`${where}.${k}`, "missing field");
  return o;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string" || v.trim() === "") throw bad(where, "expected a non-empty string");
  return v;
}

function num(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw bad(where, "expected a positive number");
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (!allowed.includes(v as T)) throw bad(where, `expected one of ${allowed.join(", ")}`);
  return v as T;
}

/** The one figure of `o` written under one of `units`' field names, converted by that unit. */
function figure<T>(o: Fields, units: Units<T>, where: string): T {
  const present = Object.keys(units).filter((k) => k in o);
  const [k] = present;
  if (present.length !== 1 || k === undefined) {
    throw bad(where, `expected exactly one of ${Object.keys(units).join(", ")}`);
  }
  return (units[k] as (n: number) => T)(num(o[k], `${where}.${k}`));
}

function flopsOf(v: unknown, where: string): GpuFlops {
  const o = fields(v, where, [], DTYPES);
  const out: { -readonly [K in keyof GpuFlops]: FlopsPerSecond } = {};
  for (const k of Object.keys(o)) out[k as keyof GpuFlops] = tflops(num(o[k], `${where}.${k}`));
  return out;
}

const LINKS: ReadonlyMap<string, GpuInterconnect> = new Map(
  Object.entries(links as unknown as Fields).map(([kind, v]) => {
    const where = `links.json["${kind}"]`;
    const o = fields(v, where, ["bandwidthGBps", "source"], []);
    str(o["source"], `${where}.source`);
    return [
      kind,
      { kind, bandwidthBytesPerSecond: gbPerSecond(num(o["bandwidthGBps"], `${where}.bandwidthGBps`)) },
    ];
  }),
);

/** A link named in links.json, or { kind, bandwidthGBps } for one with no fixed rate (unified memory, CPU only). */
function interconnectOf(v: unknown, where: string): GpuInterconnect {
  if (typeof v === "string") {
    const link = LINKS.get(v);
    if (!link) throw bad(where, `no link "${v}" in links.json`);
    return { ...link };
  }
  const o = fields(v, where, ["kind"], Object.keys(BANDWIDTH));
  return { kind: str(o["kind"], `${where}.kind`), bandwidthBytesPerSecond: figure(o, BANDWIDTH, where) };
}

function reportedTotalOf(v: unknown, where: string): ReportedTotal {
  const o = fields(v, where, ["reportedBy", "source"], Object.keys(TOTAL));
  return {
    bytes: figure(o, TOTAL, where),
    reportedBy: oneOf(o["reportedBy"], REPORTERS, `${where}.reportedBy`),
    source: str(o["source"], `${where}.source`),
  };
}

const REQUIRED = [
  "id",
  "name",
  "vendor",
  "aliases",
  "memoryType",
  "unifiedMemory",
  "tflops",
  "interconnect",
  "source",
];
const OPTIONAL = [
  "kind",
  "tdpWatts",
  "reportedTotals",
  "notes",
  ...Object.keys(MEMORY),
  ...Object.keys(BANDWIDTH),
];

/** One catalog row (as written in ./gpus/*.json) as a GpuSpec; `where` names it in errors. */
function gpuSpecOf(v: unknown, where: string): GpuSpec {
  const o = fields(v, where, REQUIRED, OPTIONAL);
  const aliases = o["aliases"];
  if (!Array.isArray(aliases)) throw bad(`${where}.aliases`, "expected an array of strings");
  if (typeof o["unifiedMemory"] !== "boolean") throw bad(`${where}.unifiedMemory`, "expected true or false");
  const totals = o["reportedTotals"];
  if (totals !== undefined && !Array.isArray(totals))
    throw bad(`${where}.reportedTotals`, "expected an array");
  return {
    id: str(o["id"], `${where}.id`),
    name: str(o["name"], `${where}.name`),
    vendor: oneOf(o["vendor"], VENDORS, `${where}.vendor`),
    ...(o["kind"] !== undefined && { kind: oneOf(o["kind"], ["cpu"] as const, `${where}.kind`) }),
    aliases: aliases.map((a, i) => str(a, `${where}.aliases[${i}]`)),
    memoryBytes: figure(o, MEMORY, where),
    memoryType: str(o["memoryType"], `${where}.memoryType`),
    unifiedMemory: o["unifiedMemory"],
    bandwidthBytesPerSecond: figure(o, BANDWIDTH, where),
    flopsPerSecond: flopsOf(o["tflops"], `${where}.tflops`),
    interconnect: interconnectOf(o["interconnect"], `${where}.interconnect`),
    ...(o["tdpWatts"] !== undefined && { tdpWatts: num(o["tdpWatts"], `${where}.tdpWatts`) }),
    ...(totals !== undefined && {
      reportedTotals: totals.map((t, i) => reportedTotalOf(t, `${where}.reportedTotals[${i}]`)),
    }),
    source: str(o["source"], `${where}.source`),
    ...(o["notes"] !== undefined && { notes: str(o["notes"], `${where}.notes`) }),
  };
}

/** The rows of one ./gpus/*.json file as GpuSpecs; throws MemlensError on a malformed row. */
export function gpuSpecsFromRows(rows: unknown, file: string): GpuSpec[] {
  if (!Array.isArray(rows)) throw bad(file, "expected an array of rows");
  return rows.map((r, i) => gpuSpecOf(r, `${file}[${i}]`));
}

/** The GPU and machine catalog, in display order. */
export const GPUS: readonly GpuSpec[] = [
  ...gpuSpecsFromRows(nvidiaDatacenter, "nvidia-datacenter.json"),
  ...gpuSpecsFromRows(nvidiaRtx, "nvidia-rtx.json"),
  ...gpuSpecsFromRows(amdIntel, "amd-intel.json"),
  ...gpuSpecsFromRows(unifiedCpu, "unified-cpu.json"),
];
