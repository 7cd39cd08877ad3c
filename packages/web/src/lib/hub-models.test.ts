/**
 * The web app's Hub resolver (core's algorithm over the browser fetch transport) against the
 * loopback Hub stand-in: a Hub id gives the catalog model's exact count, answers are kept in the
 * store so a second resolution needs no server, errors are core's one-line messages.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catalogModelSpec, HubError } from "@memlens/core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HubStandin, startHubStandin, textFile } from "../../../cli/src/testing/hub-standin.js";
import { BrowserHubSource, cachedSource, memoryStore, resolveTypedModel } from "./hub-models.js";
import { hubChoice } from "./models.js";

// meta-llama/Llama-3.1-8B's config.json from the shared fixtures (SOURCES.md there)
const CONFIG = readFileSync(
  join("/work/shared/fixtures/hf-configs", "meta-llama/Llama-3.1-8B/config.json"),
  "utf8",
);

let hub: HubStandin;
beforeAll(async () => {
  hub = await startHubStandin({
    "acme/llama-8b-copy": { files: { "config.json": textFile(CONFIG) } },
    "gated/llama": { gatedToken: "t", files: { "config.json": textFile(CONFIG) } },
  });
});
afterAll(() => hub?.close());

describe("resolveTypedModel in the browser transport", () => {
  test("a Hub id resolves to the same parameters as the catalog; the store answers the second time", async () => {
    const store = memoryStore();
    const src = () => cachedSource(new BrowserHubSource(hub.endpoint), store, hub.endpoint);
    const r = await resolveTypedModel("acme/llama-8b-copy", src());
    expect(r.kind).toBe("hub");
    if (r.kind !== "hub") return;
    expect(r.resolved.spec.parameters).toBe(catalogModelSpec("meta-llama/Llama-3.1-8B").parameters);
    const choice = hubChoice("acme/llama-8b-copy", r);
    expect(choice).toMatchObject({
      key: "acme/llama-8b-copy",
      origin: "hub",
      label: "acme/llama-8b-copy (Hub: config.json)",
    });
    const served = hub.log.length;
    const again = await resolveTypedModel("acme/llama-8b-copy", src());
    expect(hub.log.length).toBe(served);
    expect(again.kind === "hub" && again.resolved.spec.parameters).toBe(8_030_261_248);
  });

  test("an ollama tag names its catalog model and quant without the network", async () => {
    const r = await resolveTypedModel("llama3.1:8b", new BrowserHubSource("http://127.0.0.1:9"));
    expect(r).toEqual({ kind: "catalog", id: "meta-llama/Llama-3.1-8B-Instruct", weights: "Q4_K_M" });
  });

  test("gated, missing and unreachable end in one-line HubErrors", async () => {
    const src = new BrowserHubSource(hub.endpoint);
    await expect(resolveTypedModel("gated/llama", src)).rejects.toThrow(
      `model.id: gated/llama is gated: accept its licence at ${hub.endpoint}/gated/llama; the browser sends no token, so use the CLI with HF_TOKEN`,
    );
    await expect(resolveTypedModel("nobody/llama-3.1-8b", src)).rejects.toThrow(
      /is not on the Hub .*nearest known ids: /,
    );
    const down = new BrowserHubSource("http://127.0.0.1:9");
    const e = await resolveTypedModel("acme/x", down).catch((x: unknown) => x);
    expect(e instanceof HubError && e.reason).toBe("offline");
  });
});
