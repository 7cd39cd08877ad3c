/**
 * The serving-capacity page in headless Chromium: it loads with no console error at 1280 and
 * 390 px, the simulator runs in a real Web Worker (a separate chunk, not in the entry bundle), the
 * run completes every configured request, the KV block count equals core's vLLM estimate computed
 * here in Node, and the capacity sweep reports progress and one point per rate. Screenshots go to
 * /tmp/memlens-serving-*.png. Serves the built site (packages/web/dist, or MEMLENS_WEB_DIST) on its
 * own free port.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { estimate } from "@memlens/core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeSerious, DIST as BUILT, settle, stat } from "../e2e/kb.js";
import { siteUnderTest } from "../e2e/site.js";
import { SWEEP_FACTORS } from "./compute/serving.js";

const SLOW = 120_000;
/** The built site; MEMLENS_WEB_DIST points at another build (a private `vite build --outDir`). */
const DIST = process.env.MEMLENS_WEB_DIST ?? BUILT;
const MODEL = "meta-llama/Llama-3.1-8B";
const GPU = "RTX-4090";

const site = siteUnderTest(DIST);

/** Waits for the one-run simulation to finish (the status carries the state). */
async function runDone(page: Page): Promise<void> {
  await page
    .locator('[data-testid="sv-status"][data-state="done"]')
    .waitFor({ state: "attached", timeout: 60_000 });
  await settle(page);
}

describe("serving page: bundle", () => {
  it("the simulator worker is its own chunk, outside the entry bundle", () => {
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    const entry = /assets\/(index-[\w-]+\.js)/.exec(html)?.[1];
    expect(entry).toBeDefined();
    const assets = readdirSync(join(DIST, "assets"));
    const worker = assets.find((f) => /^sim-worker-[\w-]+\.js$/.test(f));
    expect(worker).toBeDefined();
    const entryText = readFileSync(join(DIST, "assets", entry!), "utf8");
    // A message only simulateServing has: the simulator is not in the entry chunk.
    expect(entryText).not.toContain("needs numGpuBlocks or memoryBytes");
    expect(readFileSync(join(DIST, "assets", worker!), "utf8")).toContain(
      "needs numGpuBlocks or memoryBytes",
    );
    const gz = (f: string) => gzipSync(readFileSync(join(DIST, "assets", f)), { level: 9 }).length;
    console.log(
      `entry ${entry}: ${(gz(entry!) / 1024).toFixed(1)} KB gz; worker: ${(gz(worker!) / 1024).toFixed(1)} KB gz`,
    );
  });
});

describe("serving page in Chromium", () => {
  it(
    "loads at 1280 and 390 px with no console errors, no sideways scroll; screenshots",
    async () => {
      for (const width of [1280, 390]) {
        const o = await site.open(`/serving?model=${encodeURIComponent(MODEL)}&gpu=${GPU}`, {
          width,
        });
        await runDone(o.page);
        const overflow = await o.page.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        expect(overflow, `serving at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        await o.page.screenshot({ path: `/tmp/memlens-serving-${width}.png`, fullPage: true });
        if (width === 1280) expect(await axeSerious(o.page)).toEqual([]);
        expect(o.errors).toEqual([]);
        await o.context.close();
      }
    },
    SLOW,
  );

  it(
    "runs in a Web Worker: every configured request completes, on core's vLLM KV pool",
    async () => {
      const o = await site.open(
        `/serving?model=${encodeURIComponent(MODEL)}&gpu=${GPU}&sv.n=500&sv.seqs=128&sv.kv=fp8&sv.len=4096`,
      );
      const { page } = o;
      await runDone(page);
      expect(page.workers().length).toBeGreaterThanOrEqual(1);
      expect(await page.getByTestId("sv-status").getAttribute("data-mode")).toBe("worker");
      expect((await stat(page, "sv-completed")).value).toBe(500);

      const core = estimate({
        model: { id: MODEL },
        engine: "vllm",
        kvCache: "fp8",
        contextLength: 4096,
        batch: 128,
        hardware: { gpu: GPU, count: 1 },
        parallel: { tensor: 1, pipeline: 1 },
        engineOptions: { blockSize: 16, enablePrefixCaching: true },
      });
      expect((await stat(page, "sv-kv-blocks")).value).toBe(core.engine.numGpuBlocks);
      const elapsed = (await stat(page, "sv-elapsed")).value;
      console.log(`worker: 500 requests in ${elapsed.toFixed(0)} ms`);

      // Changing a control re-runs (the older run is stale); 2,000 requests for the timing.
      await page.locator("#sv-n").selectOption("2000");
      await page.locator('[data-testid="sv-completed"][data-value="2000"]').waitFor({ timeout: 60_000 });
      await runDone(page);
      console.log(`worker: 2000 requests in ${(await stat(page, "sv-elapsed")).value.toFixed(0)} ms`);
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );

  it(
    "the capacity sweep reports progress and one point per arrival rate",
    async () => {
      const o = await site.open(`/serving?model=${encodeURIComponent(MODEL)}&gpu=${GPU}&sv.n=250&sv.rate=2`);
      const { page } = o;
      await runDone(page);
      await page.getByTestId("sv-sweep-run").click();
      await page
        .locator('[data-testid="sv-sweep-status"][data-state="done"]')
        .waitFor({ state: "attached", timeout: 90_000 });
      await settle(page);
      const dots = await page.locator("[data-chart=sv-capacity-ttft] svg circle").count();
      expect(dots).toBe(2 * SWEEP_FACTORS.length); // p50 and p99 per rate
      expect(await page.locator("[data-chart=sv-capacity-throughput]").count()).toBe(1);
      console.log(
        `sweep: ${SWEEP_FACTORS.length} × 250 requests in ${(await stat(page, "sv-sweep-elapsed")).value.toFixed(0)} ms`,
      );
      await page.screenshot({ path: "/tmp/memlens-serving-sweep-1280.png", fullPage: true });
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );

  it(
    "a server that cannot start says why instead of simulating",
    async () => {
      const o = await site.open(
        `/serving?model=${encodeURIComponent("meta-llama/Llama-3.1-70B")}&gpu=${GPU}`,
      );
      await o.page.getByTestId("sv-error").waitFor();
      expect(await o.page.getByTestId("sv-status").count()).toBe(0);
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );
});
