// The connector's side of one subaccount's tunnel: dial OUT to the proxy, ask for the upgrade
// with the subaccount credentials and location ID, then serve HTTP/2 on that socket. When the
// socket is lost it dials again with capped exponential backoff, and says so in its log.
//
// The admin API switches it: disconnect() half-closes the socket (FIN) and waits until the PROXY
// closes it — the proxy drops the tunnel from its registry before it does — so once disconnect()
// has resolved, the proxy answers 503 for the subaccount and location. connect() resolves when
// the first attempt is decided: the proxy registered the tunnel (before it answered 101), or
// refused it.
import http from 'node:http';
import net from 'node:net';
import http2 from 'node:http2';
import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/logger.js';
import { TunnelLiveness, type TunnelLivenessSettings } from '../shared/tunnel-liveness.js';
import {
  CARRIER_DIAL_PATH, CARRIER_TICKET_HEADER, CARRIER_UPGRADE, TUNNEL_PATH, TUNNEL_SESSION_OPTIONS, TUNNEL_SESSION_WINDOW,
} from '../shared/tunnel-protocol.js';
import { CarrierReads } from './carrier-reads.js';
import { serveCarrierReads, type TunnelRequest, type TunnelResponse } from './carrier-server.js';
import { backoffDelay, upgradeHeaders, type Backoff, type SccTunnelState, type TunnelIdentity } from './tunnel-identity.js';

export { sameIdentity, type Backoff, type SccTunnelState, type TunnelIdentity } from './tunnel-identity.js';

export type TunnelState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface TunnelClientOptions {
  identity: TunnelIdentity;
  backoff: Backoff;
  logger: Logger;
  /** A request from the proxy, on a carrier (the proxy's pool, tunnel-pool.ts; carrier-server.ts here). */
  onRequest: (req: TunnelRequest, res: TunnelResponse) => void;
  onConnect?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** PING and SETTINGS deadlines for the proxy's end (tunnel-liveness.ts); without, none. */
  liveness?: TunnelLivenessSettings;
}

/** How long disconnect() waits for the proxy to close the socket before closing it itself. */
const DISCONNECT_WAIT_MS = 3_000;
/** How long connect() waits for the first attempt. */
const CONNECT_WAIT_MS = 5_000;

export class TunnelClient extends EventEmitter {
  state: TunnelState = 'disconnected';
  /** When the tunnel came up (epoch ms); 0 while it is not. */
  connectedSince = 0;
  /** Why the last attempt failed, if it did. */
  lastError: string | undefined;
  identity: TunnelIdentity;
  backoff: Backoff;
  readonly #log: Logger;
  readonly #h2: http2.Http2Server;
  readonly #liveness: TunnelLivenessSettings | undefined;
  readonly #onRequest: TunnelClientOptions['onRequest'];
  #wanted = false;
  #failed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #socket: Socket | undefined;
  #pending: http.ClientRequest | undefined;
  /** The carriers dialled for the current tunnel connection: they end with it. */
  readonly #carriers = new Set<Socket>();

