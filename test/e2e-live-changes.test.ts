// Changes apply live, to the very next request through the proxy: a new mapping, a new
// resource, a suspended and a resumed resource, a deleted mapping, a disconnected and a
// reconnected subaccount — made with startSimulator's helpers (no HTTP) and with the REST API.
import t from 'tap';
import { startSimulator } from '../src/simulator.js';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { HELLO_PORT, mapping, SUBACCOUNT_A, world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

const sim = await startSimulator(world({ mappings: [mapping({ resources: [{ id: '/public', exactMatchOnly: false }] })] }));
t.teardown(() => sim.close());
const k = sim.connector();
const admin = adminClient(() => k.admin);
const token = await sim.token();
const status = async (url: string) => (await proxyRequest(sim.ports.httpPort, { url, token })).status;

t.test('the handle gives the connector\'s admin URL, credentials and CA file', async (t) => {
  t.equal(k.name, 'connector-a');
  t.match(k.admin, { url: /^https:\/\/127\.0\.0\.1:\d+$/, user: 'Administrator', password: 'manage', caFile: sim.caFile });
  t.same(sim.admin['connector-a'], k.admin);
  t.equal((await admin.get('/api/v1/connector/version')).status, 200);
});

t.test('a new system mapping answers the next request', async (t) => {
  t.equal(await status('http://newsystem:8080/'), 403, 'before: Access denied to system');
  await k.addSystemMapping({ virtualHost: 'newsystem', virtualPort: '8080', localHost: '127.0.0.1', localPort: String(HELLO_PORT) });
  t.equal(await status('http://newsystem:8080/'), 403, 'a mapping without resources still denies the path');
  await k.addResource('newsystem', 8080, { id: '/' });
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://newsystem:8080/', token });
  t.same([res.status, res.text()], [200, 'Hello World!'], 'after: the backend answers (the mapping follows the backend to its ephemeral port)');
});

t.test('a new resource allows its path from the next request on', async (t) => {
  t.equal(await status('http://virtualhost:3333/public/x'), 404, 'an allowed path reaches the backend');
  t.equal(await status('http://virtualhost:3333/private'), 403, 'before: Access denied to resource');
  await k.addResource('virtualhost', 3333, { id: '/private', exactMatchOnly: true });
  t.equal(await status('http://virtualhost:3333/private'), 404, 'after: allowed (the backend has no such route: 404 from it)');
  t.equal(await status('http://virtualhost:3333/private/sub'), 403, 'path only: sub-paths stay denied');
});

t.test('a suspended resource denies the next request; resumed, it allows it again', async (t) => {
  await k.suspendResource('virtualhost', 3333, '/public');
  t.equal(await status('http://virtualhost:3333/public/x'), 403);
  const r = k.operations.getResource(k.connector.config.subaccounts[0], 'virtualhost', '3333', '/public');
  t.same([r.enabled, r.exactMatchOnly], [false, false], 'only enabled changed');
  await k.resumeResource('virtualhost', 3333, '/public');
  t.equal(await status('http://virtualhost:3333/public/x'), 404);
});

t.test('the same through the REST API: a resource PUT with enabled "false", then "true"', async (t) => {
  const R = `${subaccountPath({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: SUBACCOUNT_A })}/systemMappings/virtualhost:3333/resources/-public`;
  t.equal((await admin.put(R, { enabled: 'false', exactMatchOnly: 'false', websocketUpgradeAllowed: 'false' })).status, 204);
  t.equal(await status('http://virtualhost:3333/public/x'), 403);
  t.equal((await admin.put(R, { enabled: 'true', exactMatchOnly: 'false', websocketUpgradeAllowed: 'false' })).status, 204);
  t.equal(await status('http://virtualhost:3333/public/x'), 404);
});

t.test('a deleted resource and a deleted mapping deny the next request', async (t) => {
  await k.removeResource('virtualhost', 3333, '/private');
  t.equal(await status('http://virtualhost:3333/private'), 403);
  await k.removeSystemMapping('newsystem', 8080);
  t.equal(await status('http://newsystem:8080/'), 403);
  t.equal(await status('http://virtualhost:3333/public/x'), 404, 'the other mapping is untouched');
});

t.test('a disconnected subaccount gets the SAP 503 at once; reconnected, the next request passes', async (t) => {
  await k.disconnect();
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/public/x', token });
  t.equal(res.status, 503);
  t.match(res.text(), `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_A}' and SCC location ID ''`);
  t.equal(sim.proxy.registry.size, 0, 'the proxy dropped the tunnel');
  t.equal(k.connector.tunnel.sccState, 'Disconnected');
  await k.connect();
  t.equal(await status('http://virtualhost:3333/public/x'), 404);
  t.equal(k.connector.tunnel.sccState, 'Connected');
});

t.test('disconnect and connect, twenty times in a row, each followed at once by a request', async (t) => {
  const seen: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    await k.disconnect();
    seen.push(await status('http://virtualhost:3333/public/x'));
    await k.connect();
    seen.push(await status('http://virtualhost:3333/public/x'));
  }
  t.same(seen, Array.from({ length: 40 }, (_, i) => (i % 2 ? 404 : 503)));
});

t.test('a disconnect is kept in the config as connected: false; a connect removes it again', async (t) => {
  await k.disconnect();
  t.equal(sim.configStore.fileConfig.connectors[0].subaccounts[0].connected, false);
  await k.connect();
  t.equal(sim.configStore.fileConfig.connectors[0].subaccounts[0].connected, true);
});
