import { MemlensError } from "../errors/memlens-error.js";

/** A config.json object read field by field, each read validated and named in its error. */
export class ConfigReader {
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    /** Prefix for error field names, e.g. "config" or "config.text_config". */
    readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** A required positive integer. */
  int(key: string): number {
    const v = this.raw[key];
    if (v === undefined || v === null)
      throw new MemlensError("malformed-config", `${this.path}.${key} is missing`, `${this.path}.${key}`);
    return this.checkInt(key, v);
  }

  /** An optional non-negative integer; `fallback` when absent or null. */
  intOr<T>(key: string, fallback: T): number | T {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    return this.checkInt(key, v, true);
  }

  /** First present key among `keys` (configs spell the same thing several ways). */
  intAny(keys: readonly string[]): number {
    for (const k of keys) if (this.has(k)) return this.int(k);
    throw new MemlensError(
      "malformed-config",
      `${this.path} needs one of ${keys.join(", ")}`,
      `${this.path}.${keys[0] ?? ""}`,
    );
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean")
      throw new MemlensError(
        "malformed-config",
        `${this.path}.${key} must be true or false, got ${JSON.stringify(v)}`,
        `${this.path}.${key}`,
      );
    return v;
  }

  str(key: string): string | undefined {
    const v = this.raw[key];
    return typeof v === "string" ? v : undefined;
  }

  num(key: string): number | undefined {
    const v = this.raw[key];
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
  }

  strArray(key: string): string[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new MemlensError(
        "malformed-config",
        `${this.path}.${key} must be an array of strings`,
        `${this.path}.${key}`,
      );
    return v as string[];
  }

  intArray(key: string): number[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v))
      throw new MemlensError(
        "malformed-config",
        `${this.path}.${key} must be an array`,
        `${this.path}.${key}`,
      );
    return v.map((x, i) => this.checkInt(`${key}[${i}]`, x, true));
  }

  child(key: string): ConfigReader | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v))
      throw new MemlensError(
        "malformed-config",
        `${this.path}.${key} must be an object`,
        `${this.path}.${key}`,
      );
    return new ConfigReader(v as Record<string, unknown>, `${this.path}.${key}`);
  }

  private checkInt(key: string, v: unknown, allowZero = false): number {
    // Configs sometimes carry integers as floats (4096.0); accept those, reject the rest.
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || (!allowZero && v === 0) || v > 2 ** 40)
      throw new MemlensError(
        "malformed-config",
        `${this.path}.${key} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${JSON.stringify(v)}`,
        `${this.path}.${key}`,
      );
    return v;
  }
}

/**
 * JSON.parse that also takes the bare `Infinity`, `-Infinity` and `NaN` tokens Python's json.dump
 * writes (Nemotron-H configs carry `"time_step_limit": [0.0, Infinity]`). Outside strings they
 * become ±Infinity and null: the values the config means (no bound; not a number). Strict JSON is
 * parsed as is; any other syntax error is JSON.parse's.
 * @example parseConfigJson('{"time_step_limit": [0.0, Infinity]}') // { time_step_limit: [0, Infinity] }
 */
export function parseConfigJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (!/Infinity|NaN/.test(text)) throw e;
    return JSON.parse(rewritePythonTokens(text));
  }
}

function rewritePythonTokens(text: string): string {
  let out = "";
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i++;
      continue;
    }
    if (c === '"') inString = true;
    else if (text.startsWith("Infinity", i)) {
      // 1e999 parses to Infinity (a leading "-" stays in front of it).
      out += "1e999";
      i += 8;
      continue;
    } else if (text.startsWith("NaN", i)) {
      out += "null";
      i += 3;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
