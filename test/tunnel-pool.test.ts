// The proxy's carrier pool (services/proxy/tunnel-pool.ts) on real TCP carriers served by the
// connector's carrier server, with a dialer of the test's in place of the tunnel's tickets: many
// exchanges on one carrier, at most `maxExchanges` at once, requests beyond them wait and are all
// answered, a carrier that dies fails its exchanges and the waiting requests get a new one, a dial
// that fails fails one waiting request with its reason, and destroy() refuses what waits. Each
// exchange has its own flow control and its own end: a slow client holds up only its answer, a
// client that goes away and an answer cut by the connector end that exchange, not the carrier. A
// small request with a body leaves in one write, head to END; a body that comes later follows its head.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ClientHttp2Session } from 'node:http2';
import { serveCarrier, type TunnelRequest, type TunnelResponse } from '../services/connector/carrier-server.js';
import { silentLogger } from '../services/shared/logger.js';
import { CARRIER_CLOSED, CONNECTOR_RESET, CarrierFailed, CarrierRefused, TunnelPool, type CarrierHandler } from '../services/proxy/tunnel-pool.js';
import { EXCHANGE_SLOTS, WINDOW_BYTES } from '../services/shared/carrier-frames.js';
import { beforeDeadline } from './helpers/deadline.js';

type Outcome = { status?: number; body: string; error?: Error };

/** A connector end on port 0 with `handler`, and a dialer that opens a carrier to it per dial (or fails the dial when `refuse` says so). */
async function world(t: Test, handler: (req: TunnelRequest, res: TunnelResponse) => void) {
  const connectorSide: net.Socket[] = [];
  const server = net.createServer((socket) => { connectorSide.push(socket); serveCarrier(socket, handler, silentLogger()); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => { for (const s of connectorSide) s.destroy(); server.close(); });
  const port = (server.address() as net.AddressInfo).port;
  const dialer = {
    dials: 0,
    /** Socket writes the proxy's end of the carriers made. */
    writes: 0,
    refuse: undefined as string | undefined,
    request(_session: ClientHttp2Session, _ms: number, cb: (err: Error | null, socket?: net.Socket) => void) {
      dialer.dials += 1;
      if (dialer.refuse !== undefined) return void setImmediate(() => cb(new CarrierRefused(dialer.refuse!)));
      const socket = net.connect(port, '127.0.0.1', () => cb(null, socket));
      socket.on('error', (err) => cb(err));
      const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
      socket.write = ((chunk: Buffer) => { dialer.writes += 1; return write(chunk); }) as typeof socket.write;
    },
  };
  return { dialer, connectorSide, pool: (max: number, lastExchange?: number) => { const p = new TunnelPool({} as ClientHttp2Session, dialer, 1000, max, lastExchange); t.teardown(() => p.destroy()); return p; } };
}

/** Sends GET `path` (or POST with `body`) on the pool; resolves with what the handler got. */
function get(pool: TunnelPool, path: string, body: Readable | null = null): Promise<Outcome> {
  return beforeDeadline(new Promise<Outcome>((resolve) => {
    const out: Outcome = { body: '' };
    const handler: CarrierHandler = {
      onConnect: () => {},
      onHeaders: (status) => { out.status = status; },
      onData: (chunk) => { out.body += chunk.toString(); return true; },
      onComplete: () => resolve(out),
      onError: (error) => resolve({ ...out, error }),
    };
    pool.dispatch({ method: body === null ? 'GET' : 'POST', path, headers: { host: 'h:1' }, body: body as IncomingMessage | null }, handler);
  }), 10_000, `the answer to ${path}`);
}

t.test('requests beyond the exchange limit wait, and every one is answered on one carrier', async (t) => {
  let inFlight = 0;
  let most = 0;
  const w = await world(t, (req, res) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    setImmediate(() => { inFlight -= 1; res.end(`answer ${req.url}`); });
  });
  const pool = w.pool(2);
  const paths = ['/1', '/2', '/3', '/4', '/5', '/6'];
  const answers = await Promise.all(paths.map((p) => get(pool, p)));
  t.same(answers.map((a) => a.body), paths.map((p) => `answer ${p}`));
  t.equal(most, 2, 'two exchanges at a time, no more');
  t.equal(w.dialer.dials, 1, 'one carrier dialled');
  t.equal(pool.stats.connected, 1);
});

t.test('a carrier that dies mid-exchange fails its exchanges; the one waiting gets a new carrier', async (t) => {
  let first = true;
  const w = await world(t, (req, res) => {
    if (first) { first = false; w.connectorSide[0].destroy(); return; }
    res.end(`answer ${req.url}`);
  });
  const pool = w.pool(1);
  const [a, b] = await Promise.all([get(pool, '/dies'), get(pool, '/waits')]);
  t.equal(a.error?.message, CARRIER_CLOSED, 'the exchange on the dead carrier fails');
  t.equal(b.body, 'answer /waits', 'the waiting request is answered on a carrier dialled for it');
  t.equal(w.dialer.dials, 2);
});

