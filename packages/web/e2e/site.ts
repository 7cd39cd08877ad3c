/** The built site on a free localhost port and a headless Chromium, started before a test file's tests and closed after. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchChromium } from "./browser.js";
import { DIST, type Opened, openPage } from "./kb.js";
import { type StaticServer, serveDist } from "./server.js";

export interface Site {
  /** Where the site is served (the page hash goes after `#`). */
  readonly url: string;
  readonly browser: Browser;
  /** `openPage` on this site: a fresh browser context at `hash`, charts settled. */
  open(hash: string, o?: Parameters<typeof openPage>[3]): Promise<Opened>;
}

/** Registers the file's beforeAll / afterAll; the site is usable inside its tests. */
export function siteUnderTest(dist: string = DIST): Site {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await serveDist(dist);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  const started = () => {
    if (!server || !browser) throw new Error("the site starts in beforeAll: use it inside a test");
    return { server, browser };
  };
  return {
    get url() {
      return started().server.url;
    },
    get browser() {
      return started().browser;
    },
    open: (hash, o) => openPage(started().browser, started().server.url, hash, o),
  };
}
