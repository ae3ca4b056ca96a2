import t from 'tap';
import {
  Socks5Handshake, methodChoice, authReply, connectReply, MAX_JWT_BYTES, type HandshakeEvent,
} from '../services/proxy/socks5-handshake.js';

const b = (...bytes: number[]) => Buffer.from(bytes);
const greeting = (...methods: number[]) => b(5, methods.length, ...methods);
function auth(jwt: string | Buffer, location?: string): Buffer {
  const token = typeof jwt === 'string' ? Buffer.from(jwt, 'latin1') : jwt;
  const loc = Buffer.from(location === undefined ? '' : location, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(token.length);
  return Buffer.concat([b(1), len, token, b(loc.length), loc]);
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
function request(host: string, port: number, cmd = 1): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return Buffer.concat([b(5, cmd, 0, 3, Buffer.byteLength(host, 'latin1')), Buffer.from(host, 'latin1'), p]);
}
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
const valid = Buffer.concat([greeting(0x00, 0x80), auth(JWT, b64('loc-1')), request('echo.virtual', 7)]);
const expected: HandshakeEvent[] = [
  { type: 'greeting', methods: [0x00, 0x80] },
  { type: 'auth', jwt: JWT, locationId: 'loc-1' },
  { type: 'request', command: 1, host: 'echo.virtual', port: 7, rest: Buffer.alloc(0) },
];

function feed(chunks: Buffer[]): HandshakeEvent[] {
  const parser = new Socks5Handshake();
  return chunks.flatMap((c) => parser.push(c));
}

t.test('parses a whole handshake fed byte by byte, each event at its last byte', async (t) => {
  const parser = new Socks5Handshake();
  const seen: Array<[number, string]> = [];
  for (let i = 0; i < valid.length; i++) {
    for (const e of parser.push(valid.subarray(i, i + 1))) seen.push([i, e.type]);
  }
  const greetingEnd = 3, authEnd = greetingEnd + auth(JWT, b64('loc-1')).length;
  t.same(seen, [[greetingEnd, 'greeting'], [authEnd, 'auth'], [valid.length - 1, 'request']]);
  t.ok(parser.finished);
});

t.test('parses the same events whatever the split point of two chunks', async (t) => {
  for (let cut = 0; cut <= valid.length; cut++) {
    t.same(feed([valid.subarray(0, cut), valid.subarray(cut)]), expected, `cut at ${cut}`);
  }
});

t.test('returns the bytes after the request when everything arrives in one chunk', async (t) => {
  const events = feed([Buffer.concat([valid, Buffer.from('HELO mail\r\n')])]);
  t.same(events.slice(0, 2), expected.slice(0, 2));
  t.match(events[2], { type: 'request', host: 'echo.virtual', port: 7 });
  t.equal((events[2] as { rest: Buffer }).rest.toString(), 'HELO mail\r\n');
});

t.test('ignores input after a terminal event', async (t) => {
  const parser = new Socks5Handshake();
  parser.push(valid);
  t.same(parser.push(greeting(0x80)), []);
});

const last = (chunks: Buffer[]) => feed(chunks).at(-1);
const cases: Array<[string, Buffer[], Partial<HandshakeEvent> | undefined]> = [
  ['accepts a location of L = 0 as no location', [greeting(0x80), auth(JWT)], { type: 'auth', jwt: JWT, locationId: '' }],
  ['decodes a UTF-8 location ID', [greeting(0x80), auth(JWT, b64('münchen'))], { type: 'auth', locationId: 'münchen' }],
  ['accepts a token of exactly 64 KiB', [greeting(0x80), auth('a'.repeat(MAX_JWT_BYTES))], { type: 'auth', locationId: '' }],
  ['reports an IPv4 destination as dotted quad', [greeting(0x80), auth(JWT), b(5, 1, 0, 1, 10, 0, 0, 1, 0x1f, 0x90)],
    { type: 'request', command: 1, host: '10.0.0.1', port: 8080 }],
  ['accepts a 255-byte domain name', [greeting(0x80), auth(JWT), request('h'.repeat(255), 1)], { type: 'request', host: 'h'.repeat(255) }],
  ['reports the command byte of a BIND request', [greeting(0x80), auth(JWT), request('x', 1, 2)], { type: 'request', command: 2 }],
  ['reports a greeting with no methods as an empty list', [greeting()], { type: 'greeting', methods: [] }],
  ['rejects a SOCKS4 greeting', [b(4, 1, 0)], { type: 'protocol-error', phase: 'greeting' }],
  ['rejects an auth sub-negotiation of version 2', [greeting(0x80), b(2)], { type: 'protocol-error', phase: 'auth' }],
  ['rejects a declared token of 64 KiB + 1 without waiting for it', [greeting(0x80), b(1, 0, 1, 0, 1)], { type: 'protocol-error', phase: 'auth' }],
  ['rejects a declared token of 4 GiB without waiting for it', [greeting(0x80), b(1, 0xff, 0xff, 0xff, 0xff)], { type: 'protocol-error', phase: 'auth' }],
  ['fails auth for an empty token', [greeting(0x80), b(1, 0, 0, 0, 0)], { type: 'auth-failure', reason: 'empty token' }],
  ['fails auth for a location in the URL-safe alphabet', [greeting(0x80), auth(JWT, 'a-b_')], { type: 'auth-failure' }],
  ['fails auth for a location without padding', [greeting(0x80), auth(JWT, 'YQ')], { type: 'auth-failure' }],
  ['fails auth for non-canonical base64', [greeting(0x80), auth(JWT, 'YR==')], { type: 'auth-failure' }],
  ['fails auth for a location that is not UTF-8', [greeting(0x80), auth(JWT, '/w==')], { type: 'auth-failure' }],
  ['fails auth for base64 with whitespace', [greeting(0x80), auth(JWT, 'YW Jj')], { type: 'auth-failure' }],
  ['rejects a request of SOCKS version 4', [greeting(0x80), auth(JWT), b(4, 1, 0, 3)], { type: 'protocol-error', phase: 'request' }],
  ['rejects a request with a non-zero reserved byte', [greeting(0x80), auth(JWT), b(5, 1, 1, 3)], { type: 'protocol-error', phase: 'request' }],
  ['rejects an empty domain name', [greeting(0x80), auth(JWT), b(5, 1, 0, 3, 0)], { type: 'protocol-error', phase: 'request' }],
  ['rejects a domain name with control bytes', [greeting(0x80), auth(JWT), request('a\nb', 7)], { type: 'protocol-error', phase: 'request' }],
  ['reports IPv6 as unsupported without waiting for the address', [greeting(0x80), auth(JWT), b(5, 1, 0, 4)],
    { type: 'address-unsupported', command: 1, addressType: 4 }],
  ['reports an unknown address type as unsupported', [greeting(0x80), auth(JWT), b(5, 1, 0, 9)], { type: 'address-unsupported', addressType: 9 }],
  ['waits on a truncated greeting', [b(5, 2, 0x80)], undefined],
  ['waits on a token shorter than declared', [greeting(0x80), b(1, 0, 0, 0, 9, 0x41)], { type: 'greeting' }],
  ['waits on a location shorter than declared', [greeting(0x80), auth(JWT).subarray(0, -1), b(8, 0x59)], { type: 'greeting' }],
  ['waits on a truncated IPv4 request', [greeting(0x80), auth(JWT), b(5, 1, 0, 1, 127, 0, 0)], { type: 'auth' }],
  ['waits on a truncated domain request', [greeting(0x80), auth(JWT), request('echo', 7).subarray(0, -1)], { type: 'auth' }],
];
for (const [name, chunks, want] of cases) {
  t.test(name, async (t) => {
    const got = last(chunks);
    if (want === undefined) t.equal(got, undefined);
    else t.match(got, want);
  });
}

t.test('encodes the replies', async (t) => {
  t.same([...methodChoice(0x80)], [0x05, 0x80]);
  t.same([...methodChoice(0xff)], [0x05, 0xff]);
  t.same([...authReply(true)], [0x01, 0x00]);
  t.same([...authReply(false)], [0x01, 0x01]);
  t.same([...connectReply(2)], [0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
});
