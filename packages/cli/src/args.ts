import { type ParseArgsConfig, parseArgs } from "node:util";
import { MemlensError } from "@memlens/core";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs with errors turned into one-line MemlensErrors naming the flag. */
export function parseFlags<O extends Options>(
  argv: readonly string[],
  options: O,
  allowPositionals = false,
): { values: { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string }; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
    return r as unknown as {
      values: { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };
      positionals: string[];
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const flag = /'(-{1,2}[\w-]+)/.exec(msg)?.[1] ?? "arguments";
    const allowed = Object.keys(options).map((k) => `--${k}`);
    // Commands that take positionals get node's hint about "--"; the allowed list says more.
    const first = (msg.split("\n")[0] ?? msg)
      .replace(/\. To specify a positional argument.*$/, "")
      .replace(/\.$/, "");
    throw new MemlensError(
      "invalid-value",
      `${flag}: ${first}; allowed flags: ${allowed.join(", ")}`,
      flag,
      allowed,
    );
  }
}

/** A flag that must be a whole number in [min, max]. */
export function intFlag(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()))
    throw new MemlensError(
      "invalid-value",
      `${flag} must be a whole number from ${min} to ${max}, got "${v}"`,
      flag,
    );
  const n = Number(v);
  if (n < min || n > max)
    throw new MemlensError("invalid-value", `${flag} must be from ${min} to ${max}, got ${n}`, flag);
  return n;
}

/** A flag that must be a finite number in [min, max] (exclusive of min when `minExclusive`). */
export function numberFlag(
  v: string | undefined,
  flag: string,
  min: number,
  max: number,
  minExclusive = false,
): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === "" ? Number.NaN : Number(v);
  const low = minExclusive ? n > min : n >= min;
  if (!Number.isFinite(n) || !low || n > max)
    throw new MemlensError(
      "invalid-value",
      `${flag} must be a number ${minExclusive ? "above" : "from"} ${min}${minExclusive ? " up to" : " to"} ${max}, got "${v}"`,
      flag,
    );
  return n;
}
