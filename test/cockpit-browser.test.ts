// The cockpit in real headless Chromium with config/examples/two-locations.yaml: it lists both
// connected connectors side by side, a request sent with a plain HTTP client shows up in the live
// view within a second with its location and verdict, disconnecting a location through the admin
// REST API shows the state change and the next request's 503 without a reload, the sample button
// sends a real request, and the page loads nothing from another origin. Each test saves a
// screenshot (test-output/screenshots, git-ignored).
import t from 'tap';
import type { Page } from 'puppeteer-core';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { twoLocationsInBrowser } from './helpers/two-locations.js';
import { proxyRequest } from './helpers/proxy-client.js';

const { sim, browser, token } = await twoLocationsInBrowser(t);
const origin = sim.urls.tokenService;
const SECOND = 1000;

const requested: string[] = [];
const page: Page = await browser.newPage();
page.on('request', (r) => { requested.push(r.url()); });
const pageErrors: string[] = [];
page.on('pageerror', (err) => pageErrors.push(String(err)));
await page.goto(`${origin}/`, { waitUntil: 'load' });
// Set once: still there at the end means the page never reloaded.
await page.evaluate(() => { (window as any).__notReloaded = true; });

const card = (location: string, state: string) => `.location[data-location="${location}"][data-state="${state}"]`;

/** Waits for a live-traffic row whose request text ends with `needle` (and of `location`); returns its cells' text. */
async function rowFor(needle: string, status: number, timeout = SECOND, location?: string): Promise<Record<string, string>> {
  const handle = await page.waitForFunction((n: string, s: string, l: string | null) => {
    for (const tr of document.querySelectorAll('#traffic-rows tr')) {
      if (tr.querySelector('.request')?.textContent?.endsWith(n) && tr.getAttribute('data-status') === s && (l === null || tr.getAttribute('data-location') === l)) {
        return {
          location: tr.querySelector('.location')!.textContent, connector: tr.querySelector('.connector')!.textContent,
          verdict: tr.querySelector('.verdict')!.textContent, status: tr.querySelector('.status')!.textContent,
          rowClass: tr.className, color: getComputedStyle(tr.querySelector('.status')!).color,
        };
      }
    }
    return false;
  }, { timeout }, needle, String(status), location ?? null);
  return await handle.jsonValue() as Record<string, string>;
}

