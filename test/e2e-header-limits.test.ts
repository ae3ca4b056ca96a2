// Regression (issue 11, defect 6): 125 or more headers were answered `502 … the connection to the
// SAP Cloud Connector was lost`, for requests and for backend answers, though the tunnel was fine
// (both tunnel ends kept Node's 128-entry default, and every stream error was reported as a lost
// tunnel). Now the tunnel carries any head the HTTP/1 side accepts, and a head over the limits of
// every hop (1000 fields, 16 KiB) is refused by name: 431 for a request, 502 for a response. The
// connector is a real `scc-sim connector` process; the backend answers are a raw TCP server's.
import t, { type Test } from 'tap';
import { faultWorld } from './helpers/connector-process.js';
import { mapping } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { expectError } from './helpers/expect-error.js';
import { hostileBackend, type Scenario } from './helpers/hostile-backend.js';
import { proxyRequest, rawRequest } from './helpers/proxy-client.js';

const DEADLINE_MS = 20_000;

/** `count` short header lines: x0: v, x1: v, … */
const lines = (count: number, value = 'v') => Array.from({ length: count }, (_, i) => `x${i.toString(36)}: ${value}\r\n`).join('');
const respondWith = (count: number, value?: string): Scenario => (socket) => {
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n${lines(count, value)}\r\nok`);
};
const backend = await hostileBackend(t, {
  '/headers-130': respondWith(130),
  '/headers-990': respondWith(990),
  '/headers-1001': respondWith(1001),
  '/head-over-16k': respondWith(100, 'y'.repeat(200)),
});

const w = await faultWorld(t, { mappings: [mapping({ virtualHost: 'many-headers', virtualPort: 80, localPort: backend.port })] });
await w.startConnector();
const port = w.ports.httpPort;

function manyHeaders(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-h${i.toString(36)}`, 'v']));
}

async function stillServes(t: Test): Promise<void> {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://virtualhost:3333/', token: w.token }), DEADLINE_MS, 'Hello World');
  t.equal(res.status, 200, 'the tunnel still serves');
  t.equal(w.proxy.registry.size, 1, 'and is still registered');
}

t.test('a request with 130 headers reaches the backend, not "502 connection lost"', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: w.token, headers: manyHeaders(130) }),
    DEADLINE_MS, 'the echo');
  t.equal(res.status, 200);
  const seen = res.json().headers as Record<string, string>;
  t.equal(Object.keys(seen).filter((h) => h.startsWith('x-h')).length, 130, 'every header arrived');
});

t.test('a request with 990 headers (within the 1000-field limit) reaches the backend', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: w.token, headers: manyHeaders(990) }),
    DEADLINE_MS, 'the echo');
  t.equal(res.status, 200);
  t.equal(Object.keys(res.json().headers).filter((h) => h.startsWith('x-h')).length, 990);
});

t.test('a request with more than 1000 header fields gets 431 naming the limit', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://virtualhost:3333/echo', token: w.token, headers: manyHeaders(1001) }),
    DEADLINE_MS, 'the 431');
  expectError(t, res, 431, 'PROXY_HEADERS_TOO_LARGE', 'Request Header Fields Too Large: the request head exceeds the limit of 1000 header fields');
  await stillServes(t);
});

t.test('a request head over 16 KiB gets 431 naming the limit', async (t) => {
  const res = await beforeDeadline(rawRequest(port, `GET http://virtualhost:3333/ HTTP/1.1\r\nHost: virtualhost:3333\r\nx-big: ${'a'.repeat(17_000)}\r\n\r\n`),
    DEADLINE_MS, 'the 431');
  t.equal(res.status, 431);
  t.equal(res.headers['x-internal-error-code'], 'PROXY_HEADERS_TOO_LARGE');
  t.equal(res.text(), 'Request Header Fields Too Large: the request head exceeds the limit of 16384 bytes\n');
  await stillServes(t);
});

t.test('a backend answer with 130 headers reaches the client, not "502 connection lost"', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://many-headers:80/headers-130', token: w.token }), DEADLINE_MS, 'the answer');
  t.equal(res.status, 200);
  t.equal(res.text(), 'ok');
  t.equal(Object.keys(res.headers).filter((h) => /^x[0-9a-z]+$/.test(h)).length, 130, 'every header arrived');
});

t.test('a backend answer with 990 headers reaches the client', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://many-headers:80/headers-990', token: w.token }), DEADLINE_MS, 'the answer');
  t.equal(res.status, 200);
  t.equal(Object.keys(res.headers).filter((h) => /^x[0-9a-z]+$/.test(h)).length, 990);
});

t.test('a backend answer with more than 1000 header fields is 502 naming the limit', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://many-headers:80/headers-1001', token: w.token }), DEADLINE_MS, 'the 502');
  expectError(t, res, 502, 'SCC_BACKEND_HEADERS_TOO_LARGE', 'Bad Gateway: the backend system\'s response head exceeds the limit of 1000 header fields');
  await stillServes(t);
});

t.test('a backend answer head over 16 KiB is 502 naming the limit', async (t) => {
  const res = await beforeDeadline(proxyRequest(port, { url: 'http://many-headers:80/head-over-16k', token: w.token }), DEADLINE_MS, 'the 502');
  expectError(t, res, 502, 'SCC_BACKEND_HEADERS_TOO_LARGE', 'Bad Gateway: the backend system\'s response head exceeds the limit of 16384 bytes');
  await stillServes(t);
});
