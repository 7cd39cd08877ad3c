/**
 * The "What runs on my GPU" page's arithmetic: matching a WebGPU adapter to the GPU catalog, the
 * planner link of a sweep entry, and the table's sort orders. The sweep itself is core's
 * `whatFits`, run in the Web Worker (worker/sim-job.ts).
 */
import { type FitsEntry, GPU_LIST, type GpuSpec } from "@memlens/core";
import { buildHash } from "../state/route.js";

/** What `GPUAdapter.info` reports (WebGPU); any field may be empty (browsers hide details). */
export interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();

/**
 * The catalog GPU an adapter names, matched on its description ("NVIDIA GeForce RTX 4090") against
 * each row's id, name and aliases, longest match first; null when nothing matches (browsers often
 * report only a vendor and an architecture, which name no single card).
 * @example matchAdapter({ vendor: "nvidia", architecture: "", device: "", description: "NVIDIA GeForce RTX 4090" })?.id // "RTX-4090"
 */
export function matchAdapter(info: AdapterInfo, catalog: readonly GpuSpec[] = GPU_LIST): GpuSpec | null {
  const text = ` ${norm(`${info.description} ${info.device}`)} `;
  if (text.trim() === "") return null;
  let best: { gpu: GpuSpec; len: number } | null = null;
  for (const g of catalog) {
    for (const name of [g.id, g.name, ...g.aliases]) {
      const n = norm(name);
      if (n.length < 3 || !text.includes(` ${n} `)) continue;
      if (!best || n.length > best.len) best = { gpu: g, len: n.length };
    }
  }
  return best?.gpu ?? null;
}

/** The planner's URL for an entry's scenario (pages/planner.tsx reads model, gpu and its pl.* keys). */
export function plannerHref(e: FitsEntry, gpu: string, gpuCount: number, concurrency: number): string {
  const p = new URLSearchParams({
    model: e.model,
    gpu,
    "pl.e": e.engine,
    "pl.w": e.weights,
    "pl.ctx": String(e.contextLength),
    "pl.b": String(concurrency),
    "pl.n": String(gpuCount),
  });
  return buildHash({ kind: "planner" }, p);
}

export type FitsSortKey = "rank" | "model" | "params" | "maxContext" | "decode" | "quality" | "bytes";

/** Entries in the order a column asks for; "rank" keeps core's ranking (FITS_RANKING). */
export function sortEntries(
  entries: readonly FitsEntry[],
  key: FitsSortKey,
  descending: boolean,
): FitsEntry[] {
  const v = (e: FitsEntry): number | string => {
    switch (key) {
      case "rank":
        return entries.indexOf(e);
      case "model":
        return e.model.toLowerCase();
      case "params":
        return e.parameters;
      case "maxContext":
        return e.maxContext ?? -1;
      case "decode":
        return e.decodeTokensPerSecond;
      case "quality":
        return e.qualityCost ?? Number.POSITIVE_INFINITY;
      case "bytes":
        return e.bytes;
    }
  };
  const out = [...entries].sort((a, b) => {
    const x = v(a);
    const y = v(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return descending ? out.reverse() : out;
}
