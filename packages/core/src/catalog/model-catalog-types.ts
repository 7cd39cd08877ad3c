/** One embedded model: its real config.json and where that file was copied from. */
export interface CatalogModelRow {
  /** Hugging Face id, e.g. "meta-llama/Llama-3.1-8B". */
  readonly id: string;
  /** Repository, path and commit the config.json was read from. */
  readonly source: string;
  /** "full", "partial", "modified" or "suspect": how complete the vendored copy is. */
  readonly fullness: string;
  /** The parameter count the model's publisher states, with its source. */
  readonly publishedParameters?: {
    readonly value: number;
    readonly source: string;
    readonly precision: string;
    readonly activeValue?: number;
    /** An exact count from a second source (e.g. a port's metadata) where the publisher rounds. */
    readonly secondary?: { readonly value: number; readonly source: string };
  };
  readonly config: Readonly<Record<string, unknown>>;
}
