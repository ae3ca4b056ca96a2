import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, type JWTPayload } from 'jose';
import { parseConfig } from '../services/shared/config-load.js';
import { issueClientCredentialsToken, issueUserToken, JWT_BEARER } from '../services/xsuaa/token-issuer.js';
import { loadSigningKeys } from '../services/xsuaa/token-keys.js';
import { userIdentity } from '../services/xsuaa/user-directory.js';
import { createUserTokenVerifier, type UserDecision } from '../services/xsuaa/user-token-verifier.js';

const A = '3c3c3c3c-aaaa-4bbb-8ccc-00000000000a';
const B = '3c3c3c3c-aaaa-4bbb-8ccc-00000000000b';
const CONN_A = 'sb-conn-a!b1|connectivity!b137';
const DEST_A = 'sb-dest-a!b2|destination-xsappname!b9';
const BASE = 'http://127.0.0.1:8080';

const config = parseConfig({
  subaccounts: [
    { subaccount: A, subdomain: 'sim-a', cloudUser: 'u', cloudPassword: 'p',
      clients: [{ clientid: CONN_A, clientsecret: 's' }, { clientid: DEST_A, clientsecret: 's', service: 'destination' }],
      users: [{ name: 'alice', password: 'pw', email: 'alice@acme.example', givenName: 'Alice', familyName: 'Anders' }] },
    { subaccount: B, subdomain: 'sim-b', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'sb-conn-b', clientsecret: 's' }] },
  ],
});
const keys = await loadSigningKeys();
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const subaccountA = config.subaccounts[0]!;
const alice = userIdentity(subaccountA, subaccountA.users[0]!);
const clientOf = (id: string) => subaccountA.clients.find((c) => c.clientid === id)!;

interface IssueOverrides { now?: () => number; issuerBaseUrl?: string }
const common = (id: string, o: IssueOverrides) => ({
  client: clientOf(id), subaccount: subaccountA, issuerBaseUrl: o.issuerBaseUrl ?? BASE,
  connectivityXsappname: 'connectivity!b137', validitySeconds: 3600, now: o.now,
});
const userToken = async (o: IssueOverrides & { grantType?: 'password' | typeof JWT_BEARER } = {}) =>
  (await issueUserToken(keys, { ...common(CONN_A, o), user: alice, grantType: o.grantType ?? 'password' })).access_token;
const clientToken = async (id = CONN_A, o: IssueOverrides = {}) => (await issueClientCredentialsToken(keys, common(id, o))).access_token;
/** The claims of a valid user token, changed by `patch`, signed with `key` (default: the real one). */
const forge = async (patch: JWTPayload, key = keys.privateKey) =>
  new SignJWT({ ...decodeJwt(await userToken()), ...patch }).setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' }).sign(key);

const newVerifier = (now?: () => number) => createUserTokenVerifier({ keys, config, issuerBaseUrl: BASE, now });
const hourAgo = () => Date.now() - 2 * 3600_000;

t.test('business user verification decides every kind of token as expected', async (t) => {
  const rows: Array<{ name: string; token: string; reason?: string }> = [
    { name: 'a password-grant user token is accepted', token: await userToken() },
    { name: 'a jwt-bearer user token is accepted', token: await userToken({ grantType: JWT_BEARER }) },
    { name: 'a client-credentials token cannot act as a business user', token: await clientToken(),
      reason: 'token is not a user token (no user_name; grant type client_credentials); a technical token cannot act as a business user' },
    { name: 'an expired user token is refused', token: await userToken({ now: hourAgo }), reason: 'token expired' },
    { name: 'a user token signed by another key is refused', token: await forge({}, otherKey), reason: 'token signature does not verify' },
    { name: 'a user token of a foreign issuer is refused', token: await userToken({ issuerBaseUrl: 'http://evil:1' }),
      reason: 'token issuer is not this token service' },
    { name: 'a user name under a non-user grant is refused', token: await forge({ grant_type: 'client_credentials' }),
      reason: `token grant type client_credentials is not a user grant (password, ${JWT_BEARER}, authorization_code, refresh_token)` },
    { name: 'a user token whose subaccount is not its client\'s is refused',
      token: await forge({ zid: B, ext_attr: { enhancer: 'XSUAA', subaccountid: B, zdn: 'sim-b' } }),
      reason: `token subaccount ${B} is not the subaccount of client ${CONN_A}` },
    { name: 'a user token of an unknown client is refused', token: await forge({ client_id: 'sb-ghost', cid: 'sb-ghost' }),
      reason: 'client sb-ghost is unknown' },
    { name: 'a word is refused', token: 'abc', reason: 'token is not a well-formed JWT' },
  ];
  const verifier = newVerifier();
  for (const row of rows) {
    const decision = await verifier.verify(row.token);
    if (row.reason !== undefined) {
      t.same(decision, { ok: false, reason: row.reason }, row.name);
      continue;
    }
    t.match(decision, { ok: true, kind: 'business', subaccount: A, clientId: CONN_A }, row.name);
    t.same((decision as UserDecision & { ok: true }).user,
      { name: 'alice', userId: alice.user_id, email: 'alice@acme.example', givenName: 'Alice', familyName: 'Anders' }, `${row.name}: the user`);
  }
});

t.test('technical user verification accepts client-credentials tokens of any client of the subaccount', async (t) => {
  const verifier = newVerifier();
  t.match(await verifier.verifyTechnical(await clientToken(CONN_A)),
    { ok: true, kind: 'technical', subaccount: A, clientId: CONN_A, user: { name: CONN_A, userId: CONN_A } }, 'a connectivity client');
  t.match(await verifier.verifyTechnical(await clientToken(DEST_A)),
    { ok: true, kind: 'technical', user: { name: DEST_A } }, 'a destination client: the name is its client_id');
  t.same(await verifier.verifyTechnical(await userToken()),
    { ok: false, reason: 'token is not a client-credentials token (grant type password); a technical user token is needed' }, 'a user token');
  t.same(await verifier.verifyTechnical(await clientToken(CONN_A, { now: hourAgo })), { ok: false, reason: 'token expired' }, 'expired');
});

t.test('a token is decided separately as business and as technical user', async (t) => {
  const verifier = newVerifier();
  const token = await clientToken();
  t.match(await verifier.verifyTechnical(token), { ok: true });
  t.match(await verifier.verify(token), { ok: false }, 'a cached technical decision is not reused for a business user');
});

t.test('a second verification is answered synchronously until the token expires', async (t) => {
  let clock = Date.now();
  const verifier = newVerifier(() => clock);
  const token = await userToken({ now: () => clock });
  const first = verifier.verify(token);
  t.ok(first instanceof Promise, 'the first verification is asynchronous');
  t.match(await first, { ok: true, expiresAt: (Math.floor(clock / 1000) + 3600) * 1000 });
  const second = verifier.verify(token);
  t.notOk(second instanceof Promise, 'the second one is synchronous');
  t.match(second, { ok: true, user: { name: 'alice' } });
  clock += 3600_000 + 6_000;
  t.same(verifier.verify(token), { ok: false, reason: 'token expired' }, 'refused from the cache once expired');
  verifier.clear();
  t.ok(verifier.verify(token) instanceof Promise, 'clear() forgets every decision');
});
