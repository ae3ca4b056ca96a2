// The proxy's requests travel as exchanges of frames on a long-lived carrier of the tunnel, a TCP
// connection the connector dialled when the proxy asked (services/proxy/tunnel-pool.ts):
// sequential requests reuse one carrier instead of asking for one each, concurrent ones share it,
// and answers stay byte-exact.
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

t.test('concurrent requests share the carrier, which stays open for the next ones', async (t) => {
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const burst = () => Promise.all(Array.from({ length: 8 }, (_, i) => proxyRequest(port, { url: `http://virtualhost:3333/echo?b=${i}`, token, agent })));
  const first = await burst();
  t.same(first.map((r) => r.json().query), Array.from({ length: 8 }, (_, i) => `b=${i}`), 'each answer matches its request');
  t.equal(tunnel().pool.stats.connected, 1, 'one carrier carried the burst');
  await burst();
  t.equal(tunnel().pool.stats.connected, 1, 'and the next one');
});

t.test('an answer\'s head and body arrive exactly as the backend sent them', async (t) => {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/', token });
  t.equal(res.status, 200);
  t.equal(res.text(), 'Hello World!');
  t.match(res.headers['content-type'], /^text\/plain/);
  t.equal(res.headers['x-scc-sim-decision'], undefined, 'internal headers stay inside the tunnel');
});
