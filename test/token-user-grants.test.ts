import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { issueUserToken, JWT_BEARER } from '../services/xsuaa/token-issuer.js';
import { userIdentity } from '../services/xsuaa/user-directory.js';
import { startSimulator } from '../src/simulator.js';
import { resignedCopy, strangerKey } from './helpers/tokens.js';

const A = '5a5a5a5a-0000-4000-8000-00000000000a';
const B = '5b5b5b5b-0000-4000-8000-00000000000b';
const CONN_A = 'sb-conn-a!b1|connectivity!b137';
const APP_A = 'sb-app-a!t7';
const CONN_B = 'sb-conn-b!b2|connectivity!b137';
const SECRETS: Record<string, string> = { [CONN_A]: 'conn-secret', [APP_A]: 'app-secret', [CONN_B]: 'b-secret' };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const caDir = mkdtempSync(join(tmpdir(), 'scc-sim-user-grants-'));
t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
const sim = await startSimulator({
  logLevel: 'silent',
  proxy: { host: '127.0.0.1', caDir },
  subaccounts: [
    { subaccount: A, subdomain: 'grants-a', cloudUser: 'u', cloudPassword: 'p',
      clients: [{ clientid: CONN_A, clientsecret: SECRETS[CONN_A] }, { clientid: APP_A, clientsecret: SECRETS[APP_A], service: 'xsuaa' }],
      users: [{ name: 'alice', password: 'alice-pw', email: 'alice@acme.example', givenName: 'Alice', familyName: 'Anders' }] },
    { subaccount: B, subdomain: 'grants-b', cloudUser: 'u', cloudPassword: 'p',
      clients: [{ clientid: CONN_B, clientsecret: SECRETS[CONN_B] }],
      users: [{ name: 'carol', password: 'carol-pw' }] },
  ],
});
t.teardown(() => sim.close());

const basic = (id: string) => `Basic ${Buffer.from(`${id}:${SECRETS[id]}`).toString('base64')}`;

interface Via { headers?: Record<string, string>; base?: string; ca?: string; servername?: string }

/** POST /oauth/token as client `id` (HTTP Basic) with form `fields`; over HTTP unless `via.base` is the HTTPS URL. */
function post(id: string, fields: Record<string, string>, via: Via = {}): Promise<{ status: number; body: any }> {
  const url = `${via.base ?? sim.urls.tokenService}/oauth/token`;
  const send = url.startsWith('https:') ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST', ca: via.ca, servername: via.servername, agent: false,
      headers: { authorization: basic(id), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...via.headers },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(new URLSearchParams(fields).toString());
  });
}

const password = (id: string, username = 'alice', pw = 'alice-pw', headers: Record<string, string> = {}) =>
  post(id, { grant_type: 'password', username, password: pw }, { headers });

async function aliceToken(t: Test, id = APP_A): Promise<string> {
  const res = await password(id);
  t.equal(res.status, 200, 'alice gets a token');
  return res.body.access_token;
}

t.test('the password grant issues a user token with the claims of an XSUAA user token', async (t) => {
  const res = await password(APP_A);
  t.equal(res.status, 200);
  t.match(res.body, { token_type: 'bearer', expires_in: 43200, scope: 'openid uaa.resource', jti: /^[0-9a-f]{32}$/ });
  const claims = decodeJwt(res.body.access_token);
  t.match(claims, {
    user_name: 'alice', email: 'alice@acme.example', given_name: 'Alice', family_name: 'Anders', origin: 'ldap',
    user_id: GUID, user_uuid: GUID, zid: A, ext_attr: { enhancer: 'XSUAA', subaccountid: A, zdn: 'grants-a' },
    client_id: APP_A, cid: APP_A, azp: APP_A, grant_type: 'password', iss: `${sim.urls.tokenService}/oauth/token`, jti: res.body.jti,
  });
  t.equal(claims.sub, claims.user_id, 'sub is the user id');
  t.same(claims.scope, ['openid', 'uaa.resource']);
  t.equal(claims.exp! - claims.iat!, 43200);
  const again = decodeJwt((await password(APP_A)).body.access_token);
  t.same([again.user_id, again.user_uuid], [claims.user_id, claims.user_uuid], 'the user ids are stable');
});

t.test('the password grant refuses a wrong password, an unknown user and a user of another subaccount', async (t) => {
  for (const [username, pw, what] of [['alice', 'wrong', 'wrong password'], ['mallory', 'alice-pw', 'unknown user'],
    ['carol', 'carol-pw', 'user of subaccount B'], ['', '', 'no user at all']] as const) {
    const res = await password(APP_A, username, pw);
    t.equal(res.status, 401, `${what}: 401`);
    t.same(res.body, { error: 'unauthorized', error_description: 'Bad credentials' }, `${what}: UAA's answer`);
  }
});

