// What a change does not disturb: open tunnels, a 64 MiB transfer in flight (also one whose own
// mapping is deleted meanwhile: it keeps the snapshot it started with), and the pooled backend
// connections of mappings that did not change.
import t from 'tap';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { patternSha256 } from '../services/backend/byte-pattern.js';
import { startSimulator } from '../src/simulator.js';
import { HELLO_PORT, mapping, SUBACCOUNT_A, world } from './helpers/configs.js';
import { LOCATION_HEADER, proxyRequest } from './helpers/proxy-client.js';

const SIZE = 64 * 1024 * 1024;
const sim = await startSimulator(world({ mappings: [mapping(), mapping({ virtualHost: 'other', resources: [{ id: '/', exactMatchOnly: false }] })] }));
t.teardown(() => sim.close());
const k = sim.connector();
const token = await sim.token();

/** A download through the proxy that resolves `started` with its first bytes and `done` with the digest. */
function download(url: string): { started: Promise<void>; done: Promise<{ status: number; bytes: number; sha256: string }> } {
  const req = http.request({ host: '127.0.0.1', port: sim.ports.httpPort, path: url, agent: false,
    headers: { 'proxy-authorization': `Bearer ${token}`, [LOCATION_HEADER]: '' } });
  req.end();
  const response = once(req, 'response').then(([res]) => res as http.IncomingMessage);
  const started = response.then(async (res) => { await once(res, 'readable'); });
  const done = response.then((res) => new Promise<{ status: number; bytes: number; sha256: string }>((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    res.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
    res.on('end', () => resolve({ status: res.statusCode!, bytes, sha256: hash.digest('hex') }));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error(`aborted after ${bytes} bytes`)));
  }));
  return { started, done };
}

t.test('a tunnel and a 64 MiB download in flight survive an unrelated change', async (t) => {
  const tunnel = sim.proxy.registry.get(SUBACCOUNT_A, '');
  const since = k.connector.tunnel.connectedSince;
  const d = download(`http://virtualhost:3333/bytes/${SIZE}`);
  await d.started;
  await k.addSystemMapping({ virtualHost: 'unrelated', virtualPort: '9', localHost: '127.0.0.1', localPort: '9' });
  await k.addResource('other', 3333, { id: '/extra' });
  const res = await d.done;
  t.same(res, { status: 200, bytes: SIZE, sha256: patternSha256(SIZE) }, 'byte-exact');
  t.equal(sim.proxy.registry.get(SUBACCOUNT_A, ''), tunnel, 'the proxy has the same tunnel');
  t.equal(k.connector.tunnel.connectedSince, since, 'the connector never reconnected');
});

t.test('a download in flight finishes even when its own mapping is deleted meanwhile; the next request is denied', async (t) => {
  const d = download(`http://other:3333/bytes/${SIZE}`);
  await d.started;
  await k.removeSystemMapping('other', 3333);
  const res = await d.done;
  t.same(res, { status: 200, bytes: SIZE, sha256: patternSha256(SIZE) });
  t.equal((await proxyRequest(sim.ports.httpPort, { url: 'http://other:3333/', token })).status, 403);
});

t.test('an unchanged mapping keeps its pooled backend connection; a changed backend gets a new one', async (t) => {
  const port = async () => (await proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/connection', token })).json().remotePort as number;
  const first = await port();
  t.equal(await port(), first, 'keep-alive: the same backend connection');
  await k.addSystemMapping({ virtualHost: 'another', virtualPort: '1', localHost: '127.0.0.1', localPort: String(HELLO_PORT) });
  t.equal(await port(), first, 'after an unrelated change: still the same connection');
  const ref = k.connector.config.subaccounts[0];
  await k.operations.replaceSystemMapping(ref, 'virtualhost', '3333', {
    virtualHost: 'virtualhost', virtualPort: '3333', localHost: 'localhost', localPort: String(HELLO_PORT), protocol: 'HTTP', backendType: 'nonSAPsys', timeoutMs: 5000,
  });
  t.not(await port(), first, 'after the mapping\'s backend changed (localhost instead of 127.0.0.1): a new connection');
});
