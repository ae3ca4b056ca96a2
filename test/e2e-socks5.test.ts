// TCP through the connectivity proxy's SOCKS5 endpoint (SAP method 0x80), end to end: proxy →
// tunnel (HTTP/2 CONNECT) → connector → on-premise TCP system. The world is the shipped default
// config (echo.onprem:7 → tcp-echo, mail.onprem:25 → smtp, virtualhost:3333 → HTTP only) plus a
// known signing key and one TCP mapping to a closed port; a second world has its connector at
// location LOC1. Reply codes: sap-contract.md §2.2.
import t, { type Test } from 'tap';
import { freePort } from './helpers/cli-process.js';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startSimulator, type Simulator } from '../src/simulator.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../services/proxy/socks5-server.js';
import { REPO_ROOT } from './helpers/cli-process.js';
import { signingKeyFile, world } from './helpers/configs.js';
import { expiredToken, keysFromFile, resignedCopy, strangerKey, tamperPayload } from './helpers/tokens.js';
import {
  RawSocket, connectReply, domainRequest, echoRoundTrip, prng, sapAuthRequest, sapSocksConnect,
} from './helpers/socks-client.js';

const MiB = 1024 * 1024;
const hex = (b: Buffer | number[]) => Buffer.from(b).toString('hex');
const GREETING = Buffer.from([0x05, 0x01, 0x80]);
const CHOSE_SAP = Buffer.from([0x05, 0x80]);
const AUTH_OK = Buffer.from([0x01, 0x00]);
const AUTH_FAILED = Buffer.from([0x01, 0x01]);

/** A port nothing listens on: free a moment ago (the OS picked it via port 0), released again. */
const closedLocalPort = freePort;

function* randomChunks(total: number, size = MiB): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += size) yield randomBytes(Math.min(size, total - sent));
}

// ---- the main world: the shipped default config, a known signing key, a mapping to a closed port
const keyFile = signingKeyFile((fn) => t.teardown(fn));
const CLOSED_PORT = await closedLocalPort();
const defaultConfig = parseYaml(readFileSync(join(REPO_ROOT, 'config/scc-sim.yaml'), 'utf8'));
defaultConfig.proxy.signingKeyFile = keyFile;
defaultConfig.connectors[0].subaccounts[0].systemMappings.push({
  virtualHost: 'closed.onprem', virtualPort: 9, localHost: '127.0.0.1', localPort: CLOSED_PORT, protocol: 'TCP',
});
const sim = await startSimulator(defaultConfig);
t.teardown(() => sim.close());
const token = await sim.token();
const SOCKS = sim.ports.socks5Port;

/** A relayed socket to a virtual host through the main world, closed at the end of the test. */
async function viaSocks(tt: Test, host: string, port: number, over: { s?: Simulator; token?: string; locationId?: string } = {}) {
  const s = over.s ?? sim;
  const socket = await sapSocksConnect({ proxyPort: s.ports.socks5Port, token: over.token ?? token, locationId: over.locationId, host, port });
  tt.teardown(() => socket.destroy());
  return socket;
}

/**
 * By hand, step by step: greeting (answered 05 80), auth (answered 01 00), then `request`; returns
 * the 10-byte reply, whatever followed until the server closed, and how long the close took.
 */
async function rawRequest(tt: Test, request: Buffer, o: { locationId?: string; port?: number; token?: string } = {}) {
  const started = Date.now();
  const raw = await RawSocket.open(o.port ?? SOCKS);
  tt.teardown(() => raw.destroy());
  raw.write(GREETING);
  tt.equal(hex(await raw.read(2)), hex(CHOSE_SAP), 'greeting answered 05 80');
  raw.write(sapAuthRequest(o.token ?? token, o.locationId));
  tt.equal(hex(await raw.read(2)), hex(AUTH_OK), 'token accepted: 01 00');
  raw.write(request);
  const reply = await raw.read(10);
  const after = await raw.readToEnd();
  return { reply, after, closedAfterMs: Date.now() - started };
}

