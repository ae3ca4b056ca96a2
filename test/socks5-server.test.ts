import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { SocksClient } from 'socks';
import { createSocks5Server, REP, type ConnectContext } from '../services/proxy/socks5-server.js';

const TOKEN = 'the-one-valid-token';
type T = { teardown(fn: () => unknown): void };

async function listen(server: net.Server, t: T): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** An echo server, and the SOCKS5 server whose connect() reaches it as echo.virtual:7. */
async function start(t: T, handshakeTimeoutMs?: number) {
  const echo = net.createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); });
  const echoPort = await listen(echo, t);
  const contexts: ConnectContext[] = [];
  const proxy = createSocks5Server({
    handshakeTimeoutMs,
    authenticate: (jwt) => (jwt === TOKEN ? { ok: true, subaccount: 'subaccount-a' } : { ok: false, reason: 'unknown token' }),
    async connect(ctx) {
      contexts.push(ctx);
      if (ctx.locationId === 'nowhere') return { ok: false, rep: REP.NETWORK_UNREACHABLE, reason: 'no connector for location' };
      if (ctx.host !== 'echo.virtual' || ctx.port !== 7) return { ok: false, rep: REP.FORBIDDEN, reason: 'not mapped' };
      const stream = net.connect({ host: '127.0.0.1', port: echoPort, allowHalfOpen: true });
      await once(stream, 'connect');
      return { ok: true, stream };
    },
  });
  return { port: await listen(proxy, t), contexts };
}

/** The auth request as the SAP Cloud SDK mail client builds it. */
function sapAuth(token: string, location?: string): Buffer {
  const loc = location ? Buffer.from(location).toString('base64') : '';
  const len = Buffer.alloc(4);
  len.writeUInt32BE(Buffer.byteLength(token));
  return Buffer.concat([Buffer.from([1]), len, Buffer.from(token), Buffer.from([Buffer.byteLength(loc)]), Buffer.from(loc)]);
}

async function socksConnect(t: T, port: number, dest = { host: 'echo.virtual', port: 7 }, token = TOKEN, location = 'loc-1') {
  const { socket } = await SocksClient.createConnection({
    proxy: {
      host: '127.0.0.1', port, type: 5, custom_auth_method: 0x80,
      custom_auth_request_handler: async () => sapAuth(token, location),
      custom_auth_response_size: 2,
      custom_auth_response_handler: async (data: Buffer) => data[1] === 0x00,
    },
    command: 'connect', destination: dest, timeout: 5000,
  });
  t.teardown(() => socket.destroy());
  return socket;
}

/** Connects by hand, writes the bytes, and returns everything received until the server closes. */
async function exchange(t: T, port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  const got: Buffer[] = [];
  socket.on('data', (c) => got.push(c));
  socket.end(bytes);
  await once(socket, 'close');
  return Buffer.concat(got);
}

const hello = Buffer.from([5, 1, 0x80]);
const okAuth = Buffer.from([5, 0x80, 1, 0]);
const reply = (rep: number) => [5, rep, 0, 1, 0, 0, 0, 0, 0, 0];

t.test('relays an 8 MiB echo round trip byte for byte', async (t) => {
  const { port, contexts } = await start(t);
  const socket = await socksConnect(t, port);
  const sent = randomBytes(8 * 1024 * 1024);
  const got: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve) => socket.on('data', (c: Buffer) => { got.push(c); size += c.length; if (size >= sent.length) resolve(); }));
  socket.write(sent);
  await done;
  t.ok(Buffer.concat(got).equals(sent), 'echoed bytes equal sent bytes');
  t.same(contexts, [{ subaccount: 'subaccount-a', locationId: 'loc-1', host: 'echo.virtual', port: 7 }]);
});

t.test('chooses 0x80 when the client offers 0x00 and 0x80', async (t) => {
  const { port } = await start(t);
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write(Buffer.from([5, 2, 0x00, 0x80]));
  const [data] = await once(socket, 'data');
  t.same([...data], [5, 0x80]);
});

t.test('answers 05 FF and closes when the client offers only 0x00', async (t) => {
  const { port } = await start(t);
  t.same([...await exchange(t, port, Buffer.from([5, 1, 0]))], [5, 0xff]);
});

t.test('answers 01 01 and closes on a bad token', async (t) => {
  const { port, contexts } = await start(t);
  const got = await exchange(t, port, Buffer.concat([hello, sapAuth('forged'), Buffer.from([5, 1, 0, 3, 1, 0x78, 0, 7])]));
  t.same([...got], [5, 0x80, 1, 1]);
  t.same(contexts, [], 'connect is never called');
  await t.rejects(socksConnect(t, port, undefined, 'forged'), /Authentication failed/);
});

t.test('answers REP 02 for a host that is not mapped', async (t) => {
  const { port } = await start(t);
  await t.rejects(socksConnect(t, port, { host: 'other.virtual', port: 7 }), /rejected connection - NotAllowed/);
});

t.test('answers REP 03 when no connector serves the location', async (t) => {
  const { port } = await start(t);
  await t.rejects(socksConnect(t, port, undefined, TOKEN, 'nowhere'), /rejected connection - NetworkUnreachable/);
});

t.test('answers REP 07 to a BIND request', async (t) => {
  const { port, contexts } = await start(t);
  const got = await exchange(t, port, Buffer.concat([hello, sapAuth(TOKEN), Buffer.from([5, 2, 0, 3, 1, 0x78, 0, 7])]));
  t.same([...got], [...okAuth, ...reply(7)]);
  t.same(contexts, []);
});

t.test('answers REP 08 to an IPv6 destination', async (t) => {
  const { port } = await start(t);
  const ipv6 = Buffer.from([5, 1, 0, 4, ...new Array(15).fill(0), 1, 0, 7]);
  t.same([...await exchange(t, port, Buffer.concat([hello, sapAuth(TOKEN), ipv6]))], [...okAuth, ...reply(8)]);
});

t.test('relays bytes sent in the same chunk as the CONNECT request', async (t) => {
  const { port } = await start(t);
  const got = await exchange(t, port, Buffer.concat([hello, sapAuth(TOKEN), Buffer.from([5, 1, 0, 3, 12]), Buffer.from('echo.virtual'),
    Buffer.from([0, 7]), Buffer.from('early payload')]));
  t.same(got, Buffer.concat([Buffer.from([...okAuth, ...reply(0)]), Buffer.from('early payload')]));
});

t.test('keeps the return direction open after the client half-closes', async (t) => {
  const { port } = await start(t);
  const socket = await socksConnect(t, port);
  const sent = randomBytes(1024 * 1024);
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  socket.end(sent);
  await once(socket, 'end');
  t.ok(Buffer.concat(got).equals(sent), 'all echoed data arrives before end');
});

t.test('closes a client that stays silent past the handshake timeout', async (t) => {
  const { port } = await start(t, 100);
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write(Buffer.from([5, 1]));
  const started = Date.now();
  await once(socket, 'close');
  t.ok(Date.now() - started < 2000, 'closed by the server, not by the test timeout');
});
