// The connector's end of a carrier (services/connector/carrier-server.ts) on a real TCP connection,
// spoken to frame by frame: requests and answers one after the other and many at once on one
// carrier, a header Node would refuse refused the same way, an answer before the whole upload,
// each exchange's flow control (an answer stops at its window, others go on; a body is granted as
// it is read), RESET both ways, and a peer that breaks the protocol — the carrier is closed and the
// reason logged, nothing thrown.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { serveCarrier, type TunnelRequest, type TunnelResponse } from '../services/connector/carrier-server.js';
import { EXCHANGE_SLOTS, FrameReader, GRANT_BYTES, WINDOW_BYTES, WINDOW_LIMIT, dataPrefix, endFrame, headFrame, parseHead, resetFrame, windowFrame } from '../services/shared/carrier-frames.js';
import { captureLog } from './helpers/log-capture.js';
import { beforeDeadline } from './helpers/deadline.js';

type Handler = (req: TunnelRequest, res: TunnelResponse) => void;
type Answer = { status: number; fields: string[]; body: string };

/** A carrier server on port 0 with `handler`, and a client connected to it that reads answers by exchange. */
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
  socket.on('error', () => {}); // a connector that closes on broken frames may reset what is still being sent
  await once(socket, 'connect');
  const current = new Map<number, Answer>();
  const done = new Map<number, Answer>();
  const waiting = new Map<number, (a: Answer) => void>();
  /** WINDOW grants by exchange, and the exchanges reset. */
  const granted = new Map<number, number>();
  const resets: number[] = [];
  let onFrame = () => {};
  const reader = new FrameReader({
    head: (x, p) => { const [status, fields] = parseHead(p) as [number, string[]]; current.set(x, { status, fields, body: '' }); onFrame(); },
    data: (x, c) => { current.get(x)!.body += c.toString('latin1'); onFrame(); },
    end: (x) => {
      const a = current.get(x)!;
      current.delete(x);
      const w = waiting.get(x);
      if (w) { waiting.delete(x); w(a); } else done.set(x, a);
      onFrame();
    },
    window: (x, n) => { granted.set(x, (granted.get(x) ?? 0) + n); onFrame(); },
    reset: (x) => { resets.push(x); onFrame(); },
  });
  socket.on('data', (c: Buffer) => { const wrong = reader.push(c); if (wrong) throw new Error(wrong); });
  const closed = new Promise<void>((r) => socket.once('close', () => r())); // not events.once: an ECONNRESET before the close would reject it
  return {
    socket, log, writes, granted, resets,
    /** The body of exchange `x`'s answer as read so far (before its END). */
    bodySoFar: (x: number) => current.get(x)?.body ?? done.get(x)?.body ?? '',
    /** Resolves once `check` holds after a frame arrived. */
    until: (check: () => boolean, what: string) => beforeDeadline(new Promise<void>((r) => {
      if (check()) return r();
      onFrame = () => { if (check()) { onFrame = () => {}; r(); } };
    }), 10_000, what),
    send: (...frames: Buffer[]) => socket.write(Buffer.concat(frames)),
    answer: (x = 1) => beforeDeadline(done.has(x) ? Promise.resolve(done.get(x)!) : new Promise<Answer>((r) => waiting.set(x, r)), 10_000, `the answer of exchange ${x}`),
    closed: () => beforeDeadline(closed, 10_000, 'the carrier closes'),
  };
}

const get = (x: number, path: string, headers: Record<string, string> = { host: 'virtualhost:3333' }) => headFrame(x, ['GET', path, headers, false]);