t.test('a 64 MiB round trip through proxy, tunnel, connector and the tcp-echo backend comes back byte for byte', async (t) => {
  const socket = await viaSocks(t, 'echo.onprem', 7);
  const r = await echoRoundTrip(socket, randomChunks(64 * MiB));
  t.equal(r.sent, 64 * MiB);
  t.equal(r.received, 64 * MiB, 'as many bytes came back as were sent');
  t.equal(r.receivedSha256, r.sentSha256, 'the bytes that came back hash like the bytes sent');
});

t.test('a client offering methods 00 and 80 (as the SAP Cloud SDK mail client) is answered 80 and relays', async (t) => {
  const raw = await RawSocket.open(SOCKS);
  t.teardown(() => raw.destroy());
  raw.write(Buffer.from([0x05, 0x02, 0x00, 0x80]));
  t.equal(hex(await raw.read(2)), '0580', 'the proxy chooses 0x80, not 0x00');
  raw.write(sapAuthRequest(token));
  t.equal(hex(await raw.read(2)), hex(AUTH_OK));
  raw.write(domainRequest('echo.onprem', 7));
  t.equal(hex(await raw.read(10)), hex(connectReply(0x00)), 'CONNECT succeeds: 05 00 00 01 0.0.0.0:0');
  raw.write(Buffer.from('hello through 0x80\n'));
  t.equal((await raw.read(19)).toString(), 'hello through 0x80\n', 'the echo backend answers');
});

t.test('bytes pipelined with greeting, auth and CONNECT in a single write reach the backend and come back', async (t) => {
  const raw = await RawSocket.open(SOCKS);
  t.teardown(() => raw.destroy());
  const payload = Buffer.from('first bytes, sent with the CONNECT request');
  raw.write(Buffer.concat([GREETING, sapAuthRequest(token), domainRequest('echo.onprem', 7), payload]));
  t.equal(hex(await raw.read(14)), hex(Buffer.concat([CHOSE_SAP, AUTH_OK, connectReply(0x00)])), 'all three replies, in order');
  t.equal((await raw.read(payload.length)).toString(), payload.toString(), 'the pipelined bytes are echoed');
});

t.test('reply codes through the real path', async (t) => {
  const refused = async (t: Test, request: Buffer, rep: number, o: { locationId?: string } = {}) => {
    const { reply, after, closedAfterMs } = await rawRequest(t, request, o);
    t.equal(hex(reply), hex(connectReply(rep)), `REP ${rep.toString(16).padStart(2, '0')}`);
    t.equal(after.length, 0, 'nothing follows the reply');
    t.ok(closedAfterMs < DEFAULT_HANDSHAKE_TIMEOUT_MS, `the proxy closes at once, not at the handshake timeout (${closedAfterMs} ms)`);
  };
  const rejectedBySocksPackage = async (t: Test, host: string, port: number, name: string, o: { locationId?: string } = {}) => {
    await t.rejects(viaSocks(t, host, port, o), { message: `Socks5 proxy rejected connection - ${name}` }, `the socks package reports ${name}`);
  };

  t.test('02 for a virtual host that no mapping names (nowhere.onprem:1)', async (t) => {
    await refused(t, domainRequest('nowhere.onprem', 1), 0x02);
    await rejectedBySocksPackage(t, 'nowhere.onprem', 1, 'NotAllowed');
  });

  t.test('02 for the host and port of an HTTP-only mapping (virtualhost:3333)', async (t) => {
    await refused(t, domainRequest('virtualhost', 3333), 0x02);
    await rejectedBySocksPackage(t, 'virtualhost', 3333, 'NotAllowed');
  });

  t.test('02 for a TCP-mapped host on a port it does not map (echo.onprem:8)', async (t) => {
    await refused(t, domainRequest('echo.onprem', 8), 0x02);
  });

  t.test('02 for an IPv4 destination (ATYP 01) that no mapping names', async (t) => {
    await refused(t, Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 7]), 0x02);
  });

  t.test('03 for a location that no connector serves (LOC2)', async (t) => {
    await refused(t, domainRequest('echo.onprem', 7), 0x03, { locationId: 'LOC2' });
    await rejectedBySocksPackage(t, 'echo.onprem', 7, 'NetworkUnreachable', { locationId: 'LOC2' });
  });

  t.test('04 for a TCP mapping whose local port has nothing listening', async (t) => {
    await refused(t, domainRequest('closed.onprem', 9), 0x04);
    await rejectedBySocksPackage(t, 'closed.onprem', 9, 'HostUnreachable');
  });

  t.test('07 for BIND, even to a mapped host', async (t) => {
    await refused(t, domainRequest('echo.onprem', 7, 0x02), 0x07);
  });

  t.test('07 for UDP ASSOCIATE', async (t) => {
    await refused(t, domainRequest('echo.onprem', 7, 0x03), 0x07);
  });

  t.test('08 for an IPv6 destination (ATYP 04)', async (t) => {
    const ipv6Loopback = [...Buffer.alloc(15), 1];
    await refused(t, Buffer.from([0x05, 0x01, 0x00, 0x04, ...ipv6Loopback, 0, 7]), 0x08);
  });
});

