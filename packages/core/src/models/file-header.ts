/**
 * What the model-file header parsers (GGUF, safetensors) share: each reads the first bytes of a
 * file and either returns the header or says how many bytes it needs, so a caller can read a
 * remote or local file a piece at a time.
 */

/** The header, or how many bytes from the start of the file the parser needs to go on. */
export type HeaderParseResult<H> =
  | { readonly kind: "header"; readonly header: H }
  | { readonly kind: "truncated"; readonly bytesNeeded: number };

/** Limits every header parser takes (each format adds its own and documents its defaults). */
export interface HeaderLimits {
  /** Largest header the parser will ask for. */
  readonly maxHeaderBytes?: number;
  /** File size when known: tensor data must end inside the file. */
  readonly fileBytes?: number;
}
