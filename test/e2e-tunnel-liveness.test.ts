// Regression (issue 11, defect 3): an unresponsive connector was noticed only after ~110 s — a
// frozen process, or a peer that completed the Upgrade and never spoke HTTP/2: every request routed
// there hung, the status page said Connected, a replacement connector got 409. Now the proxy PINGs
// with an acknowledgement deadline and wants SETTINGS within seconds of the 101: the tunnel is
// declared dead, requests in flight get 502, new ones the SAP 503, the registry and status page
// drop it, and a replacement connector is routed. The frozen connector is a real
// `scc-sim connector` process sent SIGSTOP; the tunables are left at their defaults (proxy section).
import t, { type Test } from 'tap';
import http2 from 'node:http2';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../services/shared/config-load.js';
import { buildConnector } from '../services/connector/connector-service.js';
import { startCli } from './helpers/cli-process.js';
import { faultWorld, type FaultWorld } from './helpers/connector-process.js';
import { SUBACCOUNT_A, world } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { expectError } from './helpers/expect-error.js';
import { dialTunnel } from './helpers/fake-connector.js';
import { captureLog } from './helpers/log-capture.js';
import { proxyRequest } from './helpers/proxy-client.js';

/** Far above the defaults (PING every 3 s, 3 s to acknowledge, 3 s for SETTINGS), far below the ~110 s of before. */
const DEADLINE_MS = 25_000;
const NO_TUNNEL = `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${SUBACCOUNT_A}' and SCC location ID ''`;
const CREDENTIALS = { subaccount: SUBACCOUNT_A, locationID: '', cloudUser: 'cloud-user-a@example.com', cloudPassword: 'cloud-password-a', name: 'fake' };

const hello = (w: FaultWorld) => proxyRequest(w.ports.httpPort, { url: 'http://virtualhost:3333/', token: w.token });
const gone = (w: FaultWorld) => new Promise<void>((resolve) => { w.proxy.registry.once('disconnected', () => resolve()); });

async function statusPage(w: FaultWorld) {
  const res = await fetch(`${w.proxy.tokenServiceUrl()}/status`);
  const body = await res.json() as { subaccounts: Array<{ subaccount: string; cloudConnectors: unknown[] }> };
  return body.subaccounts.find((s) => s.subaccount === SUBACCOUNT_A)!.cloudConnectors;
}

async function routedTo(t: Test, w: FaultWorld, name: string) {
  const res = await beforeDeadline(hello(w), DEADLINE_MS, `a request through ${name}`);
  t.equal(res.status, 200, `${name} is routed`);
  t.equal(res.text(), 'Hello World!');
  t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, name, `the registry names ${name}`);
}

t.test('a frozen connector (SIGSTOP) is declared dead within seconds: 502 in flight, then the SAP 503, gone from the status page, a replacement routed', async (t) => {
  const w = await faultWorld(t);
  const frozen = await w.startConnector('connector-a');
  t.equal((await statusPage(w)).length, 1, 'the status page shows the connector');
  const dropped = gone(w);
  frozen.child.kill('SIGSTOP');
  const inFlight = await beforeDeadline(hello(w), DEADLINE_MS, 'the request in flight to the frozen connector');
  expectError(t, inFlight, 502, 'SCC_TUNNEL_BROKEN', 'Bad Gateway: the connection to the SAP Cloud Connector was lost during the request');
  await beforeDeadline(dropped, DEADLINE_MS, 'the registry drops the tunnel');
  expectError(t, await hello(w), 503, 'SCC_NO_TUNNEL', NO_TUNNEL);
  t.same(await statusPage(w), [], 'the status page shows no connector');
  t.match(w.log.lines.find((l) => l.msg === 'Cloud Connector disconnected')?.reason ?? '', /did not acknowledge a PING within 3000 ms/, 'the log says why');
  await w.startConnector('connector-a2');
  await routedTo(t, w, 'connector-a2');
  frozen.child.kill('SIGCONT');
});

t.test('a replacement connector that dials while the frozen one is still registered takes over at once, not 409', async (t) => {
  // PINGs so rare that only the replacement's arrival can find the frozen connector out.
  const w = await faultWorld(t, { proxy: { tunnelPingIntervalMs: 600_000 } });
  const frozen = await w.startConnector('connector-a');
  frozen.child.kill('SIGSTOP');
  await beforeDeadline(w.startConnector('connector-a2'), DEADLINE_MS, 'the replacement connects');
  await routedTo(t, w, 'connector-a2');
  t.notOk(w.log.lines.some((l) => l.msg === 'tunnel refused' && l.status === 409), 'the replacement was never refused with 409');
  frozen.child.kill('SIGCONT');
});

