import { describe, expect, it } from "vitest";
import { TOPIC_SLUGS } from "../content/topic-slugs.js";
import { buildHash, parseHash } from "./route.js";

describe("hash routes", () => {
  it.each([
    ["", { kind: "home" }],
    ["#/", { kind: "home" }],
    ["#/planner", { kind: "planner" }],
    ["#/serving", { kind: "serving" }],
    ["#/t/kv-cache", { kind: "topic", slug: "kv-cache" }],
    ["#/t/nope", { kind: "not-found", path: "/t/nope" }],
    ["#main", { kind: "not-found", path: "main" }],
  ])("%s", (hash, route) => {
    expect(parseHash(hash).route).toEqual(route);
  });

  it("keeps parameters and writes them in a stable order", () => {
    const l = parseHash("#/t/weights?w.f=Q4_K_M&model=Qwen%2FQwen3-8B");
    expect(l.params.get("model")).toBe("Qwen/Qwen3-8B");
    expect(buildHash(l.route, l.params)).toBe("#/t/weights?model=Qwen%2FQwen3-8B&w.f=Q4_K_M");
  });

  it("round-trips every topic", () => {
    for (const slug of TOPIC_SLUGS) {
      const h = buildHash({ kind: "topic", slug });
      expect(parseHash(h).route).toEqual({ kind: "topic", slug });
    }
  });
});
