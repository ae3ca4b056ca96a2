// The connector's admin pages in real headless Chromium, with config/examples/two-locations.yaml
// (in memory: the example file is never changed): behind the admin server's Basic auth, nothing
// loaded from elsewhere, and what is done on the page is what the next request through the proxy
// meets — a suspended resource 403, a disconnected location 503, a new mapping + resource 200 —
// with the page showing it without a reload. User input (a location ID, a description) is text.
// Each test saves a screenshot in test-output/screenshots/; SCC_SIM_DOCS_SCREENSHOTS=1 also
// writes docs/connector-admin.png (the README's picture).
import t from 'tap';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { adminClient, C, subaccountPath } from './helpers/admin-client.js';
import { openAdminPages, twoLocationsInBrowser, visitEveryAdminTab } from './helpers/two-locations.js';
import { proxyRequest } from './helpers/proxy-client.js';

const world = await twoLocationsInBrowser(t);
const { sim, browser, token } = world;
const REGION = 'cf.sim.hana.ondemand.com';
const subaccount = sim.credentials.subaccount;
const SUBACCOUNT = subaccountPath({ regionHost: REGION, subaccount });

const via = (location: string, url = 'http://virtualhost:3333/echo') => proxyRequest(sim.ports.httpPort, { url, token, location });

/** A logged-in page on the admin pages of `connector`, at `#hash`, once the script has loaded its data. */
const open = (connector: 'walldorf' | 'berlin', hash: string): Promise<Page> => openAdminPages(world, connector, hash);

/** Clicks once the element is there, visible and still (puppeteer's locator retries a re-rendered one). */
const click = (page: Page, selector: string) => page.locator(selector).click();
const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
const waitText = (page: Page, selector: string, want: string) =>
  page.waitForFunction((s, w) => document.querySelector(s)?.textContent === w, { timeout: 10_000 }, selector, want);
const resourceRow = (system: string, id: string) => `[data-testid=mapping][data-system="${system}"] [data-testid=resource-row][data-resource-id="${id}"]`;

t.test('the pages are behind the admin server\'s Basic auth: missing or wrong credentials are 401', async (t) => {
  const admin = adminClient(sim.admin.walldorf);
  for (const path of ['/', '/pages/admin.js', '/pages/api.js', '/pages/admin.css', '/pages/index.html', '/pages/nothing-here']) {
    for (const auth of [false, `${sim.admin.walldorf.user}:wrong`, `nobody:${sim.admin.walldorf.password}`] as const) {
      const res = await admin.get(path, { auth });
      t.equal(res.status, 401, `${path} with ${auth === false ? 'no credentials' : 'wrong ones'}`);
      t.match(res.headers['www-authenticate'], /^Basic realm=/, 'the browser is asked to log in');
      t.notMatch(res.text, /<html|fetch\(/, 'and gets none of the page');
    }
  }
  const ok = await admin.get('/');
  t.equal(ok.status, 200);
  t.match(ok.headers['content-type'], /^text\/html/);
  t.match(ok.headers['content-security-policy'], /default-src 'self'/);
  t.match(ok.text, /<script type="module" src="\/pages\/admin.js"><\/script>/);
  t.equal((await admin.get('/pages/admin.js')).status, 200);
  t.equal((await admin.get('/pages/../admin-pages.js')).status, 404, 'nothing outside the pages folder');
  t.equal((await admin.get(`${C}/subaccounts`)).status, 200, 'the REST API is unchanged next to the pages');

  // A browser: Chromium gets the 401 and gives up (it has nothing, or only wrong credentials, to send).
  for (const credentials of [undefined, { username: sim.admin.walldorf.user, password: 'wrong' }]) {
    const page = await browser.newPage();
    if (credentials !== undefined) await page.authenticate(credentials);
    const statuses: number[] = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname === '/') statuses.push(r.status()); });
    const error = await page.goto(`${sim.admin.walldorf.url}/`).then(() => undefined, (err: Error) => err.message);
    const what = credentials === undefined ? 'without credentials' : 'with a wrong password';
    // Chromium shows the 401 page, or (when it had nothing it could answer the challenge with) ends the navigation with this error.
    t.ok(statuses.every((s) => s === 401) && (statuses.length > 0 || /ERR_INVALID_AUTH_CREDENTIALS/.test(error ?? '')),
      `a browser ${what} gets 401 (${statuses.join(', ') || 'no response shown'}; ${error ?? 'the 401 page'})`);
    t.notOk(await page.$('[data-testid=subaccount-rows]'), 'and no page');
    await browser.screenshot(page, `admin-pages-401-${credentials === undefined ? 'none' : 'wrong'}`);
    await page.close();
  }
});

