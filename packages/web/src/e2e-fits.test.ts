/**
 * The "What runs on my GPU" page in headless Chromium: the sweep runs in the Web Worker with
 * progress, its table holds core's whatFits answer (computed here in Node for the same request),
 * columns sort, a row opens the planner with that scenario, and the page loads at 1280 and 390 px
 * with no console error and no sideways scroll. Screenshots go to /tmp/memlens-fits-*.png.
 */
import { whatFits } from "@memlens/core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { DIST as BUILT, settle } from "../e2e/kb.js";
import { siteUnderTest } from "../e2e/site.js";
import { matchAdapter } from "./compute/fits.js";

const SLOW = 180_000;
const DIST = process.env.MEMLENS_WEB_DIST ?? BUILT;
const site = siteUnderTest(DIST);
const HASH = "/fits?gpu=RTX-4090&f.fam=Llama-3.2";

async function sweepDone(page: Page): Promise<void> {
  await page.getByTestId("fits-table").waitFor({ timeout: 150_000 });
  await settle(page);
}

describe("matchAdapter", () => {
  it("names a catalog GPU from a WebGPU description, and none from a bare vendor", () => {
    const base = { vendor: "nvidia", architecture: "", device: "" };
    expect(matchAdapter({ ...base, description: "NVIDIA GeForce RTX 4090" })?.id).toBe("RTX-4090");
    expect(matchAdapter({ ...base, description: "NVIDIA GeForce RTX 4060 Ti 16GB" })?.id).toBe(
      "RTX-4060-Ti-16GB",
    );
    expect(matchAdapter({ ...base, architecture: "ada", description: "" })).toBeNull();
  });
});

describe("What runs on my GPU, in Chromium", () => {
  it(
    "sweeps in a worker: the table is core's answer, sorts, and opens the planner",
    async () => {
      const o = await site.open(HASH);
      const { page } = o;
      await sweepDone(page);
      expect(page.workers().length).toBeGreaterThanOrEqual(1);
      const core = whatFits({ gpu: "RTX-4090", family: "Llama-3.2" });
      const rows = page.locator('[data-testid="fits-table"] tbody tr');
      expect(await rows.count()).toBe(core.entries.length);
      const first = core.entries[0]!;
      const firstRow = rows.first();
      expect(await firstRow.locator("td").nth(1).textContent()).toContain(
        first.model.slice(first.model.indexOf("/") + 1),
      );
      expect(await firstRow.locator("td").nth(2).textContent()).toBe(first.weights);
      // Sorting by decode puts the fastest entry first.
      await page.getByTestId("fits-sort-decode").click();
      const fastest = [...core.entries].sort((a, b) => b.decodeTokensPerSecond - a.decodeTokensPerSecond)[0]!;
      expect(await rows.first().locator("td").nth(2).textContent()).toBe(fastest.weights);
      // A row opens the planner with its scenario.
      await page.getByTestId("fits-sort-rank").click();
      await rows.first().getByTestId("fits-open").click();
      await page.waitForFunction(() => location.hash.startsWith("#/planner"));
      const hash = await page.evaluate(() => location.hash);
      expect(hash).toContain(`model=${encodeURIComponent(first.model)}`);
      expect(hash).toContain(`pl.w=${first.weights}`);
      expect(hash).toContain("pl.e=llama.cpp");
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );

  it(
    "loads at 1280 and 390 px with no console errors and no sideways scroll; screenshots",
    async () => {
      for (const width of [1280, 390]) {
        const o = await site.open(HASH, { width });
        await sweepDone(o.page);
        const overflow = await o.page.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        expect(overflow, `fits at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        await o.page.screenshot({ path: `/tmp/memlens-fits-${width}.png`, fullPage: true });
        expect(o.errors).toEqual([]);
        await o.context.close();
      }
    },
    SLOW,
  );
});
