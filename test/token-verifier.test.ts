import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, type JWTPayload } from 'jose';
import { parseConfig } from '../services/shared/config-load.js';
import { createClientDirectory } from '../services/xsuaa/client-directory.js';
import { loadSigningKeys, signingKeysFrom } from '../services/xsuaa/token-keys.js';
import { issueClientCredentialsToken } from '../services/xsuaa/token-issuer.js';
import { createTokenVerifier, type TokenDecision } from '../services/xsuaa/token-verifier.js';

const A = '1f0a7c2e-aaaa-4bbb-8ccc-000000000001';
const B = '1f0a7c2e-aaaa-4bbb-8ccc-000000000002';
const CONN_A = 'sb-conn!b1|connectivity!b137';
const BASE = 'http://127.0.0.1:8080';

const config = parseConfig({
  subaccounts: [
    { subaccount: A, subdomain: 'sim-a', cloudUser: 'u', cloudPassword: 'p', clients: [
      { clientid: CONN_A, clientsecret: 's' },
      { clientid: 'sb-dest', clientsecret: 's', service: 'destination' },
    ] },
    { subaccount: B, subdomain: 'sim-b', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: 'sb-conn-b', clientsecret: 's' }] },
  ],
});
const clientDirectory = createClientDirectory(config);
const keys = await loadSigningKeys();
const otherKeys = signingKeysFrom(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

const entry = (id: string) => clientDirectory.byClientId(id)!;
const issue = async (id: string, extra: { now?: () => number; issuerBaseUrl?: string } = {}) =>
  (await issueClientCredentialsToken(keys, {
    client: entry(id).client, subaccount: entry(id).subaccount, issuerBaseUrl: extra.issuerBaseUrl ?? BASE,
    connectivityXsappname: 'connectivity!b137', validitySeconds: 43200, now: extra.now,
  })).access_token;

/** A token signed with the real key whose claims are a valid token's, changed by `patch`. */
const forge = async (patch: JWTPayload, signWith = keys.privateKey) => {
  const claims = { ...decodeJwt(await issue(CONN_A)), ...patch };
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' }).sign(signWith);
};
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const newVerifier = (now?: () => number) => createTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl: BASE, now });

t.test('decides every kind of token as expected', async (t) => {
  const valid = await issue(CONN_A);
  const rows: Array<{ name: string; token: string; reason?: string }> = [
    { name: 'a valid token of a connectivity client is accepted', token: valid },
    { name: 'an alg none token is refused', token: `${b64({ alg: 'none', typ: 'JWT' })}.${valid.split('.')[1]}.`,
      reason: 'token algorithm none is not accepted' },
    { name: 'a token signed by another RSA key with the same kid is refused', token: await forge({}, otherKeys.privateKey),
      reason: 'token signature does not verify' },
    { name: 'an HS256 token keyed with the public key PEM is refused',
      token: await new SignJWT(decodeJwt(valid)).setProtectedHeader({ alg: 'HS256', kid: keys.kid })
        .sign(Buffer.from(keys.publicJwk.value)),
      reason: 'token algorithm HS256 is not accepted; only RS256 is' },
    { name: 'an expired token is refused', token: await issue(CONN_A, { now: () => Date.now() - 43260_000 }),
      reason: 'token expired' },
    { name: 'a token of a foreign issuer is refused', token: await issue(CONN_A, { issuerBaseUrl: 'http://evil:1' }),
      reason: 'token issuer is not this token service' },
    { name: 'a token whose subaccount is not its client\'s is refused',
      token: await forge({ ext_attr: { enhancer: 'XSUAA', subaccountid: B, zdn: 'sim-b' }, zid: B }),
      reason: `token subaccount ${B} is not the subaccount of client ${CONN_A}` },
    { name: 'a token of a destination client is refused', token: await issue('sb-dest'),
      reason: 'client sb-dest is not allowed to use the connectivity proxy (it is a destination client)' },
    { name: 'a token without the proxy scope is refused', token: await forge({ scope: ['uaa.resource'] }),
      reason: 'token lacks the scope connectivity!b137.proxy' },
    { name: 'a token of an unknown client is refused', token: await forge({ client_id: 'sb-ghost', cid: 'sb-ghost' }),
      reason: 'client sb-ghost is unknown' },
    { name: 'a token with an unknown kid is refused',
      token: await new SignJWT(decodeJwt(valid)).setProtectedHeader({ alg: 'RS256', kid: 'k2' }).sign(keys.privateKey),
      reason: 'token key id k2 is not a key of this token service' },
    { name: 'an empty string is refused', token: '', reason: 'no token' },
    { name: 'a word is refused', token: 'abc', reason: 'token is not a well-formed JWT' },
    { name: 'three dotted letters are refused', token: 'a.b.c', reason: 'token header is not valid JSON' },
    { name: 'a very long string is refused', token: 'x'.repeat(100_000), reason: 'token is too long (100000 characters)' },
  ];
  const verifier = newVerifier();
  for (const row of rows) {
    const decision = await verifier.verify(row.token);
    if (row.reason === undefined) {
      t.match(decision, { ok: true, subaccount: A, clientId: CONN_A }, row.name);
      continue;
    }
    t.same(decision, { ok: false, reason: row.reason }, row.name);
    const reason = decision.ok ? '' : decision.reason;
    for (const part of row.token.split('.').filter((p) => p.length >= 8)) {
      t.notOk(reason.includes(part), `${row.name}: the reason quotes no part of the token`);
    }
  }
});

