import { MemlensError } from "../errors/memlens-error.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import type { ModelSpec } from "../models/model-spec.js";
import type { CatalogModelRow } from "./model-catalog-types.js";
import { MODEL_ROWS } from "./models.generated.js";

export type { CatalogModelRow };
export { MODEL_ROWS };

const byLowerId = new Map(MODEL_ROWS.map((r) => [r.id.toLowerCase(), r]));
const specCache = new Map<string, ModelSpec>();

/** Finds a catalog model by Hugging Face id (case-insensitive; the org may be left out). */
export function findModelRow(id: string): CatalogModelRow | undefined {
  const k = id.trim().toLowerCase();
  const exact = byLowerId.get(k);
  if (exact) return exact;
  const byName = MODEL_ROWS.filter((r) => r.id.toLowerCase().endsWith(`/${k}`));
  return byName.length === 1 ? byName[0] : undefined;
}

/**
 * The ModelSpec of a catalog model, built from its embedded config.json (memoised).
 * @example catalogModelSpec("meta-llama/Llama-3.1-8B").numLayers // 32
 */
export function catalogModelSpec(id: string, field = "model.id"): ModelSpec {
  const row = findModelRow(id);
  if (!row) {
    const near = suggestModels(id);
    throw new MemlensError(
      "unknown-model",
      `${field} "${id}" is not in the catalog${near.length ? `; did you mean ${near.join(", ")}?` : ""} (run \`memlens models\` for all ${MODEL_ROWS.length})`,
      field,
      MODEL_ROWS.map((r) => r.id),
    );
  }
  let spec = specCache.get(row.id);
  if (!spec) {
    spec = modelSpecFromHfConfig(row.config, row.id);
    specCache.set(row.id, spec);
  }
  return spec;
}

/** Up to five catalog ids sharing the most characters in order with `id`. */
export function suggestModels(id: string): string[] {
  const words = id
    .toLowerCase()
    .split(/[^a-z0-9.]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return [];
  return MODEL_ROWS.map((r) => ({
    id: r.id,
    score: words.filter((w) => r.id.toLowerCase().includes(w)).length,
  }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
    .map((x) => x.id);
}
