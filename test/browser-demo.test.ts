// The location-routing demo of config/examples/two-locations.yaml from the browser alone (issue 8,
// item 4), in real headless Chromium: the cockpit shows both locations; its sample buttons send
// real requests through the proxy, which land on the right connector; the WALLDORF connector's
// admin pages (opened from the cockpit's link, behind Basic auth) suspend the resource — the next
// sample turns red with 403 — disconnect the location — the cockpit shows it and the next sample
// is 503 — and reconnect it — 200 again. Nothing is done outside the two pages. Screenshots go
// to test-output/screenshots; SCC_SIM_DOCS_SCREENSHOTS=1 also writes the README's docs/demo-*.png.
import t from 'tap';
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { twoLocationsInBrowser } from './helpers/two-locations.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const { sim, browser } = await twoLocationsInBrowser(t);
// Polled, not per animation frame: the page not in front gets no frames (two tabs are open).
const WAIT = { timeout: 5000, polling: 50 };

const cockpit: Page = await browser.newPage();
const pageErrors: string[] = [];
cockpit.on('pageerror', (err) => pageErrors.push(String(err)));
await cockpit.goto(`${sim.urls.tokenService}/`, { waitUntil: 'load' });
await cockpit.evaluate(() => { (window as any).__notReloaded = true; });

const card = (location: string) => `.location[data-location="${location}"]`;

async function shot(page: Page, name: string): Promise<void> {
  const path = await browser.screenshot(page, name);
  if (process.env.SCC_SIM_DOCS_SCREENSHOTS === '1') copyFileSync(path, `${DOCS}${name}.png`);
}

/** Presses a location's sample button; resolves with the live-traffic row the request became (the newest for that location). */
async function sample(location: string, status: number): Promise<{ connector: string; verdict: string; color: string; rowClass: string }> {
  await cockpit.bringToFront();
  const before = await cockpit.$$eval(`#traffic-rows tr[data-location="${location}"]`, (rows) => rows.length);
  await cockpit.locator(`${card(location)} button.send`).click();
  const row = await cockpit.waitForFunction((l: string, n: number, s: string) => {
    const rows = [...document.querySelectorAll(`#traffic-rows tr[data-location="${l}"]`)];
    if (rows.length <= n) return false;
    const tr = rows.find((r) => r.getAttribute('data-status') === s);
    return tr ? {
      connector: tr.querySelector('.connector')!.textContent, verdict: tr.querySelector('.verdict')!.textContent,
      color: getComputedStyle(tr.querySelector('.status')!).color, rowClass: tr.className,
    } : false;
  }, WAIT, location, before, String(status));
  return await row.jsonValue() as { connector: string; verdict: string; color: string; rowClass: string };
}

t.test('the cockpit shows both locations, and each sample request lands on its own connector', async (t) => {
  await cockpit.waitForSelector(`${card('WALLDORF')}[data-state=Connected]`, WAIT);
  await cockpit.waitForSelector(`${card('BERLIN')}[data-state=Connected]`, WAIT);
  t.match(await sample('WALLDORF', 200), { connector: 'walldorf', verdict: 'allowed', rowClass: 'good' });
  await cockpit.waitForFunction(() => document.querySelector('#sample-result')?.textContent?.includes('"backend":"walldorf"'), WAIT);
  t.match(await sample('BERLIN', 200), { connector: 'berlin', verdict: 'allowed', rowClass: 'good' });
  await cockpit.waitForFunction(() => document.querySelector('#sample-result')?.textContent?.includes('"backend":"berlin"'), WAIT);
  await browser.screenshot(cockpit, 'demo-two-locations');
});

// The WALLDORF connector's admin pages, opened from the cockpit's own link (in a tab of their own).
let admin: Page;
let adminHref: string;
/** Brings the admin tab to the front (the cockpit's sample() brings the cockpit back). */
async function onAdmin(): Promise<Page> {
  await admin.bringToFront();
  return admin;
}

t.test('the cockpit links to the connector\'s admin pages, which ask for its Basic auth credentials', async (t) => {
  adminHref = await cockpit.$eval(`${card('WALLDORF')} a.admin`, (a) => a.getAttribute('href')!);
  t.equal(adminHref, `${sim.admin.walldorf!.url}/`);
  admin = await browser.newPage();
  admin.on('pageerror', (err) => pageErrors.push(String(err)));
  await admin.authenticate({ username: sim.admin.walldorf!.user, password: sim.admin.walldorf!.password });
  const res = await admin.goto(`${adminHref}#access`);
  t.equal(res?.status(), 200);
  await admin.waitForSelector('body[data-ready=true]', WAIT);
  t.match(await admin.$eval('[data-testid=header-location]', (e) => e.textContent), /\bWALLDORF$/, 'the heading names the location');
});

const resource = '[data-testid=mapping][data-system="virtualhost:3333"] [data-testid=resource-row][data-resource-id="/"]';

t.test('suspending the resource on the admin page turns WALLDORF\'s next sample red with 403; BERLIN is untouched', async (t) => {
  await onAdmin();
  await admin.locator(`${resource} [data-testid=resource-toggle]`).click();
  await admin.waitForFunction((s: string) => document.querySelector(s)?.textContent === 'Enable', WAIT, `${resource} [data-testid=resource-toggle]`);
  const refused = await sample('WALLDORF', 403);
  t.match(refused, { connector: 'walldorf', verdict: 'resource-denied', rowClass: 'bad' });
  t.not(refused.color, (await sample('BERLIN', 200)).color, 'the 403 is drawn in another colour than a 200');
  await shot(cockpit, 'demo-suspended-403');
  await onAdmin();
  await admin.locator(`${resource} [data-testid=resource-toggle]`).click(); // enable it again
  await admin.waitForFunction((s: string) => document.querySelector(s)?.textContent === 'Suspend', WAIT, `${resource} [data-testid=resource-toggle]`);
  t.match(await sample('WALLDORF', 200), { verdict: 'allowed' });
});

t.test('disconnecting WALLDORF on the admin page: the cockpit shows it without a reload, the next sample is 503; reconnecting brings 200 back', async (t) => {
  await onAdmin();
  await admin.goto(`${adminHref}#subaccounts`);
  await admin.waitForSelector('body[data-ready=true]', WAIT);
  await admin.locator('[data-testid=subaccount-toggle]').click();
  await admin.waitForFunction(() => document.querySelector('[data-testid=subaccount-toggle]')?.getAttribute('aria-checked') === 'false', WAIT);
  await cockpit.bringToFront();
  await cockpit.waitForSelector(`${card('WALLDORF')}[data-state=Disconnected]`, WAIT);
  t.match(await sample('WALLDORF', 503), { verdict: 'no-connector', rowClass: 'bad' });
  await shot(cockpit, 'demo-disconnected-503');
  await onAdmin();
  await admin.locator('[data-testid=subaccount-toggle]').click();
  await cockpit.bringToFront();
  await cockpit.waitForSelector(`${card('WALLDORF')}[data-state=Connected]`, WAIT);
  t.match(await sample('WALLDORF', 200), { connector: 'walldorf', verdict: 'allowed' });
  t.equal(await cockpit.evaluate(() => (window as any).__notReloaded), true, 'the cockpit was never reloaded');
  t.same(pageErrors, [], 'no script error on either page');
});
