// Principal propagation end to end (sap-contract.md §1.2, §4.3), through a real startSimulator():
// the app sends a user's token in SAP-Connectivity-Authentication (or a technical user's in
// SAP-Connectivity-Technical-Authentication), the proxy checks it, the user travels down the
// tunnel, and an X.509 system mapping sends the backend a short-lived certificate for that user
// in SSL_CLIENT_CERT (base64 DER), signed by the simulator CA; without a user such a mapping sends
// an empty SSL_CLIENT_CERT. Invalid user tokens are refused and never reach the backend.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePrincipal } from '../services/shared/principal-header.js';
import { issueUserToken } from '../services/xsuaa/token-issuer.js';
import { userIdentity } from '../services/xsuaa/user-directory.js';
import { startSimulator } from '../src/simulator.js';
import { CLIENT_A, CLIENT_B, SUBACCOUNT_A, mapping, world } from './helpers/configs.js';
import { captureLog } from './helpers/log-capture.js';
import { proxyRequest, type ProxyRequest } from './helpers/proxy-client.js';
import { resignedCopy, strangerKey, tamperPayload } from './helpers/tokens.js';

const APP_A = 'sb-e2e-app-a!t7';
const APP_B = 'sb-e2e-app-b!t8';

const caDir = mkdtempSync(join(tmpdir(), 'scc-sim-pp-'));
t.teardown(() => rmSync(caDir, { recursive: true, force: true }));

const config = world({
  proxy: { caDir },
  mappings: [
    mapping({ authenticationMode: 'X509_GENERAL' }),
    mapping({ virtualHost: 'restricted', authenticationMode: 'X509_RESTRICTED' }),
    mapping({ virtualHost: 'plain', authenticationMode: 'NONE' }),
    mapping({ virtualHost: 'kerberos', authenticationMode: 'KERBEROS' }),
  ],
}) as any;
const [a, b] = config.subaccounts;
a.clients.push({ clientid: APP_A, clientsecret: 'app-a-secret', service: 'xsuaa' });
a.users = [
  { name: 'alice', password: 'alice-pw', email: 'alice@acme.example', givenName: 'Alice', familyName: 'Anders' },
  { name: 'bob', password: 'bob-pw' },
];
b.clients.push({ clientid: APP_B, clientsecret: 'app-b-secret', service: 'xsuaa' });
b.users = [{ name: 'carol', password: 'carol-pw' }];
config.connectors[0].auditLogLevel = 'ALL';

const log = captureLog('trace');
const sim = await startSimulator(config, { logger: log.logger });
t.teardown(() => sim.close());
const caCert = new X509Certificate(readFileSync(sim.caFile));
const proxyToken = await sim.token(CLIENT_A);

async function userToken(client: string, secret: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${sim.urls.tokenService}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
  if (res.status !== 200) throw new Error(`password grant for ${username}: ${res.status} ${await res.text()}`);
  return (await res.json() as { access_token: string }).access_token;
}
const alice = await userToken(APP_A, 'app-a-secret', 'alice', 'alice-pw');
const bob = await userToken(APP_A, 'app-a-secret', 'bob', 'bob-pw');

/** GET /echo of `host` through the proxy; `user` goes into SAP-Connectivity-Authentication. */
async function echo(host: string, o: { user?: string; technical?: string; headers?: ProxyRequest['headers']; path?: string } = {}) {
  const headers: ProxyRequest['headers'] = { ...o.headers };
  if (o.user !== undefined) headers['SAP-Connectivity-Authentication'] = `Bearer ${o.user}`;
  if (o.technical !== undefined) headers['SAP-Connectivity-Technical-Authentication'] = `Bearer ${o.technical}`;
  return proxyRequest(sim.ports.httpPort, { url: `http://${host}:3333${o.path ?? '/echo'}`, token: proxyToken, headers });
}

async function certificateSeen(t: Test, host: string, o: Parameters<typeof echo>[1]): Promise<{ value: string; cert: X509Certificate }> {
  const res = await echo(host, o);
  t.equal(res.status, 200, 'the request reaches the backend');
  const value = res.json().headers.ssl_client_cert as string;
  t.match(value, /^[A-Za-z0-9+/]+={0,2}$/, 'SSL_CLIENT_CERT is plain base64 (DER, no PEM armour, no line breaks)');
  return { value, cert: new X509Certificate(Buffer.from(value, 'base64')) };
}

