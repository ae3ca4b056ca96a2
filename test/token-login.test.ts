// The authorization-code login of the token service, rule by rule (reference/xsuaa-login.md,
// RFC 6749 §4.1, RFC 7636): the login page, codes that are single-use, short-lived and bound to
// client, redirect_uri and PKCE challenge, refresh tokens that rotate, logout, and no open
// redirect. A real token service on port 0 with a clock the test moves (no waiting for expiry).
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { decodeJwt } from 'jose';
import { parseConfig } from '../services/shared/config-load.js';
import { createClientDirectory } from '../services/xsuaa/client-directory.js';
import { loadSigningKeys } from '../services/xsuaa/token-keys.js';
import { registerTokenService } from '../services/xsuaa/token-service.js';
import { BrowserClient, type Page } from './helpers/browser-client.js';

const SUBACCOUNT = '4c4c4c4c-0000-4000-8000-00000000004c';
const APP = 'sb-bookshop!t7';
const STRICT = 'sb-strict!t8';
const SECRETS: Record<string, string> = { [APP]: 'app-secret', [STRICT]: 'strict-secret' };
const CALLBACK = 'http://127.0.0.1:5000/login/callback';
const config = parseConfig({
  proxy: { authorizationCodeValiditySeconds: 60 },
  subaccounts: [{
    subaccount: SUBACCOUNT, subdomain: 'login', displayName: 'Login <b>&</b> test', cloudUser: 'u', cloudPassword: 'p',
    clients: [
      { clientid: 'sb-conn!b1|connectivity!b137', clientsecret: 'conn' },
      { clientid: APP, clientsecret: SECRETS[APP], service: 'xsuaa' },
      { clientid: STRICT, clientsecret: SECRETS[STRICT], service: 'xsuaa',
        'oauth2-configuration': { 'redirect-uris': ['https://strict.example.com/login/callback'] } },
    ],
    roleCollections: [{ name: 'Viewers', scopes: ['Viewer', 'Reader'] }],
    users: [{ name: 'alice', password: 'alice-pw', roleCollections: ['Viewers'] }, { name: '<script>x</script>', password: 'x-pw' }],
  }],
});
const keys = await loadSigningKeys();
let clock = Date.now();
const app = Fastify();
let base = '';
registerTokenService(app, { keys, config, clientDirectory: createClientDirectory(config), issuerBaseUrl: () => base, now: () => clock });
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(() => app.close());
base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

function authorizeUrl(p: Record<string, string> = {}): string {
  return `${base}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: APP, redirect_uri: CALLBACK, state: 'st-1', ...p })}`;
}

/** Logs alice in with a fresh browser and returns the code the token service sent back (the redirect is not followed to the app). */
async function codeFor(p: Record<string, string> = {}, browser = new BrowserClient()): Promise<{ code: string; state: string | null; browser: BrowserClient }> {
  const form = await browser.get(authorizeUrl(p));
  const res = await postForm(browser, form, { username: 'alice', password: 'alice-pw' });
  const location = new URL(res.headers.get('location')!);
  return { code: location.searchParams.get('code')!, state: location.searchParams.get('state'), browser };
}

/** Submits the login form but stops at the token service's own redirect to /oauth/authorize, then does that one hop. */
async function postForm(browser: BrowserClient, form: Page, fields: Record<string, string>): Promise<Response> {
  const after = await browser.submitFormNoFollow(form, fields);
  if (after.status !== 302) return after;
  return browser.fetchNoFollow(new URL(after.headers.get('location')!, base).toString());
}

