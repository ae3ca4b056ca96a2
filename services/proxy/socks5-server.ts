// The SOCKS5 endpoint of the connectivity proxy: greeting → SAP auth (method 0x80) → CONNECT →
// relay. The parser decides what the bytes mean; this file only answers and moves bytes.
// Returns a net.Server that is not listening; the caller listens and closes.
import net from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { silentLogger } from '../shared/logger.js';
import type { TrafficFeed, TrafficVerdict } from './traffic-feed.js';
import {
  Socks5Handshake, methodChoice, authReply, connectReply,
  SAP_AUTH_METHOD, NO_ACCEPTABLE_METHOD, COMMAND_CONNECT, type HandshakeEvent,
} from './socks5-handshake.js';

/** SOCKS5 REP codes as the connectivity proxy uses them (sap-contract.md §2.2). */
export const REP = {
  SUCCESS: 0x00,
  FAILURE: 0x01,
  FORBIDDEN: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  COMMAND_UNSUPPORTED: 0x07,
  ADDRESS_UNSUPPORTED: 0x08,
} as const;
export type RepCode = (typeof REP)[keyof typeof REP];

export type AuthResult = { ok: true; subaccount: string } | { ok: false; reason: string };
export interface ConnectContext { subaccount: string; locationId: string; host: string; port: number }
/** `connector`, `rule`, `status` and `verdict` are for the live traffic (traffic-feed.ts). */
export type ConnectResult =
  | { ok: true; stream: Duplex; connector?: string; rule?: string }
  | { ok: false; rep: number; reason: string; connector?: string; status?: number; verdict?: TrafficVerdict };

export interface Socks5ServerOptions {
  authenticate(jwt: string): AuthResult | Promise<AuthResult>;
  connect(ctx: ConnectContext): Promise<ConnectResult>;
  logger?: Logger;
  /** Time allowed from accept until the relay starts (auth and connect included). Default 10000. */
  handshakeTimeoutMs?: number;
  /** Where every CONNECT (relayed or refused) is recorded for the cockpit's live traffic. */
  traffic?: TrafficFeed;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export function createSocks5Server(opts: Socks5ServerOptions): net.Server {
  if (typeof opts.authenticate !== 'function') throw new TypeError('createSocks5Server: authenticate must be a function');
  if (typeof opts.connect !== 'function') throw new TypeError('createSocks5Server: connect must be a function');
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`createSocks5Server: handshakeTimeoutMs must be a positive number, got ${timeoutMs}`);
  }
  const log = opts.logger ?? silentLogger();
  return net.createServer({ allowHalfOpen: true }, (socket) => serve(socket, opts, timeoutMs, log));
}

type State = 'handshake' | 'closing' | 'relaying' | 'closed';
interface Outcome { verdict: TrafficVerdict; status: number; connector?: string; locationId?: string }

