/**
 * End to end in headless Chromium for the planner's Pareto chart and the context-window widget's
 * real token counts: the figures the page shows equal what @memlens/core and gpt-tokenizer compute
 * in Node for the same state, with no console error. Serves the built site (packages/web/dist) on
 * its own free localhost port (serveDist listens on port 0, so it never meets e2e.test.ts's).
 * Screenshots go to /tmp/memlens-e2e-planner/; the in-browser planDeployment times and the sizes
 * of what loads are written to /tmp/memlens-e2e-planner/measured.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as cl100k from "gpt-tokenizer/encoding/cl100k_base";
import * as o200k from "gpt-tokenizer/encoding/o200k_base";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeSerious, choose, DIST, settle, stat } from "../e2e/kb.js";
import { siteUnderTest } from "../e2e/site.js";
import { candidateLabel, paretoPlan } from "./compute/planner.js";
import { catalogChoice } from "./lib/models.js";

const SLOW = 120_000;
const OUT = "/tmp/memlens-e2e-planner";
const measured: Record<string, unknown> = {};

const site = siteUnderTest(DIST);

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
});

afterAll(() => {
  writeFileSync(
    join(OUT, "measured.json"),
    `${JSON.stringify(measured, null, 2)}
`,
  );
});

const plannerHash = (model: string, n: number, ctx: number, b: number) =>
  `/planner?model=${encodeURIComponent(model)}&gpu=H100-SXM-80GB&pl.n=${n}&pl.tp=${n}&pl.ctx=${ctx}&pl.b=${b}`;

async function paretoLabels(page: Page): Promise<string[]> {
  return page.locator('[data-testid="planner-pareto"] tbody td.cfg').allTextContents();
}

describe("planner: Pareto front from core's planDeployment", () => {
  it(
    "Llama-3.1-70B on 2 × H100 at 8,192 tokens × 32 sequences: ≥ 2 points, the front core computes",
    async () => {
      const model = catalogChoice("meta-llama/Llama-3.1-70B");
      const o = await site.open(plannerHash(model.key, 2, 8192, 32));
      const { page } = o;
      const chart = page.locator('[data-chart="planner-pareto"]');
      await chart.scrollIntoViewIfNeeded();
      await settle(page);
      const dots = await chart.locator("svg circle").count();
      expect(dots).toBeGreaterThanOrEqual(2);
      const node = paretoPlan(model, {
        gpuId: "H100-SXM-80GB",
        gpuCount: 2,
        contextLength: 8192,
        concurrency: 32,
      });
      if (!node.ok) throw new Error(node.message);
      expect(dots).toBe(node.value.front.length);
      expect(await paretoLabels(page)).toEqual(node.value.front.map(candidateLabel));
      expect((await stat(page, "planner-search-count")).value).toBe(node.value.candidatesEvaluated);
      measured.planDeploymentMs_2xH100 = (await stat(page, "planner-search-ms")).value;
      // each ranked change shows its memory saved, speed change and quality cost
      const changes = page.locator('[data-testid="planner-changes"] li');
      expect(await changes.count()).toBeGreaterThan(0);
      expect(await changes.first().locator('[data-testid="change-saved"]').textContent()).toMatch(
        /GiB|no memory change/,
      );
      expect(await changes.first().locator('[data-testid="change-speed"]').textContent()).toMatch(/decode/);
      expect(await changes.first().locator('[data-testid="change-quality"]').count()).toBe(1);
      await page.screenshot({ path: join(OUT, "planner-2xH100.png"), fullPage: true });
      await chart.screenshot({ path: join(OUT, "planner-pareto-2xH100.png") });
      expect(await axeSerious(page)).toEqual([]);
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );

  it(
    "on 8 × H100 the search still answers in the browser (time recorded), at phone width too",
    async () => {
      const model = catalogChoice("meta-llama/Llama-3.1-70B");
      const times: number[] = [];
      for (const width of [1280, 390]) {
        const o = await site.open(plannerHash(model.key, 8, 8192, 32), { width });
        const { page } = o;
        const chart = page.locator('[data-chart="planner-pareto"]');
        await chart.scrollIntoViewIfNeeded();
        await settle(page);
        expect(await chart.locator("svg circle").count()).toBeGreaterThanOrEqual(2);
        times.push((await stat(page, "planner-search-ms")).value);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `planner at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        await chart.screenshot({ path: join(OUT, `planner-pareto-8xH100-${width}.png`) });
        expect(o.errors).toEqual([]);
        await o.context.close();
      }
      measured.planDeploymentMs_8xH100 = times;
    },
    SLOW,
  );
});

describe("context window: the reader's text counted with gpt-tokenizer", () => {
  const SENTENCE = "Summarize our Kyoto plan in 3 bullets — and don't forget the 7:30 tea ceremony! 🍵";

  it(
    "o200k_base and cl100k_base counts equal gpt-tokenizer's in Node; the vocabulary loads on demand",
    async () => {
      const o = await site.open("/t/agent-memory");
      const { page } = o;
      const vocab: string[] = [];
      page.on("request", (r) => {
        if (r.url().endsWith(".tiktoken")) vocab.push(r.url());
      });
      const box = page.locator("#cw-text");
      await box.scrollIntoViewIfNeeded();
      await box.fill("");
      await box.pressSequentially(SENTENCE);
      const ready = page.locator('[data-testid="cw-tokenizer"][data-encoding="o200k_base"]');
      await ready.waitFor();
      expect((await stat(page, "cw-typed-tokens")).value).toBe(
        o200k.countTokens(SENTENCE, { disallowedSpecial: new Set() }),
      );
      expect((await stat(page, "cw-typed-words")).value).toBe(SENTENCE.split(" ").length);
      await page.locator("#w-context").screenshot({ path: join(OUT, "context-window-o200k.png") });
      await page.getByTestId("cw-typed").screenshot({ path: join(OUT, "context-typed-o200k.png") });
      await choose(page, "cw-tok", "cl100k_base");
      await page.locator('[data-testid="cw-tokenizer"][data-encoding="cl100k_base"]').waitFor();
      expect((await stat(page, "cw-typed-tokens")).value).toBe(
        cl100k.countTokens(SENTENCE, { disallowedSpecial: new Set() }),
      );
      expect(vocab.some((u) => u.includes("cl100k_base"))).toBe(true);
      expect(await axeSerious(page)).toEqual([]);
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );

  it(
    "the home page fetches neither the encoder nor a vocabulary; sizes of what loads are recorded",
    async () => {
      const o = await site.open("/");
      const urls: string[] = [];
      o.page.on("request", (r) => urls.push(r.url()));
      await o.page.reload();
      await o.page.locator("h1.page-title").waitFor();
      await settle(o.page);
      expect(urls.filter((u) => u.endsWith(".tiktoken") || /\/tokenizer-[^/]*\.js$/.test(u))).toEqual([]);
      const assets = join(DIST, "assets");
      const gz = (f: string) => gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
      measured.gzipBytes = Object.fromEntries(
        readdirSync(assets)
          .filter((f) => f.endsWith(".js") || f.endsWith(".tiktoken"))
          .map((f) => [f, gz(f)]),
      );
      expect(o.errors).toEqual([]);
      await o.context.close();
    },
    SLOW,
  );
});
