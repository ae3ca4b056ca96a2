// SOCKS5 clients for the end-to-end tests of the connectivity proxy's SOCKS5 endpoint (SAP method
// 0x80, sap-contract.md §2): the `socks` npm package set up the way the SAP Cloud SDK mail client
// does, the raw messages of each step, and a by-hand socket that reads exact byte counts.
import net from 'node:net';
import { once } from 'node:events';
import { createHash, type Hash } from 'node:crypto';
import { SocksClient } from 'socks';

export const SAP_AUTH_METHOD = 0x80;

/** `01 · uint32BE(len) · jwt · uint8(len) · base64(locationId)`; no location ⇒ a single `00`. */
export function sapAuthRequest(token: string, locationId = ''): Buffer {
  const jwt = Buffer.from(token, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(jwt.length);
  const loc = locationId === '' ? Buffer.alloc(0) : Buffer.from(Buffer.from(locationId, 'utf8').toString('base64'), 'latin1');
  return Buffer.concat([Buffer.from([0x01]), len, jwt, Buffer.from([loc.length]), loc]);
}

/** A request with ATYP 03 (domain): `05 CMD 00 03 len host port`. CMD 01 = CONNECT, 02 = BIND. */
export function domainRequest(host: string, port: number, command = 0x01): Buffer {
  const name = Buffer.from(host, 'latin1');
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([0x05, command, 0x00, 0x03, name.length]), name, p]);
}

/** The reply the proxy sends for every CONNECT outcome: `05 REP 00 01 00000000 0000`. */
export function connectReply(rep: number): Buffer {
  return Buffer.from([0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}

export interface SapSocksOptions {
  proxyPort: number;
  token: string;
  /** '' (default) = the default location: the auth request carries a single 00. */
  locationId?: string;
  host: string;
  port: number;
}

/** A relayed socket from the `socks` package with the SAP method, as the SAP Cloud SDK builds it. */
export async function sapSocksConnect(o: SapSocksOptions): Promise<net.Socket> {
  const { socket } = await SocksClient.createConnection({
    proxy: {
      host: '127.0.0.1', port: o.proxyPort, type: 5,
      custom_auth_method: SAP_AUTH_METHOD,
      custom_auth_request_handler: async () => sapAuthRequest(o.token, o.locationId ?? ''),
      custom_auth_response_size: 2,
      custom_auth_response_handler: async (data: Buffer) => data[1] === 0x00,
    },
    command: 'connect',
    destination: { host: o.host, port: o.port },
    timeout: 10_000,
  });
  return socket;
}

/** A plain TCP client that buffers what arrives and hands it out in exact amounts. */
export class RawSocket {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => { this.buffered = Buffer.concat([this.buffered, c]); this.wake(); });
    socket.on('end', () => { this.ended = true; this.wake(); });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', () => { /* a reset shows up as 'close'; the reads report what arrived */ });
  }

  static async open(port: number): Promise<RawSocket> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawSocket(socket);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Exactly n bytes; rejects if the server closes first (with what did arrive). */
  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n && !this.ended) await this.next();
    if (this.buffered.length < n) {
      throw new Error(`the server closed after ${this.buffered.length} of ${n} bytes: ${this.buffered.toString('hex')}`);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Everything still to come until the server ends the connection. */
  async readToEnd(): Promise<Buffer> {
    while (!this.ended) await this.next();
    const out = this.buffered;
    this.buffered = Buffer.alloc(0);
    return out;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}

export interface RoundTrip {
  sent: number;
  received: number;
  sentSha256: string;
  receivedSha256: string;
}

/**
 * Streams `chunks` into an echoing socket (respecting backpressure), half-closes, and hashes what
 * comes back until the far side ends. Nothing is kept, so large round trips stay cheap.
 */
export async function echoRoundTrip(socket: net.Socket, chunks: Iterable<Buffer>): Promise<RoundTrip> {
  const sentHash: Hash = createHash('sha256');
  const receivedHash: Hash = createHash('sha256');
  let sent = 0;
  let received = 0;
  socket.on('data', (c: Buffer) => { received += c.length; receivedHash.update(c); });
  const ended = once(socket, 'end');
  ended.catch(() => { /* awaited below; this only keeps an early write failure from leaving it unhandled */ });
  for (const chunk of chunks) {
    sentHash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  socket.end();
  await ended;
  return { sent, received, sentSha256: sentHash.digest('hex'), receivedSha256: receivedHash.digest('hex') };
}

/** Deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