t.test('the jwt-bearer exchange keeps the user and switches the client', async (t) => {
  const assertion = await aliceToken(t);
  const res = await post(CONN_A, { grant_type: JWT_BEARER, assertion });
  t.equal(res.status, 200);
  t.equal(res.body.scope, 'openid uaa.resource connectivity!b137.proxy', 'the connectivity client\'s scopes');
  const before = decodeJwt(assertion);
  const after = decodeJwt(res.body.access_token);
  for (const claim of ['user_name', 'user_id', 'user_uuid', 'email', 'given_name', 'family_name', 'origin', 'sub', 'zid']) {
    t.equal(after[claim], before[claim], `${claim} is kept`);
  }
  t.match(after, { client_id: CONN_A, cid: CONN_A, azp: CONN_A, grant_type: JWT_BEARER });
  t.match(await sim.proxy.userVerifier.verify(res.body.access_token), { ok: true, kind: 'business', user: { name: 'alice' } });
  t.match(await sim.proxy.verifier.verify(res.body.access_token), { ok: true, subaccount: A }, 'the proxy accepts it in Proxy-Authorization');
});

t.test('the jwt-bearer exchange refuses every assertion that is not a valid user token of the subaccount', async (t) => {
  const alice = await aliceToken(t);
  const subaccountA = sim.config.subaccounts[0]!;
  const expired = (await issueUserToken(sim.proxy.keys, {
    client: subaccountA.clients[1]!, subaccount: subaccountA, issuerBaseUrl: sim.urls.tokenService,
    connectivityXsappname: 'connectivity!b137', validitySeconds: 60, now: () => Date.now() - 3600_000,
    user: userIdentity(subaccountA, subaccountA.users[0]!), grantType: 'password',
  })).access_token;
  const rows: Array<[string, Record<string, string>, RegExp]> = [
    ['a forged signature', { assertion: await resignedCopy(alice, strangerKey()) }, /signature does not verify/],
    ['an expired user token', { assertion: expired }, /token expired/],
    ['a client-credentials token', { assertion: await sim.token(CONN_A) }, /not a user token/],
    ['a user token of subaccount B', { assertion: (await post(CONN_B, { grant_type: 'password', username: 'carol', password: 'carol-pw' })).body.access_token },
      /issued for another subaccount/],
    ['no assertion', {}, /assertion parameter is missing/],
  ];
  for (const [what, fields, reason] of rows) {
    const res = await post(CONN_A, { grant_type: JWT_BEARER, ...fields });
    t.equal(res.status, 401, `${what}: 401`);
    t.match(res.body, { error: 'invalid_grant', error_description: reason }, `${what}: invalid_grant`);
  }
});

t.test('x-zid selects the tenant: the client\'s own is accepted, any other refused as invalid_client', async (t) => {
  t.equal((await password(APP_A, 'alice', 'alice-pw', { 'x-zid': A })).status, 200, 'own subaccount');
  for (const zid of [B, 'no-such-zone']) {
    const res = await post(CONN_A, { grant_type: 'client_credentials' }, { headers: { 'x-zid': zid } });
    t.equal(res.status, 401, `x-zid ${zid}: 401`);
    t.same(res.body, { error: 'invalid_client', error_description: 'Bad credentials' });
  }
});

t.test('the HTTPS listener answers /oauth/token with a certificate signed by the simulator CA', async (t) => {
  t.match(sim.urls.tokenServiceHttps, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(sim.caFile, 'utf8');
  t.equal(ca, readFileSync(join(caDir, 'ca.pem'), 'utf8'), 'caFile is the ca.pem of proxy.caDir');
  const overTls = { base: sim.urls.tokenServiceHttps, ca };
  const res = await post(APP_A, { grant_type: 'password', username: 'alice', password: 'alice-pw' }, { ...overTls, headers: { 'x-zid': A } });
  t.equal(res.status, 200);
  t.equal(decodeJwt(res.body.access_token).iss, `${sim.urls.tokenService}/oauth/token`, 'one issuer: the HTTP token URL');
  const cc = await post(CONN_A, { grant_type: 'client_credentials' }, { ...overTls, servername: 'localhost' });
  t.equal(cc.status, 200, 'the certificate names localhost too');
  await t.rejects(post(CONN_A, { grant_type: 'client_credentials' }, { base: sim.urls.tokenServiceHttps }),
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'a client that does not trust the CA refuses the connection');
});
