// The connector's end of a carrier (services/connector/carrier-server.ts) on a real TCP connection,
// spoken to frame by frame: requests and answers one after the other on one carrier, a header
// Node would refuse refused the same way, an answer before the whole upload, and a peer that
// breaks the protocol — the carrier is closed and the reason logged, nothing thrown.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { serveCarrier, type TunnelRequest, type TunnelResponse } from '../services/connector/carrier-server.js';
import { FrameReader, dataPrefix, endFrame, headFrame, parseHead } from '../services/shared/carrier-frames.js';
import { captureLog } from './helpers/log-capture.js';
import { beforeDeadline } from './helpers/deadline.js';

type Handler = (req: TunnelRequest, res: TunnelResponse) => void;
type Answer = { status: number; fields: string[]; body: string };

/** A carrier server on port 0 with `handler`, and a client connected to it that reads answers. */
async function carrier(t: Test, handler: Handler) {
  const log = captureLog('warn');
  // The socket writes the connector's end makes (one per answer that fits is the point of holding chunks).
  const writes = { count: 0 };
  const server = net.createServer((socket) => {
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    socket.write = ((chunk: Buffer) => { writes.count += 1; return write(chunk); }) as typeof socket.write;
    serveCarrier(socket, handler, log.logger);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  const answers: Answer[] = [];
  const waiting: ((a: Answer) => void)[] = [];
  let current: Answer | undefined;
  let onBody: ((body: string) => void) | undefined;
  const reader = new FrameReader({
    head: (p) => { const [status, fields] = parseHead(p) as [number, string[]]; current = { status, fields, body: '' }; },
    data: (c) => { current!.body += c.toString(); onBody?.(current!.body); },
    end: () => { const a = current!; current = undefined; const w = waiting.shift(); if (w) w(a); else answers.push(a); },
  });
  socket.on('data', (c: Buffer) => { const wrong = reader.push(c); if (wrong) throw new Error(wrong); });
  const closed = once(socket, 'close');
  return {
    socket, log, writes,
    /** The body of the answer being read, once `text` arrived (before its END). */
    bodyReaches: (text: string) => beforeDeadline(new Promise<void>((r) => { onBody = (b) => { if (b === text) r(); }; }), 10_000, `the body "${text}"`),
    send: (...frames: Buffer[]) => socket.write(Buffer.concat(frames)),
    answer: () => beforeDeadline(answers.length > 0 ? Promise.resolve(answers.shift()!) : new Promise<Answer>((r) => waiting.push(r)), 10_000, 'the answer'),
    closed: () => beforeDeadline(closed, 10_000, 'the carrier closes'),
  };
}

const get = (path: string, headers: Record<string, string> = { host: 'virtualhost:3333' }) => headFrame(['GET', path, headers, false]);

t.test('requests one after the other on one carrier, each with its own answer', async (t) => {
  const seen: string[] = [];
  const c = await carrier(t, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host} body=${req.body === null ? 'none' : 'stream'}`);
    res.setHeader('x-set', 'early');
    res.writeHead(201, { 'set-cookie': ['a=1', 'b=2'], 'content-length': 2 }).end(req.url === '/one' ? '1!' : '2!');
  });
  c.send(get('/one'));
  t.same(await c.answer(), { status: 201, fields: ['x-set', 'early', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'content-length', '2'], body: '1!' });
  c.send(get('/two'));
  t.same((await c.answer()).body, '2!', 'the second request on the same carrier');
  t.same(seen, ['GET /one virtualhost:3333 body=none', 'GET /two virtualhost:3333 body=none']);
});

t.test('an answer written chunk by chunk in one tick leaves in one write; a chunk whose end comes later leaves at the tick\'s end', async (t) => {
  let later: (() => void) | undefined;
  const c = await carrier(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('Hello ');
    res.write('World!');
    if (req.url === '/now') res.end();
    else later = () => res.end(' (later)');
  });
  c.send(get('/now'));
  t.same(await c.answer(), { status: 200, fields: ['content-type', 'text/plain'], body: 'Hello World!' });
  t.equal(c.writes.count, 1, 'head, both chunks and END in one socket write');
  const streamed = c.bodyReaches('Hello World!');
  c.send(get('/later'));
  await streamed;
  t.pass('the held chunks reach the proxy before the answer ends');
  later!();
  t.same((await c.answer()).body, 'Hello World! (later)');
  t.equal(c.writes.count, 3, 'the held chunks at the tick\'s end, the last one with END');
});

t.test('a request body arrives as a stream, in order, and ends with END', async (t) => {
  const c = await carrier(t, (req, res) => {
    let n = 0;
    req.body!.on('data', (chunk: Buffer) => { n += chunk.length; });
    req.body!.on('end', () => res.end(`${n}`));
  });
  const chunk = Buffer.alloc(60_000, 1);
  c.send(headFrame(['POST', '/up', { host: 'h:1', 'content-length': '6000000' }, true]));
  for (let i = 0; i < 100; i++) c.send(dataPrefix(chunk.length), chunk);
  c.send(endFrame());
  t.equal((await c.answer()).body, '6000000', 'every byte reached the handler');
});

t.test('a header Node would refuse throws in writeHead as Node\'s does, and the error answer still goes out clean', async (t) => {
  const c = await carrier(t, (_req, res) => {
    t.throws(() => res.writeHead(200, { 'x-bad': 'a\nb' }), { code: 'ERR_INVALID_CHAR' }, 'a value with a line break');
    t.throws(() => res.writeHead(200, { 'bad name': 'x' }), { code: 'ERR_INVALID_HTTP_TOKEN' }, 'a name with a space');
    t.equal(res.headersSent, false, 'nothing was kept');
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no\n');
  });
  c.send(get('/'));
  t.same(await c.answer(), { status: 502, fields: ['content-type', 'text/plain'], body: 'no\n' });
});

t.test('an answer before the whole upload: the rest of the body is dropped and the carrier takes the next request', async (t) => {
  let bodies = 0;
  const c = await carrier(t, (req, res) => {
    if (req.body) bodies += 1;
    res.writeHead(403).end(`refused ${req.url}`);
  });
  c.send(headFrame(['POST', '/big', { host: 'h:1' }, true]), dataPrefix(3), Buffer.from('abc'));
  t.equal((await c.answer()).body, 'refused /big');
  c.send(dataPrefix(3), Buffer.from('def'), endFrame(), get('/next'));
  t.equal((await c.answer()).body, 'refused /next', 'the next request after the END of the first');
  t.equal(bodies, 1);
});

t.test('the peer going away mid-answer: the response closes, the body is destroyed', async (t) => {
  const c = await carrier(t, (req, res) => {
    res.writeHead(200).write('partial');
    res.once('close', () => {
      t.equal(res.destroyed, true, 'the response is destroyed');
      t.equal(req.body?.destroyed, true, 'the request body too');
      done();
    });
    c.socket.destroy();
  });
  let done!: () => void;
  const closed = new Promise<void>((r) => { done = r; });
  c.send(headFrame(['POST', '/x', { host: 'h:1' }, true]));
  await beforeDeadline(closed, 10_000, 'the response closes');
});

const BROKEN: [string, Buffer, RegExp][] = [
  ['bytes that are not frames', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /frame type 71/],
  ['a head that is not [method, path, headers, hasBody]', headFrame({ method: 'GET' }), /not \[method, path, headers, hasBody\]/],
  ['headers that are not strings', headFrame(['GET', '/', { host: 7 }, false]), /not \[method, path, headers, hasBody\]/],
  ['a head that is no JSON', Buffer.concat([Buffer.from([1, 0, 0, 0, 3]), Buffer.from('{{{')]), /not \[method, path, headers, hasBody\]/],
  ['body bytes without a request', Buffer.concat([dataPrefix(1), Buffer.from('x')]), /body bytes outside a request body/],
  ['a second head while the first body is open', Buffer.concat([headFrame(['POST', '/', {}, true]), get('/')]), /a request head before the previous exchange ended/],
];

for (const [name, bytes, why] of BROKEN) {
  t.test(`${name}: the carrier is closed and the reason logged`, async (t) => {
    const c = await carrier(t, (req, res) => { if (req.url !== '/') res.end('ok'); });
    c.send(bytes);
    await c.closed();
    const line = await c.log.waitFor((l) => l.msg === 'unreadable frames on a tunnel carrier; closing it');
    t.match(line.reason, why);
  });
}