t.test('requests one after the other on one carrier, each with its own answer', async (t) => {
  const seen: string[] = [];
  const c = await carrier(t, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.host} body=${req.body === null ? 'none' : 'stream'}`);
    res.setHeader('x-set', 'early');
    res.writeHead(201, { 'set-cookie': ['a=1', 'b=2'], 'content-length': 2 }).end(req.url === '/one' ? '1!' : '2!');
  });
  c.send(get(1, '/one'));
  t.same(await c.answer(1), { status: 201, fields: ['x-set', 'early', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'content-length', '2'], body: '1!' });
  c.send(get(2, '/two'));
  t.same((await c.answer(2)).body, '2!', 'the second request on the same carrier');
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
  c.send(get(1, '/now'));
  t.same(await c.answer(1), { status: 200, fields: ['content-type', 'text/plain'], body: 'Hello World!' });
  t.equal(c.writes.count, 1, 'head, both chunks and END in one socket write');
  c.send(get(2, '/later'));
  await c.until(() => c.bodySoFar(2) === 'Hello World!', 'the held chunks');
  t.pass('the held chunks reach the proxy before the answer ends');
  later!();
  t.same((await c.answer(2)).body, 'Hello World! (later)');
  t.equal(c.writes.count, 3, 'the held chunks at the tick\'s end, the last one with END');
});

t.test('a request body arrives as a stream, in order, and ends with END', async (t) => {
  const c = await carrier(t, (req, res) => {
    let n = 0;
    req.body!.on('data', (chunk: Buffer) => { n += chunk.length; });
    req.body!.on('end', () => res.end(`${n}`));
  });
  const chunk = Buffer.alloc(60_000, 1);
  c.send(headFrame(1, ['POST', '/up', { host: 'h:1', 'content-length': '6000000' }, true]));
  // As the proxy does: no more than the window ahead of what the connector granted.
  let sent = 0;
  while (sent < 6_000_000) {
    await c.until(() => sent + chunk.length - (c.granted.get(1) ?? 0) <= WINDOW_BYTES, 'a grant');
    c.send(dataPrefix(1, chunk.length), chunk);
    sent += chunk.length;
  }
  c.send(endFrame(1));
  t.equal((await c.answer()).body, '6000000', 'every byte reached the handler');
  t.ok((c.granted.get(1) ?? 0) >= 6_000_000 - GRANT_BYTES, `the body was granted as it was read (${c.granted.get(1)} bytes)`);
});

t.test('a small request body is read without a WINDOW: grants start at GRANT_BYTES', async (t) => {
  let sawData!: () => void;
  const dataSeen = new Promise<void>((r) => { sawData = r; });
  const c = await carrier(t, (req, res) => {
    const parts: Buffer[] = [];
    req.body!.on('data', (chunk: Buffer) => { parts.push(chunk); sawData(); });
    req.body!.on('end', () => res.end(Buffer.concat(parts).toString()));
  });
  // Its END in a later read: the body asks for more (_read, a tick after its data) in between.
  c.send(headFrame(1, ['POST', '/small', { host: 'h:1' }, true]), dataPrefix(1, 7), Buffer.from('{"a":1}'));
  await beforeDeadline(dataSeen, 10_000, 'the body at the handler');
  await new Promise((r) => setImmediate(r)); // the connector's ticks after that read have run
  c.send(endFrame(1));
  t.equal((await c.answer(1)).body, '{"a":1}');
  t.equal(c.granted.has(1), false, 'no WINDOW for it');
  t.equal(c.writes.count, 1, 'the answer is the only write');
});

t.test('a header Node would refuse throws in writeHead as Node\'s does, and the error answer still goes out clean', async (t) => {
  const c = await carrier(t, (_req, res) => {
    t.throws(() => res.writeHead(200, { 'x-bad': 'a\nb' }), { code: 'ERR_INVALID_CHAR' }, 'a value with a line break');
    t.throws(() => res.writeHead(200, { 'bad name': 'x' }), { code: 'ERR_INVALID_HTTP_TOKEN' }, 'a name with a space');
    t.equal(res.headersSent, false, 'nothing was kept');
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no\n');
  });
  c.send(get(1, '/'));
  t.same(await c.answer(), { status: 502, fields: ['content-type', 'text/plain'], body: 'no\n' });
});

t.test('an answer before the whole upload: the rest of the body is dropped and the carrier takes the next request', async (t) => {
  let bodies = 0;
  const c = await carrier(t, (req, res) => {
    if (req.body) bodies += 1;
    res.writeHead(403).end(`refused ${req.url}`);
  });
  c.send(headFrame(1, ['POST', '/big', { host: 'h:1' }, true]), dataPrefix(1, 3), Buffer.from('abc'));
  t.equal((await c.answer(1)).body, 'refused /big');
  c.send(dataPrefix(1, 3), Buffer.from('def'), endFrame(1), resetFrame(1), get(2, '/next'));
  t.equal((await c.answer(2)).body, 'refused /next', 'the late frames of the first are dropped, and the next request answered');
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
  c.send(headFrame(1, ['POST', '/x', { host: 'h:1' }, true]));
  await beforeDeadline(closed, 10_000, 'the response closes');
});

t.test('many exchanges at once on one carrier: each answer under its own exchange, in the order they end', async (t) => {
  const pending = new Map<string, TunnelResponse>();
  const c = await carrier(t, (req, res) => { pending.set(req.url, res); });
  c.send(get(1, '/a'), get(2, '/b'), get(3, '/c'));
  await beforeDeadline(new Promise<void>((r) => { const check = () => (pending.size === 3 ? r() : setImmediate(check)); check(); }), 10_000, 'three requests');
  pending.get('/c')!.end('c!');
  pending.get('/a')!.writeHead(202).end('a!');
  t.same(await c.answer(3), { status: 200, fields: [], body: 'c!' }, 'the last request answered first');
  t.same(await c.answer(1), { status: 202, fields: [], body: 'a!' });
  pending.get('/b')!.end('b!');
  t.same((await c.answer(2)).body, 'b!');
});

t.test('an answer stops at its window until the proxy grants more; another exchange goes on meanwhile', async (t) => {
  const total = 4 * WINDOW_BYTES;
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  let stalls = 0;
  const c = await carrier(t, (req, res) => {
    if (req.url === '/small') return void res.end('small');
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) { stalls += 1; return void res.once('drain', pump); }
      }
      res.end();
    };
    pump();
  });
  c.send(get(1, '/big'));
  await c.until(() => c.bodySoFar(1).length >= WINDOW_BYTES, 'the first window');
  // Nothing granted: what came is the window, and no more comes while the other exchange is served.
  c.send(get(2, '/small'));
  t.equal((await c.answer(2)).body, 'small', 'the other exchange is answered while the first waits for a grant');
  t.equal(c.bodySoFar(1).length, WINDOW_BYTES, 'the waiting answer sent exactly its window');
  t.ok(stalls >= 1, `its write() said false (${stalls} times) and it waited for 'drain'`);
  c.send(windowFrame(1, total));
  t.equal((await c.answer(1)).body.length, total, 'the rest once granted');
});

t.test('a RESET from the proxy closes that answer and drops its body; the carrier serves the next exchange', async (t) => {
  let closedRes: Promise<unknown> | undefined;
  let body: NodeJS.ReadableStream | null = null;
  const c = await carrier(t, (req, res) => {
    if (req.url === '/next') return void res.end('next');
    body = req.body;
    closedRes = once(res, 'close');
    res.writeHead(200).write('partial');
  });
  c.send(headFrame(1, ['POST', '/stream', { host: 'h:1' }, true]), dataPrefix(1, 2), Buffer.from('up'));
  await c.until(() => c.bodySoFar(1) === 'partial', 'the partial answer');
  c.send(resetFrame(1));
  await beforeDeadline(closedRes!, 10_000, 'the response closes');
  t.equal((body as unknown as { destroyed: boolean }).destroyed, true, 'the request body is destroyed');
  c.send(dataPrefix(1, 4), Buffer.from('late'), endFrame(1), get(2, '/next'));
  t.equal((await c.answer(2)).body, 'next', 'late frames of the reset exchange are dropped; the next is answered');
  t.equal(c.socket.destroyed, false, 'the carrier stays open');
});

t.test('an answer destroyed mid-body reaches the proxy as a RESET of its exchange; the carrier stays', async (t) => {
  const c = await carrier(t, (req, res) => {
    if (req.url === '/next') return void res.end('next');
    res.writeHead(200).write('partial');
    setImmediate(() => res.destroy());
  });
  c.send(get(1, '/dies'));
  await c.until(() => c.resets.includes(1), 'the RESET');
  t.equal(c.bodySoFar(1), 'partial', 'what was written came before the RESET');
  c.send(get(2, '/next'));
  t.equal((await c.answer(2)).body, 'next');
});

const BROKEN: [string, Buffer, RegExp][] = [
  ['bytes that are not frames', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /frame type 71/],
  ['a head that is not [method, path, headers, hasBody]', headFrame(1, { method: 'GET' }), /not \[method, path, headers, hasBody\]/],
  ['headers that are not strings', headFrame(1, ['GET', '/', { host: 7 }, false]), /not \[method, path, headers, hasBody\]/],
  ['a head that is no JSON', Buffer.concat([Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 3]), Buffer.from('{{{')]), /not \[method, path, headers, hasBody\]/],
  ['body bytes for an exchange never opened', Buffer.concat([dataPrefix(1, 1), Buffer.from('x')]), /body bytes outside a request body/],
  ['body bytes for a request without one', Buffer.concat([get(1, '/'), dataPrefix(1, 1), Buffer.from('x')]), /body bytes outside a request body/],
  ['a head for an exchange that is not new', Buffer.concat([headFrame(2, ['POST', '/', {}, true]), get(1, '/')]), /a request head for exchange 1, which is not a new one/],
  ['a WINDOW for an exchange never opened', windowFrame(3, 10), /a WINDOW for no exchange/],
  ['a head whose slot an open exchange has', Buffer.concat([headFrame(1, ['POST', '/', {}, true]), get(1 + EXCHANGE_SLOTS, '/')]), /a request head for exchange 1025, whose slot an open exchange has/],
  // Twice the limit: what the body's own buffer took (its highWaterMark) was granted.
  ['more body than was granted', Buffer.concat([headFrame(1, ['POST', '/', {}, true]), dataPrefix(1, 2 * WINDOW_LIMIT), Buffer.alloc(2 * WINDOW_LIMIT)]), new RegExp(`more than ${WINDOW_LIMIT} bytes of a body not granted`)],
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