t.test('the cockpit lists the two connected Cloud Connectors of two-locations.yaml side by side', async (t) => {
  await page.waitForSelector(card('WALLDORF', 'Connected'), { timeout: 5 * SECOND });
  await page.waitForSelector(card('BERLIN', 'Connected'), { timeout: SECOND });
  const cards = await page.$$eval('.location', (els) => els.map((e) => ({
    location: e.querySelector('.loc')!.textContent, connector: e.querySelector('.connector')!.textContent,
    state: e.querySelector('.state')!.textContent, since: e.querySelector('.since')!.textContent,
    admin: e.querySelector('a.admin')?.getAttribute('href'), top: e.getBoundingClientRect().top,
  })));
  t.same(cards.map((c) => [c.location, c.connector, c.state]), [['BERLIN', 'berlin', 'Connected'], ['WALLDORF', 'walldorf', 'Connected']]);
  t.equal(cards[0]!.top, cards[1]!.top, 'side by side at 1280×720');
  for (const c of cards) {
    t.not(c.since, '—', `${c.location} shows since when it is connected`);
    t.equal(c.admin, `${sim.admin[c.connector!]!.url}/`, `${c.location} links to its connector's admin pages`);
  }
  const destinations = await page.$$eval('.destinations tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  t.same(destinations, ['echo-walldorf', 'echo-berlin'], 'the destinations of the Destination service');
  t.equal(await page.$eval('#live', (e) => e.getAttribute('data-state')), 'live', 'the event stream is open');
  await browser.screenshot(page, 'cockpit-two-locations');
});

t.test('a request sent with a plain HTTP client appears in the live view within a second', async (t) => {
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/from-a-client', token, location: 'WALLDORF' });
  t.equal(res.status, 200);
  const row = await rowFor('virtualhost:3333/echo/from-a-client', 200);
  t.match(row, { location: 'WALLDORF', connector: 'walldorf', verdict: 'allowed', status: '200', rowClass: 'good' });
  await page.waitForFunction(() => document.querySelector('.location[data-location="WALLDORF"] .last')?.textContent?.includes('200 allowed'), { timeout: SECOND });
  await browser.screenshot(page, 'cockpit-live-request');
});

t.test('disconnecting a location through the admin REST API shows the state change and a red 503, without a reload', async (t) => {
  const walldorf = sim.connector('walldorf');
  const api = adminClient(() => walldorf.admin);
  const sub = walldorf.connector.config.subaccounts[0]!;
  const off = await api.put(`${subaccountPath(sub)}/state`, { connected: false });
  t.equal(off.status, 204, `PUT …/state {"connected":false}: ${off.text}`);
  await page.waitForSelector(card('WALLDORF', 'Disconnected'), { timeout: SECOND });
  t.equal(await page.$eval(`${card('WALLDORF', 'Disconnected')} .state`, (e) => e.textContent), 'Disconnected');
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/after-disconnect', token, location: 'WALLDORF' });
  t.equal(res.status, 503);
  const row = await rowFor('virtualhost:3333/echo/after-disconnect', 503);
  t.match(row, { location: 'WALLDORF', verdict: 'no-connector', status: '503', rowClass: 'bad' });
  t.equal(row.color, 'rgb(187, 0, 0)', 'the 503 is red');
  t.ok(await page.$(card('BERLIN', 'Connected')), 'BERLIN stays connected');
  await browser.screenshot(page, 'cockpit-walldorf-disconnected');

  const on = await api.put(`${subaccountPath(sub)}/state`, { connected: true });
  t.equal(on.status, 204);
  await page.waitForSelector(card('WALLDORF', 'Connected'), { timeout: 5 * SECOND });
  t.equal(await page.evaluate(() => (window as any).__notReloaded), true, 'the page was never reloaded');
});

t.test('the sample button, pressed with the keyboard, sends a real request through the proxy to that location', async (t) => {
  await page.focus('.location[data-location="BERLIN"] button.send');
  const outline = await page.$eval('.location[data-location="BERLIN"] button.send', (b) => getComputedStyle(b).outlineStyle);
  await page.keyboard.press('Enter');
  const row = await rowFor('virtualhost:3333/echo', 200, 5 * SECOND, 'BERLIN');
  t.match(row, { location: 'BERLIN', connector: 'berlin', verdict: 'allowed' });
  await page.waitForFunction(() => document.querySelector('#sample-result')?.textContent?.includes('"backend":"berlin"'), { timeout: 5 * SECOND });
  t.not(outline, 'none', 'the focused button shows a focus outline');
  await browser.screenshot(page, 'cockpit-sample-request');
});

t.test('a request to a suspended resource shows red with 403 and the rule', async (t) => {
  await sim.connector('berlin').suspendResource('virtualhost', 3333, '/');
  t.teardown(() => sim.connector('berlin').resumeResource('virtualhost', 3333, '/'));
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/suspended', token, location: 'BERLIN' });
  t.equal(res.status, 403);
  const row = await rowFor('virtualhost:3333/echo/suspended', 403);
  t.match(row, { location: 'BERLIN', connector: 'berlin', verdict: 'resource-denied', rowClass: 'bad', color: 'rgb(187, 0, 0)' });
  await page.waitForFunction(() => document.querySelector('article.location[data-location="BERLIN"] .last.bad')?.textContent?.includes('403 resource-denied'), { timeout: SECOND });
  await browser.screenshot(page, 'cockpit-resource-denied');
});

t.test('filters by location ID and by verdict', async (t) => {
  await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/filter', token, location: 'PARIS' });
  await rowFor('virtualhost:3333/echo/filter', 503);
  await page.select('#filter-location', 'PARIS');
  const paris = await page.$$eval('#traffic-rows tr', (trs) => trs.map((tr) => tr.getAttribute('data-location')));
  t.ok(paris.length > 0 && paris.every((l) => l === 'PARIS'), 'only PARIS rows');
  await page.select('#filter-location', '*');
  await page.select('#filter-verdict', 'allowed');
  const verdicts = await page.$$eval('#traffic-rows tr', (trs) => trs.map((tr) => tr.getAttribute('data-verdict')));
  t.ok(verdicts.length > 0 && verdicts.every((v) => v === 'allowed'), 'only allowed rows');
  await page.select('#filter-verdict', 'refused-any');
  const refused = await page.$$eval('#traffic-rows tr', (trs) => trs.map((tr) => tr.getAttribute('data-verdict')));
  t.ok(refused.includes('no-connector') && !refused.includes('allowed'), 'only refusals');
  await browser.screenshot(page, 'cockpit-filtered');
  await page.select('#filter-verdict', '*');
});

t.test('the page loads nothing from another origin and throws no error', async (t) => {
  const foreign = requested.filter((u) => new URL(u).origin !== origin && !u.startsWith('data:'));
  t.same(foreign, [], `only ${origin} (${requested.length} requests)`);
  t.ok(requested.some((u) => u.endsWith('/cockpit/cockpit.js')) && requested.some((u) => u.endsWith('/cockpit/cockpit.css')), 'its script and style are its own');
  t.same(pageErrors, [], 'no script error');
  await browser.screenshot(page, 'cockpit-final');
});