t.test('a failed dial fails one waiting request with its reason; the next dial serves the rest', async (t) => {
  const w = await world(t, (req, res) => res.end(`answer ${req.url}`));
  const pool = w.pool(4);
  w.dialer.refuse = 'no carriers today';
  const refused = await get(pool, '/refused');
  t.ok(refused.error instanceof CarrierRefused, 'a CarrierRefused');
  t.equal((refused.error as CarrierRefused).reason, 'no carriers today');
  w.dialer.refuse = undefined;
  t.equal((await get(pool, '/later')).body, 'answer /later');
});

t.test('destroy() refuses what waits and closes the carriers', async (t) => {
  const w = await world(t, () => {}); // never answers
  const pool = w.pool(1);
  const inFlight = get(pool, '/in-flight');
  const waiting = get(pool, '/waiting');
  await beforeDeadline(new Promise<void>((r) => { const check = () => (w.connectorSide.length > 0 ? r() : setImmediate(check)); check(); }), 10_000, 'the carrier');
  pool.destroy();
  const [a, b] = await Promise.all([inFlight, waiting]);
  t.equal(b.error?.message, 'no tunnel carrier: the tunnel closed', 'the waiting request is refused');
  t.equal(a.error?.message, CARRIER_CLOSED, 'the exchange in flight fails as its carrier closes');
  const after = await get(pool, '/after');
  t.ok(after.error instanceof CarrierRefused, 'a destroyed pool takes no more requests');
});

t.test('a slow client holds up only its own answer: the others on the carrier go on, and it gets the rest once it reads', async (t) => {
  const total = 4 * WINDOW_BYTES;
  const w = await world(t, (req, res) => {
    if (req.url !== '/big') return void res.end(`answer ${req.url}`);
    const chunk = Buffer.alloc(16 * 1024, 0x62);
    let sent = 0;
    const pump = () => {
      while (sent < total) { sent += chunk.length; if (!res.write(chunk)) return void res.once('drain', pump); }
      res.end();
    };
    pump();
  });
  const pool = w.pool(8);
  let got = 0;
  let resume: () => void = () => {};
  let full!: () => void;
  const stalled = new Promise<void>((r) => { full = r; });
  const big = beforeDeadline(new Promise<number>((resolve, reject) => {
    pool.dispatch({ method: 'GET', path: '/big', headers: { host: 'h:1' }, body: null }, {
      onConnect: () => {},
      onHeaders: (_s, _f, r) => { resume = r; },
      // Full after the first chunk, until the test resumes it.
      onData: (chunk) => { got += chunk.length; if (got === chunk.length) { full(); return false; } return true; },
      onComplete: () => resolve(got),
      onError: reject,
    });
  }), 10_000, 'the big answer');
  await beforeDeadline(stalled, 10_000, 'the big answer starts');
  const others = await Promise.all(['/a', '/b', '/c'].map((p) => get(pool, p)));
  t.same(others.map((o) => o.body), ['answer /a', 'answer /b', 'answer /c'], 'the other exchanges are answered while one client reads nothing');
  t.ok(got <= WINDOW_BYTES + 64 * 1024, `the stalled answer stopped near its window (${got} bytes)`);
  resume();
  t.equal(await big, total, 'the whole answer once its client reads');
  t.equal(pool.stats.connected, 1, 'all on one carrier');
});

t.test('a client that goes away mid-answer: the connector is told (RESET), and the carrier serves the next request', async (t) => {
  let closed!: () => void;
  const resClosed = new Promise<void>((r) => { closed = r; });
  const w = await world(t, (req, res) => {
    if (req.url !== '/stream') return void res.end(`answer ${req.url}`);
    res.once('close', () => closed());
    res.writeHead(200).write('partial');
  });
  const pool = w.pool(4);
  const error = await beforeDeadline(new Promise<Error>((resolve) => {
    let abort: (err: Error) => void = () => {};
    pool.dispatch({ method: 'GET', path: '/stream', headers: { host: 'h:1' }, body: null }, {
      onConnect: (a) => { abort = a; },
      onHeaders: () => {},
      onData: () => { setImmediate(() => abort(new Error('the client went away'))); return true; },
      onComplete: () => resolve(new Error('completed')),
      onError: resolve,
    });
  }), 10_000, 'the abort');
  t.equal(error.message, 'the client went away');
  await beforeDeadline(resClosed, 10_000, 'the connector\'s response closes');
  t.equal((await get(pool, '/next')).body, 'answer /next', 'the next request on the same carrier');
  t.equal(w.dialer.dials, 1);
});