t.test('the pages load nothing but the admin server\'s own files and API (no CDN, no fonts)', async (t) => {
  const page = await browser.newPage();
  const { url, user, password } = sim.admin.walldorf;
  const origin = new URL(url).origin;
  const seen: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    seen.push(request.url());
    if (new URL(request.url()).origin === origin) void request.continue();
    else void request.abort();
  });
  await page.authenticate({ username: user, password });
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready=true]');
  await visitEveryAdminTab(t, page);
  await page.waitForNetworkIdle({ idleTime: 200 });
  const foreign = seen.filter((u) => new URL(u).origin !== origin);
  t.same(foreign, [], 'no request left the admin server');
  t.ok(seen.some((u) => u.endsWith('/pages/admin.css')) && seen.some((u) => u.includes('/api/v1/configuration/subaccounts')), `${seen.length} same-origin requests seen`);
  const fonts = await page.evaluate(() => [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family));
  t.same(fonts, [], 'no web font');
  await browser.screenshot(page, 'admin-pages-same-origin');
  await page.close();
});

t.test('suspending a resource on the page: the next request through the proxy is 403, and the monitor shows it', async (t) => {
  t.equal((await via('WALLDORF')).status, 200, 'before: 200');
  const page = await open('walldorf', 'access');
  const row = resourceRow('virtualhost:3333', '/');
  t.equal(await text(page, `${row} [data-testid=resource-status]`), 'Enabled');
  await click(page, `${row} [data-testid=resource-toggle]`);
  await waitText(page, `${row} [data-testid=resource-status]`, 'Suspended');
  t.equal(await text(page, `${row} [data-testid=resource-toggle]`), 'Enable', 'the switch now offers Enable');

  const denied = await via('WALLDORF');
  t.equal(denied.status, 403, 'the next request is 403');
  t.equal((await via('BERLIN')).status, 200, 'the other location is untouched');

  await click(page, '[data-testid=tab-monitor]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=monitor-row]') as HTMLElement | null)?.dataset.status === '403');
  const first = await page.$eval('[data-testid=monitor-row]', (e) => ({ status: (e as HTMLElement).dataset.status, decision: (e as HTMLElement).dataset.decision,
    path: e.querySelector('[data-testid=monitor-path]')?.textContent, red: getComputedStyle(e.querySelector('td')!).backgroundColor }));
  t.match(first, { status: '403', decision: 'denied', path: '/echo' }, 'the newest request is the denied one');
  t.not(first.red, 'rgba(0, 0, 0, 0)', 'and it is marked');
  await browser.screenshot(page, 'admin-pages-suspended-403');

  await click(page, '[data-testid=tab-access]');
  await page.waitForSelector(`${row} [data-testid=resource-toggle]`);
  await click(page, `${row} [data-testid=resource-toggle]`);
  await waitText(page, `${row} [data-testid=resource-status]`, 'Enabled');
  t.equal((await via('WALLDORF')).status, 200, 'enabled again on the page: 200');
  await click(page, '[data-testid=tab-monitor]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=monitor-row]') as HTMLElement | null)?.dataset.status === '200');
  t.same(await page.$$eval('[data-testid=monitor-row]', (rows) => rows.slice(0, 3).map((e) => (e as HTMLElement).dataset.status)), ['200', '403', '200'],
    'the monitor, newest first: 200 again, the 403, the 200 before');
  if (process.env.SCC_SIM_DOCS_SCREENSHOTS === '1') {
    await page.screenshot({ path: fileURLToPath(new URL('../../docs/connector-admin.png', import.meta.url)) as `${string}.png` });
  }
  await page.close();
});

