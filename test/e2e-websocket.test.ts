// WebSocket upgrades through the whole path (issue 10 item 4): a real `ws` client using the HTTP
// proxy as a client does for ws:// (http-proxy-agent: absolute-form GET, Proxy-Authorization:
// Bearer, SAP-Connectivity-SCC-Location_ID), and the same as raw bytes; the connector allows the
// upgrade only for a resource with websocketUpgradeAllowed (403 otherwise), audits it, and keeps
// the request path's header hygiene; a backend or connector that drops closes the client.
import t from 'tap';
import net from 'node:net';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import WebSocket from 'ws';
import { HttpProxyAgent } from 'http-proxy-agent';
import { startSimulator } from '../src/simulator.js';
import { mapping, SUBACCOUNT_A, world } from './helpers/configs.js';
import { adminClient, subaccountPath } from './helpers/admin-client.js';
import { beforeDeadline } from './helpers/deadline.js';
import { openEventStream, type ServerSentEvent } from './helpers/event-stream-client.js';
import { LOCATION_HEADER, proxyRequest, rawRequest } from './helpers/proxy-client.js';

const LOCATION = 'LOC-WS';
// A backend that takes the connection and never answers (for the connector's timeoutMs).
const silent = net.createServer((socket) => { socket.on('error', () => {}); socket.resume(); });
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => { silent.close(() => resolve()); }));
const SILENT_TIMEOUT_MS = 500;
const config = world({
  locationID: LOCATION,
  backends: [{ name: 'hello', port: 3333 }, { name: 'doomed', port: 3334 }],
  mappings: [
    // /ws/ allows upgrades; everything else of the system is plain HTTP only.
    mapping({ resources: [{ id: '/ws/', exactMatchOnly: false, websocketUpgradeAllowed: true }, { id: '/', exactMatchOnly: false }] }),
    mapping({ virtualHost: 'internal-host', hostInHeader: 'INTERNAL', resources: [{ id: '/', exactMatchOnly: false, websocketUpgradeAllowed: true }] }),
    mapping({ virtualHost: 'pp-host', authenticationMode: 'X509_GENERAL', resources: [{ id: '/', exactMatchOnly: false, websocketUpgradeAllowed: true }] }),
    mapping({ virtualHost: 'silent-host', localPort: (silent.address() as net.AddressInfo).port, timeoutMs: SILENT_TIMEOUT_MS,
      resources: [{ id: '/', exactMatchOnly: false, websocketUpgradeAllowed: true }] }),
    mapping({ virtualHost: 'doomed-host', localPort: 3334, resources: [{ id: '/', exactMatchOnly: false, websocketUpgradeAllowed: true }] }),
  ],
}) as any;
config.connectors[0].auditLogLevel = 'ALL';
const sim = await startSimulator(config);
t.teardown(() => sim.close());
const token = await sim.token();
const proxyUrl = `http://127.0.0.1:${sim.ports.httpPort}`;

/** `first`: the first message, listened for from the start (a backend may send it with its 101). */
interface Opened { ws: WebSocket; closed: Promise<{ code: number }>; first: Promise<{ data: Buffer; isBinary: boolean }> }
interface Refused { status: number; body: string; headers: http.IncomingHttpHeaders }

/** A `ws` client through the HTTP proxy: opened, or the proxy's/connector's answer when the upgrade is refused. */
function connect(url: string, o: { token?: string; location?: string; headers?: Record<string, string> } = {}): Promise<Opened | Refused> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers['proxy-authorization'] = `Bearer ${o.token}`;
  headers[LOCATION_HEADER] = o.location ?? LOCATION;
  const ws = new WebSocket(url, { agent: new HttpProxyAgent(proxyUrl), headers });
  const closed = new Promise<{ code: number }>((resolve) => ws.once('close', (code) => resolve({ code })));
  const first = nextMessage(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed, first }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    ws.once('error', reject);
  });
}

async function open(url: string, o: Parameters<typeof connect>[1] = { token }): Promise<Opened> {
  const r = await connect(url, o);
  if (!('ws' in r)) throw new Error(`the upgrade was refused: ${r.status} ${r.body}`);
  t.teardown(() => r.ws.terminate());
  return r;
}

