// The connector's admin pages in Firefox too (Debian's firefox-esr, driven by puppeteer-core over
// WebDriver BiDi), with config/examples/two-locations.yaml in memory: the core of
// admin-pages.test.ts — nothing loaded from elsewhere, suspend on the page → the next request
// 403 and the live monitor shows it, disconnect → 503 shown without a reload, reconnect → 200,
// user input shown as text. Each test saves a screenshot (test-output/screenshots/firefox-*).
import t from 'tap';
import type { Page } from 'puppeteer-core';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { openAdminPages, twoLocationsInBrowser, visitEveryAdminTab } from './helpers/two-locations.js';
import { proxyRequest } from './helpers/proxy-client.js';

const world = await twoLocationsInBrowser(t, 'firefox');
const { sim, browser, token } = world;
const SUBACCOUNT = subaccountPath({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: sim.credentials.subaccount });
const via = (location: string, path = '/echo') => proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${path}`, token, location });

/** A logged-in page on the admin pages of `connector`, at `#hash`, once the script has loaded its data. */
const open = (connector: 'walldorf' | 'berlin', hash: string): Promise<Page> => openAdminPages(world, connector, hash);
const click = (page: Page, selector: string) => page.locator(selector).click();
const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
const waitText = (page: Page, selector: string, want: string) =>
  page.waitForFunction((s, w) => document.querySelector(s)?.textContent === w, { timeout: 10_000 }, selector, want);
const ROW = '[data-testid=mapping][data-system="virtualhost:3333"] [data-testid=resource-row][data-resource-id="/"]';

t.test('Firefox: the pages load only the admin server\'s own files and API', async (t) => {
  const origin = new URL(sim.admin.walldorf.url).origin;
  const page = await browser.newPage();
  const seen: string[] = [];
  page.on('request', (r) => { seen.push(r.url()); });
  await page.authenticate({ username: sim.admin.walldorf.user, password: sim.admin.walldorf.password });
  await page.goto(`${sim.admin.walldorf.url}/`);
  await page.waitForSelector('body[data-ready=true]');
  await visitEveryAdminTab(t, page);
  t.ok(seen.length >= 5, `${seen.length} requests seen`);
  t.same(seen.filter((u) => new URL(u).origin !== origin), [], 'all of them to the admin server');
  await browser.screenshot(page, 'firefox-admin-pages-audit');
  await page.close();
});

t.test('Firefox: suspend on the page → the next request 403, shown live in the monitor; enable → 200', async (t) => {
  const page = await open('walldorf', 'access');
  await click(page, `${ROW} [data-testid=resource-toggle]`);
  await waitText(page, `${ROW} [data-testid=resource-status]`, 'Suspended');
  t.equal((await via('WALLDORF')).status, 403);
  await click(page, '[data-testid=tab-monitor]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=monitor-row]') as HTMLElement | null)?.dataset.status === '403');
  await waitText(page, '[data-testid=live-state]', 'live');
  t.equal((await via('WALLDORF', '/echo/firefox-live')).status, 403);
  await page.waitForFunction(() => document.querySelector('[data-testid=monitor-path]')?.textContent === '/echo/firefox-live', { timeout: 5000 });
  t.pass('a request shows up without a click');
  await browser.screenshot(page, 'firefox-admin-pages-suspended-403');
  await click(page, '[data-testid=tab-access]');
  await click(page, `${ROW} [data-testid=resource-toggle]`);
  await waitText(page, `${ROW} [data-testid=resource-status]`, 'Enabled');
  t.equal((await via('WALLDORF')).status, 200);
  await page.close();
});

t.test('Firefox: disconnect on the page → 503, shown without a reload; reconnect with the keyboard → 200', async (t) => {
  const page = await open('walldorf', 'subaccounts');
  await page.evaluate(() => { (window as any).sameDocument = true; });
  await click(page, '[data-testid=subaccount-toggle]');
  await waitText(page, '[data-testid=tunnel-state]', 'Disconnected');
  t.equal((await via('WALLDORF')).status, 503);
  await browser.screenshot(page, 'firefox-admin-pages-disconnected-503');
  await page.focus('[data-testid=subaccount-toggle]');
  await page.keyboard.press('Enter');
  await waitText(page, '[data-testid=tunnel-state]', 'Connected');
  t.equal((await via('WALLDORF')).status, 200);
  t.equal(await page.evaluate(() => (window as any).sameDocument), true, 'the same page throughout');
  await page.close();
});

t.test('Firefox: a location ID with <script> is shown as text; no script runs', async (t) => {
  const evil = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  const admin = adminClient(sim.admin.berlin);
  t.equal((await admin.put(SUBACCOUNT, { locationID: evil })).status, 200);
  t.teardown(() => admin.put(SUBACCOUNT, { locationID: 'BERLIN' }));
  const page = await open('berlin', 'subaccounts');
  t.equal(await text(page, '[data-testid=subaccount-location]'), evil);
  t.equal(await page.$$eval('main script, main img, header script, header img', (e) => e.length), 0, 'no element was made from the text');
  t.equal(await page.evaluate(() => (window as any).pwned), undefined, 'no script ran');
  await browser.screenshot(page, 'firefox-admin-pages-script-as-text');
  await page.close();
});
