// A CAP service (@sap/cds 10 from npm, unmodified, on Node 22, `auth: xsuaa`) behind SAP's
// application router, both bound to scc-sim through only what `scc-sim env` prints
// (helpers/btp-app-world.ts). The service `@requires: 'Viewer'`; the role collection Viewers
// (scope bookshop!t7.Viewer) is assigned to alice and not to bob. CAP verifies the forwarded login
// token itself (xssec: JWKS from https://<uaadomain>/token_keys, audience, expiry) and checks the
// role; the approuter checks a route's `scope` the same way.
import t, { type Test } from 'tap';
import { BrowserClient, type Page } from './helpers/browser-client.js';
import { startBtpAppWorld, USERS, XSAPPNAME } from './helpers/btp-app-world.js';

const { approuter, cap, log } = await startBtpAppWorld(t);

async function loggedIn(t: Test, user: keyof typeof USERS, path: string): Promise<{ browser: BrowserClient; page: Page }> {
  const browser = new BrowserClient();
  const form = await browser.get(`${approuter.url}${path}`);
  t.match(form.text, /action="\/login.do"/, `${user} gets the login page`);
  return { browser, page: await browser.submitForm(form, { username: user, password: USERS[user] }) };
}

const details = (page: Page) => `${page.status} ${page.hops.join(' → ')}\n${page.text.slice(0, 400)}\ncap:\n${cap.output().slice(-2000)}`;

t.test('alice, who holds the role collection Viewers, may call the CAP service: 200', async (t) => {
  const { page } = await loggedIn(t, 'alice', '/cap/catalog/whoami()');
  if (page.status !== 200) return t.fail(details(page));
  const who = JSON.parse(JSON.parse(page.text).value);
  t.match(who, { id: 'alice', viewer: true }, 'CAP knows alice and her role Viewer');
  const issued = log.lines.find((l) => l.msg === 'token issued' && l.grantType === 'authorization_code' && l.userName === 'alice');
  t.equal(who.jti, issued?.jti, 'CAP saw the login token the approuter got for alice');
  t.same(who.scope, ['openid', 'uaa.resource', `${XSAPPNAME}.Viewer`], 'the token\'s scopes: the role collection\'s, prefixed with the xsappname');
  t.same(who.roleCollections, ['Viewers'], 'xs.rolecollections');
  t.same(who.attributes, { Country: ['DE'] }, 'xs.user.attributes');
});

t.test('bob, who holds no role collection, is refused by the CAP service: 403', async (t) => {
  const { page } = await loggedIn(t, 'bob', '/cap/catalog/whoami()');
  if (page.status !== 403) return t.fail(details(page));
  t.match(JSON.parse(page.text), { error: { message: "User 'bob' is lacking required roles: [Viewer]" } }, 'CAP\'s own answer');
});

t.test('the approuter itself checks a route scope $XSAPPNAME.Viewer against the token: alice 200, bob 403', async (t) => {
  const alice = await loggedIn(t, 'alice', '/viewers/catalog/whoami()');
  t.equal(alice.page.status, 200, 'alice');
  const capCalls = () => (cap.output().match(/GET \/catalog\/whoami\(\)/g) ?? []).length;
  const before = capCalls();
  const bob = await loggedIn(t, 'bob', '/viewers/catalog/whoami()');
  t.equal(bob.page.status, 403, 'bob');
  t.equal(capCalls(), before, 'bob\'s request never reached CAP');
});
