import { describe, expect, it } from "vitest";
import { carriedParams, parseBoolParam, parseEnumParam, parseIntParam, withParam } from "./params.js";

describe("URL parameters are validated at the boundary", () => {
  it("integers: in range or the fallback", () => {
    expect(parseIntParam("8192", 1, 1, 1 << 20)).toBe(8192);
    expect(parseIntParam(null, 7, 1, 10)).toBe(7);
    expect(parseIntParam("0", 7, 1, 10)).toBe(7);
    expect(parseIntParam("12", 7, 1, 10)).toBe(7);
    expect(parseIntParam("3.5", 7, 1, 10)).toBe(7);
    expect(parseIntParam("1e3", 7, 1, 10_000)).toBe(7);
    expect(parseIntParam("99999999999999999999", 7, 1, 10)).toBe(7);
  });

  it("enums and booleans", () => {
    expect(parseEnumParam("fp8", "bf16", ["bf16", "fp8"] as const)).toBe("fp8");
    expect(parseEnumParam("fp4", "bf16", ["bf16", "fp8"] as const)).toBe("bf16");
    expect(parseBoolParam("1", false)).toBe(true);
    expect(parseBoolParam("yes", false)).toBe(false);
  });

  it("defaults are not written to the URL; only global parameters travel between pages", () => {
    const p = withParam(new URLSearchParams("a=1"), "kv.ctx", "8192", "8192");
    expect(p.has("kv.ctx")).toBe(false);
    const q = carriedParams(new URLSearchParams("model=x&gpu=H100&u=gb&kv.ctx=5"));
    expect(q.toString()).toBe("model=x&gpu=H100&u=gb");
  });
});
