// SAP's application router (@sap/approuter 23 from npm, unmodified, on Node 22) bound to scc-sim
// through only what `scc-sim env` prints (helpers/btp-app-world.ts): a browser logs in through the
// approuter's XSUAA login (authorization code with state and PKCE, the token service's login page),
// reaches an on-premise backend through a PrincipalPropagation destination and the WALLDORF Cloud
// Connector — the backend sees SSL_CLIENT_CERT for the logged-in user —, the approuter refreshes
// the short-lived token with the refresh token, and logout ends both sessions.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BrowserClient } from './helpers/browser-client.js';
import { startBtpAppWorld, USERS } from './helpers/btp-app-world.js';

// 425 s: the approuter refreshes JWT_REFRESH (5 min) before the expiry it keeps (expires_in − 120 s),
// so about 5 s after the first request — a refresh the test waits for as an event.
const world = await startBtpAppWorld(t, { tokenValidity: 425 });
const { sim, log, approuter } = world;

async function logIn(browser: BrowserClient, path: string, user: keyof typeof USERS) {
  const loginPage = await browser.get(`${approuter.url}${path}`);
  t.equal(loginPage.status, 200, `the approuter sent the browser to the login page (${loginPage.hops.join(' → ')})`);
  t.match(loginPage.text, /<form method="post" action="\/login.do"/);
  return browser.submitForm(loginPage, { username: user, password: USERS[user] });
}

t.test('a browser logs in through the approuter and reaches the on-premise backend as that user (principal propagation)', async (t) => {
  const browser = new BrowserClient();
  const page = await logIn(browser, '/onprem/echo', 'alice');
  t.equal(page.status, 200, `${page.hops.join(' → ')}\n${page.text.slice(0, 500)}\n${approuter.output().slice(-3000)}`);
  const echo = JSON.parse(page.text);
  const cert = new X509Certificate(Buffer.from(echo.headers.ssl_client_cert, 'base64'));
  t.equal(cert.subject, 'CN=alice');
  t.ok(cert.verify(new X509Certificate(readFileSync(sim.caFile)).publicKey), 'signed by the simulator CA');
});
