/**
 * End to end in headless Chromium: the model field takes a Hub id, the browser resolves it with
 * core's algorithm against the loopback Hub stand-in (CORS and ranges, as the Hub serves them),
 * the page shows the catalog model's exact parameter count, a shared link reopens it from
 * IndexedDB without asking the Hub again, and offline says so. Screenshots: /tmp/memlens-e2e-hub/.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { catalogModelSpec } from "@memlens/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubStandin, startHubStandin, textFile } from "../../cli/src/testing/hub-standin.js";
import { DIST } from "../e2e/kb.js";
import { siteUnderTest } from "../e2e/site.js";

const OUT = "/tmp/memlens-e2e-hub";
const SLOW = 120_000;
// meta-llama/Llama-3.1-8B's config.json from the shared fixtures (SOURCES.md there)
const CONFIG = readFileSync("/work/shared/fixtures/hf-configs/meta-llama/Llama-3.1-8B/config.json", "utf8");
const site = siteUnderTest(DIST);
let hub: HubStandin;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  hub = await startHubStandin({ "acme/Llama-3.1-8B-copy": { files: { "config.json": textFile(CONFIG) } } });
});
afterAll(() => hub?.close());

const facts = '[data-testid="model-facts"]';
const count = catalogModelSpec("meta-llama/Llama-3.1-8B").parameters.toLocaleString("en-US");

describe("planner: any Hub id in the model field", () => {
  it(
    "resolves in the browser, goes in the URL, reopens from IndexedDB, and says when offline",
    async () => {
      const o = await site.open("/planner");
      const { page, context } = o;
      await page.evaluate((e) => localStorage.setItem("memlens.hfEndpoint", e), hub.endpoint);
      await page.getByTestId("hub-model").fill("acme/Llama-3.1-8B-copy");
      await page.getByTestId("hub-load").click();
      await page.waitForFunction(
        ([sel, n]) => document.querySelector(sel!)?.textContent?.includes(n!),
        [facts, count],
      );
      expect(await page.evaluate(() => decodeURIComponent(location.hash))).toContain(
        "model=acme/Llama-3.1-8B-copy",
      );
      await page
        .locator(".planner-form > .picker")
        .first()
        .screenshot({ path: join(OUT, "hub-field.png") });
      await page.screenshot({ path: join(OUT, "planner-hub-model.png") });

      // a shared link in the same browser: answered from IndexedDB, the Hub is not asked again
      const asked = hub.log.length;
      const hash = await page.evaluate(() => location.hash);
      const second = await context.newPage();
      await second.goto(`${site.url}${hash}`);
      await second.waitForFunction(
        ([sel, n]) => document.querySelector(sel!)?.textContent?.includes(n!),
        [facts, count],
      );
      expect(hub.log.length).toBe(asked);

      // offline and not cached: a clear message, the default model shown meanwhile
      await context.setOffline(true);
      await second.getByTestId("hub-model").fill("acme/never-seen");
      await second.getByTestId("hub-load").click();
      const msg = second.getByText(/You are offline and acme\/never-seen is not cached in this browser/);
      await msg.waitFor();
      await second
        .locator(".planner-form > .picker")
        .first()
        .screenshot({ path: join(OUT, "hub-offline.png") });
      expect(o.errors.filter((e) => !e.includes("request failed"))).toEqual([]);
      await context.close();
    },
    SLOW,
  );
});