async function refused(url: string, o: Parameters<typeof connect>[1]): Promise<Refused> {
  const r = await connect(url, o);
  if ('ws' in r) { r.ws.terminate(); throw new Error('the upgrade was accepted'); }
  return r;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('echo both ways: text and binary messages through proxy, tunnel and connector', async (t) => {
  const { ws, closed } = await open('ws://virtualhost:3333/ws/echo');
  for (const text of ['hello', 'ünïcödé ✓', '']) {
    const reply = nextMessage(ws);
    ws.send(text);
    const m = await reply;
    t.equal(m.isBinary, false, 'text comes back as text');
    t.equal(m.data.toString('utf8'), text);
  }
  const bin = randomBytes(1000);
  const reply = nextMessage(ws);
  ws.send(bin);
  const m = await reply;
  t.equal(m.isBinary, true, 'binary comes back as binary');
  t.same(m.data, bin);
  ws.close(1000, 'done');
  t.equal((await beforeDeadline(closed, 10_000, 'the close handshake')).code, 1000, 'the close handshake went through both ways');
});

t.test('a 16 MiB message both ways, checked by hash', async (t) => {
  const { ws } = await open('ws://virtualhost:3333/ws/echo');
  const big = randomBytes(16 * 1024 * 1024);
  const reply = nextMessage(ws);
  ws.send(big);
  const m = await beforeDeadline(reply, 60_000, 'the 16 MiB echo');
  t.equal(m.data.length, big.length, 'every byte came back');
  t.equal(sha256(m.data), sha256(big), 'the same bytes');
});

t.test('64 messages of 1 MiB in flight both ways at once: every byte back, in order', async (t) => {
  const { ws } = await open('ws://virtualhost:3333/ws/echo');
  const sent = createHash('sha256');
  const received = createHash('sha256');
  let bytes = 0;
  const all = new Promise<void>((resolve) => {
    let n = 0;
    ws.on('message', (data: Buffer) => { received.update(data); bytes += data.length; if (++n === 64) resolve(); });
  });
  for (let i = 0; i < 64; i++) {
    const m = randomBytes(1024 * 1024);
    sent.update(m);
    ws.send(m);
  }
  await beforeDeadline(all, 60_000, '64 echoes');
  t.equal(bytes, 64 * 1024 * 1024);
  t.equal(received.digest('hex'), sent.digest('hex'), 'the same bytes in the same order');
});

t.test('raw absolute-form upgrade (what any HTTP-proxy client sends): 101, then frames both ways', async (t) => {
  const socket = net.connect({ host: '127.0.0.1', port: sim.ports.httpPort });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(`GET http://virtualhost:3333/ws/echo?x=1 HTTP/1.1\r\nHost: virtualhost:3333\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nProxy-Authorization: Bearer ${token}\r\n${LOCATION_HEADER}: ${LOCATION}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  const read = async (until: (b: Buffer) => number): Promise<Buffer> => {
    for (;;) {
      const n = until(buf);
      if (n >= 0) { const out = buf.subarray(0, n); buf = buf.subarray(n); return out; }
      const [chunk] = await once(socket, 'data');
      buf = Buffer.concat([buf, chunk as Buffer]);
    }
  };
  const head = (await read((b) => { const i = b.indexOf('\r\n\r\n'); return i < 0 ? -1 : i + 4; })).toString('latin1');
  t.match(head, /^HTTP\/1\.1 101 /, 'switching protocols');
  t.match(head, /\r\nupgrade: websocket\r\n/i);
  t.match(head, /\r\nconnection: upgrade\r\n/i);
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  t.match(head, new RegExp(`\\r\\nsec-websocket-accept: ${accept.replace(/[+/]/g, '\\$&')}\\r\\n`, 'i'), 'the backend\'s Sec-WebSocket-Accept for our key');
  t.notMatch(head, /x-scc-sim-/i, 'no internal header reaches the client');
  // One masked text frame (RFC 6455 §5.2), FIN set, payload < 126 bytes.
  const payload = Buffer.from('raw frame');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  const frame = await read((b) => (b.length >= 2 && b.length >= 2 + (b[1]! & 0x7f) ? 2 + (b[1]! & 0x7f) : -1));
  t.equal(frame[0], 0x81, 'a final text frame');
  t.equal(frame.subarray(2).toString(), 'raw frame', 'echoed');
});

t.test('the backend sees the handshake with the request path\'s header hygiene', async (t) => {
  const { first } = await open('ws://virtualhost:3333/ws/headers?q=1', {
    token,
    headers: { 'x-custom': 'arrives', 'x-scc-sim-rule': 'forged', 'ssl_client_cert': 'forged', 'sap-connectivity-consumeraccount': 'x' },
  });
  const seen = JSON.parse((await first).data.toString()) as { path: string; query: string; headers: Record<string, string> };
  t.equal(seen.path, '/ws/headers');
  t.equal(seen.query, 'q=1');
  t.equal(seen.headers['proxy-authorization'], undefined, 'no Proxy-Authorization');
  t.equal(seen.headers[LOCATION_HEADER], undefined, 'no SAP-Connectivity-SCC-Location_ID');
  t.same(Object.keys(seen.headers).filter((h) => h.startsWith('x-scc-sim-') || h.startsWith('sap-connectivity-')), [], 'no internal or SAP routing header');
  t.equal(seen.headers.ssl_client_cert, undefined, 'a client cannot send SSL_CLIENT_CERT');
  t.notOk(JSON.stringify(seen).includes(token), 'the token is nowhere in what the backend saw');
  t.equal(seen.headers.host, 'virtualhost:3333', 'Host: the virtual host (hostInHeader VIRTUAL)');
  t.equal(seen.headers['x-custom'], 'arrives', 'an ordinary header arrives');
  t.match(seen.headers.upgrade, /^websocket$/i);
  t.match(seen.headers.connection, /upgrade/i);
  t.ok(seen.headers['sec-websocket-key'], 'the handshake headers arrive');
});

t.test('hostInHeader INTERNAL: Host is the internal system, X-Forwarded-Host the virtual one', async (t) => {
  const { first } = await open('ws://internal-host:3333/ws/headers');
  const seen = JSON.parse((await first).data.toString()) as { headers: Record<string, string> };
  t.equal(seen.headers.host, `127.0.0.1:${sim.backends.hello!.port}`);
  t.equal(seen.headers['x-forwarded-host'], 'internal-host:3333');
});

t.test('a resource without websocketUpgradeAllowed: 403 with SAP\'s text, and the path still works as plain HTTP', async (t) => {
  const r = await refused('ws://virtualhost:3333/echo', { token });
  t.equal(r.status, 403);
  t.equal(r.body, 'Access denied to resource http://virtualhost:3333/echo on system virtualhost:3333.\n');
  t.equal(r.headers['x-internal-error-code'], 'SCC_ACCESS_DENIED_RESOURCE');
  t.same(Object.keys(r.headers).filter((h) => h.startsWith('x-scc-sim-')), [], 'no internal header reaches the client');
  const plain = await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/echo', token, location: LOCATION });
  t.equal(plain.status, 200, 'the same path as a plain request: allowed');
  const unmapped = await refused('ws://nowhere:1/ws/echo', { token });
  t.equal(unmapped.status, 403, 'an unmapped system: 403 too');
  t.equal(unmapped.body, 'Access denied to system nowhere:1\n');
});

t.test('ws with createConnection to the proxy sends origin-form (GET /ws/echo): 400 naming the absolute-form the proxy expects', async (t) => {
  const ws = new WebSocket('ws://virtualhost:3333/ws/echo', {
    createConnection: () => net.connect({ host: '127.0.0.1', port: sim.ports.httpPort }),
    headers: { 'proxy-authorization': `Bearer ${token}`, [LOCATION_HEADER]: LOCATION },
  });
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    ws.once('error', reject);
  });
  t.equal(r.status, 400);
  t.match(r.body, /expects absolute-form targets such as http:\/\/virtualhost:1234\/path/);
});

t.test('the admin API switches the flag: PUT websocketUpgradeAllowed "true" allows the next upgrade, "false" denies it again', async (t) => {
  const admin = adminClient(() => sim.connector().admin);
  const R = `${subaccountPath({ regionHost: 'cf.sim.hana.ondemand.com', subaccount: SUBACCOUNT_A })}/systemMappings/virtualhost:3333/resources/-`;
  t.equal((await refused('ws://virtualhost:3333/ws-less/echo', { token })).status, 403, 'the "/" resource: no upgrade');
  t.equal((await admin.put(R, { enabled: 'true', exactMatchOnly: 'false', websocketUpgradeAllowed: 'true' })).status, 204);
  const r = await refused('ws://virtualhost:3333/ws-less/echo', { token });
  t.equal(r.status, 404, 'now allowed: the backend answers (it has no WebSocket there)');
  t.equal((await admin.put(R, { enabled: 'true', exactMatchOnly: 'false', websocketUpgradeAllowed: 'false' })).status, 204);
  t.equal((await refused('ws://virtualhost:3333/ws-less/echo', { token })).status, 403, 'denied again');
});

t.test('a client that goes away closes the backend\'s socket too', async (t) => {
  const backendClosed = new Promise<void>((resolve) => {
    sim.backends.hello!.server.once('upgrade', (_req, socket: net.Socket) => socket.once('close', () => resolve()));
  });
  const { ws } = await open('ws://virtualhost:3333/ws/echo');
  ws.terminate();
  await beforeDeadline(backendClosed, 10_000, 'the backend socket\'s close after the client left');
  t.pass('the backend\'s socket closed');
});

t.test('407 without a token or with a bad one; 503 for a location without a connector', async (t) => {
  const none = await refused('ws://virtualhost:3333/ws/echo', {});
  t.equal(none.status, 407);
  t.match(none.body, /^Proxy Authentication Required: Proxy-Authorization header is missing/);
  t.match(none.headers['proxy-authenticate'], /^Bearer /);
  const bad = await refused('ws://virtualhost:3333/ws/echo', { token: 'not-a-jwt' });
  t.equal(bad.status, 407);
  const noTunnel = await refused('ws://virtualhost:3333/ws/echo', { token, location: 'NO-SUCH-LOCATION' });
  t.equal(noTunnel.status, 503);
  t.equal(noTunnel.body, `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_A}' and SCC location ID 'NO-SUCH-LOCATION'\n`);
});

t.test('principal propagation: the upgrade carries the user\'s certificate (X509_GENERAL), an invalid user token is refused', async (t) => {
  const { first } = await open('ws://pp-host:3333/ws/headers', { token, headers: { 'sap-connectivity-technical-authentication': `Bearer ${token}` } });
  const seen = JSON.parse((await first).data.toString()) as { headers: Record<string, string> };
  const cert = new X509Certificate(Buffer.from(seen.headers.ssl_client_cert!, 'base64'));
  t.ok(cert.checkIssued(new X509Certificate(readFileSync(sim.caFile))), 'a certificate of the simulator CA');
  t.equal(seen.headers['sap-connectivity-technical-authentication'], undefined, 'the user token stops at the proxy');
  const anonymous = JSON.parse((await (await open('ws://pp-host:3333/ws/headers')).first).data.toString()) as { headers: Record<string, string> };
  t.equal(anonymous.headers.ssl_client_cert, '', 'without a user: an empty SSL_CLIENT_CERT');
  const bad = await refused('ws://pp-host:3333/ws/headers', { token, headers: { 'sap-connectivity-authentication': 'Bearer not-a-jwt' } });
  t.equal(bad.status, 401);
  t.match(bad.body, /^Unauthorized: the propagated principal was refused/);
});

t.test('an Upgrade other than WebSocket is served as the ordinary request it also is', async (t) => {
  const r = await rawRequest(sim.ports.httpPort, `GET http://virtualhost:3333/echo HTTP/1.1\r\nHost: virtualhost:3333\r\nConnection: Upgrade, HTTP2-Settings\r\n`
    + `Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nProxy-Authorization: Bearer ${token}\r\n${LOCATION_HEADER}: ${LOCATION}\r\n\r\n`);
  t.equal(r.status, 200);
  const seen = JSON.parse(r.text()) as { headers: Record<string, string> };
  t.equal(seen.headers.upgrade, undefined, 'Upgrade is hop-by-hop: not forwarded');
  t.equal(seen.headers['http2-settings'], undefined);
  const withBody = await rawRequest(sim.ports.httpPort, `POST http://virtualhost:3333/echo HTTP/1.1\r\nHost: virtualhost:3333\r\nConnection: Upgrade\r\n`
    + `Upgrade: h2c\r\nContent-Length: 2\r\nProxy-Authorization: Bearer ${token}\r\n${LOCATION_HEADER}: ${LOCATION}\r\n\r\nhi`);
  t.equal(withBody.status, 400, 'with a body: refused, never a hang');
  t.match(withBody.text(), /only WebSocket upgrades are forwarded/);
});

t.test('the audit log has an entry for the upgrade, allowed and denied', async (t) => {
  const access = () => sim.connectors[0]!.trail.ring.list().filter((e) => e.category === 'AccessControl');
  const before = access().length;
  const { ws } = await open('ws://virtualhost:3333/ws/echo?audited=1');
  ws.terminate();
  await refused('ws://virtualhost:3333/audited-denied', { token });
  const entries = access();
  t.equal(entries.length, before + 2, 'one entry per upgrade');
  const allowed = entries.find((e) => e.detail === 'GET http://virtualhost:3333/ws/echo');
  t.equal(allowed?.event, 'Access Allowed');
  t.match(allowed?.reason ?? '', /allows the WebSocket upgrade to \/ws\/echo/);
  const denied = entries.find((e) => e.detail === 'GET http://virtualhost:3333/audited-denied');
  t.equal(denied?.event, 'Access Denied');
  t.match(denied?.reason ?? '', /WebSocket upgrade not allowed/);
});

t.test('an upgrade to a path the backend has no WebSocket for: the backend\'s own answer comes back', async (t) => {
  const r = await refused('ws://virtualhost:3333/ws/nothing-here', { token });
  t.equal(r.status, 404);
  t.match(r.body, /no WebSocket route \/ws\/nothing-here/);
});

t.test('a backend that takes the connection and never answers the upgrade: 504 after the mapping\'s timeoutMs', async (t) => {
  const r = await beforeDeadline(refused('ws://silent-host:3333/ws/echo', { token }), 10_000, 'the 504');
  t.equal(r.status, 504);
  t.equal(r.body, `Gateway Timeout: the backend system did not answer within ${SILENT_TIMEOUT_MS} ms\n`);
});

t.test('the cockpit\'s live traffic shows each upgrade: 101 allowed with its rule, 403 resource-denied, 407 token-refused', async (t) => {
  const stream = await openEventStream(`${sim.urls.tokenService}/cockpit/events`);
  t.teardown(() => stream.close());
  const traffic = (path: string, status: number) => (e: ServerSentEvent) => {
    if (e.event !== 'traffic') return false;
    const x = e.json();
    return x.path === path && x.status === status;
  };
  const { ws } = await open('ws://virtualhost:3333/ws/echo?secret=1');
  const up = (await stream.waitFor(traffic('/ws/echo', 101), 2000, 'the 101 event')).json();
  t.match(up, { method: 'GET', locationId: LOCATION, virtualHost: 'virtualhost', virtualPort: 3333, verdict: 'allowed', status: 101 });
  t.match(up.rule, /^\/ws\/ .*WebSocket upgrade allowed/);
  ws.terminate();
  await refused('ws://virtualhost:3333/echo', { token });
  t.match((await stream.waitFor(traffic('/echo', 403), 2000, 'the 403 event')).json(), { verdict: 'resource-denied', code: 'SCC_ACCESS_DENIED_RESOURCE' });
  await refused('ws://virtualhost:3333/ws/echo', {});
  t.match((await stream.waitFor((e) => e.event === 'traffic' && e.json().status === 407, 2000, 'the 407 event')).json(), { verdict: 'token-refused' });
  t.notOk(stream.events.some((e) => e.data.includes(token) || e.data.includes('secret=1')), 'no token, no query string');
});


t.test('a backend that goes away closes the client', async (t) => {
  const { ws, closed } = await open('ws://doomed-host:3333/ws/echo');
  const reply = nextMessage(ws);
  ws.send('before');
  t.equal((await reply).data.toString(), 'before');
  await sim.backends.doomed!.close();
  const { code } = await beforeDeadline(closed, 10_000, 'the client\'s close after the backend died');
  t.not(code, 1000, `an abnormal close (${code}): no close handshake from a dead backend`);
  const again = await refused('ws://doomed-host:3333/ws/echo', { token });
  t.equal(again.status, 502, 'a new upgrade to the dead backend: 502');
  t.equal(again.body, 'Unable to open connection to backend system\n');
});

// Last: the connector goes away for good.
t.test('a connector that drops closes the client', async (t) => {
  const { ws, closed } = await open('ws://virtualhost:3333/ws/echo');
  const reply = nextMessage(ws);
  ws.send('before');
  t.equal((await reply).data.toString(), 'before');
  await sim.connectors[0]!.close(); // its tunnel socket destroyed, as a killed process's
  const { code } = await beforeDeadline(closed, 10_000, 'the client\'s close after the connector dropped');
  t.not(code, 1000, `an abnormal close (${code})`);
});
