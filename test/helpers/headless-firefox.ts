// Real headless Firefox for the browser tests that must hold in both browsers: Debian's
// firefox-esr driven by puppeteer-core over WebDriver BiDi. One browser per test file, a fresh
// profile in a temp folder removed with it; preferences keep Firefox off the network. Screenshots
// go where the Chromium helper puts them (test-output/screenshots, git-ignored).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { SCREENSHOTS, type HeadlessBrowser } from './headless-browser.js';

export const FIREFOX = process.env.SCC_SIM_FIREFOX ?? '/usr/bin/firefox';

export function firefoxAvailable(): boolean {
  return existsSync(FIREFOX);
}

const OFFLINE_PREFS = {
  'app.update.enabled': false, 'app.update.auto': false, 'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false, 'browser.safebrowsing.downloads.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false, 'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false, 'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false, 'browser.search.update': false, 'network.dns.disablePrefetch': true, 'network.prefetch-next': false,
};

export async function launchFirefox(): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'scc-sim-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, acceptInsecureCerts: true, userDataDir: profile, extraPrefsFirefox: OFFLINE_PREFS,
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