  constructor(opts: TunnelClientOptions) {
    super();
    this.identity = opts.identity;
    this.backoff = opts.backoff;
    this.#log = opts.logger.child({ component: 'tunnel-client', connector: opts.identity.connectorName });
    this.#liveness = opts.liveness;
    // Requests come on carriers only (below). On the tunnel session the proxy asks for carriers;
    // any other plain HTTP/2 request is refused.
    this.#h2 = http2.createServer(TUNNEL_SESSION_OPTIONS, (req, res) => {
      const ticket = req.headers[CARRIER_TICKET_HEADER];
      if (req.method === 'POST' && req.url === CARRIER_DIAL_PATH && typeof ticket === 'string') return this.#dialCarrier(ticket, res);
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('requests travel on the tunnel\'s carriers\n');
    });
    // Carriers (#dialCarrier) live as long as the tunnel: no deadline here (the proxy's listener
    // has its own, the mappings' timeoutMs rule the backend side); idle ones are closed by the proxy.
    this.#onRequest = opts.onRequest;
    // CONNECT streams (TCP over the tunnel: SOCKS5, WebSocket upgrades) arrive as 'connect', not as requests.
    this.#h2.on('connect', (req: http2.Http2ServerRequest) => {
      if (opts.onConnect) opts.onConnect(req.stream, req.headers);
      else req.stream.respond({ ':status': 405 }, { endStream: true });
    });
    this.#h2.on('session', (session) => {
      session.on('connect', () => session.setLocalWindowSize(TUNNEL_SESSION_WINDOW));
      session.on('error', (err) => this.#log.warn({ err }, 'tunnel session error'));
      // A proxy that stops answering ends the tunnel (and this connector dials again).
      if (opts.liveness) new TunnelLiveness(session, opts.liveness, (reason) => { this.#log.warn({ reason }, 'the proxy stopped answering'); session.destroy(); });
    });
  }

  /** Whether the tunnel should be up (started and not disconnected). */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** The state the admin API shows. */
  get sccState(): SccTunnelState {
    if (this.state === 'connected') return 'Connected';
    return this.#wanted && this.#failed ? 'ConnectFailure' : 'Disconnected';
  }

  start(): void {
    if (this.state === 'closed') return;
    this.#wanted = true;
    if (this.state !== 'connected' && this.#pending === undefined) this.#dial();
  }

  /** Resolves once the tunnel is up (or rejects when the client is closed first). */
  waitConnected(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onState = (s: TunnelState) => {
        if (s === 'connected') { this.off('state', onState); resolve(); }
        if (s === 'closed') { this.off('state', onState); reject(new Error('connector closed before the tunnel was up')); }
      };
      this.on('state', onState);
    });
  }

  /** Dials now (also after a disconnect) and resolves when that attempt is decided, or after CONNECT_WAIT_MS. */
  async connect(): Promise<void> {
    if (this.state === 'closed' || this.state === 'connected') return;
    const decided = waitFor(this, 'attempt', CONNECT_WAIT_MS);
    clearTimeout(this.#timer);
    this.#attempt = 0;
    this.#wanted = true;
    if (this.#pending === undefined) this.#dial();
    await decided;
  }

  /** Closes the tunnel and stays disconnected until connect(); see the file comment for the order. */
  async disconnect(): Promise<void> {
    this.#wanted = false;
    this.#failed = false;
    clearTimeout(this.#timer);
    this.#pending?.destroy();
    this.#pending = undefined;
    const socket = this.#socket;
    if (socket !== undefined && !socket.destroyed) {
      const closed = waitFor(socket, 'close', DISCONNECT_WAIT_MS);
      // FIN, not GOAWAY: after sending GOAWAY, Node's HTTP/2 session stops reading the socket and
      // would never see the proxy close it. On FIN the proxy drops the tunnel, then closes.
      socket.end();
      await closed;
      socket.destroy();
    }
    if (this.state !== 'closed') this.#setState('disconnected');
  }

  #setState(s: TunnelState): void {
    this.state = s;
    this.connectedSince = s === 'connected' ? Date.now() : 0;
    this.emit('state', s);
  }

  #dial(): void {
    const id = this.identity;
    const ctx = { subaccount: id.subaccount, locationId: id.locationID, tunnel: `${id.host}:${id.port}` };
    this.#setState('connecting');
    const req = http.request({
      host: id.host, port: id.port, path: TUNNEL_PATH, method: 'GET', agent: false, headers: upgradeHeaders(id),
    });
    this.#pending = req;
    // A proxy that takes the connection and never answers the Upgrade must not keep this dial
    // pending for ever. Before it answers, the proxy may PING the connector registered for this
    // location (this one takes over when that one fails it), which takes up to tunnelPingTimeoutMs;
    // then the same deadline as for its SETTINGS after the 101 (tunnelSettingsTimeoutMs). With only
    // the latter, a replacement gave up at the moment the proxy let it in, and dialled again later.
    const answerMs = this.#liveness === undefined ? undefined : this.#liveness.tunnelPingTimeoutMs + this.#liveness.tunnelSettingsTimeoutMs;
    const deadline = answerMs === undefined ? undefined : setTimeout(() => {
      this.#failedAttempt(req, `the proxy did not answer the tunnel upgrade within ${answerMs} ms`, ctx);
      req.destroy();
    }, answerMs);
    req.once('close', () => clearTimeout(deadline));
    req.on('upgrade', (_res, socket, head) => {
      clearTimeout(deadline);
      if (this.#pending !== req) return void socket.destroy(); // disconnected meanwhile
      this.#pending = undefined;
      this.#attempt = 0;
      this.#failed = false;
      this.lastError = undefined;
      this.#socket = socket;
      socket.once('close', () => {
        for (const c of this.#carriers) c.destroy();
        this.#lost('the tunnel connection closed', ctx, socket);
      });
      this.#adopt(socket, head, 'tunnel socket error');
      this.#h2.emit('connection', socket);
      this.#log.info(ctx, 'tunnel established: connected to the cloud');
      this.#setState('connected');
      this.emit('attempt', true);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 2000) body += c; });
      res.on('end', () => this.#failedAttempt(req, `the proxy refused the tunnel: ${res.statusCode} ${body.trim()}`, ctx));
      res.on('error', () => this.#failedAttempt(req, `the proxy refused the tunnel: ${res.statusCode}`, ctx));
    });
    req.on('error', (err) => this.#failedAttempt(req, `cannot reach the proxy tunnel endpoint (${(err as NodeJS.ErrnoException).code ?? err.message})`, ctx));
    req.end();
  }

  /**
   * The proxy asked for a carrier with `ticket`: dial the tunnel endpoint again, present it, and
   * serve the proxy's requests on the connection (carrier-server.ts). The answer on the tunnel says how the dial went (204: the
   * proxy took it). Only the tunnel endpoint this connector is configured for is ever dialled.
   */
  #dialCarrier(ticket: string, res: http2.Http2ServerResponse): void {
    const tunnel = this.#socket;
    const id = this.identity;
    const answer = (status: number, why?: string) => {
      if (res.headersSent || res.stream.destroyed) return;
      if (why !== undefined) this.#log.warn({ reason: why }, 'could not dial a tunnel carrier');
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      if (why === undefined) res.end(); else res.end(`${why}\n`);
    };
    if (tunnel === undefined || tunnel.destroyed) return answer(503, 'the tunnel is closing');
    // Its reads bypass the socket's stream (carrier-reads.ts); until the proxy switched protocols
    // they go where Node's HTTP client reads its answer, the socket's 'data' event.
    const reads = new CarrierReads();
    let route = (chunk: Buffer) => { carrier.emit('data', chunk); };
    const carrier = net.connect({
      host: id.host, port: id.port,
      onread: { buffer: reads.next, callback: (n, into) => { route(reads.took(n, into)); return true; } },
    });
    const req = http.request({
      host: id.host, port: id.port, path: TUNNEL_PATH, method: 'GET', createConnection: () => carrier,
      headers: { connection: 'Upgrade', upgrade: CARRIER_UPGRADE, [CARRIER_TICKET_HEADER]: ticket },
    });
    req.setTimeout(CONNECT_WAIT_MS, () => { answer(504, `the proxy did not answer the carrier dial within ${CONNECT_WAIT_MS} ms`); req.destroy(); });
    req.on('upgrade', (_res, socket, head) => {
      req.setTimeout(0);
      if (this.#socket !== tunnel || tunnel.destroyed) return void socket.destroy(); // that tunnel is gone
      this.#carriers.add(socket);
      socket.once('close', () => this.#carriers.delete(socket));
      this.#adopt(socket); // its errors: carrier-server.ts
      route = serveCarrierReads(socket, this.#onRequest, this.#log);
      if (head.length > 0) route(head); // read past the 101: a slice of a read of ours, as any chunk
      answer(204);
    });
    req.on('response', (r) => {
      r.resume();
      answer(502, `the proxy refused the carrier: ${r.statusCode}`);
    });
    req.on('error', (err) => answer(502, `cannot reach the proxy tunnel endpoint (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    req.end();
  }

  /** A connection the proxy switched to our protocol: no Nagle, TCP keep-alive, the bytes read past the 101 (if it has a stream to put them back in) put back, and a FIN from the proxy ends it. */
  #adopt(socket: Socket, head?: Buffer, errorMessage?: string): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    if (head !== undefined && head.length > 0) socket.unshift(head);
    socket.once('end', () => socket.destroy());
    if (errorMessage !== undefined) socket.on('error', (err) => this.#log.debug({ err }, errorMessage));
  }

  #failedAttempt(req: http.ClientRequest, why: string, ctx: Record<string, unknown>): void {
    if (this.#pending !== req) return; // a disconnect cancelled it, or it was decided already
    this.#pending = undefined;
    this.#failed = true;
    this.lastError = why;
    this.#retry(why, ctx);
    this.emit('attempt', false);
  }

  #lost(why: string, ctx: Record<string, unknown>, socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    if (!this.#wanted || this.state === 'closed') return;
    this.#failed = true;
    this.lastError = why;
    this.#retry(why, ctx);
  }

  #retry(why: string, ctx: Record<string, unknown>): void {
    if (!this.#wanted || this.state === 'closed') return;
    const delay = backoffDelay(this.backoff, this.#attempt);
    this.#attempt += 1;
    this.#setState('disconnected');
    this.#log.warn({ ...ctx, attempt: this.#attempt, retryInMs: delay }, `${why}; reconnecting in ${delay} ms`);
    this.#timer = setTimeout(() => this.#dial(), delay);
  }

  /** Closes the tunnel for good: no reconnect. */
  async close(): Promise<void> {
    this.#wanted = false;
    this.#setState('closed');
    clearTimeout(this.#timer);
    this.#pending?.destroy();
    this.#pending = undefined;
    this.#socket?.destroy();
    for (const c of this.#carriers) c.destroy();
    await new Promise<void>((resolve) => this.#h2.close(() => resolve()));
  }
}

/** Resolves on the emitter's next `event`, or after `ms` (whichever is first). */
function waitFor(emitter: EventEmitter, event: string, ms: number): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  return once(emitter, event, { signal: ac.signal }).then(() => undefined, () => undefined).finally(() => clearTimeout(timer));
}