t.test('a token of another subaccount\'s client carries that subaccount', async (t) => {
  const decision = await newVerifier().verify(await issue('sb-conn-b'));
  t.match(decision, { ok: true, subaccount: B, clientId: 'sb-conn-b' });
});

t.test('a second verification of the same token is answered synchronously', async (t) => {
  const verifier = newVerifier();
  const token = await issue(CONN_A);
  const first = verifier.verify(token);
  t.ok(first instanceof Promise, 'the first verification is asynchronous');
  t.equal(verifier.verify(token), first, 'concurrent verifications share one promise');
  t.match(await first, { ok: true, subaccount: A });
  const second = verifier.verify(token);
  t.notOk(second instanceof Promise, 'the second verification is synchronous');
  t.match(second, { ok: true, subaccount: A });
  t.match(verifier.verifyCached(token), { ok: true, subaccount: A });
  verifier.clear();
  t.equal(verifier.verifyCached(token), undefined, 'clear() forgets the decision');
  t.ok(verifier.verify(token) instanceof Promise, 'after clear() the token is verified again');
});

t.test('a cached token is refused once the clock passes its expiry', async (t) => {
  let clock = Date.now();
  const verifier = newVerifier(() => clock);
  const token = await issue(CONN_A, { now: () => clock });
  const fresh = (await verifier.verify(token)) as TokenDecision & { ok: true };
  t.equal(fresh.ok, true);
  t.equal(fresh.expiresAt, (Math.floor(clock / 1000) + 43200) * 1000, 'expiresAt is exp in milliseconds');
  clock += 43200_000 - 60_000;
  t.match(verifier.verify(token), { ok: true }, 'still valid a minute before expiry, from the cache');
  clock += 60_000 + 6_000;
  const expired = verifier.verify(token);
  t.notOk(expired instanceof Promise, 'the expiry is decided synchronously');
  t.same(expired, { ok: false, reason: 'token expired' });
});

t.test('a refused token is remembered for a short time only', async (t) => {
  let clock = Date.now();
  const verifier = createTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl: () => BASE, now: () => clock, failureTtlMs: 1000 });
  t.same(await verifier.verify('abc'), { ok: false, reason: 'token is not a well-formed JWT' });
  t.same(verifier.verify('abc'), { ok: false, reason: 'token is not a well-formed JWT' }, 'synchronous while remembered');
  clock += 1001;
  t.ok(verifier.verify('abc') instanceof Promise, 'verified again after the failure TTL');
});

t.test('the kid is stable for a given key', async (t) => {
  t.equal(signingKeysFrom(keys.privateKey).kid, keys.kid);
  t.match(keys.kid, /^default-jwt-key-[0-9a-f]{8}$/);
  t.not(otherKeys.kid, keys.kid);
});
