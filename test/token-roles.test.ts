// Roles in user tokens: the scopes <xsappname>.<scope> of the user's role collections,
// xs.rolecollections and xs.user.attributes, for the password grant and the jwt-bearer exchange;
// the `scope` parameter narrows; a client's token-validity sets expires_in.
import t from 'tap';
import { decodeJwt } from 'jose';
import { startSimulator } from '../src/simulator.js';
import { JWT_BEARER } from '../services/xsuaa/token-issuer.js';

const SUBACCOUNT = '2c2c2c2c-0000-4000-8000-00000000002c';
const APP = 'sb-bookshop!t7';
const CONN = 'sb-conn!b1|connectivity!b137';
const SECRETS: Record<string, string> = { [APP]: 'app-secret', [CONN]: 'conn-secret' };
const sim = await startSimulator({
  logLevel: 'silent',
  subaccounts: [{
    subaccount: SUBACCOUNT, subdomain: 'roles', cloudUser: 'u', cloudPassword: 'p',
    clients: [{ clientid: CONN, clientsecret: SECRETS[CONN] }, { clientid: APP, clientsecret: SECRETS[APP], service: 'xsuaa', 'oauth2-configuration': { 'token-validity': 900 } }],
    roleCollections: [{ name: 'Viewers', scopes: ['Viewer'] }, { name: 'Editors', scopes: ['Viewer', 'Edit'] }],
    users: [
      { name: 'alice', password: 'alice-pw', roleCollections: ['Viewers', 'Editors'], attributes: { Country: ['DE'], CostCenter: ['4711', '4712'] } },
      { name: 'bob', password: 'bob-pw' },
    ],
  }],
});
t.teardown(() => sim.close());

async function post(id: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.urls.tokenService}/oauth/token`, {
    method: 'POST', body: new URLSearchParams(fields),
    headers: { authorization: `Basic ${Buffer.from(`${id}:${SECRETS[id]}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { status: res.status, body: await res.json() };
}
const password = (user: string, more: Record<string, string> = {}) => post(APP, { grant_type: 'password', username: user, password: `${user}-pw`, ...more });

t.test('the password grant carries the user\'s scopes, role collections and attributes', async (t) => {
  const { status, body } = await password('alice');
  t.equal(status, 200);
  t.equal(body.scope, 'openid uaa.resource bookshop!t7.Viewer bookshop!t7.Edit');
  t.equal(body.expires_in, 900, 'the client\'s token-validity');
  t.match(body.refresh_token, /-r$/, 'and a refresh token');
  const claims = decodeJwt(body.access_token);
  t.same(claims.scope, ['openid', 'uaa.resource', 'bookshop!t7.Viewer', 'bookshop!t7.Edit']);
  t.same(claims['xs.system.attributes'], { 'xs.rolecollections': ['Viewers', 'Editors'] });
  t.same(claims['xs.user.attributes'], { Country: ['DE'], CostCenter: ['4711', '4712'] });
  t.ok((claims.aud as string[]).includes('bookshop!t7'), 'the application is an audience (CAP and xssec check it)');
  const bob = decodeJwt((await password('bob')).body.access_token);
  t.same(bob.scope, ['openid', 'uaa.resource'], 'bob holds no role collection');
  t.same(bob['xs.system.attributes'], { 'xs.rolecollections': [] });
});

t.test('the scope parameter narrows the token; scopes nobody granted are invalid_scope', async (t) => {
  const narrowed = await password('alice', { scope: 'openid bookshop!t7.Viewer' });
  t.equal(narrowed.body.scope, 'openid bookshop!t7.Viewer');
  const bobAsks = await password('bob', { scope: 'bookshop!t7.Edit openid' });
  t.equal(bobAsks.body.scope, 'openid', 'what bob does not hold is dropped');
  const none = await password('bob', { scope: 'bookshop!t7.Edit' });
  t.equal(none.status, 400);
  t.match(none.body, { error: 'invalid_scope' });
  const cc = await post(CONN, { grant_type: 'client_credentials', scope: 'connectivity!b137.proxy' });
  t.equal(cc.body.scope, 'connectivity!b137.proxy', 'client credentials narrow the same way');
});

t.test('the jwt-bearer exchange keeps the user\'s role collections and gives the new client\'s application\'s scopes', async (t) => {
  const assertion = (await password('alice')).body.access_token;
  const { status, body } = await post(CONN, { grant_type: JWT_BEARER, assertion });
  t.equal(status, 200);
  t.equal(body.scope, 'openid uaa.resource connectivity!b137.proxy', 'no bookshop scopes for the connectivity client');
  const claims = decodeJwt(body.access_token);
  t.same(claims['xs.system.attributes'], { 'xs.rolecollections': ['Viewers', 'Editors'] });
  t.same(claims['xs.user.attributes'], { Country: ['DE'], CostCenter: ['4711', '4712'] });
  const back = await post(APP, { grant_type: JWT_BEARER, assertion: body.access_token });
  t.equal(back.body.scope, 'openid uaa.resource bookshop!t7.Viewer bookshop!t7.Edit', 'and back to the app: its scopes again');
});

t.test('principal propagation accepts the refreshed user token as a business user', async (t) => {
  const first = (await password('alice')).body;
  const refreshed = await post(APP, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
  t.equal(refreshed.status, 200);
  t.match(await sim.proxy.userVerifier.verify(refreshed.body.access_token), { ok: true, kind: 'business', user: { name: 'alice' } });
});
