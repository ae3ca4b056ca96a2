// The proxy's requests travel as HTTP/1.1 on pooled, long-lived carriers of the tunnel, TCP
// connections the connector dialled when the proxy asked (services/proxy/tunnel-pool.ts):
// sequential requests reuse one carrier instead of asking for one each, concurrent ones get
// carriers of their own, and answers stay byte-exact.
import t from 'tap';
import http from 'node:http';
import { startSimulator } from '../src/simulator.js';
import { world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const token = await sim.token();
const port = sim.ports.httpPort;
const tunnel = () => {
  const list = sim.proxy.registry.list();
  if (list.length !== 1) throw new Error(`expected one tunnel, found ${list.length}`);
  return list[0];
};

t.test('20 sequential requests reuse one carrier', async (t) => {
  for (let i = 0; i < 20; i++) {
    const res = await proxyRequest(port, { url: `http://virtualhost:3333/echo?i=${i}`, token });
    t.equal(res.status, 200, `request ${i}`);
    t.equal(res.json().query, `i=${i}`, `answer ${i} is its own`);
  }
  t.equal(tunnel().pool.stats.connected, 1, 'one carrier carried them all');
});

t.test('concurrent requests get carriers of their own, which stay open for the next ones', async (t) => {
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const burst = () => Promise.all(Array.from({ length: 8 }, (_, i) => proxyRequest(port, { url: `http://virtualhost:3333/echo?b=${i}`, token, agent })));
  const first = await burst();
  t.same(first.map((r) => r.json().query), Array.from({ length: 8 }, (_, i) => `b=${i}`), 'each answer matches its request');
  const carriers = tunnel().pool.stats.connected;
  t.ok(carriers > 1 && carriers <= 9, `several carriers (${carriers})`);
  await burst();
  t.ok(tunnel().pool.stats.connected <= carriers + 1, 'the next burst reuses them');
});

t.test('an answer\'s head and body arrive exactly as the backend sent them', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/', token });
  t.equal(res.status, 200);
  t.equal(res.text(), 'Hello World!');
  t.match(res.headers['content-type'], /^text\/plain/);
  t.equal(res.headers['x-scc-sim-decision'], undefined, 'internal headers stay inside the tunnel');
});