t.test('a bad token is answered 01 01 in the sub-negotiation and the connection closed, without a CONNECT reply', async (t) => {
  const keys = keysFromFile(keyFile);
  const cases: Array<[string, () => Promise<string>]> = [
    ['not a JWT at all', async () => 'not-a-jwt'],
    ['an expired token signed with the real key', () => expiredToken(sim, keys, sim.credentials.clientid)],
    ['a token re-signed with a stranger key', () => resignedCopy(token, strangerKey())],
    ['a token whose payload was changed after signing', async () => tamperPayload(token, (c) => { c.exp = Number(c.exp) + 86400; })],
  ];
  for (const [name, make] of cases) {
    t.test(name, async (t) => {
      const bad = await make();
      const started = Date.now();
      const raw = await RawSocket.open(SOCKS);
      t.teardown(() => raw.destroy());
      raw.write(GREETING);
      t.equal(hex(await raw.read(2)), hex(CHOSE_SAP));
      // auth and CONNECT in one write, as a pipelining client sends them
      raw.write(Buffer.concat([sapAuthRequest(bad), domainRequest('echo.onprem', 7)]));
      t.equal(hex(await raw.readToEnd()), hex(AUTH_FAILED), 'exactly 01 01, then the proxy closes: no CONNECT reply follows');
      t.ok(Date.now() - started < DEFAULT_HANDSHAKE_TIMEOUT_MS, 'closed at once, not by the handshake timeout');
      await t.rejects(viaSocks(t, 'echo.onprem', 7, { token: bad }), { message: 'Socks5 Authentication failed' },
        'the socks package reports the authentication failure');
    });
  }
});

t.test('location routing over SOCKS5', async (t) => {
  const cfg = world({
    locationID: 'LOC1',
    mappings: [{ virtualHost: 'echo.onprem', virtualPort: 7, localHost: '127.0.0.1', localPort: 3307, protocol: 'TCP' }],
  });
  cfg.backends = [{ name: 'echo', kind: 'tcp-echo', host: '127.0.0.1', port: 3307 }];
  const loc = await startSimulator(cfg);
  t.teardown(() => loc.close());
  const locToken = await loc.token();

  t.test('the auth request carries LOC1 as base64 TE9DMQ==', async (t) => {
    const req = sapAuthRequest(locToken, 'LOC1');
    t.equal(req.subarray(-9).toString('latin1'), '\x08TE9DMQ==', 'length byte 8, then the base64 location');
  });

  t.test('location LOC1 reaches the connector at LOC1 and its echo backend', async (t) => {
    const socket = await viaSocks(t, 'echo.onprem', 7, { s: loc, token: locToken, locationId: 'LOC1' });
    const r = await echoRoundTrip(socket, randomChunks(256 * 1024, 64 * 1024));
    t.equal(r.received, 256 * 1024);
    t.equal(r.receivedSha256, r.sentSha256);
  });

  t.test('location LOC2 is answered REP 03', async (t) => {
    const { reply } = await rawRequest(t, domainRequest('echo.onprem', 7), { locationId: 'LOC2', port: loc.ports.socks5Port, token: locToken });
    t.equal(hex(reply), hex(connectReply(0x03)));
  });

  t.test('no location (the default one, which no connector serves here) is answered REP 03', async (t) => {
    await t.rejects(viaSocks(t, 'echo.onprem', 7, { s: loc, token: locToken }), { message: 'Socks5 proxy rejected connection - NetworkUnreachable' });
  });
});

