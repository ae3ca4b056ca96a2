import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildBackend } from '../services/backend/backend-service.js';
import { patternSha256, patternStream } from '../services/backend/byte-pattern.js';

const MiB = 1024 * 1024;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function startBackend(t: Test): Promise<string> {
  const app = buildBackend({ name: 'hello-backend' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

t.test('answers GET / with exactly "Hello World!" as text/plain', async (t) => {
  const base = await startBackend(t);
  const res = await fetch(`${base}/`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.equal(await res.text(), 'Hello World!');
});

t.test('echoes the method, raw path, query, headers and body digest of a POST', async (t) => {
  const base = await startBackend(t);
  const body = '{"greeting":"hello"}';
  const res = await fetch(`${base}/echo/a/b%2Fc?x=1&y=%20z`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-test': 'seen' },
  });
  t.equal(res.status, 200);
  const echo = await res.json();
  t.equal(echo.backend, 'hello-backend');
  t.equal(echo.method, 'POST');
  t.equal(echo.path, '/echo/a/b%2Fc');
  t.equal(echo.query, 'x=1&y=%20z');
  t.equal(echo.url, '/echo/a/b%2Fc?x=1&y=%20z');
  t.equal(echo.headers['x-test'], 'seen');
  t.equal(echo.headers['content-type'], 'application/json');
  t.equal(echo.bodyBytes, Buffer.byteLength(body));
  t.equal(echo.bodySha256, sha256(body));
});

t.test('echoes a bodyless request with zero bytes and an empty query', async (t) => {
  const base = await startBackend(t);
  const echo = await (await fetch(`${base}/echo`, { method: 'DELETE' })).json();
  t.equal(echo.method, 'DELETE');
  t.equal(echo.path, '/echo');
  t.equal(echo.query, '');
  t.equal(echo.bodyBytes, 0);
  t.equal(echo.bodySha256, EMPTY_SHA256);
});

t.test('echoes a body that arrives without a content-type', async (t) => {
  const base = await startBackend(t);
  const echo = await new Promise<any>((resolve, reject) => {
    const req = request(`${base}/echo`, { method: 'PUT', headers: { 'content-length': '3' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on('error', reject);
    req.end('abc');
  });
  t.equal(echo.bodyBytes, 3);
  t.equal(echo.bodySha256, sha256('abc'));
});

t.test('/headers echoes the request without body fields', async (t) => {
  const base = await startBackend(t);
  const echo = await (await fetch(`${base}/headers?q=1`, { headers: { 'x-probe': '42' } })).json();
  t.equal(echo.path, '/headers');
  t.equal(echo.query, 'q=1');
  t.equal(echo.headers['x-probe'], '42');
  t.notOk('bodyBytes' in echo);
});

t.test('answers the chosen status code with "status <code>" and an optional Location', async (t) => {
  const base = await startBackend(t);
  const res = await fetch(`${base}/status/418`);
  t.equal(res.status, 418);
  t.equal(await res.text(), 'status 418');
  const moved = await fetch(`${base}/status/301?location=/elsewhere`, { redirect: 'manual' });
  t.equal(moved.status, 301);
  t.equal(moved.headers.get('location'), '/elsewhere');
});

t.test('refuses a status code outside 200-599 or not a number with 400', async (t) => {
  const base = await startBackend(t);
  for (const code of ['199', '600', '99', 'abc']) {
    const res = await fetch(`${base}/status/${code}`);
    t.equal(res.status, 400, `status/${code}`);
    await res.arrayBuffer();
  }
});

t.test('answers /delay/:ms only after the delay has passed', async (t) => {
  const base = await startBackend(t);
  const started = performance.now();
  const res = await fetch(`${base}/delay/50`);
  t.equal(await res.text(), 'delayed 50');
  t.ok(performance.now() - started >= 45, 'answer came after the delay');
});

t.test('refuses a delay above 60000 ms with 400', async (t) => {
  const base = await startBackend(t);
  const res = await fetch(`${base}/delay/60001`);
  t.equal(res.status, 400);
  await res.arrayBuffer();
});

t.test('streams 5 MiB of pattern bytes whose digest equals patternSha256', async (t) => {
  const base = await startBackend(t);
  const n = 5 * MiB;
  const res = await fetch(`${base}/bytes/${n}`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-length'), String(n));
  t.equal(res.headers.get('content-type'), 'application/octet-stream');
  const body = Buffer.from(await res.arrayBuffer());
  t.equal(body.length, n);
  t.equal(body[0], 0);
  t.equal(body[251], 0);
  t.equal(body[n - 1], (n - 1) % 251);
  t.equal(sha256(body), patternSha256(n));
});

t.test('streams pattern bytes with chunked encoding when asked, and serves their digest', async (t) => {
  const base = await startBackend(t);
  const n = 100_003;
  const res = await fetch(`${base}/bytes/${n}?chunked=1`);
  t.equal(res.headers.get('content-length'), null);
  t.equal(res.headers.get('transfer-encoding'), 'chunked');
  const body = Buffer.from(await res.arrayBuffer());
  t.equal(sha256(body), patternSha256(n));
  t.equal(await (await fetch(`${base}/bytes/${n}/sha256`)).text(), patternSha256(n));
});

t.test('patternStream yields the same bytes whatever the chunk size', async (t) => {
  const n = 70_000;
  const chunks: Buffer[] = [];
  for await (const chunk of patternStream(n, 1000)) chunks.push(chunk as Buffer);
  t.equal(chunks.length, 70);
  t.equal(sha256(Buffer.concat(chunks)), patternSha256(n));
  t.equal(patternSha256(0), EMPTY_SHA256);
});

t.test('the upload sink streams a 10 MiB body and reports its size and digest', async (t) => {
  const base = await startBackend(t);
  const n = 10 * MiB;
  const res = await fetch(`${base}/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: patternStream(n) as unknown as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  t.equal(res.status, 200);
  t.same(await res.json(), { bytes: n, sha256: patternSha256(n) });
});

t.test('the upload sink accepts PUT with any content type', async (t) => {
  const base = await startBackend(t);
  const res = await fetch(`${base}/upload`, { method: 'PUT', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  t.same(await res.json(), { bytes: 7, sha256: sha256('{"a":1}') });
});

t.test('/redirect answers 302 with an absolute Location built from the Host header', async (t) => {
  const base = await startBackend(t);
  const status = await new Promise<{ code?: number; location?: string }>((resolve, reject) => {
    const req = request(`${base}/redirect?to=/target/page?x=1`, { headers: { host: 'virtualhost:44300' } }, (res) => {
      res.resume();
      resolve({ code: res.statusCode, location: res.headers.location });
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status.code, 302);
  t.equal(status.location, 'http://virtualhost:44300/target/page?x=1');
});
