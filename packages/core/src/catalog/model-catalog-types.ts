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
  /** ModelOpt's hf_quant_config.json of the checkpoint, where it has one (NVFP4 / FP8 releases). */
  readonly hfQuantConfig?: Readonly<Record<string, unknown>>;
}

/** An instruct/chat id whose config.json has a catalog model's shapes (data/hf-configs/ALIASES.md). */
export interface CatalogModelAlias {
  /** The id users type, e.g. "meta-llama/Llama-3.1-8B-Instruct". */
  readonly id: string;
  /** The catalog model it resolves to, e.g. "meta-llama/Llama-3.1-8B". */
  readonly base: string;
  /** Repository, path and commit of the alias's own config.json that was compared with the base's. */
  readonly source: string;
  /** The keys that differ from the base's config.json (none changes a shape, dtype or context). */
  readonly differs: string;
}