t.test('disconnecting on the page: the next request is 503, the page shows it without a reload; reconnecting brings 200 back', async (t) => {
  const page = await open('walldorf', 'subaccounts');
  await page.evaluate(() => { (window as any).sameDocument = true; });
  t.equal(await text(page, '[data-testid=tunnel-state]'), 'Connected');
  t.equal(await text(page, '[data-testid=subaccount-location]'), 'WALLDORF');
  await click(page, '[data-testid=subaccount-toggle]');
  await waitText(page, '[data-testid=tunnel-state]', 'Disconnected');
  t.equal(await page.$eval('[data-testid=subaccount-toggle]', (e) => e.getAttribute('aria-checked')), 'false', 'the switch is off');
  const res = await via('WALLDORF');
  t.equal(res.status, 503, 'the next request is 503');
  t.equal(res.headers['x-internal-error-code'], 'SCC_NO_TUNNEL');
  t.equal((await via('BERLIN')).status, 200, 'BERLIN still answers');
  t.equal(await page.evaluate(() => (window as any).sameDocument), true, 'the page was not reloaded');
  await browser.screenshot(page, 'admin-pages-disconnected-503');

  // Back with the keyboard: the switch is a real button that takes the focus.
  await page.focus('[data-testid=subaccount-toggle]');
  t.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid), 'subaccount-toggle', 'the switch takes the focus');
  await page.keyboard.press('Enter');
  await waitText(page, '[data-testid=tunnel-state]', 'Connected');
  t.equal((await via('WALLDORF')).status, 200, 'reconnected: 200');
  t.equal(await page.evaluate(() => (window as any).sameDocument), true, 'still the same page');
  await browser.screenshot(page, 'admin-pages-reconnected-200');
  await page.close();
});

t.test('live: the monitor shows a request by itself, and a tunnel state change made elsewhere shows without a click', async (t) => {
  const page = await open('walldorf', 'monitor');
  await waitText(page, '[data-testid=live-state]', 'live');
  await page.evaluate(() => { (window as any).sameDocument = true; });
  t.equal((await via('WALLDORF', 'http://virtualhost:3333/echo/live-1')).status, 200);
  await page.waitForFunction(() => document.querySelector('[data-testid=monitor-path]')?.textContent === '/echo/live-1', { timeout: 5000 });
  t.pass('the request appeared on top of the monitor without a click');
  t.equal((await via('BERLIN', 'http://virtualhost:3333/echo/elsewhere')).status, 200);
  t.equal((await via('WALLDORF', 'http://virtualhost:3333/echo/live-2')).status, 200);
  await page.waitForFunction(() => document.querySelector('[data-testid=monitor-path]')?.textContent === '/echo/live-2', { timeout: 5000 });
  t.notOk(await page.$$eval('[data-testid=monitor-path]', (cells) => cells.some((c) => c.textContent === '/echo/elsewhere')), 'the other connector\'s request is not on this one\'s monitor');
  await browser.screenshot(page, 'admin-pages-monitor-live');

  await click(page, '[data-testid=tab-subaccounts]');
  await waitText(page, '[data-testid=tunnel-state]', 'Connected');
  const admin = adminClient(sim.admin.walldorf);
  t.equal((await admin.put(`${SUBACCOUNT}/state`, { connected: false })).status, 204, 'disconnected through the REST API, not the page');
  await waitText(page, '[data-testid=tunnel-state]', 'Disconnected');
  t.equal((await admin.put(`${SUBACCOUNT}/state`, { connected: true })).status, 204);
  await waitText(page, '[data-testid=tunnel-state]', 'Connected');
  t.equal(await page.evaluate(() => (window as any).sameDocument), true, 'both shown on the same page, not reloaded');
  t.equal((await via('WALLDORF')).status, 200);
  await page.close();
});

