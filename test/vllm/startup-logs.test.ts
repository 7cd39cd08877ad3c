import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findModelAlias, findModelRow } from "../../packages/core/src/catalog/models.js";
import { vllmBehaviour } from "../../packages/core/src/estimate/engines/vllm/behaviour.js";
import { estimate } from "../../packages/core/src/estimate/estimate.js";
import {
  estimatedOf,
  measuredOf,
  type PublicRecord,
  type Quantity,
  REBUILD,
  STARTUP_RECORDS,
  VLLM_RECORDS,
} from "./records.js";

/**
 * Every public vLLM / SGLang start-up measurement memlens has (shared/fixtures/measured/public.jsonl's
 * B_vllm records and test/vllm/data/startup-logs.jsonl) rebuilt as a scenario and compared per
 * engine version family. Issue 16's targets: vLLM KV tokens within 3% median per family, SGLang
 * within 5%. Nothing here is fitted: the estimator's constants come from engine code and the
 * logs named in its sources, and these records only measure it.
 */

type Family = "v0" | "0.8-0.11" | "0.12+" | "sglang";
const FAMILIES: readonly Family[] = ["v0", "0.8-0.11", "0.12+", "sglang"];

interface Case {
  readonly id: string;
  readonly gpu: string;
  readonly family: Family;
  readonly scenario: Record<string, unknown>;
  readonly record: PublicRecord;
}

const isSglang = (r: PublicRecord) => r.engine === "sglang";
const familyOf = (r: PublicRecord, version: unknown): Family =>
  isSglang(r) ? "sglang" : vllmBehaviour(typeof version === "string" ? version : undefined).family;

const cases: Case[] = [];
const notRebuilt: { id: string; why: string }[] = [];
for (const r of VLLM_RECORDS) {
  const rb = REBUILD[r.id];
  if (!rb) continue;
  const eo: Record<string, unknown> = {};
  if (rb.gmu !== undefined) eo.gpuMemoryUtilization = rb.gmu;
  if (rb.memFractionStatic !== undefined) eo.memFractionStatic = rb.memFractionStatic;
  if (rb.version !== undefined) eo.engineVersion = rb.version;
  cases.push({
    id: r.id,
    gpu: (r as { gpu?: string }).gpu ?? ("gpu" in rb.hardware ? rb.hardware.gpu : "total memory given"),
    family: familyOf(r, rb.version),
    record: r,
    scenario: {
      model: { id: rb.model },
      ...(rb.weights ? { weights: rb.weights } : {}),
      contextLength: rb.contextLength,
      batch: rb.batch,
      hardware: { ...rb.hardware, count: rb.tp ?? 1 },
      parallel: { tensor: rb.tp ?? 1 },
      engineOptions: eo,
    },
  });
}
for (const r of STARTUP_RECORDS) {
  if (!r.rebuild) {
    notRebuilt.push({ id: r.id, why: "settings or model not rebuildable (see notes)" });
    continue;
  }
  const eo = (r.rebuild.engineOptions ?? {}) as Record<string, unknown>;
  cases.push({
    id: r.id,
    gpu: r.gpu,
    family: familyOf(r, eo.engineVersion),
    record: r,
    scenario: { engine: isSglang(r) ? "sglang" : "vllm", ...r.rebuild },
  });
}

