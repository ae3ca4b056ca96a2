// SAP's application router (@sap/approuter 23 from npm, unmodified, on Node 22) bound to scc-sim
// through only what `scc-sim env` prints (helpers/btp-app-world.ts): a browser logs in through the
// approuter's XSUAA login (authorization code with state and PKCE, the token service's login page),
// reaches an on-premise backend through a PrincipalPropagation destination and the WALLDORF Cloud
// Connector — the backend sees SSL_CLIENT_CERT for the logged-in user —, the approuter refreshes
// the short-lived token with the refresh token, and logout ends both sessions.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { BrowserClient, type Page } from './helpers/browser-client.js';
import { JWT_BEARER } from '../services/xsuaa/token-issuer.js';
import { APP_CLIENT, startBtpAppWorld, USERS } from './helpers/btp-app-world.js';

// 425 s: the approuter refreshes JWT_REFRESH (5 min) before the expiry it keeps (expires_in − 120 s),
// so about 5 s after the first request — a refresh the test waits for as an event.
const world = await startBtpAppWorld(t, { tokenValidity: 425 });
const { sim, log, approuter } = world;

async function logIn(t: Test, browser: BrowserClient, path: string, user: keyof typeof USERS) {
  const loginPage = await browser.get(`${approuter.url}${path}`);
  t.match(loginPage.text, /<form method="post" action="\/login.do"/, 'the approuter sent the browser to the token service\'s login page');
  return browser.submitForm(loginPage, { username: user, password: USERS[user] });
}

/** 200, or a failure that shows the hops, the page and the approuter's last output. */
function expectOk(t: Test, page: Page, what: string) {
  if (page.status === 200) return t.pass(what);
  return t.fail(`${what}: ${page.status}\n${page.hops.join(' → ')}\n${page.text.slice(0, 500)}\napprouter:\n${approuter.output().slice(-3000)}`);
}

const APP_CLIENT_LOG = (l: Record<string, any>) => l.msg === 'token issued' && l.clientId === APP_CLIENT;
const browser = new BrowserClient();

t.test('a browser logs in through the approuter and reaches the on-premise backend as that user (principal propagation)', async (t) => {
  const page = await logIn(t, browser, '/onprem/echo', 'alice');
  expectOk(t, page, 'after the login the route answers');
  const [authorize] = page.hops.filter((h) => h.includes('/oauth/authorize?'));
  const query = new URL(authorize!).searchParams;
  t.equal(query.get('code_challenge_method'), 'S256', 'the approuter sent a PKCE challenge');
  t.ok(query.get('state'), 'and a state');
  t.ok(page.hops.some((h) => /\/login\/callback\?code=[^&]+&state=/.test(h)), 'the token service sent the browser back with code and state');
  t.ok(log.lines.some((l) => APP_CLIENT_LOG(l) && l.grantType === 'authorization_code'), 'the approuter redeemed the code');
  const echo = JSON.parse(page.text);
  const cert = new X509Certificate(Buffer.from(echo.headers.ssl_client_cert, 'base64'));
  t.equal(cert.subject, 'CN=alice', 'the backend sees the logged-in user\'s certificate');
  t.ok(cert.verify(new X509Certificate(readFileSync(sim.caFile)).publicKey), 'signed by the simulator CA');
  t.equal(echo.headers['sap-connectivity-authentication'], undefined, 'the user\'s token stayed at the proxy');
  const tenantTokens = log.lines.filter((l) => l.msg === 'token issued' && l.tenantHost === 'btp-app');
  t.ok(tenantTokens.some((l) => l.grantType === 'client_credentials' && /connectivity/.test(l.clientId)),
    'the connectivity token came from the tenant URL https://btp-app.<uaadomain>/oauth/token');
  t.ok(tenantTokens.some((l) => l.grantType === JWT_BEARER), 'the Destination service token for the user too (jwt-bearer)');
  t.equal(browser.cookieNames('127.0.0.1').filter((n) => n === 'JSESSIONID').length, 1, 'one JSESSIONID: the approuter\'s, not overwritten');
  t.ok(browser.cookieNames('127.0.0.1').includes('scc_sim_uaa_session'), 'the token service\'s login session has its own cookie');
});

t.test('the approuter refreshes the short-lived token with the refresh token and keeps the user logged in', async (t) => {
  const refreshed = await log.waitFor((l) => APP_CLIENT_LOG(l) && l.grantType === 'refresh_token', 60_000);
  t.equal(refreshed.userName, 'alice');
  t.notOk(log.lines.some((l) => l.msg === 'token refused' && l.clientId === APP_CLIENT), 'no refresh was refused');
  const page = await browser.get(`${approuter.url}/onprem/echo`);
  expectOk(t, page, 'the route still answers');
  t.equal(page.hops.length, 1, 'no new login');
  const cert = new X509Certificate(Buffer.from(JSON.parse(page.text).headers.ssl_client_cert, 'base64'));
  t.equal(cert.subject, 'CN=alice');
});

t.test('logout ends the approuter session and the token service\'s login session, then shows the logout page', async (t) => {
  const out = await browser.get(`${approuter.url}/do/logout`);
  expectOk(t, out, 'logout answers');
  t.match(out.text, 'approuter: logged out', 'the approuter\'s logoutPage');
  const logoutDo = out.hops.find((h) => h.includes('/logout.do?'));
  t.ok(logoutDo, `the browser went through the token service's /logout.do (${out.hops.join(' → ')})`);
  t.equal(new URL(logoutDo!).searchParams.get('client_id'), APP_CLIENT);
  t.match(log.lines.find((l) => l.msg === 'logout'), { ended: true }, 'the login session ended');
  t.notOk(browser.cookieNames('127.0.0.1').includes('scc_sim_uaa_session'), 'its cookie is gone');
  const again = await browser.get(`${approuter.url}/onprem/echo`);
  t.equal(again.status, 200);
  t.match(again.text, /<form method="post" action="\/login.do"/, 'the next request needs a login again (no single sign-on left)');
});