t.test('an X509_GENERAL mapping sends the backend a short-lived certificate for the user, signed by the simulator CA', async (t) => {
  const started = Date.now();
  const res = await echo('virtualhost', { user: alice });
  const seen = res.json().headers;
  const cert = new X509Certificate(Buffer.from(seen.ssl_client_cert, 'base64'));
  t.equal(cert.subject, 'CN=alice', 'subject from the pattern CN=${name}');
  t.equal(cert.issuer, caCert.subject, 'issued by the simulator CA');
  t.ok(cert.checkIssued(caCert), 'the CA is its issuer');
  t.ok(cert.verify(caCert.publicKey), 'its signature verifies with the CA\'s public key');
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  t.ok(Math.abs(to - from - 60 * 60_000) <= 1000, `valid 60 minutes (${(to - from) / 60_000})`);
  t.ok(from <= Date.now() && from >= started - 2000, 'valid from now');
  t.equal(seen['sap-connectivity-authentication'], undefined, 'the user token itself does not reach the backend');
  t.equal(seen['x-scc-sim-principal'], undefined, 'nor does the internal principal header');
  t.notOk(JSON.stringify(seen).includes(alice), 'no header the backend saw carries the user token');
});

t.test('an X509_RESTRICTED mapping sends the user\'s certificate too', async (t) => {
  const { cert } = await certificateSeen(t, 'restricted', { user: alice });
  t.equal(cert.subject, 'CN=alice');
});

t.test('the same user gets the same certificate again; another user gets another one', async (t) => {
  const first = await certificateSeen(t, 'virtualhost', { user: alice });
  const again = await certificateSeen(t, 'virtualhost', { user: alice });
  t.equal(again.value, first.value, 'the certificate is reused (cached) for the same user');
  const other = await certificateSeen(t, 'virtualhost', { user: bob });
  t.equal(other.cert.subject, 'CN=bob');
  t.not(other.value, first.value, 'a different certificate for another user');
  t.not(other.cert.serialNumber, first.cert.serialNumber);
});

t.test('without a user token an X.509 mapping sends an empty SSL_CLIENT_CERT', async (t) => {
  for (const host of ['virtualhost', 'restricted']) {
    const res = await echo(host);
    t.equal(res.status, 200);
    const seen = res.json().headers;
    t.ok('ssl_client_cert' in seen, `${host}: the header is present`);
    t.equal(seen.ssl_client_cert, '', `${host}: and empty`);
  }
});

t.test('a NONE mapping sends no SSL_CLIENT_CERT, with or without a user', async (t) => {
  for (const user of [alice, undefined]) {
    const res = await echo('plain', { user });
    t.equal(res.status, 200);
    t.notOk('ssl_client_cert' in res.json().headers, `no SSL_CLIENT_CERT ${user ? 'with' : 'without'} a user`);
  }
});

t.test('a KERBEROS mapping sends no certificate, and the connector says once that Kerberos is not simulated', async (t) => {
  const res = await echo('kerberos', { user: alice });
  t.equal(res.status, 200);
  t.notOk('ssl_client_cert' in res.json().headers);
  const said = log.lines.filter((l) => /KERBEROS is not simulated/.test(l.msg ?? ''));
  t.equal(said.length, 1, 'one log line');
  t.same(said[0]?.systems, ['kerberos:3333'], 'naming the system');
});

t.test('a technical user token gives a certificate whose CN is the client id', async (t) => {
  const technical = await sim.token(APP_A);
  const { cert } = await certificateSeen(t, 'virtualhost', { technical });
  t.equal(cert.subject, `CN=${APP_A}`);
  t.ok(cert.verify(caCert.publicKey));
});

t.test('the connector logs and audits the user by name, never a token', async (t) => {
  await echo('virtualhost', { user: alice, path: '/echo/audited' });
  const audit = await log.waitFor((l) => l.audit === true && l.path === '/echo/audited');
  t.equal(audit.event, 'Access Allowed');
  t.equal(audit.user, 'alice', 'the audit entry names the user');
  const forwarded = await log.waitFor((l) => l.msg === 'forwarded' && l.path === '/echo/audited');
  t.equal(forwarded.user, 'alice', 'the connector\'s log line names the user');
  t.notOk(log.text().includes(alice), 'no log line contains the user token');
  t.notOk(log.text().includes(proxyToken), 'nor the proxy token');
});

