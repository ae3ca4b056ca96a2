import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { SocksClient } from 'socks';
import { createSocks5Server, REP } from '../services/proxy/socks5-server.js';

const TOKEN = 'the-one-valid-token';
const HANDSHAKE_TIMEOUT_MS = 200;
const CLOSE_SLACK_MS = 1500; // event-loop delay under 100 concurrent connections
const MAX_CASES = 3000;
const MAX_MS = 3000;
const CONCURRENCY = 100;

/** Deterministic PRNG (mulberry32) so a failing run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(0x5ccf00d);
const int = (n: number) => Math.floor(rnd() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const b = (...x: number[]) => Buffer.from(x);
const greeting = b(5, 1, 0x80);
const auth = (token: string, loc = '') => Buffer.concat([b(1), u32(token.length), Buffer.from(token), b(loc.length), Buffer.from(loc)]);
const validAuth = auth(TOKEN, Buffer.from('loc').toString('base64'));
const request = Buffer.concat([b(5, 1, 0, 3, 12), Buffer.from('echo.virtual'), b(0, 7)]);
const valid = Buffer.concat([greeting, validAuth, request]);

type Case = { kind: string; data: Buffer; end: boolean };
const generators: Array<() => Omit<Case, 'end'>> = [
  () => ({ kind: 'random bytes', data: bytes(int(64)) }),
  () => ({ kind: 'valid greeting + random tail', data: Buffer.concat([greeting, bytes(int(64))]) }),
  () => ({ kind: 'valid auth + random request', data: Buffer.concat([greeting, validAuth, b(5), bytes(int(40))]) }),
  () => ({ kind: 'declared token longer than data', data: Buffer.concat([greeting, b(1), u32(100 + int(60000)), bytes(int(100))]) }),
  () => ({ kind: 'declared location longer than data', data: Buffer.concat([greeting, b(1), u32(3), Buffer.from('abc'), b(200), bytes(int(100))]) }),
  () => ({ kind: 'zero-length token', data: Buffer.concat([greeting, b(1, 0, 0, 0, 0), bytes(int(20))]) }),
  () => ({ kind: 'bad base64 location', data: Buffer.concat([greeting, auth(TOKEN, ['a-b_', 'YQ', 'YR==', '/w==', '====', 'Y W='][int(6)]), request]) }),
  () => ({ kind: '4 GiB declared token', data: Buffer.concat([greeting, b(1, 0xff, 0xff, 0xff, 0xff), bytes(int(100))]) }),
  () => ({ kind: 'oversized token sent in full', data: Buffer.concat([greeting, auth('x'.repeat(65537 + int(4096)))]) }),
  () => ({ kind: 'valid handshake truncated', data: valid.subarray(0, int(valid.length)) }),
  () => ({ kind: 'valid handshake with one byte flipped', data: flip(valid) }),
  () => ({ kind: 'huge method list', data: Buffer.concat([b(5, 255), bytes(int(300))]) }),
];
function flip(buf: Buffer): Buffer {
  const copy = Buffer.from(buf);
  copy[int(copy.length)] ^= 1 + int(255);
  return copy;
}

t.test('answers or closes every garbage handshake, then still relays a valid client', async (t) => {
  const echo = net.createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const echoPort = (echo.address() as AddressInfo).port;
  const proxy = createSocks5Server({
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    authenticate: (jwt) => (jwt === TOKEN ? { ok: true, subaccount: 'subaccount-a' } : { ok: false, reason: 'unknown token' }),
    async connect(ctx) {
      if (ctx.host !== 'echo.virtual' || ctx.port !== 7 || ctx.locationId !== 'loc') return { ok: false, rep: REP.FORBIDDEN, reason: 'not mapped' };
      const stream = net.connect({ host: '127.0.0.1', port: echoPort, allowHalfOpen: true });
      await once(stream, 'connect');
      return { ok: true, stream };
    },
  });
  const serverSockets = new Set<net.Socket>();
  const serverClosed: Promise<unknown>[] = [];
  proxy.on('connection', (s) => {
    serverSockets.add(s);
    serverClosed.push(new Promise((resolve) => s.on('close', () => resolve(serverSockets.delete(s)))));
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const port = (proxy.address() as AddressInfo).port;
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  t.teardown(() => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    for (const s of serverSockets) s.destroy();
    proxy.close();
    echo.close();
  });

  const lingered: string[] = [];
  let slowest = 0;
  async function run(c: Case): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {}); // resets are an acceptable way to be closed
    socket.on('data', () => {});
    const started = Date.now();
    const watchdog = setTimeout(() => { lingered.push(c.kind); socket.destroy(); }, HANDSHAKE_TIMEOUT_MS + CLOSE_SLACK_MS);
    socket.once('connect', () => (c.end ? socket.end(c.data) : socket.write(c.data)));
    await once(socket, 'close');
    clearTimeout(watchdog);
    slowest = Math.max(slowest, Date.now() - started);
  }

  const began = Date.now();
  const counts = new Map<string, number>();
  let cases = 0;
  while (cases < MAX_CASES && Date.now() - began < MAX_MS) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < CONCURRENCY && cases < MAX_CASES; i++, cases++) {
      const c = { ...generators[int(generators.length)](), end: rnd() < 0.5 };
      counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
      batch.push(run(c));
    }
    await Promise.all(batch);
  }
  t.comment(`${cases} cases in ${Date.now() - began} ms; slowest close ${slowest} ms; ${JSON.stringify(Object.fromEntries(counts))}`);
  t.same(lingered, [], 'every client socket is closed within the handshake timeout');
  t.equal(counts.size, generators.length, 'every generator ran');
  await Promise.all(serverClosed);
  t.equal(serverSockets.size, 0, 'no server-side socket is left open');

  const { socket } = await SocksClient.createConnection({
    proxy: {
      host: '127.0.0.1', port, type: 5, custom_auth_method: 0x80,
      custom_auth_request_handler: async () => validAuth,
      custom_auth_response_size: 2,
      custom_auth_response_handler: async (data: Buffer) => data[1] === 0x00,
    },
    command: 'connect', destination: { host: 'echo.virtual', port: 7 }, timeout: 5000,
  });
  t.teardown(() => socket.destroy());
  const sent = bytes(65536);
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  socket.end(sent);
  await once(socket, 'end');
  t.ok(Buffer.concat(got).equals(sent), 'a valid client still completes an echo round trip');
  t.same(uncaught, [], 'no uncaught exception or unhandled rejection');
});
