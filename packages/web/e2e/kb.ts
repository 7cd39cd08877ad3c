/** Helpers for driving the knowledge base in Chromium: navigation, controls, figures, checks. */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import axe from "axe-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { TOPIC_SLUGS } from "../src/content/topic-slugs.js";

export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(WEB_ROOT, "dist");
export const SCREENSHOTS = join(WEB_ROOT, "screenshots");

export interface Opened {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far. */
  readonly errors: string[];
}

export async function openPage(
  browser: Browser,
  base: string,
  hash: string,
  o: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width: o.width ?? 1280, height: o.height ?? 900 },
    colorScheme: o.colorScheme ?? "light",
    reducedMotion: "reduce",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(`${base}#${hash}`);
  await page.locator("h1.page-title").waitFor();
  await settle(page);
  return { page, context, errors };
}

/** Waits until every chart on the page has rendered at least once. */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLElement>("[data-chart-host]")].every(
      (el) => el.dataset.version !== undefined,
    ),
  );
}

/** The raw value (data-value) and the text of a figure. */
export async function stat(page: Page, testid: string): Promise<{ value: number; text: string }> {
  const el = page.locator(`[data-testid="${testid}"]`).first();
  const raw = await el.getAttribute("data-value");
  return { value: Number(raw), text: (await el.textContent()) ?? "" };
}

/** Current URL parameters of the page (the widget state). */
export async function params(page: Page): Promise<URLSearchParams> {
  const hash = await page.evaluate(() => location.hash);
  const q = hash.indexOf("?");
  return new URLSearchParams(q === -1 ? "" : hash.slice(q + 1));
}

/** Moves a range input to a position, as a user would (input events fire). */
export async function setRange(page: Page, id: string, position: number): Promise<void> {
  await page.locator(`#${id}`).fill(String(position));
  await settle(page);
}

export async function choose(page: Page, id: string, value: string): Promise<void> {
  await page.locator(`#${id}`).selectOption(value);
  await settle(page);
}

/** Clicks the radio of a segmented control by its group name and value. */
export async function pick(page: Page, name: string, value: string): Promise<void> {
  await page.locator(`input[name="${name}"][value="${value}"]`).check({ force: true });
  await settle(page);
}

/** axe-core (from npm, injected): violations of serious or critical impact. */
export async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe };
    const r = await w.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.join(", ")}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Every page of the site: home, the nine articles, the planner, serving capacity. */
export const PAGES: readonly { name: string; hash: string }[] = [
  { name: "home", hash: "/" },
  ...TOPIC_SLUGS.map((slug) => ({ name: slug, hash: `/t/${slug}` })),
  { name: "planner", hash: "/planner" },
  { name: "serving", hash: "/serving" },
];