t.test('a peer that completes the Upgrade and never speaks HTTP/2 is dropped within seconds; a real connector is routed after it', async (t) => {
  const w = await faultWorld(t);
  const dropped = gone(w);
  await dialTunnel(t, w.ports.tunnelPort, CREDENTIALS);
  t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, 'fake', 'the silent peer was registered');
  const inFlight = await beforeDeadline(hello(w), DEADLINE_MS, 'the request in flight to the silent peer');
  expectError(t, inFlight, 502, 'SCC_TUNNEL_BROKEN', 'Bad Gateway: the connection to the SAP Cloud Connector was lost during the request');
  await beforeDeadline(dropped, DEADLINE_MS, 'the registry drops the silent peer');
  t.match(w.log.lines.find((l) => l.msg === 'Cloud Connector disconnected')?.reason ?? '', /sent no HTTP\/2 SETTINGS within 3000 ms/);
  expectError(t, await hello(w), 503, 'SCC_NO_TUNNEL', NO_TUNNEL);
  await w.startConnector('connector-a');
  await routedTo(t, w, 'connector-a');
});

t.test('a stream the connector resets on a live tunnel is 502 naming the reset, not "connection lost"', async (t) => {
  const w = await faultWorld(t);
  const socket = await dialTunnel(t, w.ports.tunnelPort, CREDENTIALS);
  const h2 = http2.createServer();
  h2.on('stream', (stream) => { stream.on('error', () => {}); stream.close(http2.constants.NGHTTP2_REFUSED_STREAM); });
  const sessions = once(h2, 'session');
  h2.emit('connection', socket);
  socket.resume();
  const [session] = await sessions as [http2.ServerHttp2Session];
  t.teardown(() => session.destroy());
  const res = await beforeDeadline(hello(w), DEADLINE_MS, 'the answer to a reset stream');
  expectError(t, res, 502, 'SCC_TUNNEL_STREAM_RESET',
    'Bad Gateway: the stream of this request through the SAP Cloud Connector tunnel was reset (HTTP/2 REFUSED_STREAM); the tunnel itself is still connected');
  t.equal(w.proxy.registry.get(SUBACCOUNT_A, '')?.connectorName, 'fake', 'and the tunnel is still registered');
});

t.test('a connector whose proxy freezes (SIGSTOP) drops the tunnel within seconds and is back once the proxy answers again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-liveness-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = world({ proxy: { httpPort: 0, socks5Port: 0, tokenServicePort: 0, tokenServiceHttpsPort: 0, tunnelPort: 0 }, backends: [] });
  const file = join(dir, 'scc-sim.yaml');
  writeFileSync(file, JSON.stringify({ ...input, logLevel: 'info' }));
  const proxy = startCli(t, ['proxy', '--config', file]);
  t.teardown(() => { if (proxy.child.exitCode === null) proxy.child.kill('SIGCONT'); });
  const listening = JSON.parse(await proxy.waitFor(/proxy service listening/)) as { tunnel: string };
  const log = captureLog('info');
  const connector = await buildConnector(loadConfigFile(file), { logger: log.logger, tunnel: { host: '127.0.0.1', port: Number(new URL(listening.tunnel).port) } });
  t.teardown(() => connector.close());
  connector.start();
  await beforeDeadline(connector.waitConnected(), DEADLINE_MS, 'the tunnel');
  proxy.child.kill('SIGSTOP');
  const said = await log.waitFor((l) => l.msg === 'the proxy stopped answering', DEADLINE_MS);
  // Frozen before or after it sent its SETTINGS: either deadline finds it out.
  t.match(said.reason, /did not acknowledge a PING within 3000 ms|sent no HTTP\/2 SETTINGS within 3000 ms of the upgrade/);
  await log.waitFor((l) => /the tunnel connection closed; reconnecting in \d+ ms/.test(l.msg), DEADLINE_MS);
  t.not(connector.tunnel.state, 'connected', 'the connector no longer counts itself connected, and dials again');
  proxy.child.kill('SIGCONT');
  await beforeDeadline(connector.waitConnected(), DEADLINE_MS, 'the tunnel again');
  t.equal(connector.tunnel.state, 'connected');
});

t.test('a proxy that takes the connection and never answers the Upgrade: the dial is given up within seconds and tried again', async (t) => {
  const silent = net.createServer((socket) => { socket.on('error', () => {}); socket.resume(); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const dials: net.Socket[] = [];
  t.teardown(() => new Promise<void>((resolve) => { for (const d of dials) d.destroy(); silent.close(() => resolve()); }));
  silent.on('connection', (s) => dials.push(s));
  const log = captureLog('info');
  const connector = await buildConnector(parseConfig(world({ backends: [] })), {
    logger: log.logger, tunnel: { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port },
  });
  t.teardown(() => connector.close());
  connector.start();
  const said = await log.waitFor((l) => /the proxy did not answer the tunnel upgrade within 6000 ms; reconnecting in \d+ ms/.test(l.msg), DEADLINE_MS);
  t.ok(said, 'the connector says why it dials again');
  t.not(connector.tunnel.state, 'connected');
  await beforeDeadline(new Promise<void>((resolve) => {
    if (dials.length >= 2) return resolve();
    silent.on('connection', () => { if (dials.length >= 2) resolve(); });
  }), DEADLINE_MS, 'the second dial');
  t.ok(dials[0]!.destroyed || dials[0]!.readableEnded || dials[0]!.closed, 'the first connection was given up');
});