t.test('a system mapping and a resource added on the page let a refused request through; edit and delete work too', async (t) => {
  const url = 'http://newsystem:4444/echo';
  t.equal((await via('WALLDORF', url)).status, 403, 'before: newsystem:4444 is not mapped (403)');
  const page = await open('walldorf', 'access');
  await click(page, '[data-testid=mapping-add]');
  await page.waitForSelector('[data-testid=mapping-dialog][open]');
  await page.type('[data-testid=mapping-virtual-host]', 'newsystem');
  await page.type('[data-testid=mapping-virtual-port]', '4444');
  await page.type('[data-testid=mapping-local-host]', '127.0.0.1');
  await page.type('[data-testid=mapping-local-port]', String(sim.backends.walldorf.port));
  await page.type('[data-testid=mapping-description]', 'added on the page');
  await click(page, '[data-testid=mapping-save]');
  const card = '[data-testid=mapping][data-system="newsystem:4444"]';
  await page.waitForSelector(card);
  t.notOk(await page.$('[data-testid=mapping-dialog][open]'), 'the dialog closed');
  t.equal((await via('WALLDORF', url)).status, 403, 'mapped but no resource yet: still 403');

  await click(page, `${card} [data-testid=resource-add]`);
  await page.waitForSelector('[data-testid=resource-dialog][open]');
  await page.$eval('[data-testid=resource-path]', (e) => { (e as HTMLInputElement).value = ''; });
  await page.type('[data-testid=resource-path]', '/echo');
  await page.select('[data-testid=resource-policy]', 'true');
  await click(page, '[data-testid=resource-save]');
  await page.waitForSelector(resourceRow('newsystem:4444', '/echo'));
  const ok = await via('WALLDORF', url);
  t.equal(ok.status, 200, 'now the request goes through');
  t.equal(ok.json().backend, 'walldorf');
  t.equal((await via('WALLDORF', 'http://newsystem:4444/echo/deeper')).status, 403, '"path only" as chosen on the page');
  await browser.screenshot(page, 'admin-pages-mapping-added');

  // A bad entry is refused with the API's message, in the dialog, and nothing changes.
  await click(page, '[data-testid=mapping-add]');
  await page.waitForSelector('[data-testid=mapping-dialog][open]');
  for (const [id, v] of [['mapping-virtual-host', 'newsystem'], ['mapping-virtual-port', '4444'], ['mapping-local-host', 'x'], ['mapping-local-port', '1']]) {
    await page.type(`[data-testid=${id}]`, v);
  }
  await click(page, '[data-testid=mapping-save]');
  await page.waitForSelector('[data-testid=mapping-error]:not([hidden])');
  t.match(await text(page, '[data-testid=mapping-error]'), /409|exists/i, 'a duplicate is refused with the API\'s answer');
  await click(page, '[data-testid=mapping-cancel]');

  const admin = adminClient(sim.admin.walldorf);
  await click(page, `${card} [data-testid=mapping-edit]`);
  await page.waitForSelector('[data-testid=mapping-dialog][open]');
  t.equal(await page.$eval('[data-testid=mapping-virtual-host]', (e) => (e as HTMLInputElement).readOnly), true, 'the virtual host cannot be changed');
  await page.$eval('[data-testid=mapping-description]', (e) => { (e as HTMLInputElement).value = ''; });
  await page.type('[data-testid=mapping-description]', 'edited on the page');
  await click(page, '[data-testid=mapping-save]');
  await page.waitForFunction((s) => document.querySelector(s)?.textContent?.includes('edited on the page'), {}, `${card} [data-testid=mapping-details]`);
  t.equal((await admin.get(`${SUBACCOUNT}/systemMappings/newsystem:4444`)).json().description, 'edited on the page', 'the REST API has the edit');
  t.equal((await via('WALLDORF', url)).status, 200, 'and the resources stayed');

  page.once('dialog', (d) => void d.accept());
  await click(page, `${card} [data-testid=mapping-delete]`);
  await page.waitForFunction((s) => document.querySelector(s) === null, {}, card);
  t.equal((await via('WALLDORF', url)).status, 403, 'deleted on the page: 403 again');
  await page.close();
});

