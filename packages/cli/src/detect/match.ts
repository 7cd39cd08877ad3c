/**
 * Matches a detected device to a catalog entry by name and memory size (pure). A catalog entry
 * matches when one of its spellings (id, name, aliases) appears as whole words in the detected
 * name, not followed by a variant word ("Ti", "XT", "NVL", "Laptop", ...), and the reported memory
 * is what that entry's software would report (within a few percent below its marketed size).
 */
import type { GpuSpec } from "@memlens/core";
import type { DetectedDevice } from "./parse.js";

/** Words that name the maker or the product line, not the model. */
const NOISE = new Set([
  "nvidia",
  "amd",
  "ati",
  "apple",
  "intel",
  "geforce",
  "radeon",
  "tesla",
  "instinct",
  "quadro",
  "graphics",
  "r",
  "tm",
  "core",
  "corporation",
  "inc",
  "advanced",
  "micro",
  "devices",
  "processor",
  "desktop",
  "cpu",
  "only",
  "with",
]);
/** A word after the model that makes it a different product (RTX 4060 Ti is not an RTX 4060). */
const VARIANT = new Set([
  "ti",
  "super",
  "xt",
  "xtx",
  "gre",
  "d",
  "ultra",
  "max",
  "pro",
  "nvl",
  "pcie",
  "mobile",
  "laptop",
  "m",
  "s",
]);

/** Lower-case words, maker names and memory sizes ("80GB") removed, parentheses dropped. */
export function words(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/\((?:r|tm)\)/g, " ")
    .replace(/\([^)]*\)/g, " ")
    .split(/[^a-z0-9+]+/)
    .filter((w) => w && !NOISE.has(w) && !/^\d+(?:gb|g|gib|mb)$/.test(w));
}

/** Where `key` occurs in `name` as whole words not followed by a variant word; -1 if nowhere. */
function occurs(name: readonly string[], key: readonly string[]): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i + key.length <= name.length; i++) {
    if (key.every((w, j) => name[i + j] === w)) {
      const next = name[i + key.length];
      if (next === undefined || !VARIANT.has(next)) return true;
    }
  }
  return false;
}

export interface CatalogMatch {
  readonly gpu: GpuSpec;
  /** How sure: "exact" (a recorded total equals it), "memory" (name and size agree), "name" (no size to check). */
  readonly by: "exact" | "memory" | "name";
}

/** Reported memory fits the entry: equal to a recorded total, or 85%–106% of the marketed size. */
function memoryFit(d: DetectedDevice, g: GpuSpec): "exact" | "memory" | "name" | undefined {
  const m = d.memoryBytes;
  if (m === undefined) return "name";
  if ((g.reportedTotals ?? []).some((t) => Math.abs(t.bytes - m) < 2 ** 20)) return "exact";
  const r = m / g.memoryBytes;
  return r >= 0.85 && r <= 1.06 ? "memory" : undefined;
}

/**
 * The catalog entry a detected device is, or undefined (then it is described as an ad-hoc device).
 * CPU devices only match CPU rows and GPUs only GPU/unified rows.
 * @example matchDevice({ name: "NVIDIA GeForce RTX 4090", memoryBytes: 24564 * 2 ** 20, kind: "gpu", via: "nvidia-smi", count: 1 }, GPU_LIST)?.gpu.id // "RTX-4090"
 */
export function matchDevice(d: DetectedDevice, catalog: readonly GpuSpec[]): CatalogMatch | undefined {
  const name = words(d.name);
  const scored: { gpu: GpuSpec; by: CatalogMatch["by"]; keyLen: number; off: number; order: number }[] = [];
  catalog.forEach((g, order) => {
    if ((d.kind === "cpu") !== (g.kind === "cpu")) return;
    const keys = [g.id, g.name, ...g.aliases].map(words);
    const hit = keys.filter((k) => occurs(name, k));
    if (hit.length === 0) return;
    const by = memoryFit(d, g);
    if (!by) return;
    const keyLen = Math.max(...hit.map((k) => k.length));
    const off = d.memoryBytes === undefined ? 0 : Math.abs(d.memoryBytes / g.memoryBytes - 1);
    scored.push({ gpu: g, by, keyLen, off, order });
  });
  const rank = { exact: 0, memory: 1, name: 2 } as const;
  scored.sort((a, b) => rank[a.by] - rank[b.by] || b.keyLen - a.keyLen || a.off - b.off || a.order - b.order);
  const best = scored[0];
  return best ? { gpu: best.gpu, by: best.by } : undefined;
}