t.test('an invalid user token is refused with 401 and never reaches the backend', async (t) => {
  const subaccountA = sim.config.subaccounts[0]!;
  const expired = (await issueUserToken(sim.proxy.keys, {
    client: subaccountA.clients.find((c) => c.clientid === APP_A)!, subaccount: subaccountA, issuerBaseUrl: sim.urls.tokenService,
    connectivityXsappname: sim.config.proxy.connectivityXsappname, validitySeconds: 60, now: () => Date.now() - 3600_000,
    user: userIdentity(subaccountA, subaccountA.users[0]!), grantType: 'password',
  })).access_token;
  const carol = await userToken(APP_B, 'app-b-secret', 'carol', 'carol-pw');
  const rows: Array<[string, Record<string, string>, RegExp]> = [
    ['expired', { 'SAP-Connectivity-Authentication': `Bearer ${expired}` }, /^SAP-Connectivity-Authentication: token expired/],
    ['forged', { 'SAP-Connectivity-Authentication': `Bearer ${await resignedCopy(alice, strangerKey())}` }, /^SAP-Connectivity-Authentication: .*signature/],
    ['tampered', { 'SAP-Connectivity-Authentication': `Bearer ${tamperPayload(alice, (c) => { c.user_name = 'admin'; })}` }, /^SAP-Connectivity-Authentication: .*signature/],
    ['other-subaccount', { 'SAP-Connectivity-Authentication': `Bearer ${carol}` },
      new RegExp(`^SAP-Connectivity-Authentication: the user belongs to subaccount \\S+, the Proxy-Authorization token to subaccount ${SUBACCOUNT_A}`)],
    ['technical-as-business', { 'SAP-Connectivity-Authentication': `Bearer ${await sim.token(APP_A)}` }, /^SAP-Connectivity-Authentication: token is not a user token/],
    ['business-as-technical', { 'SAP-Connectivity-Technical-Authentication': `Bearer ${alice}` }, /^SAP-Connectivity-Technical-Authentication: token is not a client-credentials token/],
    ['technical-of-other-subaccount', { 'SAP-Connectivity-Technical-Authentication': `Bearer ${await sim.token(CLIENT_B)}` }, /the user belongs to subaccount/],
    ['not-bearer', { 'SAP-Connectivity-Authentication': 'Basic YWxpY2U6YWxpY2UtcHc=' }, /^SAP-Connectivity-Authentication is not one Bearer token$/],
    ['both-headers', { 'SAP-Connectivity-Authentication': `Bearer ${alice}`, 'SAP-Connectivity-Technical-Authentication': `Bearer ${alice}` }, /^both .* are set; send one$/],
  ];
  for (const [name, headers, reason] of rows) {
    const path = `/echo/refused-${name}`;
    const res = await proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${path}`, token: proxyToken, headers });
    t.equal(res.status, 401, `${name}: 401`);
    t.equal(res.headers['x-internal-error-code'], 'PROXY_PRINCIPAL_INVALID', `${name}: the error row`);
    t.match(res.headers['www-authenticate'], /^Bearer /, `${name}: with WWW-Authenticate`);
    const prefix = 'Unauthorized: the propagated principal was refused: ';
    t.ok(res.text().startsWith(prefix), `${name}: says what was refused`);
    t.match(res.text().slice(prefix.length).trim(), reason, `${name}: and why`);
    for (const v of Object.values(headers)) t.notOk(res.text().includes(v.slice(7)), `${name}: the answer does not contain the token`);
    t.notOk(log.lines.some((l) => JSON.stringify(l).includes(path)), `${name}: neither connector nor backend saw the request`);
  }
});

t.test('a client cannot forge a principal: x-scc-sim-principal from the app is dropped', async (t) => {
  const forged = encodePrincipal({ kind: 'business', name: 'admin', clientId: APP_A });
  const res = await echo('virtualhost', { headers: { 'x-scc-sim-principal': forged }, path: '/echo/forged-principal' });
  t.equal(res.status, 200);
  t.equal(res.json().headers.ssl_client_cert, '', 'treated as a request without a user: empty SSL_CLIENT_CERT');
  t.equal(res.json().headers['x-scc-sim-principal'], undefined, 'the header does not reach the backend');
  const audit = await log.waitFor((l) => l.audit === true && l.path === '/echo/forged-principal');
  t.equal(audit.user, undefined, 'no user in the audit entry');

  const { cert } = await certificateSeen(t, 'virtualhost', { user: alice, headers: { 'x-scc-sim-principal': forged } });
  t.equal(cert.subject, 'CN=alice', 'beside a real user token, the verified user wins');
});

t.test('an SSL_CLIENT_CERT the app sends cannot replace the connector\'s on an X.509 mapping', async (t) => {
  const res = await echo('virtualhost', { headers: { SSL_CLIENT_CERT: 'MIIforged' } });
  t.equal(res.json().headers.ssl_client_cert, '', 'replaced by the empty header');
  const { cert } = await certificateSeen(t, 'virtualhost', { user: bob, headers: { SSL_CLIENT_CERT: 'MIIforged' } });
  t.equal(cert.subject, 'CN=bob', 'or by the user\'s certificate');
});
