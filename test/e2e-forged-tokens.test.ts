// Forged and misused tokens sent through the HTTP proxy: each is refused before any tunnel is
// chosen (407), or — for a genuine token of another subaccount — routed to that subaccount only
// (503), and none of them ever reaches subaccount A's backend.
import t, { type Test } from 'tap';
import { startSimulator } from '../src/simulator.js';
import { CLIENT_A, CLIENT_B, DESTINATION_CLIENT_A, SUBACCOUNT_A, SUBACCOUNT_B, signingKeyFile, world } from './helpers/configs.js';
import { proxyRequest, type ProxyResponse } from './helpers/proxy-client.js';
import { expectError } from './helpers/expect-error.js';
import {
  decodePart, encodePart, expiredToken, issueWith, keysFromFile, resignedCopy, strangerKey, tamperPayload, unsignedCopy,
} from './helpers/tokens.js';

const keyFile = signingKeyFile((fn) => t.teardown(fn));
const sim = await startSimulator(world({ proxy: { signingKeyFile: keyFile }, locationID: 'LOC-A' }));
t.teardown(() => sim.close());

const keys = keysFromFile(keyFile);
const port = sim.ports.httpPort;
const tokenA = await sim.token(CLIENT_A);
const tokenB = await sim.token(CLIENT_B);

/** Every request that reached subaccount A's backend, by raw URL. */
const arrived: string[] = [];
sim.backends.hello!.server.on('request', (req) => arrived.push(req.url ?? ''));

/** A request for A's system, at A's connector location unless told otherwise (null: no location header). */
function send(token: string, location: string | null = 'LOC-A'): Promise<ProxyResponse> {
  return proxyRequest(port, { url: 'http://virtualhost:3333/echo', token, location: location ?? undefined });
}

function expectRefused(t: Test, res: ProxyResponse, reason: string, token: string): void {
  expectError(t, res, 407, 'PROXY_AUTHENTICATION_REQUIRED', `Proxy Authentication Required: ${reason}`, [token]);
  t.match(res.headers['proxy-authenticate'], /^Bearer\b/, 'Proxy-Authenticate: Bearer');
}

t.test('a genuine token of subaccount A reaches A\'s backend (the control case)', async (t) => {
  const before = arrived.length;
  const res = await send(tokenA);
  t.equal(res.status, 200);
  t.equal(res.json().path, '/echo');
  t.equal(arrived.length, before + 1);
});

t.test('refuses a token with alg none and no signature', async (t) => {
  const forged = unsignedCopy(tokenA);
  t.equal(decodePart(forged.split('.')[0]!).alg, 'none');
  expectRefused(t, await send(forged), 'token algorithm none is not accepted', forged);
});

t.test('refuses a token with alg "None" in another spelling', async (t) => {
  const [header, payload] = tokenA.split('.');
  const forged = `${encodePart({ ...decodePart(header!), alg: 'NoNe' })}.${payload}.`;
  expectRefused(t, await send(forged), 'token algorithm none is not accepted', forged);
});

t.test('refuses a token signed by another key under the real key id', async (t) => {
  const forged = await resignedCopy(tokenA, strangerKey());
  t.equal(decodePart(forged.split('.')[0]!).kid, keys.kid, 'the forged token names the real kid');
  expectRefused(t, await send(forged), 'token signature does not verify', forged);
});

t.test('refuses a token signed with HS256 using the public key as the secret', async (t) => {
  const secret = new TextEncoder().encode(keys.publicJwk.value);
  const forged = await resignedCopy(tokenA, secret, 'HS256');
  expectRefused(t, await send(forged), 'token algorithm HS256 is not accepted; only RS256 is', forged);
});

t.test('refuses an expired token signed with the real key', async (t) => {
  const expired = await expiredToken(sim, keys, CLIENT_A);
  expectRefused(t, await send(expired), 'token expired', expired);
});

t.test('refuses a token whose payload was changed after signing', async (t) => {
  const forged = tamperPayload(tokenB, (c) => {
    c.ext_attr.subaccountid = SUBACCOUNT_A;
    c.zid = SUBACCOUNT_A;
  });
  expectRefused(t, await send(forged), 'token signature does not verify', forged);
});

t.test('refuses a real-key token that names subaccount A for subaccount B\'s client', async (t) => {
  const genuine = await issueWith(sim, keys, { clientid: CLIENT_B });
  const claims = decodePart(genuine.split('.')[1]!);
  claims.ext_attr.subaccountid = SUBACCOUNT_A;
  claims.zid = SUBACCOUNT_A;
  const forged = await resignedCopy(`${genuine.split('.')[0]}.${encodePart(claims)}.x`, keys.privateKey);
  expectRefused(t, await send(forged), `token subaccount ${SUBACCOUNT_A} is not the subaccount of client ${CLIENT_B}`, forged);
});

t.test('refuses a token of a destination-service client', async (t) => {
  const destToken = await sim.token(DESTINATION_CLIENT_A);
  expectRefused(t, await send(destToken),
    `client ${DESTINATION_CLIENT_A} is not allowed to use the connectivity proxy (it is a destination client)`, destToken);
});

t.test('routes a token of subaccount B to B\'s (missing) connector, never to A\'s', async (t) => {
  const res = await send(tokenB, null);
  expectError(t, res, 503, 'SCC_NO_TUNNEL',
    `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_B}' and SCC location ID ''`,
    [tokenB]);
});

t.test('routes a token of subaccount B with A\'s location ID to B, never to A', async (t) => {
  const res = await send(tokenB, 'LOC-A');
  expectError(t, res, 503, 'SCC_NO_TUNNEL',
    `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_B}' and SCC location ID 'LOC-A'`,
    [tokenB]);
});

t.test('no forged or foreign token ever reached subaccount A\'s backend', async (t) => {
  t.same(arrived, ['/echo'], 'only the control request arrived');
});
