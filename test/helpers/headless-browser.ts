// Real headless Chromium for the browser tests: Debian's `chromium` package driven by
// puppeteer-core (no browser download works here); launchBrowser('firefox') drives Debian's
// `firefox-esr` the same way (WebDriver BiDi), for the pages that must work in Firefox too. One browser per test file, a fresh empty
// profile in a temp folder, removed again with the browser. The flags keep Chromium off the
// network (this machine refuses every outside connection; background services would try).
// Screenshots go to test-output/screenshots/ (git-ignored), one per test, named by the caller.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.SCC_SIM_CHROMIUM ?? '/usr/bin/chromium';
export const FIREFOX = process.env.SCC_SIM_FIREFOX ?? '/usr/bin/firefox-esr';

/** puppeteer-core's CommonJS build, for Firefox: its ESM build imports chromium-bidi by a path
 *  that tap's TypeScript loader (a ts-node fork) resolves wrongly against chromium-bidi's
 *  `exports` ("BidiMapper.js.js"); require() does not go through that loader. */
const puppeteerCjs = (): typeof puppeteer => createRequire(import.meta.url)('puppeteer-core');
export const SCREENSHOTS = resolve(process.cwd(), 'test-output', 'screenshots');

export interface HeadlessBrowser {
  browser: Browser;
  /** A new page at 1280×720, the projector size the pages must work at. */
  newPage(): Promise<Page>;
  /** Saves a full-page PNG as test-output/screenshots/<name>.png and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Launches Chromium (or Firefox). The admin pages run on HTTPS with a certificate of the simulator CA, which
 *  is in neither browser's trust store: certificate errors are accepted (only loopback is reached). */
export async function launchBrowser(kind: 'chromium' | 'firefox' = 'chromium'): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), `scc-sim-${kind}-`));
  const browser = kind === 'firefox'
    ? await puppeteerCjs().launch({
      browser: 'firefox', executablePath: FIREFOX, headless: true, acceptInsecureCerts: true, userDataDir: profile,
      // puppeteer's Firefox profile already turns off updates, telemetry and the other background services.
      extraPrefsFirefox: { 'network.proxy.type': 0, 'network.dns.disablePrefetch': true, 'network.prefetch-next': false },
    })
    : await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      acceptInsecureCerts: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
      ],
    });
  return {
    browser,
    async newPage() {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 720 });
      return page;
    },
    async screenshot(page, name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`) as `${string}.png`;
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