function serve(socket: net.Socket, opts: Socks5ServerOptions, timeoutMs: number, baseLog: Logger): void {
  const log = baseLog.child({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  const parser = new Socks5Handshake();
  let state: State = 'handshake';
  let awaitingConnect = false;
  let subaccount = '';
  let locationId = '';
  let queue = Promise.resolve();
  const started = performance.now();
  let greeted = false;
  let target: { host: string; port: number } | undefined;
  const timer = setTimeout(onTimeout, timeoutMs);

  socket.on('error', (err) => log.debug({ err }, 'socks5 client socket error'));
  const onClose = () => {
    state = 'closed';
    clearTimeout(timer);
  };
  socket.on('close', onClose);
  socket.on('end', () => {
    // The client stopped sending before a complete request: nothing more can happen.
    // Queued, so that replies to messages that did arrive are still sent first.
    if (state === 'handshake' && !parser.finished) enqueue(async () => refuse(undefined, 'client ended during the handshake'));
  });
  socket.on('data', onData);

  function onData(chunk: Buffer): void {
    if (state !== 'handshake') return;
    const events = parser.push(chunk);
    if (parser.finished) socket.pause(); // later bytes stay in the socket for the relay
    for (const event of events) enqueue(() => handle(event));
  }

  /** Runs handshake steps one after another, even when authenticate/connect are async. */
  function enqueue(step: () => Promise<void>): void {
    queue = queue.then(step).catch((err: unknown) => {
      log.error({ err }, 'socks5 handshake step failed');
      socket.destroy();
    });
  }

  async function handle(event: HandshakeEvent): Promise<void> {
    if (state !== 'handshake') return;
    switch (event.type) {
      case 'greeting':
        greeted = true;
        if (event.methods.includes(SAP_AUTH_METHOD)) socket.write(methodChoice(SAP_AUTH_METHOD));
        else refuse(methodChoice(NO_ACCEPTABLE_METHOD), 'client offers no SAP authentication method 0x80', { methods: event.methods });
        return;
      case 'auth':
        return onAuth(event.jwt, event.locationId);
      case 'auth-failure':
        return refuse(authReply(false), event.reason);
      case 'protocol-error': {
        const reply = event.phase === 'greeting' ? methodChoice(NO_ACCEPTABLE_METHOD)
          : event.phase === 'auth' ? authReply(false) : connectReply(REP.FAILURE);
        return refuse(reply, `malformed ${event.phase}: ${event.reason}`);
      }
      case 'address-unsupported':
        if (event.command !== COMMAND_CONNECT) return refuse(connectReply(REP.COMMAND_UNSUPPORTED), `command ${event.command} is not supported`);
        return refuse(connectReply(REP.ADDRESS_UNSUPPORTED), `address type ${event.addressType} is not supported`);
      case 'request':
        if (event.command !== COMMAND_CONNECT) return refuse(connectReply(REP.COMMAND_UNSUPPORTED), `command ${event.command} is not supported`);
        return onConnect(event.host, event.port, event.rest);
    }
  }

  async function onAuth(jwt: string, location: string): Promise<void> {
    let result: AuthResult;
    try {
      result = await opts.authenticate(jwt);
    } catch (err) {
      log.warn({ err }, 'socks5 authenticate threw');
      result = { ok: false, reason: 'authentication error' };
    }
    if (state !== 'handshake') return;
    if (!result.ok) return refuse(authReply(false), result.reason, { locationId: location }, { verdict: 'token-refused', status: 407, locationId: location });
    subaccount = result.subaccount;
    locationId = location;
    socket.write(authReply(true));
  }

  async function onConnect(host: string, port: number, rest: Buffer): Promise<void> {
    const ctx: ConnectContext = { subaccount, locationId, host, port };
    target = { host, port };
    let result: ConnectResult;
    awaitingConnect = true;
    try {
      result = await opts.connect(ctx);
    } catch (err) {
      log.warn({ err, ...ctx }, 'socks5 connect threw');
      result = { ok: false, rep: REP.FAILURE, reason: 'connect error' };
    }
    awaitingConnect = false;
    if (state !== 'handshake') {
      if (result.ok) result.stream.destroy();
      return;
    }
    if (!result.ok) {
      const rep = result.rep >= 1 && result.rep <= 0xff ? result.rep : REP.FAILURE;
      const noConnector = rep === REP.NETWORK_UNREACHABLE;
      return refuse(connectReply(rep), result.reason, { ...ctx, rep }, {
        verdict: result.verdict ?? (noConnector ? 'no-connector' : 'failed'), status: result.status ?? (noConnector ? 503 : 502), connector: result.connector,
      });
    }
    record({ verdict: 'allowed', status: 200, connector: result.connector }, result.rule ?? '');
    relay(result.stream, rest, ctx);
  }

  function relay(stream: Duplex, rest: Buffer, ctx: ConnectContext): void {
    state = 'relaying';
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose); // the relay owns the socket now (and adds its own listeners)
    socket.setNoDelay(true);
    log.info(ctx, 'socks5 connection established');
    socket.write(connectReply(REP.SUCCESS));
    if (rest.length > 0) stream.write(rest);
    // client → target → client in one pipeline: an end is passed on as end() (half-close, the
    // other direction keeps flowing); an error in either direction destroys both.
    pipeline(socket, stream, socket, (err) => {
      if (err) log.debug({ err, ...ctx }, 'socks5 relay ended with error');
      else log.debug(ctx, 'socks5 relay finished');
    });
  }

  /** Sends the failure reply (if any), stops the handshake, and lets the socket close. */
  function refuse(reply: Buffer | undefined, reason: string, fields: Record<string, unknown> = {}, outcome?: Outcome): void {
    if (state !== 'handshake') return;
    state = 'closing';
    if (greeted) record(outcome ?? { verdict: 'refused', status: 400 }, reason);
    log.info({ ...fields, reason }, 'socks5 handshake refused');
    // Keep reading (and discarding) so the peer's FIN is seen and unread data causes no RST.
    socket.resume();
    if (reply) socket.end(reply);
    else socket.end();
  }

  function record(o: Outcome, rule: string): void {
    if (opts.traffic === undefined) return;
    const durationMs = performance.now() - started;
    opts.traffic.record({
      time: Date.now() - durationMs, protocol: 'TCP', method: 'CONNECT',
      subaccount: subaccount || undefined, locationId: o.locationId ?? locationId, connector: o.connector,
      virtualHost: target?.host, virtualPort: target?.port, verdict: o.verdict, rule, status: o.status, durationMs,
    });
  }

  function onTimeout(): void {
    if (state === 'closed' || state === 'relaying') return;
    log.info({ state, awaitingConnect }, 'socks5 handshake timed out');
    if (state === 'handshake' && awaitingConnect) {
      state = 'closing';
      record({ verdict: 'failed', status: 504 }, `no answer to the CONNECT within ${timeoutMs} ms`);
      socket.end(connectReply(REP.HOST_UNREACHABLE), () => socket.destroy());
      return;
    }
    state = 'closing';
    socket.destroy();
  }
}
