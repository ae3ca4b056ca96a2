// The cockpit shows user input as text: a location ID, a path and a connector's answer holding
// HTML and script are printed literally in headless Chromium, and no script of theirs runs (a
// window flag they would set stays unset).
import t from 'tap';
import { twoLocationsConfig, twoLocationsInBrowser } from './helpers/two-locations.js';
import { proxyRequest } from './helpers/proxy-client.js';

const HOSTILE = '<script>window.__pwned="script"</script><img src=x onerror="window.__pwned=\'img\'">';
const HOSTILE_PATH = '/echo/<img/src=x/onerror=window.__pwned=1>';

const config = twoLocationsConfig();
config.connectors[0].locationID = HOSTILE;
config.subaccounts[0].destinations[0].CloudConnectorLocationId = HOSTILE;
const { sim, browser, token } = await twoLocationsInBrowser(t, 'chromium', config);

t.test('a location ID containing <script> is shown as text and runs nothing', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${sim.urls.tokenService}/`, { waitUntil: 'load' });
  await page.waitForSelector('article.location[data-state="Connected"] .loc', { timeout: 5000 });
  const res = await proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${HOSTILE_PATH}`, token, location: HOSTILE });
  t.equal(res.status, 200, 'the hostile location ID routes like any other');
  await page.waitForFunction((p: string) => [...document.querySelectorAll('#traffic-rows td.request')].some((td) => td.textContent?.endsWith(p)),
    { timeout: 1000 }, HOSTILE_PATH);
  const shown = await page.evaluate(() => ({
    cards: [...document.querySelectorAll('article.location .loc')].map((e) => e.textContent),
    rows: [...document.querySelectorAll('#traffic-rows td.location')].map((e) => e.textContent),
    destination: [...document.querySelectorAll('.destinations td')].map((e) => e.textContent),
    options: [...document.querySelectorAll('#filter-location option')].map((e) => e.textContent),
    injected: document.querySelectorAll('main script, main img').length,
    pwned: (window as any).__pwned,
  }));
  t.ok(shown.cards.includes(HOSTILE), 'the location card prints the ID literally');
  t.ok(shown.rows.includes(HOSTILE), 'the live traffic row prints it literally');
  t.ok(shown.destination.includes(HOSTILE), 'the destination table prints it literally');
  t.ok(shown.options.includes(HOSTILE), 'the location filter offers it literally');
  t.equal(shown.injected, 0, 'no script or img element was created from data');
  t.equal(shown.pwned, undefined, 'no injected script ran');
  await browser.screenshot(page, 'cockpit-hostile-location');
  await page.close();
});
