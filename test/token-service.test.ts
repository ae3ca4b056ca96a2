import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { parseConfig } from '../services/shared/config-load.js';
import { createClientDirectory } from '../services/xsuaa/client-directory.js';
import { loadSigningKeys } from '../services/xsuaa/token-keys.js';
import { registerTokenService } from '../services/xsuaa/token-service.js';
import { createTokenVerifier } from '../services/xsuaa/token-verifier.js';

const SUBACCOUNT = '7e5f4c1a-0000-4000-8000-0000000000aa';
const CLIENT = 'sb-conn!b1|connectivity!b137';
const SECRET = 'top-secret-value';
const config = parseConfig({
  subaccounts: [{ subaccount: SUBACCOUNT, subdomain: 'sim', cloudUser: 'u', cloudPassword: 'p', clients: [
    { clientid: CLIENT, clientsecret: SECRET },
    { clientid: 'sb-dest', clientsecret: 's', service: 'destination' },
  ] }],
});
const clientDirectory = createClientDirectory(config);
const keys = await loadSigningKeys();

const logLines: string[] = [];
const stream = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
const app = Fastify({ logger: { level: 'info', stream } });
let base = '';
registerTokenService(app, { keys, config, clientDirectory, issuerBaseUrl: () => base });
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(() => app.close());
base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const verifier = createTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl: () => base });

async function expectToken(t: Test, res: Response) {
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/json;charset=UTF-8');
  t.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.json();
  t.match(body, { token_type: 'bearer', expires_in: 43200, scope: 'uaa.resource connectivity!b137.proxy', jti: /^[0-9a-f]{32}$/ });
  t.match(await verifier.verify(body.access_token), { ok: true, subaccount: SUBACCOUNT, clientId: CLIENT }, 'the proxy accepts it');
  return body;
}

t.test('issues a token to a client authenticated with HTTP Basic', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { ...FORM, authorization: basic(CLIENT, SECRET) },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT }) });
  await expectToken(t, res);
});

t.test('issues a token to a client sending its credentials as form fields', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET }).toString() });
  await expectToken(t, res);
});

t.test('issues a token on GET with query parameters and HTTP Basic', async (t) => {
  const res = await fetch(`${base}/oauth/token?grant_type=client_credentials&response_type=token`,
    { headers: { authorization: basic(CLIENT, SECRET) } });
  await expectToken(t, res);
});

t.test('issues a token on POST with the grant in the query string and no body', async (t) => {
  const res = await fetch(`${base}/oauth/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: basic(CLIENT, SECRET) } });
  await expectToken(t, res);
});

t.test('issues a token for a JSON body', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET }) });
  await expectToken(t, res);
});

t.test('accepts Basic credentials that are form-encoded as RFC 6749 asks', async (t) => {
  const res = await fetch(`${base}/oauth/token?grant_type=client_credentials`,
    { method: 'POST', headers: { authorization: basic(encodeURIComponent(CLIENT), SECRET) } });
  await expectToken(t, res);
});

t.test('refuses a wrong secret with 401 invalid_client', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { ...FORM, authorization: basic(CLIENT, 'wrong') },
    body: 'grant_type=client_credentials' });
  t.equal(res.status, 401);
  t.equal(res.headers.get('www-authenticate'), 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"');
  t.same(await res.json(), { error: 'invalid_client', error_description: 'Bad credentials' });
});

t.test('refuses a request without credentials with 401 invalid_client', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' });
  t.equal(res.status, 401);
  t.same(await res.json(), { error: 'invalid_client', error_description: 'Bad credentials' });
});

t.test('refuses an unknown grant type with 400 unsupported_grant_type', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { ...FORM, authorization: basic(CLIENT, SECRET) },
    body: 'grant_type=implicit' });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'unsupported_grant_type', error_description: /implicit/ });
});

t.test('refuses a missing grant type with 400 unsupported_grant_type', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { authorization: basic(CLIENT, SECRET) } });
  t.equal(res.status, 400);
  t.same(await res.json(), { error: 'unsupported_grant_type', error_description: 'grant_type is missing' });
});

t.test('checks the credentials before the grant type', async (t) => {
  const res = await fetch(`${base}/oauth/token?grant_type=password`, { method: 'POST', headers: { authorization: basic(CLIENT, 'wrong') } });
  t.equal(res.status, 401);
});

t.test('refuses a malformed JSON body with 400 invalid_request', async (t) => {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(CLIENT, SECRET) },
    body: '{"grant_type":' });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'invalid_request', error_description: String });
});

t.test('publishes a JWKS that verifies an issued token', async (t) => {
  const res = await fetch(`${base}/token_keys`);
  t.equal(res.status, 200);
  const jwks = await res.json();
  t.match(jwks, { keys: [{ kty: 'RSA', e: 'AQAB', n: String, use: 'sig', kid: keys.kid, alg: 'RS256', value: /^-----BEGIN PUBLIC KEY-----/ }] });
  const body = await expectToken(t, await fetch(`${base}/oauth/token?grant_type=client_credentials`, { headers: { authorization: basic(CLIENT, SECRET) } }));
  const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), { issuer: `${base}/oauth/token` });
  t.equal(payload.client_id, CLIENT);
});

t.test('issues tokens with the header and claims of a real connectivity token', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const body = await expectToken(t, await fetch(`${base}/oauth/token?grant_type=client_credentials`, { headers: { authorization: basic(CLIENT, SECRET) } }));
  t.same(decodeProtectedHeader(body.access_token), { alg: 'RS256', jku: `${base}/token_keys`, kid: keys.kid, typ: 'JWT' });
  const claims = decodeJwt(body.access_token);
  t.match(claims, {
    client_id: CLIENT, cid: CLIENT, azp: CLIENT, sub: CLIENT, zid: SUBACCOUNT, grant_type: 'client_credentials', origin: 'uaa',
    ext_attr: { enhancer: 'XSUAA', subaccountid: SUBACCOUNT, zdn: 'sim' },
    iss: `${base}/oauth/token`, aud: [CLIENT], jti: body.jti,
  });
  t.same(claims.scope, ['uaa.resource', 'connectivity!b137.proxy']);
  t.same(claims.authorities, claims.scope);
  t.ok(claims.iat! >= before && claims.iat! <= before + 5, 'iat is now');
  t.equal(claims.exp! - claims.iat!, 43200);
});

t.test('issues a destination client a token the proxy refuses', async (t) => {
  const res = await fetch(`${base}/oauth/token?grant_type=client_credentials`, { headers: { authorization: basic('sb-dest', 's') } });
  t.equal(res.status, 200);
  const body = await res.json();
  t.equal(body.scope, 'uaa.resource');
  t.match(await verifier.verify(body.access_token), { ok: false, reason: /sb-dest is not allowed to use the connectivity proxy/ });
});

t.test('logs each issued token without the token or the secret', async (t) => {
  const issued = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'token issued');
  t.ok(issued.length >= 5);
  t.match(issued[0], { clientId: CLIENT, subaccount: SUBACCOUNT });
  const all = logLines.join('');
  t.notOk(all.includes(SECRET), 'no secret in the log');
  t.notOk(/eyJ[A-Za-z0-9_-]{20,}/.test(all), 'no token in the log');
});
