/**
 * URL parameters are untrusted input: each is validated here, at the boundary, and an invalid
 * value falls back to the default (a hand-edited URL never breaks a page).
 */

/** A whole number in [min, max]; otherwise `fallback`. */
export function parseIntParam(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || !/^-?\d+$/.test(raw)) return fallback;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : fallback;
}

/** One of `allowed`; otherwise `fallback`. */
export function parseEnumParam<T extends string>(raw: string | null, fallback: T, allowed: readonly T[]): T {
  return raw !== null && (allowed as readonly string[]).includes(raw) ? (raw as T) : fallback;
}

/** "1"/"0"; otherwise `fallback`. */
export function parseBoolParam(raw: string | null, fallback: boolean): boolean {
  if (raw === "1") return true;
  if (raw === "0") return false;
  return fallback;
}

/** Parameters kept when moving between pages: the model, the GPU and the byte unit. */
export const GLOBAL_PARAMS = ["model", "gpu", "u"] as const;

/** The parameters to carry to another page: only the global ones. */
export function carriedParams(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of GLOBAL_PARAMS) {
    const v = params.get(k);
    if (v !== null) out.set(k, v);
  }
  return out;
}

/** A copy of `params` with `key` set, or removed when `value` is null or equals the default. */
export function withParam(
  params: URLSearchParams,
  key: string,
  value: string | null,
  defaultValue?: string,
): URLSearchParams {
  const out = new URLSearchParams(params);
  if (value === null || value === defaultValue) out.delete(key);
  else out.set(key, value);
  return out;
}
