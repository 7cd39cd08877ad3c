/**
 * What core's catalog module imports as `./models.generated.js` in the site build (see
 * catalog-chunk.ts): the same two arrays, empty until `loadCatalog()` fills them from the catalog
 * chunk. Core's lookups index the arrays on first use, so every caller must await `loadCatalog()`
 * first (main.tsx before the first render, the simulator worker before each job).
 */

import { loadCatalogModule } from "virtual:memlens-catalog";
import type { CatalogModelAlias, CatalogModelRow } from "@memlens/core";

export const MODEL_ROWS: CatalogModelRow[] = [];
export const MODEL_ALIASES: CatalogModelAlias[] = [];

let loading: Promise<void> | undefined;

/** Loads the catalog chunk once; later calls return the same promise. */
export function loadCatalog(): Promise<void> {
  loading ??= loadCatalogModule().then((m) => {
    MODEL_ROWS.push(...m.MODEL_ROWS);
    MODEL_ALIASES.push(...m.MODEL_ALIASES);
  });
  return loading;
}