interface Row {
  readonly id: string;
  readonly family: Family;
  readonly gpu: string;
  readonly quantity: Quantity;
  readonly measured: number;
  readonly estimated: number;
  readonly error: number;
}
const rows: Row[] = [];
for (const c of cases) {
  const model = (c.scenario.model as { id: string }).id;
  if (!findModelRow(model) && !findModelAlias(model)) {
    notRebuilt.push({ id: c.id, why: `${model} is not in the catalog` });
    continue;
  }
  const sg = isSglang(c.record);
  let engine: Readonly<Record<string, unknown>>;
  try {
    engine = estimate({ engine: sg ? "sglang" : "vllm", ...c.scenario }).engine;
  } catch (e) {
    notRebuilt.push({ id: c.id, why: (e as Error).message });
    continue;
  }
  for (const q of ["kvTokens", "weights", "kvMemory", "activationPeak", "nonTorch"] as const) {
    const m = measuredOf(c.record, q);
    const e = estimatedOf(engine, q, sg);
    if (m === undefined || e === undefined || m <= 0) continue;
    rows.push({
      id: c.id,
      family: c.family,
      gpu: c.gpu,
      quantity: q,
      measured: m,
      estimated: e,
      error: (e - m) / m,
    });
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** Each record's KV pool figure: the tokens where the log prints them, else the KV memory. */
const poolRows = (f: Family): Row[] =>
  rows.filter(
    (r) =>
      r.family === f &&
      (r.quantity === "kvTokens" ||
        (r.quantity === "kvMemory" && !rows.some((x) => x.id === r.id && x.quantity === "kvTokens"))),
  );
const kvErrors = (f: Family) => poolRows(f).map((r) => Math.abs(r.error));

/** README's accuracy table: every record's KV pool error, then the median per family. */
export function accuracyMarkdown(): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const fmt = (r: Row, x: number) =>
    r.quantity === "kvTokens" ? String(Math.round(x)) : `${(x / 2 ** 30).toFixed(2)} GiB`;
  const out = [
    "| family | record | GPU | KV pool | measured | memlens | error |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const f of FAMILIES)
    for (const r of poolRows(f))
      out.push(
        `| ${f} | ${r.id} | ${r.gpu} | ${r.quantity === "kvTokens" ? "tokens" : "memory"} | ${fmt(r, r.measured)} | ${fmt(r, r.estimated)} | ${pct(r.error)} |`,
      );
  out.push("", "| family | records | median abs error | worst |", "|---|---|---|---|");
  for (const f of FAMILIES) {
    const xs = kvErrors(f);
    if (xs.length) out.push(`| ${f} | ${xs.length} | ${pct(median(xs))} | ${pct(Math.max(...xs))} |`);
  }
  return out.join("\n");
}

describe("public start-up logs per engine version family", () => {
  it("holds at least 60 added records, each with a source URL or repository path and verbatim lines", () => {
    expect(STARTUP_RECORDS.length).toBeGreaterThanOrEqual(60);
    for (const r of STARTUP_RECORDS) {
      expect(r.source.url ?? r.source.path, r.id).toBeTruthy();
      expect(r.verbatim.length, r.id).toBeGreaterThan(0);
      expect(new Set(STARTUP_RECORDS.map((x) => x.id)).size).toBe(STARTUP_RECORDS.length);
    }
    console.log(`not rebuilt:\n${notRebuilt.map((n) => `  ${n.id}: ${n.why}`).join("\n")}`);
    console.log(accuracyMarkdown());
  });

  it("README's per-family table is this test's table", () => {
    const readme = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), "../../README.md"), "utf8");
    // Compare cell by cell: the formatter pads README's tables to aligned columns.
    const rowsOf = (md: string) =>
      md
        .split("\n")
        .filter((l) => l.trim().startsWith("|") && !/^[|\s:-]+$/.test(l))
        .map((l) =>
          l
            .split("|")
            .map((c) => c.trim())
            .join("|"),
        )
        .join("\n");
    expect(rowsOf(readme)).toContain(rowsOf(accuracyMarkdown()));
  });

  // Issue 16's targets: vLLM 3% per family, SGLang 5%. Met by every family with records (v0 2.4%
  // over 5, 0.8-0.11 1.3% over 9, 0.12+ 0.0% over 49, SGLang 3.7% over 1); single records miss:
  // the 0.6.4 RTX 3090 logs (-5/-7%: V0 before 0.7 charges the CUDA context, sized from H100
  // logs), vllm#21348 (+22%: its LMCache connector is not modelled), gpt-oss-120b on 0.11
  // (weights 2.4% high leave no room for its 3.33 GiB pool).
  const BOUND: Record<Family, number> = { v0: 0.03, "0.8-0.11": 0.03, "0.12+": 0.03, sglang: 0.05 };
  it.each(FAMILIES.map((f) => [f] as const))("%s: KV tokens median error within the bound", (f) => {
    const xs = kvErrors(f);
    if (xs.length === 0) return;
    expect(median(xs)).toBeLessThanOrEqual(BOUND[f]);
  });
});
