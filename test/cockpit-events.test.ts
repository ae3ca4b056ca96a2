// The cockpit's event stream (/cockpit/events) over real HTTP, with config/examples/two-locations.yaml:
// what a status and a traffic event contain, every verdict (allowed, unmapped system, resource
// denied, no connector, token refused) for HTTP and SOCKS5, no secret ever in the stream, the
// connector's decision header never reaching the client, and listeners gone with the client.
import t from 'tap';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startSimulator } from '../src/simulator.js';
import { DECISION_HEADER } from '../services/shared/tunnel-protocol.js';
import { openEventStream, type ServerSentEvent } from './helpers/event-stream-client.js';
import { proxyRequest, rawRequest } from './helpers/proxy-client.js';
import { sapSocksConnect } from './helpers/socks-client.js';

const file = fileURLToPath(new URL('../../config/examples/two-locations.yaml', import.meta.url));
// From an object: the admin changes below stay in memory, the example file is left alone.
const config = parse(readFileSync(file, 'utf8'));
// A business user and an app client for the password grant: a propagated user shows in the events.
config.subaccounts[0].clients.push({ clientid: 'sb-cockpit-app!t1', clientsecret: 'cockpit-app-secret', service: 'xsuaa' });
config.subaccounts[0].users = [{ name: 'alice', password: 'alice-password' }];
const sim = await startSimulator(config);
t.teardown(() => sim.close());
const token = await sim.token();
const subaccount = sim.credentials.subaccount;
const events = `${sim.urls.tokenService}/cockpit/events`;

const traffic = (match: (e: any) => boolean) => (e: ServerSentEvent) => e.event === 'traffic' && match(e.json());

t.test('a new stream starts with a status event: both locations connected, with connector, since and admin URL', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  t.equal(stream.status, 200);
  t.match(stream.headers['content-type'], /^text\/event-stream/);
  const status = (await stream.waitFor((e) => e.event === 'status', 2000, 'status event')).json();
  const locations = status.subaccounts[0].locations;
  t.same(locations.map((l: any) => [l.locationId, l.connector, l.state]), [['BERLIN', 'berlin', 'Connected'], ['WALLDORF', 'walldorf', 'Connected']]);
  for (const l of locations) {
    t.ok(!Number.isNaN(Date.parse(l.connectedSince)), `${l.locationId}: connectedSince is a date`);
    t.equal(l.adminUrl, sim.admin[l.connector]!.url, `${l.locationId}: the admin URL of its connector`);
  }
  t.same(status.subaccounts[0].destinations.map((d: any) => [d.name, d.locationId]), [['echo-walldorf', 'WALLDORF'], ['echo-berlin', 'BERLIN']]);
});

t.test('a request through the HTTP proxy becomes a traffic event with its route, rule, status and duration', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  const res = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/shape?q=1', token, location: 'WALLDORF' });
  t.equal(res.status, 200);
  t.equal(res.headers[DECISION_HEADER], undefined, 'the connector\'s decision header does not reach the client');
  const e = (await stream.waitFor(traffic((x) => x.path === '/echo/shape'), 1000, 'the traffic event')).json();
  t.match(e, {
    protocol: 'HTTP', method: 'GET', subaccount, locationId: 'WALLDORF', connector: 'walldorf', virtualHost: 'virtualhost', virtualPort: 3333,
    path: '/echo/shape', verdict: 'allowed', rule: '/ (path and sub-paths)', status: 200,
  });
  t.type(e.id, 'number');
  t.type(e.durationMs, 'number');
  t.type(e.time, 'number');
  t.ok(e.time <= Date.now() && e.time > Date.now() - 60_000, 'time is when it arrived (epoch ms)');
  t.notOk(JSON.stringify(e).includes('q=1'), 'no query string');
});

t.test('no token, cookie or credential appears in the stream', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  const secrets = ['Basic YmFja2VuZDpzM2NyM3Q=', 'SESSION=cookie-secret-42', 'x-api-key-secret-17'];
  const res = await proxyRequest(sim.ports.httpPort, {
    url: 'http://virtualhost:3333/echo/secrets?access_token=query-secret-9', token, location: 'BERLIN',
    headers: { authorization: secrets[0], cookie: secrets[1], 'x-api-key': secrets[2], 'sap-connectivity-technical-authentication': `Bearer ${token}` },
  });
  t.equal(res.status, 200);
  const refused = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/forged', token: `${token}x`, location: 'BERLIN', headers: { cookie: secrets[1] } });
  t.equal(refused.status, 407);
  await stream.waitFor(traffic((x) => x.path === '/echo/secrets'), 1000, 'the allowed request');
  await stream.waitFor(traffic((x) => x.path === '/echo/forged'), 1000, 'the refused request');
  const raw = stream.raw();
  for (const s of [token, token.split('.')[2]!, ...secrets, 'query-secret-9', 'scc-sim-connectivity-secret', 'cloud-password']) {
    t.notOk(raw.includes(s), `${s.slice(0, 24)}… is not in the stream`);
  }
});

