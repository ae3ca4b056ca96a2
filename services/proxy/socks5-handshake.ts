// The SOCKS5 handshake of the connectivity proxy (SAP method 0x80) as a pure, incremental parser.
// Bytes go in as they arrive (split anywhere, or several messages per chunk); typed events come
// out. No I/O here: the server decides what to answer. Byte layout: sap-contract.md §2.1.

export const SOCKS_VERSION = 0x05;
export const SAP_AUTH_METHOD = 0x80;
export const NO_ACCEPTABLE_METHOD = 0xff;
export const AUTH_VERSION = 0x01;
export const COMMAND_CONNECT = 0x01;
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;
/** Largest JWT accepted in the auth sub-negotiation; a larger declared length is refused at once. */
export const MAX_JWT_BYTES = 64 * 1024;

export type HandshakePhase = 'greeting' | 'auth' | 'request';

export type HandshakeEvent =
  | { type: 'greeting'; methods: number[] }
  /** locationId is '' when the client sent none (L = 0). */
  | { type: 'auth'; jwt: string; locationId: string }
  /** Terminal: the auth message was well-formed but unacceptable (empty token, bad location). */
  | { type: 'auth-failure'; reason: string }
  /** Terminal: `rest` holds bytes after the request; they belong to the relayed stream. */
  | { type: 'request'; command: number; host: string; port: number; rest: Buffer }
  /** Terminal: ATYP other than IPv4 / domain (IPv6 included); the address bytes are not awaited. */
  | { type: 'address-unsupported'; command: number; addressType: number }
  /** Terminal: malformed or oversized input; `phase` tells which reply fits. */
  | { type: 'protocol-error'; phase: HandshakePhase; reason: string };

type Step = { event: HandshakeEvent; consumed: number } | undefined;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a base64 location ID strictly: standard alphabet, padding, canonical, valid UTF-8. */
export function decodeLocationId(encoded: string): { ok: true; locationId: string } | { ok: false; reason: string } {
  if (!BASE64.test(encoded)) return { ok: false, reason: 'location ID is not standard padded base64' };
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded) return { ok: false, reason: 'location ID base64 is not canonical' };
  try {
    return { ok: true, locationId: utf8.decode(bytes) };
  } catch {
    return { ok: false, reason: 'location ID is not valid UTF-8' };
  }
}

/** Consumes handshake bytes; `push` returns every event completed by the new chunk. */
export class Socks5Handshake {
  private chunks: Buffer[] = [];
  private size = 0;
  private phase: HandshakePhase | 'done' = 'greeting';

  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Feeds bytes; after a terminal event further input is ignored (the caller stops reading). */
  push(chunk: Buffer): HandshakeEvent[] {
    if (this.phase === 'done') return [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const events: HandshakeEvent[] = [];
    for (;;) {
      const step = this.step();
      if (!step) return events;
      this.consume(step.consumed);
      events.push(step.event);
      if (step.event.type === 'greeting') this.phase = 'auth';
      else if (step.event.type === 'auth') this.phase = 'request';
      else {
        if (step.event.type === 'request') step.event.rest = this.take();
        this.phase = 'done';
        this.chunks = [];
        this.size = 0;
        return events;
      }
    }
  }

  private step(): Step {
    if (this.phase === 'greeting') return this.greeting();
    if (this.phase === 'auth') return this.auth();
    if (this.phase === 'request') return this.request();
    return undefined;
  }

  private greeting(): Step {
    const head = this.peek(2);
    if (!head) return undefined;
    if (head[0] !== SOCKS_VERSION) return fail('greeting', `unsupported SOCKS version ${head[0]}`);
    const b = this.peek(2 + head[1]);
    if (!b) return undefined;
    return { event: { type: 'greeting', methods: [...b.subarray(2, 2 + head[1])] }, consumed: b.length };
  }

  private auth(): Step {
    const version = this.peek(1);
    if (!version) return undefined;
    if (version[0] !== AUTH_VERSION) return fail('auth', `unsupported auth sub-negotiation version ${version[0]}`);
    const head = this.peek(5);
    if (!head) return undefined;
    const jwtLength = head.readUInt32BE(1);
    if (jwtLength > MAX_JWT_BYTES) return fail('auth', `declared token length ${jwtLength} exceeds ${MAX_JWT_BYTES}`);
    if (jwtLength === 0) return { event: { type: 'auth-failure', reason: 'empty token' }, consumed: 5 };
    const withL = this.peek(5 + jwtLength + 1);
    if (!withL) return undefined;
    const locLength = withL[5 + jwtLength];
    const b = this.peek(6 + jwtLength + locLength);
    if (!b) return undefined;
    const consumed = b.length;
    const jwt = b.toString('latin1', 5, 5 + jwtLength);
    if (locLength === 0) return { event: { type: 'auth', jwt, locationId: '' }, consumed };
    const decoded = decodeLocationId(b.toString('latin1', 6 + jwtLength));
    if (!decoded.ok) return { event: { type: 'auth-failure', reason: decoded.reason }, consumed };
    return { event: { type: 'auth', jwt, locationId: decoded.locationId }, consumed };
  }

  private request(): Step {
    const head = this.peek(4);
    if (!head) return undefined;
    if (head[0] !== SOCKS_VERSION) return fail('request', `unsupported SOCKS version ${head[0]} in request`);
    if (head[2] !== 0x00) return fail('request', 'reserved byte of the request is not 0');
    const command = head[1];
    const addressType = head[3];
    if (addressType === ATYP_IPV4) {
      const b = this.peek(10);
      if (!b) return undefined;
      return done(command, `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, b.readUInt16BE(8), 10);
    }
    if (addressType !== ATYP_DOMAIN) return { event: { type: 'address-unsupported', command, addressType }, consumed: 4 };
    const withLen = this.peek(5);
    if (!withLen) return undefined;
    const nameLength = withLen[4];
    if (nameLength === 0) return fail('request', 'empty domain name');
    const b = this.peek(5 + nameLength + 2);
    if (!b) return undefined;
    const name = b.subarray(5, 5 + nameLength);
    if (name.some((c) => c < 0x21 || c > 0x7e)) return fail('request', 'domain name contains non-printable or non-ASCII bytes');
    return done(command, name.toString('latin1'), b.readUInt16BE(5 + nameLength), b.length);
  }

  /** The first n pending bytes as one buffer, or undefined if fewer have arrived. */
  private peek(n: number): Buffer | undefined {
    if (this.size < n) return undefined;
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0].subarray(0, n);
  }

  private consume(n: number): void {
    this.size -= n;
    while (n > 0) {
      const first = this.chunks[0];
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  private take(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }
}

function fail(phase: HandshakePhase, reason: string): Step {
  return { event: { type: 'protocol-error', phase, reason }, consumed: 0 };
}

function done(command: number, host: string, port: number, consumed: number): Step {
  return { event: { type: 'request', command, host, port, rest: Buffer.alloc(0) }, consumed };
}

/** Server's method choice: `05 80` or `05 FF`. */
export function methodChoice(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/** Auth sub-negotiation reply: `01 00` on success, `01 01` on failure. */
export function authReply(ok: boolean): Buffer {
  return Buffer.from([AUTH_VERSION, ok ? 0x00 : 0x01]);
}

/** CONNECT reply with an IPv4 0.0.0.0:0 bound address: `05 REP 00 01 00 00 00 00 00 00`. */
export function connectReply(rep: number): Buffer {
  return Buffer.from([SOCKS_VERSION, rep, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}