function token(fields: Record<string, string>, basicOf?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basicOf !== undefined) headers.authorization = `Basic ${Buffer.from(`${basicOf}:${SECRETS[basicOf]}`).toString('base64')}`;
  return fetch(`${base}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(fields) });
}

const exchange = (code: string, v: string | undefined, more: Record<string, string> = {}) => token({
  grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: APP, client_secret: SECRETS[APP]!,
  ...(v === undefined ? {} : { code_verifier: v }), ...more,
});

async function expectInvalidGrant(t: Test, res: Response, reason: RegExp) {
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'invalid_grant', error_description: reason });
}

t.test('the login page: an escaped form with a CSRF field, nothing loaded from elsewhere, no JSESSIONID', async (t) => {
  const browser = new BrowserClient();
  const page = await browser.get(authorizeUrl({ state: '"><script>alert(1)</script>' }));
  t.equal(page.status, 200);
  t.match(page.hops[1], `${base}/login?`, 'not logged in: /oauth/authorize sends the browser to /login');
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  t.equal(page.headers.get('x-frame-options'), 'DENY');
  t.match(page.text, /<input type="hidden" name="X-Uaa-Csrf" value="[A-Za-z0-9_-]{20,}">/);
  t.notMatch(page.text, /<script/i, 'no script, and the state cannot inject one');
  t.match(page.text, 'state&#61;%22%3E%3Cscript%3E', 'the state is carried encoded and escaped');
  t.match(page.text, 'Login &#60;b&#62;&#38;&#60;/b&#62; test', 'the subaccount name is escaped');
  t.match(page.text, '<code>&#60;script&#62;x&#60;/script&#62;</code>', 'so are the user names');
  t.notMatch(page.text, /(src|href)=/i, 'no external resources');
  t.notOk(browser.cookieNames('127.0.0.1').includes('JSESSIONID'), 'the token service never sets JSESSIONID');
});

t.test('a correct login redirects to redirect_uri with a code and the state unchanged; the code gives tokens with a refresh token', async (t) => {
  const v = verifier();
  const { code, state } = await codeFor({ code_challenge: challengeOf(v), code_challenge_method: 'S256', state: 'state with spaces & =' });
  t.match(code, /^[A-Za-z0-9_-]{16,}$/);
  t.equal(state, 'state with spaces & =');
  const res = await exchange(code, v);
  t.equal(res.status, 200);
  const body = await res.json();
  t.match(body, { token_type: 'bearer', refresh_token: /-r$/, scope: 'openid uaa.resource bookshop!t7.Viewer bookshop!t7.Reader' });
  t.match(decodeJwt(body.access_token), { grant_type: 'authorization_code', user_name: 'alice', client_id: APP, zid: SUBACCOUNT });
});

t.test('a logged-in browser gets the next code without the form (single sign-on); the session cookie is HttpOnly and not JSESSIONID', async (t) => {
  const { browser } = await codeFor();
  const again = await browser.fetchNoFollow(authorizeUrl({ state: 'second' }));
  t.equal(again.status, 302);
  t.match(again.headers.get('location'), /^http:\/\/127\.0\.0\.1:5000\/login\/callback\?code=[^&]+&state=second$/);
  const cookie = browser.setCookieLog.find((c) => c.startsWith('scc_sim_uaa_session='));
  t.match(cookie, /HttpOnly/i);
  t.match(cookie, /SameSite=Lax/i);
});

t.test('a wrong password shows the form again with a message, and no code', async (t) => {
  const browser = new BrowserClient();
  const form = await browser.get(authorizeUrl());
  const res = await browser.submitFormNoFollow(form, { username: 'alice', password: 'wrong' });
  t.equal(res.status, 401);
  t.equal(res.headers.get('location'), null, 'no redirect');
  const html = await res.text();
  t.match(html, 'Provided credentials are invalid');
  t.match(html, /name="username" value="alice"/);
  t.notOk(browser.cookieNames('127.0.0.1').includes('scc_sim_uaa_session'), 'no login session');
});

t.test('a login form without the CSRF cookie and field pair is refused', async (t) => {
  const browser = new BrowserClient();
  const form = await browser.get(authorizeUrl());
  const forged = await new BrowserClient().submitFormNoFollow(form, { username: 'alice', password: 'alice-pw' });
  t.equal(forged.status, 403, 'a form posted from another browser (no CSRF cookie)');
  const tampered = await browser.submitFormNoFollow(form, { username: 'alice', password: 'alice-pw', 'X-Uaa-Csrf': 'guess' });
  t.equal(tampered.status, 403, 'a wrong CSRF value');
});

t.test('a code works once: replayed, unknown, expired, other client\'s codes are refused', async (t) => {
  const { code } = await codeFor();
  t.equal((await exchange(code, undefined)).status, 200, 'first use');
  await expectInvalidGrant(t, await exchange(code, undefined), /unknown, or already used/);
  await expectInvalidGrant(t, await exchange('no-such-code', undefined), /unknown/);
  await expectInvalidGrant(t, await exchange('', undefined), /missing/);

  const late = await codeFor();
  clock += 61_000;
  await expectInvalidGrant(t, await exchange(late.code, undefined), /expired/);
  clock -= 61_000;

  const stolen = await codeFor();
  const res = await token({ grant_type: 'authorization_code', code: stolen.code, redirect_uri: CALLBACK }, STRICT);
  await expectInvalidGrant(t, res, /another client/);
  await expectInvalidGrant(t, await exchange(stolen.code, undefined), /already used/);
});

t.test('the exchange needs the same redirect_uri and a verifier that proves the PKCE challenge', async (t) => {
  const v = verifier();
  const wrongUri = await codeFor({ code_challenge: challengeOf(v), code_challenge_method: 'S256' });
  await expectInvalidGrant(t, await exchange(wrongUri.code, v, { redirect_uri: 'http://127.0.0.1:5000/other' }), /Redirect URI mismatch/);
  const mismatch = await codeFor({ code_challenge: challengeOf(v), code_challenge_method: 'S256' });
  await expectInvalidGrant(t, await exchange(mismatch.code, verifier()), /does not match the code_challenge/);
  const missing = await codeFor({ code_challenge: challengeOf(v), code_challenge_method: 'S256' });
  await expectInvalidGrant(t, await exchange(missing.code, undefined), /code_verifier is missing/);
  await expectInvalidGrant(t, await exchange(missing.code, v), /already used/);
});

t.test('refresh (client by Basic, app_tid sent) rotates the refresh token: the old one stops working', async (t) => {
  const { code } = await codeFor();
  const first = await (await exchange(code, undefined)).json();
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, app_tid: '' }, APP);
  t.equal(refreshed.status, 200);
  const second = await refreshed.json();
  t.match(second, { access_token: /./, expires_in: 43200, refresh_token: /-r$/ }, 'all three fields the approuter requires');
  t.not(second.refresh_token, first.refresh_token);
  t.match(decodeJwt(second.access_token), { grant_type: 'refresh_token', user_name: 'alice', scope: ['openid', 'uaa.resource', 'bookshop!t7.Viewer', 'bookshop!t7.Reader'] });
  t.equal(decodeJwt(second.access_token).auth_time, decodeJwt(first.access_token).auth_time, 'the login time is kept');
  const replay = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, APP);
  t.equal(replay.status, 401);
  t.match(await replay.json(), { error: 'invalid_token', error_description: /Invalid refresh token/ });
  const foreign = await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token }, STRICT);
  t.match(await foreign.json(), { error: 'invalid_token', error_description: /another client/ });
  t.equal((await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token, app_tid: 'other-tenant' }, APP)).status, 401, 'another app_tid');
});

t.test('the scope parameter narrows the login and its refreshes', async (t) => {
  const { code } = await codeFor({ scope: 'openid bookshop!t7.Viewer' });
  const body = await (await exchange(code, undefined)).json();
  t.equal(body.scope, 'openid bookshop!t7.Viewer');
  const refreshed = await (await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token }, APP)).json();
  t.equal(refreshed.scope, 'openid bookshop!t7.Viewer', 'kept by the refresh');
  const bad = await codeFor({ scope: 'bookshop!t7.Admin' });
  const res = await exchange(bad.code, undefined);
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'invalid_scope' });
});

t.test('no open redirect: unknown clients and redirect_uris the client may not use get an error page', async (t) => {
  const rows: Array<[string, Record<string, string>, RegExp]> = [
    ['an unknown client', { client_id: 'sb-unknown' }, /Unknown client/],
    ['no client', { client_id: '' }, /Unknown client/],
    ['another host', { redirect_uri: 'https://evil.example/login/callback' }, /Invalid redirect/],
    ['user info in front of another host', { redirect_uri: 'http://127.0.0.1:5000@evil.example/' }, /Invalid redirect/],
    ['a look-alike host', { redirect_uri: 'http://127.0.0.1.evil.example:5000/' }, /Invalid redirect/],
    ['a scheme-relative URI', { redirect_uri: '//evil.example/' }, /Invalid redirect/],
    ['javascript:', { redirect_uri: 'javascript:alert(1)' }, /Invalid redirect/],
    ['no redirect_uri', { redirect_uri: '' }, /Invalid redirect/],
    ['loopback for a client with its own redirect-uris', { client_id: STRICT }, /Invalid redirect/],
    ['an invalid request to a bad redirect_uri', { response_type: 'token', redirect_uri: 'https://evil.example/' }, /Invalid redirect/],
  ];
  for (const [what, p, title] of rows) {
    const res = await fetch(authorizeUrl(p), { redirect: 'manual' });
    t.equal(res.status, 400, `${what}: 400`);
    t.equal(res.headers.get('location'), null, `${what}: no redirect`);
    t.match(await res.text(), title, `${what}: the error page says why`);
  }
  const strict = await fetch(authorizeUrl({ client_id: STRICT, redirect_uri: 'https://strict.example.com/login/callback' }), { redirect: 'manual' });
  t.equal(strict.status, 302, 'the strict client\'s own redirect-uri is fine');
  const viaLogin = await fetch(`${base}/login?${new URLSearchParams({ client_id: APP, redirect_uri: 'https://evil.example/' })}`, { redirect: 'manual' });
  t.equal(viaLogin.status, 400, '/login refuses the same');
  const browser = new BrowserClient();
  const form = await browser.get(authorizeUrl());
  const res = await browser.submitFormNoFollow(form, { username: 'alice', password: 'alice-pw', form_redirect_uri: 'https://evil.example/' });
  t.equal(res.status, 400, 'a login form that names another place to go is refused');
  t.equal(res.headers.get('location'), null);
});

t.test('errors of a valid request go back to the redirect_uri as error=…, with the state', async (t) => {
  const unsupported = await fetch(authorizeUrl({ response_type: 'token' }), { redirect: 'manual' });
  t.match(unsupported.headers.get('location'), /^http:\/\/127\.0\.0\.1:5000\/login\/callback\?error=unsupported_response_type&.*state=st-1$/);
  const badPkce = await fetch(authorizeUrl({ code_challenge: challengeOf(verifier()), code_challenge_method: 'S384' }), { redirect: 'manual' });
  t.match(badPkce.headers.get('location'), /\?error=invalid_request&/);
  const silent = await fetch(authorizeUrl({ prompt: 'none' }), { redirect: 'manual' });
  t.match(silent.headers.get('location'), /\?error=login_required&state=st-1$/, 'prompt=none without a login');
});

t.test('logout ends the login session and follows redirect only where the client may go', async (t) => {
  const { browser } = await codeFor();
  const out = await browser.fetchNoFollow(`${base}/logout.do?${new URLSearchParams({ redirect: 'http://127.0.0.1:5000/logged-out.html', client_id: APP })}`);
  t.equal(out.status, 302);
  t.equal(out.headers.get('location'), 'http://127.0.0.1:5000/logged-out.html');
  const after = await browser.get(authorizeUrl());
  t.match(after.text, /action="\/login.do"/, 'the next authorize shows the form again');
  for (const redirect of ['https://evil.example/', 'http://127.0.0.1:5000@evil.example/']) {
    const res = await fetch(`${base}/logout.do?${new URLSearchParams({ redirect, client_id: APP })}`, { redirect: 'manual' });
    t.equal(res.status, 200, `${redirect}: a page, not a redirect`);
    t.match(await res.text(), 'logged out');
  }
  const strict = await fetch(`${base}/logout.do?${new URLSearchParams({ redirect: 'http://127.0.0.1:5000/', client_id: STRICT })}`, { redirect: 'manual' });
  t.equal(strict.status, 200, 'the strict client may not send the browser to loopback');
});
