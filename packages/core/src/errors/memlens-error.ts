/**
 * Stable error codes. Bad input (`invalid-*`, `unknown-*`, `missing-field`, `malformed-*`,
 * `unsupported-architecture`) → CLI exit 2; `unsupported` (valid input memlens cannot model) and
 * `internal` (a broken invariant: a bug in memlens) → exit 1.
 */
export type MemlensErrorCode =
  | "invalid-value"
  | "invalid-type"
  | "missing-field"
  | "unknown-model"
  | "unknown-gpu"
  | "unknown-dtype"
  | "unknown-engine"
  | "unsupported-architecture"
  | "malformed-config"
  | "malformed-file"
  | "unsupported"
  | "internal";

/**
 * The one exception core throws: for bad input, for input memlens cannot model (`unsupported`),
 * and for a broken invariant (`internal`, a bug). `field` names the offending input
 * (a scenario path like `hardware.gpu` or a CLI flag); `allowed` lists what would be accepted.
 */
export class MemlensError extends Error {
  readonly code: MemlensErrorCode;
  readonly field: string | undefined;
  readonly allowed: readonly string[] | undefined;
  constructor(code: MemlensErrorCode, message: string, field?: string, allowed?: readonly string[]) {
    super(message);
    this.name = "MemlensError";
    this.code = code;
    this.field = field;
    this.allowed = allowed;
  }
}

/** True for errors caused by the caller's input (CLI exit code 2). */
export const isInputError = (e: unknown): e is MemlensError =>
  e instanceof MemlensError && e.code !== "unsupported" && e.code !== "internal";

/** Formats a short "allowed" list: the first `max` values, then a count. */
export function describeAllowed(values: readonly string[], max = 12): string {
  if (values.length <= max) return values.join(", ");
  return `${values.slice(0, max).join(", ")}, … (${values.length - max} more)`;
}

/** Throws a MemlensError naming `field` unless `value` is a whole number in [min, max]. */
export function requireWholeNumber(
  value: unknown,
  field: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new MemlensError(
      "invalid-value",
      `${field} must be a whole number from ${min} to ${max}, got ${String(value)}`,
      field,
    );
}