t.test('keyboard only: Tab reaches the controls with a visible focus; a resource is added and removed with Enter and Escape', async (t) => {
  const page = await open('walldorf', 'access');
  const focused = () => page.evaluate(() => {
    const e = document.activeElement as HTMLElement | null;
    const style = e ? getComputedStyle(e) : undefined;
    return { testid: e?.dataset.testid, tag: e?.tagName, outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '' };
  });
  const reached = new Set<string>();
  for (let i = 0; i < 30; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused();
    if (f.testid !== undefined) reached.add(f.testid);
    if (f.testid === 'resource-toggle') {
      t.match(f.outline, /^solid [1-9]/, `the focused ${f.testid} has a visible outline (${f.outline})`);
      break;
    }
  }
  for (const id of ['tab-subaccounts', 'tab-access', 'tab-monitor', 'tab-audit', 'mapping-add', 'resource-add', 'mapping-edit', 'resource-toggle']) {
    t.ok(reached.has(id), `Tab reaches ${id}`);
  }

  await page.focus('[data-testid=mapping][data-system="virtualhost:3333"] [data-testid=resource-add]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=resource-dialog][open]');
  t.equal((await focused()).testid, 'resource-path', 'the dialog opens with the focus on its first field');
  await page.keyboard.press('End');
  await page.keyboard.type('keyboard');
  await page.keyboard.press('Enter');
  const row = resourceRow('virtualhost:3333', '/keyboard');
  await page.waitForSelector(row);
  t.notOk(await page.$('[data-testid=resource-dialog][open]'), 'Enter saved and closed the dialog');
  const listed = (await adminClient(sim.admin.walldorf).get(`${SUBACCOUNT}/systemMappings/virtualhost:3333/resources`)).json().map((r: { id: string }) => r.id);
  t.same(listed, ['/', '/keyboard'], 'the REST API has the new resource');

  await page.focus(`${row} [data-testid=resource-edit]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=resource-dialog][open]');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=resource-dialog][open]'));
  t.pass('Escape closes the dialog');

  page.once('dialog', (d) => void d.accept());
  await page.focus(`${row} [data-testid=resource-delete]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((s) => document.querySelector(s) === null, {}, row);
  t.pass('deleted with the keyboard');
  await browser.screenshot(page, 'admin-pages-keyboard');
  await page.close();
});

t.test('the audit log page switches the level, and shows the entries', async (t) => {
  const page = await open('walldorf', 'audit');
  const admin = adminClient(sim.admin.walldorf);
  t.equal(await page.$eval('[data-testid=audit-level]', (e) => (e as HTMLSelectElement).value), (await admin.get(`${C}/connector/auditLog`)).json().level);
  await page.select('[data-testid=audit-level]', 'ALL');
  await page.waitForFunction(() => document.querySelector('[data-testid=message]')?.textContent === 'Audit log level: ALL');
  t.equal((await admin.get(`${C}/connector/auditLog`)).json().level, 'ALL', 'the REST API has the new level');
  t.equal((await via('WALLDORF', 'http://virtualhost:3333/echo/audited')).status, 200);
  await click(page, '[data-testid=audit-refresh]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-detail]')].some((e) => e.textContent?.includes('/audited')));
  t.ok(await page.$$eval('[data-testid=audit-row]', (rows) => rows.some((r) => r.textContent?.includes('Access Allowed'))), 'with level ALL an allowed request is audited');
  t.ok(await page.$$eval('[data-testid=audit-row]', (rows) => rows.some((r) => r.textContent?.includes('AuditLogLevel'))), 'and so is the change of the level');
  await browser.screenshot(page, 'admin-pages-audit-log');
  await page.select('[data-testid=audit-level]', 'SECURITY');
  await page.waitForFunction(() => document.querySelector('[data-testid=message]')?.textContent === 'Audit log level: SECURITY');
  await page.close();
});

t.test('a location ID and a description with <script> are shown as text; no script runs', async (t) => {
  const evil = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  const admin = adminClient(sim.admin.berlin);
  t.equal((await admin.put(SUBACCOUNT, { locationID: evil, description: evil })).status, 200);
  const resource = `${SUBACCOUNT}/systemMappings/virtualhost:3333/resources/-`;
  t.equal((await admin.put(resource, { enabled: true, exactMatchOnly: false, description: evil })).status, 204);
  t.teardown(async () => {
    await admin.put(SUBACCOUNT, { locationID: 'BERLIN', description: '' });
    await admin.put(resource, { enabled: true, exactMatchOnly: false, description: '' });
  });

  const page = await open('berlin', 'subaccounts');
  t.equal(await text(page, '[data-testid=subaccount-location]'), evil, 'the location ID is shown as it is');
  t.match(await text(page, '[data-testid=subaccount-select] option'), evil, 'in the subaccount switch too');
  t.equal(await text(page, '[data-testid=header-location]'), `· location ${evil}`, 'and in the heading');
  await click(page, '[data-testid=tab-access]');
  await page.waitForSelector(`${resourceRow('virtualhost:3333', '/')} [data-testid=resource-description-text]`);
  t.equal(await text(page, `${resourceRow('virtualhost:3333', '/')} [data-testid=resource-description-text]`), evil, 'the description is shown as it is');
  t.equal(await page.$$eval('main script, main img, header script, header img', (e) => e.length), 0, 'no element was made from the text');
  t.equal(await page.evaluate(() => (window as any).pwned), undefined, 'no script ran');
  await browser.screenshot(page, 'admin-pages-script-as-text');
  await page.close();
});
