// Bad input on the HTTP proxy port gets a clear error and harms nobody: garbage, origin-form
// requests, oversized headers, smuggling attempts; a client that vanishes mid-upload, and a
// backend that dies mid-response, end in an error for that exchange — never a hang or a crash.
import t, { type Test } from 'tap';
import http from 'node:http';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { startSimulator } from '../src/simulator.js';
import { world } from './helpers/configs.js';
import { proxyRequest, rawRequest } from './helpers/proxy-client.js';

const sim = await startSimulator(world());
t.teardown(() => sim.close());
const port = sim.ports.httpPort;
const token = await sim.token();

async function stillServes(t: Test): Promise<void> {
  const res = await proxyRequest(port, { url: 'http://virtualhost:3333/', token });
  t.equal(res.status, 200, 'the proxy still serves');
  t.equal(res.text(), 'Hello World!');
}

t.test('garbage on the proxy port gets 400 and the connection is closed', async (t) => {
  const res = await rawRequest(port, 'THIS IS NOT HTTP\r\n\r\n');
  t.equal(res.status, 400);
  await stillServes(t);
});

t.test('an origin-form request (not a proxy request) gets 400 saying what the proxy expects', async (t) => {
  const res = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: virtualhost:3333\r\nConnection: close\r\n\r\n');
  t.equal(res.status, 400);
  t.match(res.text(), 'expects absolute-form targets such as http://virtualhost:1234/path');
});

t.test('an oversized header gets 431', async (t) => {
  const res = await rawRequest(port, `GET http://virtualhost:3333/ HTTP/1.1\r\nHost: virtualhost:3333\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  t.equal(res.status, 431);
  await stillServes(t);
});

t.test('a smuggling attempt with both Content-Length and Transfer-Encoding gets 400', async (t) => {
  const res = await rawRequest(port, 'POST http://virtualhost:3333/echo HTTP/1.1\r\nHost: virtualhost:3333\r\n'
    + `Proxy-Authorization: Bearer ${token}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://virtualhost:3333/secret HTTP/1.1\r\n\r\n`);
  t.equal(res.status, 400);
  await stillServes(t);
});

t.test('a client that vanishes mid-upload harms nobody', async (t) => {
  const req = http.request({
    host: '127.0.0.1', port, method: 'POST', path: 'http://virtualhost:3333/upload',
    headers: { 'proxy-authorization': `Bearer ${token}`, 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => {});
  req.write(Buffer.alloc(256 * 1024, 1));
  await once(req, 'socket');
  req.destroy();
  await stillServes(t);
});

t.test('a backend that dies mid-response gives the client an error, not a hang', async (t) => {
  const backend = sim.backends.hello!.server;
  const req = http.request({
    host: '127.0.0.1', port, path: 'http://virtualhost:3333/bytes/1073741824',
    headers: { 'proxy-authorization': `Bearer ${token}` },
  });
  req.end();
  const [res] = await once(req, 'response') as [http.IncomingMessage];
  t.equal(res.statusCode, 200);
  let received = 0;
  const outcome = new Promise<string>((resolve) => {
    res.on('data', (c: Buffer) => {
      received += c.length;
      if (received > 4 * 1024 * 1024) backend.closeAllConnections();
    });
    res.on('end', () => resolve(`ended after ${received} bytes`));
    res.on('aborted', () => resolve('aborted'));
    res.on('error', () => resolve('aborted'));
    res.on('close', () => resolve(res.complete ? `complete after ${received} bytes` : 'aborted'));
  });
  t.equal(await outcome, 'aborted', 'the client sees the response cut off');
  t.ok(received < 1073741824, `only part of the body arrived (${received} bytes)`);
  await stillServes(t);
});

t.test('requests keep working after all of the above (no crash, no leaked tunnel)', async (t) => {
  const results = await Promise.all(Array.from({ length: 20 }, () =>
    proxyRequest(port, { url: 'http://virtualhost:3333/echo', token, method: 'POST', body: Readable.from([Buffer.alloc(10_000)]) })));
  t.same(results.map((r) => r.status), Array(20).fill(200));
  t.equal(sim.proxy.registry.size, 1);
});