t.test('an answer the connector cuts mid-body fails that exchange only, with a CarrierFailed; an answer before the whole upload ends it without closing the carrier', async (t) => {
  const w = await world(t, (req, res) => {
    if (req.url === '/cut') { res.writeHead(200).write('partial'); return void setImmediate(() => res.destroy()); }
    if (req.url === '/refused') return void res.writeHead(403).end('no');
    res.end(`answer ${req.url}`);
  });
  const pool = w.pool(4);
  const cut = await get(pool, '/cut');
  t.ok(cut.error instanceof CarrierFailed, 'a CarrierFailed');
  t.equal((cut.error as CarrierFailed).reason, CONNECTOR_RESET);
  t.equal(cut.body, 'partial', 'what came before the cut was handed on');
  const upload = new Readable({ read() {} });
  upload.push('first part');
  const refused = await get(pool, '/refused', upload);
  t.same([refused.status, refused.body, refused.error], [403, 'no', undefined], 'the answer before the upload ended');
  t.equal((await get(pool, '/next')).body, 'answer /next');
  t.equal(w.dialer.dials, 1, 'one carrier throughout');
});

/** A world whose connector holds /long open until release() and answers everything else at once. */
async function longWorld(t: Test) {
  let release: (() => void) | undefined;
  const w = await world(t, (req, res) => {
    if (req.url === '/long') { release = () => res.end('long done'); return; }
    res.end(`answer ${req.url}`);
  });
  return {
    ...w,
    /** Resolves once /long reached the connector. */
    arrived: () => beforeDeadline(new Promise<void>((r) => { const check = () => (release ? r() : setImmediate(check)); check(); }), 10_000, 'the long request at the connector'),
    release: () => release!(),
  };
}

t.test('a number whose slot an open exchange has is skipped: one exchange stays open while more than a table of others pass', async (t) => {
  const w = await longWorld(t);
  const pool = w.pool(8);
  const long = get(pool, '/long');
  let served = 0;
  for (let i = 0; i < EXCHANGE_SLOTS + 100; i++) if ((await get(pool, `/n${i}`)).body === `answer /n${i}`) served += 1;
  t.equal(served, EXCHANGE_SLOTS + 100, 'every request answered (the connector closes a carrier whose numbers collide)');
  w.release();
  t.equal((await long).body, 'long done', 'the long exchange, open throughout, ends well');
  t.equal(w.dialer.dials, 1, 'on one carrier');
});

t.test('a carrier whose exchange numbers are used up takes no new exchange, and closes once its last one ends', async (t) => {
  const w = await longWorld(t);
  const pool = w.pool(8, 3);
  t.equal((await get(pool, '/1')).body, 'answer /1');
  t.equal((await get(pool, '/2')).body, 'answer /2');
  const long = get(pool, '/long'); // exchange 3, the last one of the first carrier
  await w.arrived();
  t.equal((await get(pool, '/4')).body, 'answer /4', 'the next request on a new carrier');
  t.equal(w.dialer.dials, 2);
  t.equal(pool.stats.connected, 2, 'the first carrier stays while its last exchange is open');
  const firstClosed = once(w.connectorSide[0], 'close');
  w.release();
  t.equal((await long).body, 'long done');
  await beforeDeadline(firstClosed, 10_000, 'the used-up carrier closes');
  t.equal(pool.stats.connected, 1);
});

/** The connector's side reads the whole body and answers with it. */
function echo(req: TunnelRequest, res: TunnelResponse, seen?: () => void): void {
  if (req.body === null) return void res.end(`${req.method}`);
  seen?.();
  const parts: Buffer[] = [];
  req.body.on('data', (c: Buffer) => parts.push(c));
  req.body.on('end', () => res.end(`${req.method} ${Buffer.concat(parts).toString()}`));
}

t.test('a small request body that comes with its head leaves in one write, head to END; one that comes later follows its head', async (t) => {
  let seen: () => void = () => {};
  const w = await world(t, (req, res) => echo(req, res, seen));
  const pool = w.pool(1);
  await get(pool, '/warm'); // the carrier is dialled and free: what follows counts only the requests' writes

  // As Node hands over a small POST: its body a tick after the head, its end a tick later.
  const small = new Readable({ read() {} });
  process.nextTick(() => { small.push('{"a":1}'); process.nextTick(() => small.push(null)); });
  const before = w.dialer.writes;
  t.equal((await get(pool, '/small', small)).body, 'POST {"a":1}');
  t.equal(w.dialer.writes - before, 1, 'head, body and END in one socket write');

  // A body that is not there when the request starts: its head reaches the connector first.
  const later = new Readable({ read() {} });
  const headSeen = new Promise<void>((r) => { seen = r; });
  const answer = get(pool, '/later', later);
  await beforeDeadline(headSeen, 10_000, 'the head at the connector, before any body was sent');
  const mid = w.dialer.writes;
  later.push('late part');
  later.push(null);
  t.equal((await answer).body, 'POST late part');
  t.equal(w.dialer.writes - mid, 1, 'the body and its END in one write after the head');
});

t.test('a large request body is not held: it streams as it comes, in order', async (t) => {
  const w = await world(t, (req, res) => {
    let n = 0;
    req.body!.on('data', (c: Buffer) => { n += c.length; });
    req.body!.on('end', () => res.end(String(n)));
  });
  const pool = w.pool(1);
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
  const body = Readable.from(chunks);
  t.equal((await get(pool, '/big', body)).body, String(40 * 64 * 1024), 'every byte arrived');
});
