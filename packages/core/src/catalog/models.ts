import { MemlensError } from "../errors/memlens-error.js";
import { modelSpecFromHfConfig } from "../models/from-hf-config.js";
import type { ModelSpec } from "../models/model-spec.js";
import type { CatalogModelAlias, CatalogModelRow } from "./model-catalog-types.js";
import { MODEL_ALIASES, MODEL_ROWS } from "./models.generated.js";

export type { CatalogModelAlias, CatalogModelRow };
export { MODEL_ALIASES, MODEL_ROWS };

/**
 * Lookup tables over the rows, built on first use and rebuilt if the arrays grow: the web site
 * loads the catalog data in a chunk of its own after the page starts (packages/web/catalog-chunk.ts
 * fills these same arrays), so nothing here may read them at module load.
 */
let index:
  | {
      readonly size: number;
      readonly byLowerId: Map<string, CatalogModelRow>;
      readonly aliasByLowerId: Map<string, CatalogModelAlias>;
      /** Every id the catalog answers to: its models, then its aliases. */
      readonly knownIds: readonly string[];
    }
  | undefined;
function catalogIndex(): NonNullable<typeof index> {
  const size = MODEL_ROWS.length + MODEL_ALIASES.length;
  if (index?.size !== size)
    index = {
      size,
      byLowerId: new Map(MODEL_ROWS.map((r) => [r.id.toLowerCase(), r])),
      aliasByLowerId: new Map(MODEL_ALIASES.map((a) => [a.id.toLowerCase(), a])),
      knownIds: [...MODEL_ROWS.map((r) => r.id), ...MODEL_ALIASES.map((a) => a.id)],
    };
  return index;
}
const specCache = new Map<string, ModelSpec>();

/** Finds a catalog model by Hugging Face id (case-insensitive; the org may be left out). */
export function findModelRow(id: string): CatalogModelRow | undefined {
  const k = id.trim().toLowerCase();
  const exact = catalogIndex().byLowerId.get(k);
  if (exact) return exact;
  const byName = MODEL_ROWS.filter((r) => r.id.toLowerCase().endsWith(`/${k}`));
  return byName.length === 1 ? byName[0] : undefined;
}

/**
 * Finds an alias (an instruct/chat id with a catalog model's shapes) by id, case-insensitively;
 * the org may be left out where the name is unique.
 * @example findModelAlias("meta-llama/llama-3.1-8b-instruct")?.base // "meta-llama/Llama-3.1-8B"
 */
export function findModelAlias(id: string): CatalogModelAlias | undefined {
  const k = id.trim().toLowerCase();
  const exact = catalogIndex().aliasByLowerId.get(k);
  if (exact) return exact;
  const byName = MODEL_ALIASES.filter((a) => a.id.toLowerCase().endsWith(`/${k}`));
  return byName.length === 1 ? byName[0] : undefined;
}

/**
 * The ModelSpec of a catalog model, built from its embedded config.json (memoised).
 * @example catalogModelSpec("meta-llama/Llama-3.1-8B").numLayers // 32
 */
export function catalogModelSpec(id: string, field = "model.id"): ModelSpec {
  const alias = findModelRow(id) ? undefined : findModelAlias(id);
  const row = alias ? findModelRow(alias.base) : findModelRow(id);
  if (!row) {
    const near = suggestModels(id);
    throw new MemlensError(
      "unknown-model",
      `${field} "${id}" is not in the catalog${near.length ? `; did you mean ${near.join(", ")}?` : ""} (run \`memlens models\` for all ${MODEL_ROWS.length})`,
      field,
      catalogIndex().knownIds,
    );
  }
  // An alias is its base model's config.json under the alias's own id (the JSON `model.name`).
  const name = alias?.id ?? row.id;
  let spec = specCache.get(name);
  if (!spec) {
    spec = modelSpecFromHfConfig(row.config, name, { hfQuantConfig: row.hfQuantConfig });
    specCache.set(name, spec);
  }
  return spec;
}

/** Up to five catalog ids (models or aliases) sharing the most characters in order with `id`. */
export function suggestModels(id: string): string[] {
  const words = id
    .toLowerCase()
    .split(/[^a-z0-9.]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return [];
  return catalogIndex()
    .knownIds.map((known) => ({
      id: known,
      score: words.filter((w) => known.toLowerCase().includes(w)).length,
    }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
    .map((x) => x.id);
}
