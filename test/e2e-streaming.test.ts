// Bodies stream both ways through proxy → tunnel → connector → backend: 64 MiB each way arrive
// byte-exact (hashed as they stream, never held by the test), and 200 requests in flight at once
// each get their own answer.
import t from 'tap';
import http from 'node:http';
import { patternSha256, patternStream } from '../services/backend/byte-pattern.js';
import { startSimulator } from '../src/simulator.js';
import { world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';

const SIZE = 64 * 1024 * 1024;
const sim = await startSimulator(world());
t.teardown(() => sim.close());
const token = await sim.token();
const port = sim.ports.httpPort;

t.test('a 64 MiB download arrives byte-exact', async (t) => {
  const res = await proxyRequest(port, { url: `http://virtualhost:3333/bytes/${SIZE}`, token, digestOnly: true });
  t.equal(res.status, 200);
  t.equal(res.body.length, 0, 'the test kept none of the body');
  t.equal(res.bytes, SIZE);
  t.equal(res.sha256, patternSha256(SIZE));
});

t.test('a 64 MiB chunked download (no content-length) arrives byte-exact', async (t) => {
  const res = await proxyRequest(port, { url: `http://virtualhost:3333/bytes/${SIZE}?chunked=1`, token, digestOnly: true });
  t.equal(res.status, 200);
  t.equal(res.headers['content-length'], undefined, 'streamed without a length');
  t.equal(res.bytes, SIZE);
  t.equal(res.sha256, patternSha256(SIZE));
});

t.test('a 64 MiB chunked upload arrives byte-exact', async (t) => {
  const res = await proxyRequest(port, {
    method: 'POST', url: 'http://virtualhost:3333/upload', token,
    headers: { 'content-type': 'application/octet-stream' },
    body: patternStream(SIZE),
  });
  t.equal(res.status, 200);
  t.same(res.json(), { bytes: SIZE, sha256: patternSha256(SIZE) });
});

t.test('200 concurrent requests each get their own correct answer', async (t) => {
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    if (i % 2 === 0) {
      const res = await proxyRequest(port, { url: 'http://virtualhost:3333/', token, agent });
      return res.status === 200 && res.text() === 'Hello World!' ? 'ok' : `#${i}: ${res.status} ${res.text()}`;
    }
    const res = await proxyRequest(port, { url: `http://virtualhost:3333/echo?i=${i}`, token, agent });
    const echo = res.status === 200 ? res.json() : undefined;
    return echo?.query === `i=${i}` && echo.path === '/echo' ? 'ok' : `#${i}: ${res.status} ${res.text()}`;
  }));
  t.same(results.filter((r) => r !== 'ok'), [], 'every answer matches its request');
});
