// Subaccounts through the admin API, as the Terraform provider drives them: list, create (201 +
// Location + the entity, tunnel Connected), read, edit (200 + entity), state, validity, trust,
// delete — with SAP's JSON types, error bodies and 404 texts. A second subaccount gets its own
// tunnel and location ID: the proxy routes its tokens there.
import t, { type Test } from 'tap';
import { startSimulator } from '../src/simulator.js';
import { adminClient, C, subaccountPath } from './helpers/admin-client.js';
import { CLIENT_B, SUBACCOUNT_A, SUBACCOUNT_B, world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const admin = adminClient(() => sim.admin['connector-a']);
const REGION = 'cf.sim.hana.ondemand.com';
const A = subaccountPath({ regionHost: REGION, subaccount: SUBACCOUNT_A });
const B = subaccountPath({ regionHost: REGION, subaccount: SUBACCOUNT_B });
const tokenB = await sim.token(CLIENT_B);
const viaB = (location: string, path = '/') => proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${path}`, token: tokenB, location });

/** Every field with the JSON type SCC 2.19 returns (the Terraform provider's decoder fails on any other). */
function checkEntityTypes(t: Test, e: any): void {
  for (const f of ['regionHost', 'subaccount', 'locationID', 'displayName', 'description']) t.type(e[f], 'string', `${f} is a string`);
  t.type(e.autoCertRenewal, 'boolean');
  t.type(e.isManaged, 'boolean');
  t.type(e.tunnel.connectedSinceTimeStamp, 'number');
  t.type(e.tunnel.connections, 'number');
  t.same([e.tunnel.applicationConnections, e.tunnel.serviceChannels], [[], []]);
  const cert = e.tunnel.subaccountCertificate;
  t.type(cert.notAfterTimeStamp, 'number');
  t.type(cert.notBeforeTimeStamp, 'number');
  t.ok(cert.notAfterTimeStamp > Date.now() + 15 * 86_400_000, 'the certificate is valid for more than 15 days (no renewal loop)');
  for (const f of ['subjectDN', 'issuer', 'serialNumber']) t.type(cert[f], 'string');
  t.match(cert.serialNumber, /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
  t.match(e._links.self.href, /^https:\/\/127\.0\.0\.1:\d+\/api\/v1\/configuration\/subaccounts\//);
}

t.test('the list has regionHost, subaccount, locationID and _links', async (t) => {
  const res = await admin.get(`${C}/subaccounts`);
  t.equal(res.status, 200);
  t.match(res.json(), [{ regionHost: REGION, subaccount: SUBACCOUNT_A, locationID: '', _links: { self: { href: `${sim.admin['connector-a'].url}${A}` } } }]);
});

t.test('a subaccount reads as SCC 2.19 shows it: Connected, with the cloud user and a certificate', async (t) => {
  const res = await admin.get(A);
  t.equal(res.status, 200);
  const e = res.json();
  checkEntityTypes(t, e);
  t.match(e, { regionHost: REGION, subaccount: SUBACCOUNT_A, locationID: '', displayName: SUBACCOUNT_A, description: '', autoCertRenewal: false,
    isManaged: false, tunnel: { state: 'Connected', user: 'cloud-user-a@example.com', subaccountCertificate: { issuer: 'CN=scc-sim local CA, O=scc-sim' } } });
  t.ok(e.tunnel.connectedSinceTimeStamp > 0 && e.tunnel.connectedSinceTimeStamp <= Date.now());
});

t.test('an unknown subaccount is 404 with SAP\'s text, on every sub-path', async (t) => {
  const ghost = subaccountPath({ regionHost: REGION, subaccount: 'ghost' });
  const text = `Subaccount with value 'ghost@${REGION}' does not exist`;
  for (const [method, path, body] of [['GET', ghost], ['PUT', ghost, {}], ['DELETE', ghost], ['GET', `${ghost}/systemMappings`], ['GET', `${ghost}/domainMappings`],
    ['PUT', `${ghost}/state`, { connected: true }], ['POST', `${ghost}/systemMappings/vh:1/resources`, { id: '/' }]] as const) {
    const res = await admin.request(method, path, body);
    t.same([res.status, res.json()], [404, { type: 'NOT_FOUND', message: text }], `${method} ${path}`);
  }
});

t.test('a second subaccount: 201 + Location + entity, its own tunnel and location ID', async (t) => {
  const res = await admin.post(`${C}/subaccounts`, {
    regionHost: REGION, subaccount: SUBACCOUNT_B, cloudUser: 'cloud-user-b@example.com', cloudPassword: 'cloud-password-b',
    locationID: 'B-LOC', displayName: '', description: 'second one', isManaged: 'true',
  });
  t.equal(res.status, 201);
  t.equal(res.headers.location, `${sim.admin['connector-a'].url}${B}`, 'Location is the full URI');
  const e = res.json();
  checkEntityTypes(t, e);
  t.match(e, { subaccount: SUBACCOUNT_B, locationID: 'B-LOC', displayName: SUBACCOUNT_B, description: 'second one', isManaged: true, tunnel: { state: 'Connected' } });
  t.equal((await viaB('B-LOC')).status, 403, 'B\'s token reaches the new tunnel (which maps nothing yet: 403 Access denied to system)');
  t.equal((await viaB('')).status, 503, 'and only under its location ID');
  const again = await admin.post(`${C}/subaccounts`, { regionHost: REGION, subaccount: SUBACCOUNT_B, cloudUser: 'x', cloudPassword: 'y' });
  t.same([again.status, again.json()], [409, { type: 'INVALID_CONFIGURATION', message: `Subaccount with value '${SUBACCOUNT_B}@${REGION}' already exists` }]);
});

t.test('edit: 200 with the entity; "" clears; a new location ID moves the tunnel at once', async (t) => {
  const res = await admin.put(B, { locationID: 'B-NEW', displayName: 'Bee', description: '', autoCertRenewal: 'true' });
  t.equal(res.status, 200);
  t.match(res.json(), { locationID: 'B-NEW', displayName: 'Bee', description: '', autoCertRenewal: true, tunnel: { state: 'Connected' } });
  t.equal((await viaB('B-LOC')).status, 503, 'the old location has no tunnel any more');
  t.equal((await viaB('B-NEW')).status, 403, 'the new one has');
  const cleared = await admin.put(B, { displayName: '' });
  t.equal(cleared.json().displayName, SUBACCOUNT_B, 'an empty displayName falls back to the subaccount ID');
  t.equal(cleared.json().locationID, 'B-NEW', 'an omitted field stays');
});

t.test('state: disconnected → Disconnected with connectedSinceTimeStamp 0, 503 at once; connected → a new timestamp', async (t) => {
  const before = (await admin.get(B)).json().tunnel.connectedSinceTimeStamp;
  t.equal((await admin.put(`${B}/state`, { connected: false })).status, 204);
  t.match((await admin.get(B)).json().tunnel, { state: 'Disconnected', connectedSinceTimeStamp: 0 });
  t.equal((await viaB('B-NEW')).status, 503, 'the very next request gets the 503');
  t.equal((await admin.put(`${B}/state`, { connected: 'true' })).status, 204, 'a string boolean is accepted');
  const after = (await admin.get(B)).json().tunnel;
  t.equal(after.state, 'Connected');
  t.ok(after.connectedSinceTimeStamp >= before, 'connected again since now');
  t.equal((await viaB('B-NEW')).status, 403, 'the very next request reaches the connector again');
  const bad = await admin.put(`${B}/state`, { connected: 'yes' });
  t.same([bad.status, bad.json().type], [400, 'INVALID_REQUEST']);
  t.match(bad.json().message, 'connected');
});

t.test('validity: the right cloud user renews the certificate (200 + entity); a wrong one is 400', async (t) => {
  const old = (await admin.get(B)).json().tunnel.subaccountCertificate;
  const res = await admin.post(`${B}/validity`, { user: 'cloud-user-b@example.com', password: 'cloud-password-b' });
  t.equal(res.status, 200);
  const renewed = res.json().tunnel.subaccountCertificate;
  t.not(renewed.serialNumber, old.serialNumber, 'a new certificate');
  t.ok(renewed.notAfterTimeStamp >= old.notAfterTimeStamp, 'valid at least as long');
  const wrong = await admin.post(`${B}/validity`, { user: 'cloud-user-b@example.com', password: 'nope' });
  t.same([wrong.status, wrong.json().type], [400, 'INVALID_REQUEST']);
});

t.test('trust: POST syncs (204), PUT/GET autoSyncTrustEnabled', async (t) => {
  t.equal((await admin.post(`${B}/trust`)).status, 204, 'a POST without a body');
  t.same((await admin.get(`${B}/trust`)).json(), { autoSyncTrustEnabled: false });
  t.equal((await admin.put(`${B}/trust`, { autoSyncTrustEnabled: true })).status, 204);
  t.same((await admin.get(`${B}/trust`)).json(), { autoSyncTrustEnabled: true });
});

t.test('bad creates: a missing field, an unknown field, a subaccount the cloud does not know', async (t) => {
  const missing = await admin.post(`${C}/subaccounts`, { regionHost: REGION, subaccount: 'x', cloudUser: 'u' });
  t.same([missing.status, missing.json()], [400, { type: 'INVALID_REQUEST', message: 'Missing parameter: cloudPassword' }]);
  const unknown = await admin.post(`${C}/subaccounts`, { regionHost: REGION, subaccount: 'x', cloudUser: 'u', cloudPassword: 'p', color: 'red' });
  t.same([unknown.status, unknown.json()], [400, { type: 'INVALID_REQUEST', message: "Unknown field 'color'" }]);
  const foreign = await admin.post(`${C}/subaccounts`, { regionHost: REGION, subaccount: 'not-in-the-cloud', cloudUser: 'u', cloudPassword: 'p' });
  t.equal(foreign.status, 400);
  t.match(foreign.json().message, 'subaccount: "not-in-the-cloud" is not one of subaccounts[].subaccount');
  t.equal((await admin.get(`${C}/subaccounts`)).json().length, 2, 'nothing was added');
});

t.test('wrong cloud credentials: created, tunnel ConnectFailure (the proxy refuses it)', async (t) => {
  const other = 'other.region.example';
  const res = await admin.post(`${C}/subaccounts`, {
    authenticationData: Buffer.from(JSON.stringify({ subaccount: SUBACCOUNT_B, regionHost: other, cloudUser: 'cloud-user-b@example.com', cloudPassword: 'wrong' })).toString('base64'),
    locationID: 'B-FAIL',
  });
  t.equal(res.status, 201, 'authenticationData (simulator form: base64 JSON) instead of user and password');
  t.match(res.json(), { regionHost: other, subaccount: SUBACCOUNT_B, locationID: 'B-FAIL', tunnel: { state: 'ConnectFailure', connectedSinceTimeStamp: 0 } });
  const monitoring = (await admin.get('/api/monitoring/subaccounts')).json();
  t.match(monitoring.subaccounts.find((s: any) => s.regionHost === other), { tunnel: { state: 'ConnectFailure' } });
  t.equal((await admin.del(subaccountPath({ regionHost: other, subaccount: SUBACCOUNT_B }))).status, 204);
});

t.test('delete: 204, its tunnel is gone from the proxy at once, and it is 404 afterwards', async (t) => {
  t.equal((await admin.del(B)).status, 204);
  t.equal((await viaB('B-NEW')).status, 503, 'the very next request gets the 503');
  t.equal((await admin.get(B)).status, 404);
  t.same((await admin.get(`${C}/subaccounts`)).json().map((s: any) => s.subaccount), [SUBACCOUNT_A]);
  const entries = (await admin.get('/api/monitoring/auditLog')).json().entries.filter((e: any) => e.category === 'Account');
  t.match(entries.map((e: any) => e.event), ['deleted', 'deleted', 'created', 'changed', 'connected', 'disconnected', 'changed', 'changed', 'created'],
    'every subaccount change is in the audit log, newest first');
});