t.test('a server that speaks first: the SMTP banner arrives before the client sends a byte', async (t) => {
  const socket = await viaSocks(t, 'mail.onprem', 25);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(socket, 'end');
  while (!Buffer.concat(chunks).includes('\r\n')) await once(socket, 'data');
  t.match(Buffer.concat(chunks).toString(), /^220 mail\.onprem\.scc-sim .*scc-sim on-premise mail server/, 'the backend greets first');
  chunks.length = 0;
  socket.write('QUIT\r\n');
  await ended;
  t.match(Buffer.concat(chunks).toString(), /^221 /, 'QUIT is answered 221, and the backend closing its side ends the SOCKS socket');
});

t.test('half-close: end() after writing still brings back every byte, then end', async (t) => {
  const socket = await viaSocks(t, 'echo.onprem', 7);
  const sent = randomBytes(3 * MiB + 17);
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  let endedEarly = false;
  socket.once('end', () => { endedEarly = Buffer.concat(got).length < sent.length; });
  socket.end(sent);
  await once(socket, 'end');
  t.notOk(endedEarly, 'end comes after the last byte');
  t.ok(Buffer.concat(got).equals(sent), 'all bytes come back, in order');
});

t.test('after 200 garbage connections to the SOCKS port a valid client still round-trips', async (t) => {
  const rnd = prng(0x50c55eed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const generators = [
    () => bytes(int(257)),
    () => Buffer.concat([GREETING, bytes(int(257))]),
    () => Buffer.concat([GREETING, Buffer.from([0x01]), bytes(4 + int(253))]),
  ];
  // Every answer a garbage handshake can get before the close: nothing, "no acceptable method",
  // the method choice alone (input ended), or the method choice and the auth failure.
  const allowed = new Set(['', '05ff', '0580', '05800101']);
  const seen = new Map<string, number>();
  const slow: number[] = [];
  async function garbage(i: number): Promise<void> {
    const data = generators[i % generators.length]();
    const started = Date.now();
    const raw = await RawSocket.open(SOCKS);
    raw.socket.end(data);
    const answer = hex(await raw.readToEnd());
    raw.destroy();
    seen.set(answer, (seen.get(answer) ?? 0) + 1);
    if (!allowed.has(answer)) t.fail(`garbage #${i} (${data.toString('hex')}) was answered ${answer}`);
    if (Date.now() - started >= DEFAULT_HANDSHAKE_TIMEOUT_MS) slow.push(i);
  }
  for (let batch = 0; batch < 200; batch += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, k) => garbage(batch + k)));
  }
  t.equal([...seen.values()].reduce((a, b) => a + b, 0), 200, 'all 200 garbage connections were closed by the proxy');
  t.ok([...seen.keys()].every((a) => allowed.has(a)), `only the expected answers: ${JSON.stringify(Object.fromEntries(seen))}`);
  t.ok(seen.has('05800101'), 'some garbage got as far as the auth sub-negotiation');
  t.same(slow, [], 'no garbage connection was left to the handshake timeout');

  const socket = await viaSocks(t, 'echo.onprem', 7);
  const r = await echoRoundTrip(socket, randomChunks(4 * MiB));
  t.equal(r.received, 4 * MiB);
  t.equal(r.receivedSha256, r.sentSha256, 'the valid client round-trips byte for byte');
});
