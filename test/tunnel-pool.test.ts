// The proxy's carrier pool (services/proxy/tunnel-pool.ts) on real TCP carriers served by the
// connector's carrier server, with a dialer of the test's in place of the tunnel's tickets: at most
// `maxCarriers` carriers, requests beyond them wait and are all answered, a carrier that dies
// during an exchange fails only that one and the waiting requests get a new one, a dial that
// fails fails one waiting request with its reason, and destroy() refuses what waits. A small
// request with a body leaves in one write, head to END; a body that comes later follows its head.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ClientHttp2Session } from 'node:http2';
import { serveCarrier, type TunnelRequest, type TunnelResponse } from '../services/connector/carrier-server.js';
import { silentLogger } from '../services/shared/logger.js';
import { CARRIER_CLOSED, CarrierRefused, TunnelPool, type CarrierHandler } from '../services/proxy/tunnel-pool.js';
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
  return { dialer, connectorSide, pool: (max: number) => { const p = new TunnelPool({} as ClientHttp2Session, dialer, 1000, max); t.teardown(() => p.destroy()); return p; } };
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

t.test('requests beyond the carrier limit wait, and every one is answered', async (t) => {
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
  t.ok(most <= 2, `at most two exchanges at a time (${most})`);
  t.equal(w.dialer.dials, 2, 'two carriers dialled');
  t.equal(pool.stats.connected, 2);
});

t.test('a carrier that dies mid-exchange fails that request only; the one waiting gets a new carrier', async (t) => {
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
