// Domain mappings (and the cookie domains they rewrite, through the whole path), the audit log
// level per connector and per subaccount (live), and monitoring: the subaccounts with their
// tunnel, the 50 most recent requests with their decision, and the audit entries.
import t from 'tap';
import { startSimulator } from '../src/simulator.js';
import { adminClient, C, subaccountPath } from './helpers/admin-client.js';
import { SUBACCOUNT_A, world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const admin = adminClient(() => sim.admin['connector-a']);
const REGION = 'cf.sim.hana.ondemand.com';
const A = subaccountPath({ regionHost: REGION, subaccount: SUBACCOUNT_A });
const token = await sim.token();
const get = (path: string) => proxyRequest(sim.ports.httpPort, { url: `http://virtualhost:3333${path}`, token });

t.test('domain mappings: list, create (201), rename (204), 404 and 409, delete', async (t) => {
  const D = `${A}/domainMappings`;
  t.same((await admin.get(D)).json(), []);
  const res = await admin.post(D, { virtualDomain: 'virtual.example', internalDomain: 'backend.corp' });
  t.same([res.status, res.text, res.headers.location], [201, '', `${sim.admin['connector-a'].url}${D}/backend.corp`]);
  t.same((await admin.get(D)).json(), [{ virtualDomain: 'virtual.example', internalDomain: 'backend.corp', _links: { self: { href: `${sim.admin['connector-a'].url}${D}/backend.corp` } } }]);
  t.equal((await admin.post(D, { virtualDomain: 'x.example', internalDomain: 'BACKEND.corp' })).status, 409);
  t.equal((await admin.post(D, { virtualDomain: 'other.example', internalDomain: 'other.corp' })).status, 201);
  t.equal((await admin.put(`${D}/other.corp`, { virtualDomain: 'other.example', internalDomain: 'backend.corp' })).status, 409, 'renaming onto another is 409');
  t.equal((await admin.put(`${D}/other.corp`, { virtualDomain: 'renamed.example', internalDomain: 'renamed.corp' })).status, 204);
  t.same((await admin.get(D)).json().map((d: any) => d.internalDomain), ['backend.corp', 'renamed.corp']);
  t.same((await admin.put(`${D}/nothing.corp`, { virtualDomain: 'a', internalDomain: 'b' })).json(), { type: 'NOT_FOUND', message: "Domain mapping with value 'nothing.corp' does not exist" });
  t.equal((await admin.del(`${D}/renamed.corp`)).status, 204);
  t.equal((await admin.del(`${D}/renamed.corp`)).status, 404);
  const bad = await admin.post(D, { virtualDomain: 'only-one' });
  t.same([bad.status, bad.json().message], [400, "Missing field 'internalDomain'"]);
});

t.test('a domain mapping rewrites Set-Cookie domains of the backend\'s answers, from the next request on', async (t) => {
  const before = await get('/cookie?domain=unmapped.corp');
  t.same(before.headers['set-cookie'], ['session=1; Domain=unmapped.corp; Path=/', 'plain=2; Path=/'], 'no mapping for that domain: untouched');
  const mapped = await get('/cookie?domain=backend.corp');
  t.same(mapped.headers['set-cookie'], ['session=1; Domain=virtual.example; Path=/', 'plain=2; Path=/']);
  t.equal((await admin.del(`${A}/domainMappings`)).status, 204);
  t.same((await get('/cookie?domain=backend.corp')).headers['set-cookie'], ['session=1; Domain=backend.corp; Path=/', 'plain=2; Path=/'], 'deleted: untouched again');
});

t.test('audit log level: SECURITY by default; ALL (live) adds "Access Allowed"; a subaccount may say OFF', async (t) => {
  const L = `${C}/connector/auditLog`;
  t.same((await admin.get(L)).json(), { level: 'SECURITY', cleanup: 0, logPath: 'stdout' });
  await get('/allowed-before');
  const entries = async () => (await admin.get('/api/monitoring/auditLog')).json().entries as Array<Record<string, any>>;
  t.notOk((await entries()).some((e) => e.detail?.includes('/allowed-before')), 'SECURITY: allowed requests are not audited');

  t.equal((await admin.patch(L, { level: 'ALL', cleanup: 30 })).status, 204);
  t.same((await admin.get(L)).json(), { level: 'ALL', cleanup: 30, logPath: 'stdout' });
  await get('/allowed-after');
  t.match((await entries())[0], { category: 'AccessControl', event: 'Access Allowed', subaccount: SUBACCOUNT_A, detail: 'GET http://virtualhost:3333/allowed-after' });

  const S = `${L}/subaccounts/${REGION}/${SUBACCOUNT_A}`;
  t.same((await admin.get(S)).json(), { level: 'ALL' }, 'a subaccount without its own level has the connector\'s');
  t.equal((await admin.patch(S, { level: 'OFF' })).status, 204);
  t.same((await admin.get(S)).json(), { level: 'OFF' });
  await get('/silent');
  t.notOk((await entries()).some((e) => e.detail?.includes('/silent')), 'OFF: nothing of that subaccount is audited');
  t.same((await admin.patch(S, { level: 'LOUD' })).status, 400);
  t.same((await admin.patch(L, { cleanup: 7 })).status, 400, 'cleanup is 0, 14, 30, 90, 180 or 365');
  t.same((await admin.get(`${L}/subaccounts/${REGION}/ghost`)).status, 404);
  t.equal((await admin.patch(S, { level: 'SECURITY' })).status, 204);
  t.match((await entries()).filter((e) => e.category === 'AuditLogLevel').map((e) => e.detail),
    [/SECURITY/, /OFF/, /ALL/], 'level changes are audited, also the one to OFF');
});

t.test('monitoring: the subaccounts with their tunnel, and the version', async (t) => {
  const res = (await admin.get('/api/monitoring/subaccounts')).json();
  t.equal(res.version, '2.19.0.2');
  t.match(res.subaccounts, [{ regionHost: REGION, subaccount: SUBACCOUNT_A, displayName: SUBACCOUNT_A, description: '', locationID: '',
    tunnel: { state: 'Connected', connections: 0, subaccountCertificate: { issuer: 'CN=scc-sim local CA, O=scc-sim' } } }]);
  t.type(res.subaccounts[0].tunnel.connectedSinceTimeStamp, 'number');
});

t.test('the most recent requests: the last 50, newest first, with status, duration and decision', async (t) => {
  t.equal((await admin.del('/api/monitoring/mostRecentRequests')).status, 204);
  for (let i = 0; i < 54; i += 1) await get(`/r${i}?q=1`);
  const denied = await proxyRequest(sim.ports.httpPort, { url: 'http://unmapped:1/x', token });
  t.equal(denied.status, 403);
  const [entry] = (await admin.get('/api/monitoring/mostRecentRequests')).json().subaccounts;
  t.match(entry, { regionHost: REGION, subaccount: SUBACCOUNT_A, locationID: '' });
  t.equal(entry.requests.length, 50, 'bounded at 50');
  t.match(entry.requests[0], { method: 'GET', virtualHost: 'unmapped', virtualPort: 1, path: '/x', status: 403, decision: 'denied', rule: /no HTTP\/HTTPS system mapping/ });
  t.match(entry.requests[1], { method: 'GET', virtualHost: 'virtualhost', virtualPort: 3333, path: '/r53', status: 404, decision: 'allowed', rule: '/ (path and sub-paths)', protocol: 'HTTP' });
  t.equal(entry.requests[49].path, '/r5', 'the oldest kept is the 50th newest');
  t.type(entry.requests[1].durationMs, 'number');
  t.ok(Math.abs(entry.requests[1].time - Date.now()) < 60_000, 'time is epoch ms');
  const filtered = (await admin.get(`/api/monitoring/mostRecentRequests?regionHost=${REGION}&subaccount=ghost`)).json();
  t.same(filtered, { subaccounts: [] });
});
