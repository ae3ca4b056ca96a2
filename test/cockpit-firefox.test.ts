// The cockpit in real headless Firefox (the page must work in Chromium and Firefox) with
// config/examples/two-locations.yaml: both connectors listed, a plain client's request in the live
// view within a second, a disconnect shown with its 503 without a reload (launchBrowser('firefox'):
// Debian's firefox-esr over WebDriver BiDi; .ci/run installs it).
import t from 'tap';
import { existsSync } from 'node:fs';
import { FIREFOX } from './helpers/headless-browser.js';
import { twoLocationsInBrowser } from './helpers/two-locations.js';
import { proxyRequest } from './helpers/proxy-client.js';

if (!existsSync(FIREFOX)) {
  t.plan(0, `no Firefox at ${FIREFOX} (SCC_SIM_FIREFOX): apt-get install firefox-esr`);
} else {
  const { sim, browser, token } = await twoLocationsInBrowser(t, 'firefox');
  const page = await browser.newPage();
  await page.goto(`${sim.urls.tokenService}/`, { waitUntil: 'load' });
  await page.evaluate(() => { (window as any).__notReloaded = true; });
  const card = (location: string, state: string) => `article.location[data-location="${location}"][data-state="${state}"]`;
  const row = async (path: string, status: number): Promise<unknown> => {
    const found = await page.waitForFunction((p: string, s: string) => [...document.querySelectorAll('#traffic-rows tr')]
      .find((tr) => tr.querySelector('.request')?.textContent?.endsWith(p) && tr.getAttribute('data-status') === s)
      ?.querySelector('.location')?.textContent ?? false, { timeout: 1000 }, path, String(status));
    return found.jsonValue();
  };

  t.test('Firefox: the cockpit lists both connected connectors', async (t) => {
    await page.waitForSelector(card('WALLDORF', 'Connected'), { timeout: 5000 });
    await page.waitForSelector(card('BERLIN', 'Connected'), { timeout: 1000 });
    t.same(await page.$$eval('article.location .connector', (els) => els.map((e) => e.textContent)), ['berlin', 'walldorf']);
    await browser.screenshot(page, 'firefox-cockpit-two-locations');
  });

  t.test('Firefox: a request appears in the live view within a second', async (t) => {
    t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/firefox', token, location: 'BERLIN' })).status, 200);
    t.equal(await row('/echo/firefox', 200), 'BERLIN');
  });

  t.test('Firefox: a disconnect shows without a reload, and the next request is a 503', async (t) => {
    await sim.connector('berlin').disconnect();
    t.teardown(() => sim.connector('berlin').connect());
    await page.waitForSelector(card('BERLIN', 'Disconnected'), { timeout: 1000 });
    t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/firefox-503', token, location: 'BERLIN' })).status, 503);
    t.equal(await row('/echo/firefox-503', 503), 'BERLIN');
    t.equal(await page.evaluate(() => (window as any).__notReloaded), true, 'never reloaded');
    await browser.screenshot(page, 'firefox-cockpit-disconnected');
  });
}
