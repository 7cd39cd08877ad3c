import { describeAllowed, MemlensError } from "../errors/memlens-error.js";
import type { GpuSpec } from "./gpu-types.js";
import { GPUS } from "./gpus.js";

const norm = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-")
    .replace(/^nvidia-|^amd-|^apple-/, "");

const index = new Map<string, GpuSpec>();
for (const g of GPUS as readonly GpuSpec[]) {
  index.set(norm(g.id), g);
  for (const a of g.aliases) if (!index.has(norm(a))) index.set(norm(a), g);
}

/** All catalog GPUs. */
export const GPU_LIST: readonly GpuSpec[] = GPUS;

/**
 * Finds a GPU by catalog id or alias, case-insensitively ("h100", "RTX 4090", "M3-Max").
 * @example findGpu("RTX-4090").memoryBytes // 25769803776
 */
export function findGpu(id: string, field = "hardware.gpu"): GpuSpec {
  const g = index.get(norm(id));
  if (g) return g;
  throw new MemlensError(
    "unknown-gpu",
    `${field} "${id}" is not in the catalog; allowed: ${describeAllowed(
      GPU_LIST.map((x) => x.id),
      40,
    )}`,
    field,
    GPU_LIST.map((x) => x.id),
  );
}
