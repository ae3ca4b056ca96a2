// config/examples/two-locations.yaml — the demo world (WALLDORF and BERLIN) — for the tests that
// drive it, most of them in a browser: the simulator from the file's content as an object (what
// the admin API changes stays in memory; the example file is never written), a headless browser,
// and a page logged in to a connector's admin pages. Everything started here is closed at teardown.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { parse } from 'yaml';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { launchBrowser, type HeadlessBrowser } from './headless-browser.js';

interface Teardown { teardown(fn: () => unknown): void }
interface Asserts { ok(v: unknown, message: string): unknown }

const FILE = fileURLToPath(new URL('../../../config/examples/two-locations.yaml', import.meta.url));

/** The example as a fresh object, to change before starting it (e.g. a hostile location ID). */
export function twoLocationsConfig(): any {
  return parse(readFileSync(FILE, 'utf8'));
}

export interface BrowserWorld { sim: Simulator; browser: HeadlessBrowser; token: string }

/** The simulator of `config` (default: the example unchanged) and a browser of `kind`. */
export async function twoLocationsInBrowser(t: Teardown, kind: 'chromium' | 'firefox' = 'chromium', config: unknown = twoLocationsConfig()): Promise<BrowserWorld> {
  const sim = await startSimulator(config as never);
  t.teardown(() => sim.close());
  const browser = await launchBrowser(kind);
  t.teardown(() => browser.close());
  return { sim, browser, token: await sim.token() };
}

/** A new page logged in (Basic auth) to `connector`'s admin pages at `#hash`, once their script has loaded its data. */
export async function openAdminPages(w: BrowserWorld, connector: string, hash: string): Promise<Page> {
  const page = await w.browser.newPage();
  const { url, user, password } = w.sim.admin[connector]!;
  await page.authenticate({ username: user, password });
  const res = await page.goto(`${url}/#${hash}`);
  if (res?.status() !== 200) throw new Error(`GET / answered ${res?.status()}`);
  await page.waitForSelector('body[data-ready=true]');
  return page;
}

/** Opens each tab of the admin pages in turn, once its data is shown, and asserts it fits 1280×720 without sideways scrolling. */
export async function visitEveryAdminTab(t: Asserts, page: Page): Promise<void> {
  for (const tab of ['access', 'monitor', 'audit', 'subaccounts']) {
    await page.locator(`[data-testid=tab-${tab}]`).click();
    await page.waitForSelector(`[data-testid=page-${tab}]:not([hidden])`);
    await page.waitForFunction(() => !document.querySelector('main section:not([hidden]) tbody:empty'));
    t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${tab}: no sideways scrolling at 1280×720`);
  }
}
