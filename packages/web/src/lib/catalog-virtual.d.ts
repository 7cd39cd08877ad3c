/** The catalog chunk's loader (catalog-chunk.ts). */
declare module "virtual:memlens-catalog" {
  import type { CatalogModelAlias, CatalogModelRow } from "@memlens/core";
  export function loadCatalogModule(): Promise<{
    readonly MODEL_ROWS: readonly CatalogModelRow[];
    readonly MODEL_ALIASES: readonly CatalogModelAlias[];
  }>;
}
