import { describe, expect, it } from "vitest";
import {
  countTokensChecked,
  type TokenCounter,
  truncateToTokens,
  wordTokenCounter,
} from "./token-counter.js";

describe("wordTokenCounter", () => {
  it.each([
    ["", 0],
    ["   ", 0],
    ["one", 1],
    ["  two  words ", 2],
    ["line\nbreaks\tand tabs", 4],
  ])("%j has %i words", (text, n) => {
    expect(wordTokenCounter.count(text)).toBe(n);
  });
});

describe("countTokensChecked", () => {
  it.each([[-1], [1.5], [Number.NaN]])("rejects a counter answering %s", (n) => {
    const bad: TokenCounter = { name: "bad", count: () => n };
    expect(() => countTokensChecked(bad, "x")).toThrow(/counter "bad" returned/);
  });
});

describe("truncateToTokens", () => {
  const chars: TokenCounter = { name: "chars", count: (t) => Array.from(t).length };
  it("returns text that fits unchanged", () => {
    expect(truncateToTokens("short text", 100, wordTokenCounter)).toBe("short text");
  });
  it("cuts at a word boundary", () => {
    expect(truncateToTokens("alpha beta gamma delta", 2, wordTokenCounter)).toBe("alpha beta");
    expect(truncateToTokens("alpha beta gamma", 13, chars)).toBe("alpha beta");
  });
  it("cuts inside a word when no boundary exists", () => {
    expect(truncateToTokens("abcdefgh", 3, chars)).toBe("abc");
  });
  it("returns empty text for a zero budget", () => {
    expect(truncateToTokens("alpha", 0, chars)).toBe("");
  });
});
