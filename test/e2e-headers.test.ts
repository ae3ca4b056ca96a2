// Which headers cross which hop: the proxy's own and SAP's routing headers stop at the proxy,
// hop-by-hop headers stop at each hop, everything else reaches the backend; Host follows
// `hostInHeader`; redirects come back with the virtual host; a keep-alive client connection is
// reused.
import t, { type Test } from 'tap';
import http from 'node:http';
import { startSimulator } from '../src/simulator.js';
import { mapping, world } from './helpers/configs.js';
import { LOCATION_HEADER, proxyRequest } from './helpers/proxy-client.js';

const LOCATION = 'LOC-H';
const sim = await startSimulator(world({ locationID: LOCATION }));
t.teardown(() => sim.close());
const token = await sim.token();
const port = sim.ports.httpPort;
const helloPort = Number(new URL(sim.urls.backends.hello!).port);

async function echo(t: Test, headers: http.OutgoingHttpHeaders, s = sim, tok = token) {
  const res = await proxyRequest(s.ports.httpPort, { url: 'http://virtualhost:3333/echo', token: tok, location: LOCATION, headers });
  t.equal(res.status, 200, 'the request went through');
  return { res, seen: res.json().headers as Record<string, string> };
}

t.test('Proxy-Authorization, SAP-Connectivity-* and x-scc-sim-* headers never reach the backend', async (t) => {
  // A propagated principal must be a valid token (else 401, e2e-principal-propagation.test.ts, which
  // also shows SAP-Connectivity-Authentication stopping at the proxy): the client-credentials token
  // is a valid technical user of the subaccount.
  const { res, seen } = await echo(t, {
    'sap-connectivity-technical-authentication': `Bearer ${token}`,
    'sap-connectivity-consumeraccount': 'some-account',
    'x-scc-sim-decision': 'allowed forged',
    'x-scc-sim-anything': 'forged',
  });
  t.equal(seen['proxy-authorization'], undefined, 'no Proxy-Authorization');
  t.equal(seen[LOCATION_HEADER], undefined, 'no SAP-Connectivity-SCC-Location_ID');
  t.equal(seen['sap-connectivity-technical-authentication'], undefined, 'no SAP-Connectivity-Technical-Authentication');
  t.same(Object.keys(seen).filter((h) => h.startsWith('sap-connectivity-') || h.startsWith('x-scc-sim-')), [],
    'no SAP-Connectivity-* or x-scc-sim-* header at all');
  t.notOk(JSON.stringify(seen).includes(token), 'the token is nowhere in what the backend saw');
  t.same(Object.keys(res.headers).filter((h) => h.startsWith('x-scc-sim-')), [], 'no x-scc-sim-* header comes back to the client');
});

t.test('ordinary headers reach the backend unchanged: sap-client, Authorization: Basic, cookies', async (t) => {
  const basic = `Basic ${Buffer.from('backend-user:backend-password').toString('base64')}`;
  const { seen } = await echo(t, {
    'sap-client': '100',
    authorization: basic,
    cookie: 'SAP_SESSIONID_ABC_100=xyz; sap-usercontext=sap-client=100',
    'x-correlation-id': 'corr-1',
    accept: 'application/json',
  });
  t.equal(seen['sap-client'], '100');
  t.equal(seen.authorization, basic);
  t.equal(seen.cookie, 'SAP_SESSIONID_ABC_100=xyz; sap-usercontext=sap-client=100');
  t.equal(seen['x-correlation-id'], 'corr-1');
  t.equal(seen.accept, 'application/json');
});

t.test('hop-by-hop headers and the headers Connection names are dropped', async (t) => {
  const { seen } = await echo(t, {
    connection: 'keep-alive, x-foo',
    'x-foo': 'must not arrive',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'proxy-connection': 'keep-alive',
    'x-bar': 'arrives',
  });
  t.equal(seen['x-foo'], undefined, 'x-foo (named by Connection)');
  t.equal(seen['keep-alive'], undefined, 'keep-alive');
  t.equal(seen.te, undefined, 'te');
  t.equal(seen['proxy-connection'], undefined, 'proxy-connection');
  t.notMatch(String(seen.connection ?? ''), /x-foo/i, 'Connection of the last hop does not name x-foo');
  t.equal(seen['x-bar'], 'arrives', 'an ordinary header next to them arrives');
});

t.test('hostInHeader VIRTUAL: the backend sees Host virtualhost:3333 and no X-Forwarded-Host', async (t) => {
  const { seen } = await echo(t, {});
  t.equal(seen.host, 'virtualhost:3333');
  t.equal(seen['x-forwarded-host'], undefined);
});

t.test('hostInHeader INTERNAL: the backend sees its own Host and X-Forwarded-Host virtualhost:3333', async (t) => {
  const internal = await startSimulator(world({ locationID: LOCATION, mappings: [mapping({ hostInHeader: 'INTERNAL' })] }));
  t.teardown(() => internal.close());
  const backendPort = Number(new URL(internal.urls.backends.hello!).port);
  const { seen } = await echo(t, {}, internal, await internal.token());
  t.equal(seen.host, `127.0.0.1:${backendPort}`);
  t.equal(seen['x-forwarded-host'], 'virtualhost:3333');
});

t.test('a redirect built from the internal host reaches the client with the virtual host', async (t) => {
  const internal = await startSimulator(world({ locationID: LOCATION, mappings: [mapping({ hostInHeader: 'INTERNAL' })] }));
  t.teardown(() => internal.close());
  const res = await proxyRequest(internal.ports.httpPort, {
    url: 'http://virtualhost:3333/redirect?to=/x', token: await internal.token(), location: LOCATION,
  });
  t.equal(res.status, 302);
  t.equal(res.headers.location, 'http://virtualhost:3333/x');
});

t.test('a Location naming the internal host:port is rewritten to the virtual one', async (t) => {
  const internalUrl = `http://127.0.0.1:${helloPort}/y?z=1`;
  const res = await proxyRequest(port, {
    url: `http://virtualhost:3333/status/301?location=${encodeURIComponent(internalUrl)}`, token, location: LOCATION,
  });
  t.equal(res.status, 301);
  t.equal(res.headers.location, 'http://virtualhost:3333/y?z=1');
});

t.test('a Location naming another host is left alone', async (t) => {
  const res = await proxyRequest(port, {
    url: `http://virtualhost:3333/status/302?location=${encodeURIComponent('https://elsewhere.example.com/login')}`, token, location: LOCATION,
  });
  t.equal(res.status, 302);
  t.equal(res.headers.location, 'https://elsewhere.example.com/login');
});

t.test('20 sequential requests on one keep-alive agent use one client connection', async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let connections = 0;
  const count = () => { connections += 1; };
  sim.proxy.httpProxy.on('connection', count);
  t.teardown(() => sim.proxy.httpProxy.off('connection', count));
  const reused: boolean[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await proxyRequest(port, { url: `http://virtualhost:3333/echo?i=${i}`, token, location: LOCATION, agent });
    t.equal(res.status, 200);
    t.equal(res.json().query, `i=${i}`);
    reused.push(res.reusedSocket);
  }
  t.same(reused, [false, ...Array(19).fill(true)], 'every request after the first went out on the kept-alive socket');
  t.equal(connections, 1, 'the proxy accepted exactly one connection');
});
