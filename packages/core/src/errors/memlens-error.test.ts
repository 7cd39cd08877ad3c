import { describe, expect, it } from "vitest";
import { isInputError, MemlensError } from "./memlens-error.js";

describe("isInputError", () => {
  it("counts bad input (CLI exit 2), not unsupported models or internal bugs (exit 1)", () => {
    expect(isInputError(new MemlensError("unknown-dtype", "x"))).toBe(true);
    expect(isInputError(new MemlensError("malformed-config", "x"))).toBe(true);
    expect(isInputError(new MemlensError("unsupported", "x"))).toBe(false);
    expect(isInputError(new MemlensError("internal", "x"))).toBe(false);
    expect(isInputError(new Error("x"))).toBe(false);
  });
});
