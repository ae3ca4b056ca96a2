// Regression (issue 11, defect 11): a request head that did not arrive in time was answered 400 on
// the HTTP proxy and the tunnel port; the answer is 408. Every listener sets its timeouts (head,
// whole request, keep-alive) explicitly: the proxy's from the `proxy` section, the backends' the
// defaults. Raw sockets against a real simulator; each answer must come before a generous deadline.
import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { startSimulator } from '../src/simulator.js';
import { DEFAULT_LISTENER_TIMEOUTS } from '../services/shared/http-listener.js';
import { world } from './helpers/configs.js';
import { beforeDeadline } from './helpers/deadline.js';
import { proxyRequest } from './helpers/proxy-client.js';

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1500;
const DEADLINE_MS = 20_000;

const sim = await startSimulator(world({ proxy: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: 4000 } }));
t.teardown(() => sim.close());
const token = await sim.token();

/** Sends `raw` and resolves with everything the listener answers until it closes the connection. */
async function answerTo(socket: net.Socket, raw: string): Promise<string> {
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (d) => { answer += d.toString('latin1'); });
  socket.write(raw);
  await once(socket, 'close');
  return answer;
}
const plain = async (port: number) => { const s = net.connect(port, '127.0.0.1'); await once(s, 'connect'); return s; };
const secure = async (port: number) => { const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }); await once(s, 'secureConnect'); return s; };

const listeners = {
  'the HTTP proxy': () => plain(sim.ports.httpPort),
  'the tunnel port': () => plain(sim.ports.tunnelPort),
  'the token service (HTTP)': () => plain(sim.ports.tokenServicePort),
  'the token service (HTTPS)': () => secure(sim.ports.tokenServiceHttpsPort),
};

t.test('a request head that does not arrive within headersTimeoutMs is answered 408, not 400, on every listener of the proxy service', async (t) => {
  for (const [name, connect] of Object.entries(listeners)) {
    const answer = await beforeDeadline(answerTo(await connect(), 'GET http://virtualhost:3333/ HTTP/1.1\r\nHost: virtualhost:3333\r\nX-Half'),
      DEADLINE_MS, `${name}: the answer to a head that never ends`);
    t.match(answer, /^HTTP\/1\.1 408 /, `${name}: 408`);
  }
  const proxyAnswer = await beforeDeadline(answerTo(await plain(sim.ports.httpPort), 'GET http://virtualhost:3333/ HTTP/1.1\r\n'), DEADLINE_MS, 'the proxy\'s 408');
  t.match(proxyAnswer, 'x-internal-error-code: PROXY_REQUEST_TIMEOUT');
  t.match(proxyAnswer, `Request Timeout: the request did not arrive in time (its head within ${HEADERS_TIMEOUT_MS} ms, all of it within ${REQUEST_TIMEOUT_MS} ms)`);
});

t.test('a request body that does not arrive within requestTimeoutMs is answered 408 by the HTTP proxy', async (t) => {
  const answer = await beforeDeadline(answerTo(await plain(sim.ports.httpPort),
    `POST http://virtualhost:3333/upload HTTP/1.1\r\nHost: virtualhost:3333\r\nProxy-Authorization: Bearer ${token}\r\ncontent-length: 1000\r\n\r\nonly a part`),
  DEADLINE_MS, 'the answer to a body that never ends');
  t.match(answer, /^HTTP\/1\.1 408 /);
});

t.test('every listener has its head, request and keep-alive timeouts set explicitly', async (t) => {
  const configured = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 4000, maxHeaderSize: 16384 };
  const of = (s: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; maxHeaderSize?: number }) =>
    ({ headersTimeout: s.headersTimeout, requestTimeout: s.requestTimeout, keepAliveTimeout: s.keepAliveTimeout, maxHeaderSize: s.maxHeaderSize });
  t.same(of(sim.proxy.httpProxy), configured, 'HTTP proxy');
  t.same(of(sim.proxy.tunnelEndpoint), configured, 'tunnel endpoint');
  t.same(of(sim.proxy.app.server), configured, 'token service (HTTP)');
  t.same(of(sim.proxy.tokenServiceHttps), configured, 'token service (HTTPS)');
  t.same(of(sim.backends.hello!.server), {
    headersTimeout: DEFAULT_LISTENER_TIMEOUTS.headersTimeoutMs, requestTimeout: DEFAULT_LISTENER_TIMEOUTS.requestTimeoutMs,
    keepAliveTimeout: DEFAULT_LISTENER_TIMEOUTS.keepAliveTimeoutMs, maxHeaderSize: 16384,
  }, 'backend');
});

t.test('the tunnel outlives the tunnel port\'s requestTimeout, and the proxy still serves', async (t) => {
  // By now more than REQUEST_TIMEOUT_MS have passed since the connector's Upgrade.
  const res = await beforeDeadline(proxyRequest(sim.ports.httpPort, { url: 'http://virtualhost:3333/', token }), DEADLINE_MS, 'Hello World');
  t.equal(res.status, 200);
  t.equal(res.text(), 'Hello World!');
  t.equal(sim.proxy.registry.size, 1);
});
