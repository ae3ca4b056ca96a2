// The connector's side of the tunnel: dial OUT to the proxy, ask for the upgrade with the
// subaccount credentials and location ID, then serve HTTP/2 on that socket. When the socket is
// lost it dials again with capped exponential backoff, and says so in its log.
import http from 'node:http';
import http2 from 'node:http2';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ConnectorConfig } from '../shared/config-schema.js';
import type { Logger } from '../shared/logger.js';
import { TunnelLiveness, type TunnelLivenessSettings } from '../shared/tunnel-liveness.js';
import {
  HEADER_CONNECTOR, HEADER_LOCATION, HEADER_SUBACCOUNT, TUNNEL_PATH, TUNNEL_SESSION_OPTIONS, TUNNEL_SESSION_WINDOW, TUNNEL_UPGRADE,
} from '../shared/tunnel-protocol.js';

export type TunnelState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface TunnelClientOptions {
  connector: ConnectorConfig;
  host: string;
  port: number;
  logger: Logger;
  onRequest: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  onConnect?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** PING and SETTINGS deadlines for the proxy's end (tunnel-liveness.ts); without, none. */
  liveness?: TunnelLivenessSettings;
}

export class TunnelClient extends EventEmitter {
  state: TunnelState = 'disconnected';
  readonly #opts: TunnelClientOptions;
  readonly #log: Logger;
  readonly #h2: http2.Http2Server;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #socket: Socket | undefined;
  #pending: http.ClientRequest | undefined;

  constructor(opts: TunnelClientOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'tunnel-client', connector: opts.connector.name });
    this.#h2 = http2.createServer(TUNNEL_SESSION_OPTIONS, opts.onRequest);
    // CONNECT streams (TCP over the tunnel, for SOCKS5) arrive as 'connect', not as requests.
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

  start(): void {
    if (this.state === 'closed') return;
    this.#dial();
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

  #setState(s: TunnelState): void {
    this.state = s;
    this.emit('state', s);
  }

  #dial(): void {
    const { connector, host, port } = this.#opts;
    const ctx = { subaccount: connector.subaccount, locationId: connector.locationID, tunnel: `${host}:${port}` };
    this.#setState('connecting');
    const req = http.request({
      host, port, path: TUNNEL_PATH, method: 'GET', agent: false,
      headers: {
        connection: 'Upgrade', upgrade: TUNNEL_UPGRADE,
        authorization: `Basic ${Buffer.from(`${connector.cloudUser}:${connector.cloudPassword}`).toString('base64')}`,
        [HEADER_SUBACCOUNT]: connector.subaccount,
        [HEADER_LOCATION]: encodeURIComponent(connector.locationID),
        [HEADER_CONNECTOR]: connector.name,
      },
    });
    this.#pending = req;
    req.on('upgrade', (_res, socket, head) => {
      this.#pending = undefined;
      this.#attempt = 0;
      this.#socket = socket;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      if (head.length > 0) socket.unshift(head);
      socket.once('close', () => this.#lost('the tunnel connection closed', ctx));
      socket.once('end', () => socket.destroy());
      socket.on('error', (err) => this.#log.debug({ err }, 'tunnel socket error'));
      this.#h2.emit('connection', socket);
      this.#log.info(ctx, 'tunnel established: connected to the cloud');
      this.#setState('connected');
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 2000) body += c; });
      res.on('end', () => this.#lost(`the proxy refused the tunnel: ${res.statusCode} ${body.trim()}`, ctx));
      res.on('error', () => this.#lost(`the proxy refused the tunnel: ${res.statusCode}`, ctx));
    });
    req.on('error', (err) => this.#lost(`cannot reach the proxy tunnel endpoint (${(err as NodeJS.ErrnoException).code ?? err.message})`, ctx));
    req.end();
  }

  #lost(why: string, ctx: Record<string, unknown>): void {
    if (this.state === 'closed' || this.state === 'disconnected') return;
    this.#socket = undefined;
    this.#pending = undefined;
    const { reconnectInitialDelayMs: first, reconnectMaxDelayMs: max } = this.#opts.connector;
    const base = Math.min(max, first * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt += 1;
    this.#setState('disconnected');
    this.#log.warn({ ...ctx, attempt: this.#attempt, retryInMs: delay }, `${why}; reconnecting in ${delay} ms`);
    this.#timer = setTimeout(() => this.#dial(), delay);
  }

  /** Closes the tunnel for good: no reconnect. */
  async close(): Promise<void> {
    this.#setState('closed');
    clearTimeout(this.#timer);
    this.#pending?.destroy();
    this.#socket?.destroy();
    await new Promise<void>((resolve) => this.#h2.close(() => resolve()));
  }
}
