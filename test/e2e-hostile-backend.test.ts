// Regressions (issue 11, defects 2, 4 and 5): no backend answer, however malformed, crashes the
// connector or leaves the client waiting. The backend is a raw TCP server in this test that breaks
// HTTP on purpose; the connector is a real `scc-sim connector` process, which must still be alive
// and serving after each answer. Every outcome must arrive before a generous deadline.
import t, { type Test } from 'tap';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { CliProcess } from './helpers/cli-process.js';
import { faultWorld } from './helpers/connector-process.js';
import { mapping } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { expectError } from './helpers/expect-error.js';
import { hostileBackend, type Scenario } from './helpers/hostile-backend.js';
import { proxyRequest } from './helpers/proxy-client.js';

const TIMEOUT_MS = 1500;
/** Far above TIMEOUT_MS; an answer that has not come by then is a hang. */
const DEADLINE_MS = 20_000;

const answer = (raw: string): Scenario => (socket) => { socket.write(raw); };
const backend = await hostileBackend(t, {
  '/status-999': answer('HTTP/1.1 999 Odd\r\ncontent-length: 2\r\n\r\nok'),
  '/status-600': answer('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\n\r\nok'),
  '/status-099': answer('HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nok'),
  '/status-101': answer('HTTP/1.1 101 Switching Protocols\r\ncontent-length: 0\r\n\r\n'),
  '/switch-protocols': answer('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'),
  '/processing-storm': (socket, every) => every(20, () => socket.write('HTTP/1.1 102 Processing\r\n\r\n')),
  '/early-hints': answer('HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'),
  '/continue-unasked': answer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'),
  '/trickle-headers': (socket, every) => {
    socket.write('HTTP/1.1 200 OK\r\n');
    let n = 0;
    every(500, () => socket.write(`x-trickle-${n++}: still coming\r\n`));
  },
  '/bad-framing': answer('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
  '/repeated-fields': answer('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-type: text/html\r\nx-multi: a\r\nx-multi: b\r\n'
    + 'set-cookie: a=1\r\nset-cookie: b=2\r\nconnection: x-hop\r\nx-hop: gone\r\nkeep-alive: timeout=5\r\ncontent-length: 2\r\n\r\nok'),
  '/not-http': answer('SSH-2.0-OpenSSH_9.2\r\n'),
  '/close-early': (socket) => socket.destroy(),
  '/stall-body': answer('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\ncontent-type: text/plain\r\n\r\nthe first bytes, then nothing'),
});

const w = await faultWorld(t, {
  mappings: [
    mapping({ virtualHost: 'hostile', virtualPort: 80, localPort: backend.port, timeoutMs: TIMEOUT_MS }),
    mapping({ virtualHost: 'slow-upload', timeoutMs: TIMEOUT_MS }),
  ],
});
const connector = await w.startConnector();

function get(path: string) {
  return beforeDeadline(proxyRequest(w.ports.httpPort, { url: `http://hostile:80${path}`, token: w.token }), DEADLINE_MS, `the answer to ${path}`);
}

async function stillServes(t: Test, k: CliProcess = connector): Promise<void> {
  t.equal(k.child.exitCode, null, 'the connector process is alive');
  t.equal(k.child.signalCode, null, 'and was not killed');
  const res = await beforeDeadline(proxyRequest(w.ports.httpPort, { url: 'http://virtualhost:3333/', token: w.token }), DEADLINE_MS, 'Hello World');
  t.equal(res.status, 200, 'the connector still serves');
  t.equal(res.text(), 'Hello World!');
  t.ok(w.proxy.registry.list().some((x) => x.connectorName === 'connector-a'), 'and its tunnel is still registered');
}

t.test('a backend status outside 200-599 (999, 600, 099, 101) is answered 502 and the connector keeps serving', async (t) => {
  for (const status of ['999', '600', '099', '101']) {
    const res = await get(`/status-${status}`);
    expectError(t, res, 502, 'SCC_BACKEND_BAD_RESPONSE',
      `Bad Gateway: the backend system did not give a usable answer: status ${Number(status)} is not a final HTTP status (200-599)`);
    await stillServes(t);
  }
});

t.test('an unsolicited 101 Switching Protocols from a backend is answered 502 at once, not a hang', async (t) => {
  const res = await get('/switch-protocols');
  expectError(t, res, 502, 'SCC_BACKEND_BAD_RESPONSE',
    'Bad Gateway: the backend system did not give a usable answer: it switched protocols (101) although the request asked for no upgrade');
  await stillServes(t);
});

t.test('a backend that trickles a header line every 0.5 s gets 504 after timeoutMs: a deadline for the head, not an idle timer', async (t) => {
  const res = await get('/trickle-headers');
  expectError(t, res, 504, 'SCC_BACKEND_TIMEOUT', `Gateway Timeout: the backend system did not answer within ${TIMEOUT_MS} ms`);
  await stillServes(t);
});

t.test('a request with Expect: 100-continue gets the same deadline: 504 from a trickling backend', async (t) => {
  const res = await beforeDeadline(proxyRequest(w.ports.httpPort, {
    method: 'POST', url: 'http://hostile:80/trickle-headers', token: w.token, headers: { expect: '100-continue' }, body: 'a small body',
  }), DEADLINE_MS, 'the answer to a request with Expect');
  expectError(t, res, 504, 'SCC_BACKEND_TIMEOUT', `Gateway Timeout: the backend system did not answer within ${TIMEOUT_MS} ms`);
  t.notMatch(backend.heads.at(-1) ?? '', /expect/i, 'the expectation was met by the proxy, not sent on');
  await stillServes(t);
});

t.test('a storm of interim answers (102 Processing) without a final answer gets 504 after timeoutMs: 1xx buy no time', async (t) => {
  const res = await get('/processing-storm');
  expectError(t, res, 504, 'SCC_BACKEND_TIMEOUT', `Gateway Timeout: the backend system did not answer within ${TIMEOUT_MS} ms`);
  await stillServes(t);
});

t.test('an interim answer (103 Early Hints) before the final one is dropped and the final answer forwarded', async (t) => {
  const res = await get('/early-hints');
  t.equal(res.status, 200);
  t.equal(res.text(), 'ok');
  t.equal(res.headers.link, undefined, 'the interim answer\'s fields are not merged into the final one');
  await stillServes(t);
});

// The proxy meets Expect: 100-continue itself and never sends it on, so a 100 from a backend is one
// nobody asked for; undici, the connector's backend client, refuses it (README "Performance").
t.test('a 100 Continue nobody asked for is answered 502 at once, saying so', async (t) => {
  const res = await get('/continue-unasked');
  expectError(t, res, 502, 'SCC_BACKEND_BAD_RESPONSE',
    'Bad Gateway: the backend system did not give a usable answer: it sent 100 Continue, which the request did not ask for');
  await stillServes(t);
});

t.test('a response with broken framing (Content-Length and chunked) or a head that is not HTTP is answered 502 naming the parse error', async (t) => {
  for (const path of ['/bad-framing', '/not-http']) {
    const res = await get(path);
    t.equal(res.status, 502, path);
    t.equal(res.headers['x-internal-error-code'], 'SCC_BACKEND_BAD_RESPONSE');
    t.match(res.text(), /^Bad Gateway: the backend system did not give a usable answer: the response is malformed \(.+\)\n$/);
    await stillServes(t);
  }
});

t.test('repeated response fields reach the client as Node joins them; hop-by-hop ones and those Connection names do not', async (t) => {
  const res = await get('/repeated-fields');
  t.equal(res.status, 200);
  t.equal(res.text(), 'ok');
  t.equal(res.headers['content-type'], 'text/plain', 'a single-value field keeps its first value');
  t.equal(res.headers['x-multi'], 'a, b', 'other fields are joined');
  t.same(res.headers['set-cookie'], ['a=1', 'b=2'], 'every Set-Cookie stays its own field');
  t.equal(res.headers['x-hop'], undefined, 'a field the backend\'s Connection header names is dropped');
  t.equal(res.headers['keep-alive'], undefined, 'Keep-Alive is hop-by-hop');
  await stillServes(t);
});

t.test('a backend that closes the connection before answering gets 502 saying so', async (t) => {
  const res = await get('/close-early');
  expectError(t, res, 502, 'SCC_BACKEND_BAD_RESPONSE',
    'Bad Gateway: the backend system did not give a usable answer: it closed the connection before answering');
  await stillServes(t);
});

t.test('a body that stalls longer than timeoutMs is cut: the client sees the cut, not a hang', async (t) => {
  const outcome = new Promise<string>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: w.ports.httpPort, path: 'http://hostile:80/stall-body', headers: { 'proxy-authorization': `Bearer ${w.token}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      t.equal(res.statusCode, 200, 'the head was forwarded');
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('error', () => {});
      res.on('close', () => resolve(res.complete ? `complete after ${bytes} bytes` : `cut after ${bytes} bytes`));
    });
    req.end();
  });
  t.match(await beforeDeadline(outcome, DEADLINE_MS, 'the stalled body'), /^cut after \d+ bytes$/);
  await stillServes(t);
});

t.test('an upload that lasts longer than timeoutMs but never pauses that long is not cut: the head deadline starts when the request is sent', async (t) => {
  const chunks = 8;
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent === chunks) return void this.push(null);
      const timer = setTimeout(() => { sent += 1; this.push(Buffer.alloc(1000, sent)); }, TIMEOUT_MS / 4);
      timer.unref();
    },
  });
  const res = await beforeDeadline(proxyRequest(w.ports.httpPort, { method: 'POST', url: 'http://slow-upload:3333/upload', token: w.token, body }),
    DEADLINE_MS, 'the upload answer');
  t.equal(res.status, 200);
  t.equal(res.json().bytes, chunks * 1000, 'the whole body arrived');
  await stillServes(t);
});