t.test('a propagated user is named; neither token is in the stream', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  const grant = await fetch(`${sim.urls.tokenService}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('sb-cockpit-app!t1:cockpit-app-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'alice-password' }),
  });
  t.equal(grant.status, 200);
  const alice = (await grant.json() as { access_token: string }).access_token;
  const res = await proxyRequest(sim.ports.httpPort, {
    url: 'http://virtualhost:3333/echo/user', token, location: 'WALLDORF', headers: { 'sap-connectivity-authentication': `Bearer ${alice}` },
  });
  t.equal(res.status, 200);
  const e = (await stream.waitFor(traffic((x) => x.path === '/echo/user'), 1000, 'the user\'s request')).json();
  t.equal(e.user, 'alice');
  for (const s of [alice, token, 'alice-password', 'cockpit-app-secret']) t.notOk(stream.raw().includes(s), `${s.slice(0, 16)}… is not in the stream`);
});

t.test('every refusal has its verdict and reason', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  const send = (url: string, location: string, tok = token) => proxyRequest(sim.ports.httpPort, { url, token: tok, location });

  t.equal((await send('http://nosuchhost:1/x', 'WALLDORF')).status, 403);
  const unmapped = (await stream.waitFor(traffic((x) => x.virtualHost === 'nosuchhost'), 1000, 'unmapped system')).json();
  t.match(unmapped, { verdict: 'unmapped-system', status: 403, connector: 'walldorf', locationId: 'WALLDORF', rule: /no HTTP\/HTTPS system mapping for virtual host nosuchhost:1/ });

  await sim.connector('berlin').suspendResource('virtualhost', 3333, '/');
  t.teardown(() => sim.connector('berlin').resumeResource('virtualhost', 3333, '/'));
  t.equal((await send('http://virtualhost:3333/echo/suspended', 'BERLIN')).status, 403);
  const denied = (await stream.waitFor(traffic((x) => x.path === '/echo/suspended'), 1000, 'resource denied')).json();
  t.match(denied, { verdict: 'resource-denied', status: 403, connector: 'berlin', rule: /resource suspended: \/ \[path and sub-paths, suspended\]/ });

  t.equal((await send('http://virtualhost:3333/echo/nowhere', 'PARIS')).status, 503);
  const none = (await stream.waitFor(traffic((x) => x.path === '/echo/nowhere'), 1000, 'no connector')).json();
  t.match(none, { verdict: 'no-connector', status: 503, code: 'SCC_NO_TUNNEL', locationId: 'PARIS', subaccount, rule: /connectors only for location IDs/ });
  t.equal(none.connector, undefined);

  t.equal((await send('http://virtualhost:3333/echo/badtoken', 'WALLDORF', 'not-a-jwt')).status, 407);
  const refused = (await stream.waitFor(traffic((x) => x.path === '/echo/badtoken'), 1000, 'token refused')).json();
  t.match(refused, { verdict: 'token-refused', status: 407, locationId: 'WALLDORF', code: 'PROXY_AUTHENTICATION_REQUIRED' });
  t.equal(refused.subaccount, undefined, 'no subaccount without a valid token');
});

t.test('SOCKS5: a relayed CONNECT and a refused one appear with connector and verdict', async (t) => {
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  const berlinPort = Number(new URL(sim.urls.backends.berlin!).port);
  await sim.connector('berlin').addSystemMapping({ virtualHost: 'tcphost', virtualPort: 4444, localHost: '127.0.0.1', localPort: berlinPort, protocol: 'TCP' });
  t.teardown(() => sim.connector('berlin').removeSystemMapping('tcphost', 4444));
  const socket = await sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, locationId: 'BERLIN', host: 'tcphost', port: 4444 });
  socket.destroy();
  const ok = (await stream.waitFor(traffic((x) => x.protocol === 'TCP' && x.virtualHost === 'tcphost'), 1000, 'the relayed CONNECT')).json();
  t.match(ok, { method: 'CONNECT', subaccount, locationId: 'BERLIN', connector: 'berlin', virtualPort: 4444, verdict: 'allowed', status: 200, rule: /TCP tcphost:4444/ });

  await t.rejects(sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, locationId: 'WALLDORF', host: 'tcphost', port: 4444 }));
  const denied = (await stream.waitFor(traffic((x) => x.protocol === 'TCP' && x.locationId === 'WALLDORF'), 1000, 'the refused CONNECT')).json();
  t.match(denied, { verdict: 'unmapped-system', status: 403, connector: 'walldorf', rule: /no TCP system mapping for tcphost:4444/ });

  await t.rejects(sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, locationId: 'NOWHERE', host: 'tcphost', port: 4444 }));
  const none = (await stream.waitFor(traffic((x) => x.protocol === 'TCP' && x.locationId === 'NOWHERE'), 1000, 'CONNECT without connector')).json();
  t.match(none, { verdict: 'no-connector', status: 503 });
});

t.test('a page loaded later gets the kept events; a status event follows a disconnect and a reconnect', async (t) => {
  await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo/kept', token, location: 'WALLDORF' });
  const stream = await openEventStream(events);
  t.teardown(() => stream.close());
  await stream.waitFor(traffic((x) => x.path === '/echo/kept'), 1000, 'the kept event');
  const statusEvents = () => stream.events.filter((e) => e.event === 'status').length;
  const before = statusEvents();
  await sim.connector('walldorf').disconnect();
  const down = await stream.waitFor((e) => e.event === 'status' && e.json().subaccounts[0].locations.some((l: any) => l.locationId === 'WALLDORF' && l.state === 'Disconnected'), 1000, 'WALLDORF disconnected');
  t.ok(down, 'the status event shows WALLDORF disconnected');
  t.ok(statusEvents() > before);
  await sim.connector('walldorf').connect();
  await stream.waitFor((e) => e.event === 'status' && e.json().subaccounts[0].locations.some((l: any) => l.locationId === 'WALLDORF' && l.state === 'Connected'), 5000, 'WALLDORF connected again');
});

t.test('a closed stream leaves no listener behind', async (t) => {
  const counts = () => [sim.proxy.registry.listenerCount('connected'), sim.proxy.registry.listenerCount('disconnected'), sim.proxy.traffic.listenerCount('traffic')];
  const before = counts();
  const stream = await openEventStream(events);
  await stream.waitFor((e) => e.event === 'status', 2000, 'status');
  t.same(counts(), before.map((n) => n + 1), 'one listener each while open');
  await stream.close();
  // The server sees the close on its socket a moment later: wait for the last listener to go.
  if (sim.proxy.traffic.listenerCount('traffic') > before[2]!) await once(sim.proxy.traffic, 'removeListener');
  t.same(counts(), before, 'all gone after the client closed');
});

t.test('GET / is the page, its script and style come from /cockpit/, and the policy allows only its own origin', async (t) => {
  const page = await fetch(`${sim.urls.tokenService}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  const html = await page.text();
  t.match(html, '<script src="/cockpit/cockpit.js" defer></script>');
  t.notMatch(html, /https?:\/\//, 'no absolute URL in the page');
  for (const [file, type] of [['cockpit.js', /javascript/], ['cockpit.css', /^text\/css/]] as const) {
    const res = await fetch(`${sim.urls.tokenService}/cockpit/${file}`);
    t.equal(res.status, 200, file);
    t.match(res.headers.get('content-type'), type, `${file} content type`);
  }
  for (const path of ['/cockpit/../package.json', '/cockpit/%2e%2e/%2e%2e/%2e%2e/package.json', '/cockpit/..%2f..%2f..%2fpackage.json']) {
    const res = await rawRequest(sim.ports.tokenServicePort, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.not(res.status, 200, `${path}: nothing outside public/ (${res.status})`);
    t.notMatch(res.text(), /"name": "scc-sim"/);
  }
});

t.test('GET /status still answers the connected connectors as JSON', async (t) => {
  const res = await fetch(`${sim.urls.tokenService}/status`);
  const body = await res.json() as any;
  t.same(body.subaccounts[0].cloudConnectors.map((c: any) => c.locationID).sort(), ['BERLIN', 'WALLDORF']);
});
