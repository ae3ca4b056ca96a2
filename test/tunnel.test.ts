// The tunnel: a connector with wrong credentials or a duplicate location is refused with a clear
// log line, garbage on the tunnel port harms nobody, and a connector comes back by itself after
// the proxy restarts.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { parseConfig } from '../services/shared/config-load.js';
import { buildConnector } from '../services/connector/connector-service.js';
import { buildProxy } from '../services/proxy/proxy-service.js';
import { captureLog } from './helpers/log-capture.js';

const SA = 'sa-tunnel';
function config(cloudPassword = 'right') {
  return parseConfig({
    subaccounts: [{ subaccount: SA, subdomain: 'sim', cloudUser: 'user', cloudPassword: 'right', clients: [{ clientid: 'c', clientsecret: 's' }] }],
    connectors: [
      { name: 'one', subaccount: SA, locationID: 'LOC', cloudUser: 'user', cloudPassword, reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 50 },
      { name: 'two', subaccount: SA, locationID: 'OTHER', cloudUser: 'user', cloudPassword, reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 50 },
    ],
  });
}

async function startProxy(t: Test, log = captureLog(), tunnelPort = 0) {
  const proxy = await buildProxy(config(), { logger: log.logger });
  const ports = await proxy.listen({ httpPort: 0, tokenServicePort: 0, tunnelPort, socks5Port: 0, tokenServiceHttpsPort: 0 });
  t.teardown(() => proxy.close());
  return { proxy, ports, log };
}

t.test('a connector with the wrong password is refused, says why, and keeps retrying', async (t) => {
  const { proxy, ports, log } = await startProxy(t);
  const klog = captureLog();
  const k = await buildConnector(config('wrong'), { name: 'one', logger: klog.logger, tunnel: { host: '127.0.0.1', port: ports.tunnelPort } });
  t.teardown(() => k.close());
  k.start();
  const refused = await log.waitFor((l) => l.msg === 'tunnel refused');
  t.equal(refused.status, 401);
  t.equal(refused.reason, 'wrong cloud user or password');
  const said = await klog.waitFor((l) => /the proxy refused the tunnel: 401 wrong cloud user or password; reconnecting in \d+ ms/.test(l.msg));
  t.ok(said.retryInMs > 0);
  await klog.waitFor((l) => l.attempt === 2);
  t.equal(proxy.registry.size, 0, 'nothing was registered');
  t.notMatch(JSON.stringify(log.lines), 'wrong"', 'the password itself is never logged');
});

t.test('a second connector for the same subaccount and location is refused; the first keeps serving', async (t) => {
  const { proxy, ports, log } = await startProxy(t);
  const tunnel = { host: '127.0.0.1', port: ports.tunnelPort };
  const first = await buildConnector(config(), { name: 'one', tunnel });
  t.teardown(() => first.close());
  first.start();
  await first.waitConnected();
  const dup = parseConfig({ ...structuredClone(config()), connectors: [{ ...structuredClone(config().connectors[0]), name: 'dup' }] });
  const second = await buildConnector(dup, { name: 'dup', tunnel });
  t.teardown(() => second.close());
  second.start();
  const refused = await log.waitFor((l) => l.msg === 'tunnel refused');
  t.equal(refused.status, 409);
  t.match(refused.reason, 'another Cloud Connector is already connected for subaccount sa-tunnel with location ID "LOC"');
  t.equal(proxy.registry.get(SA, 'LOC')?.connectorName, 'one');
});

t.test('garbage on the tunnel port gets an HTTP error and the endpoint keeps serving', async (t) => {
  const { proxy, ports } = await startProxy(t);
  for (const garbage of ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n',
    `GET /scc-sim/tunnel HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: scc-sim-tunnel/1\r\nx-scc-subaccount: ${SA}\r\nx-scc-location-id: %E0%A4%A\r\n\r\n`]) {
    const s = net.connect(ports.tunnelPort, '127.0.0.1');
    s.end(garbage);
    let answer = '';
    s.on('data', (d) => { answer += d; });
    await once(s, 'close');
    t.match(answer, /^HTTP\/1\.1 4\d\d /, `answered ${JSON.stringify(garbage.slice(0, 12))} with a 4xx`);
  }
  const k = await buildConnector(config(), { name: 'one', tunnel: { host: '127.0.0.1', port: ports.tunnelPort } });
  t.teardown(() => k.close());
  k.start();
  await k.waitConnected();
  t.equal(proxy.registry.size, 1);
});

t.test('after the proxy restarts the connector reconnects by itself', async (t) => {
  const first = await startProxy(t);
  const port = first.ports.tunnelPort;
  const klog = captureLog();
  const k = await buildConnector(config(), { name: 'two', logger: klog.logger, tunnel: { host: '127.0.0.1', port } });
  t.teardown(() => k.close());
  k.start();
  await k.waitConnected();
  await first.proxy.close();
  await klog.waitFor((l) => /reconnecting in/.test(l.msg ?? ''));
  const second = await startProxy(t, captureLog(), port);
  await second.log.waitFor((l) => l.msg === 'Cloud Connector connected');
  t.equal(second.proxy.registry.get(SA, 'OTHER')?.connectorName, 'two');
  await k.waitConnected();
  t.equal(k.tunnel.state, 'connected');
});
