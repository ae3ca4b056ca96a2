// The HTTP forward proxy (default port 20003): token check, tunnel choice by (subaccount,
// location ID), header hygiene, and streaming of both bodies through the tunnel — as frames on
// one of its pooled carriers (tunnel-pool.ts). This is the hot path: no framework, no
// per-request allocation beyond the essentials.
// Principal propagation (principal-check.ts) costs two header reads when no user is propagated.
import http from 'node:http';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/logger.js';
import { sendError, simError, type SimError } from '../shared/errors.js';
import { MAX_HEADER_COUNT, PARSER_MAX_HEADERS_COUNT, tooManyHeaders } from '../shared/header-limits.js';
import { answerClientError, listenerOptions, type ListenerTimeouts } from '../shared/http-listener.js';
import { PRINCIPAL_HEADER } from '../shared/principal-header.js';
import { DECISION_HEADER, INTERNAL_HEADER_PREFIX, connectionTokens, h2ErrorName, isHopByHop, nextHopHeaders, readDecision } from '../shared/tunnel-protocol.js';
import { CarrierFailed, type CarrierHandler } from './tunnel-pool.js';
import { parseProxyTarget } from './absolute-url.js';
import type { PrincipalCheck, PrincipalDecision } from './principal-check.js';
import type { TrafficFeed } from './traffic-feed.js';
import { proxiedRecord, refusedRecord } from './traffic-event.js';
import type { Tunnel, TunnelRegistry } from './tunnel-registry.js';
import type { TokenDecision } from '../xsuaa/token-verifier.js';

export const LOCATION_HEADER = 'sap-connectivity-scc-location_id';

export interface ForwardProxyOptions {
  registry: TunnelRegistry;
  verify: (token: string) => TokenDecision | Promise<TokenDecision>;
  /** SAP-Connectivity-(Technical-)Authentication; without it those headers are only dropped. */
  checkPrincipal?: PrincipalCheck;
  logger: Logger;
  /** Head, request and keep-alive timeouts of the listener (the config's `proxy` section). */
  timeouts: ListenerTimeouts;
  /** Where every answered request is recorded for the cockpit's live traffic. */
  traffic?: TrafficFeed;
}

type Target = Extract<ReturnType<typeof parseProxyTarget>, { ok: true }>;
type Allowed = Extract<TokenDecision, { ok: true }>;

export const PROXY_AUTHENTICATE = { 'proxy-authenticate': 'Bearer realm="SAP BTP Connectivity (scc-sim)"' };
export const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="SAP BTP Connectivity (scc-sim)", error="invalid_token"' };

/** Headers that never leave the proxy: its own credentials, the SAP routing headers, our internal ones. */
export function dropForTunnel(name: string): boolean {
  return name === 'proxy-authorization' || name.startsWith('sap-connectivity-') || name.startsWith(INTERNAL_HEADER_PREFIX);
}

function isInternal(name: string): boolean {
  return name.startsWith(INTERNAL_HEADER_PREFIX);
}

export function createForwardProxy({ registry, verify, checkPrincipal, logger, timeouts, traffic }: ForwardProxyOptions): http.Server {
  const log = logger.child({ component: 'http-proxy' });
  // The last Proxy-Authorization value and its token. A client sends the same value on every
  // request: the pattern then runs once per token instead of over ~1 KB per request, and the
  // decision cache is handed the same string each time (its hash computed once).
  let lastAuth = '';
  let lastToken: string | undefined;
  const server = http.createServer({ ...listenerOptions(timeouts), requireHostHeader: false, noDelay: true } as http.ServerOptions, onRequest);
  server.maxHeadersCount = PARSER_MAX_HEADERS_COUNT;
  // Node hands CONNECT to 'connect' (and drops the socket when nobody listens), never to the request
  // handler: give it a response on its socket so it gets the same 405 as an https:// target.
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once('finish', () => { res.detachSocket(socket); socket.end(); });
    onRequest(req, res);
  });
  server.on('clientError', answerClientError(log, timeouts));
  return server;

  function bearerToken(auth: string): string | undefined {
    if (auth !== lastAuth) {
      lastToken = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      lastAuth = auth;
    }
    return lastToken;
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = process.hrtime.bigint();
    // More fields than the tunnel and the connector take (header-limits.ts): refused here, by name.
    if (tooManyHeaders(req.rawHeaders)) {
      return fail(req, res, started, simError('PROXY_HEADERS_TOO_LARGE', { limit: `${MAX_HEADER_COUNT} header fields` }), { fields: req.rawHeaders.length / 2 });
    }
    const target = parseProxyTarget(req.method, req.url);
    if (!target.ok) return fail(req, res, started, simError(target.code, { reason: target.reason }), { reason: target.reason });
    const auth = req.headers['proxy-authorization'];
    const token = auth ? bearerToken(auth) : undefined;
    if (token === undefined) {
      const reason = auth ? 'Proxy-Authorization is not a Bearer token' : 'Proxy-Authorization header is missing';
      return fail(req, res, started, simError('PROXY_AUTHENTICATION_REQUIRED', { reason }), { reason, vhost: target.host }, PROXY_AUTHENTICATE);
    }
    const decision = verify(token);
    if (decision instanceof Promise) {
      decision.then((d) => route(req, res, started, target, d), (err) => {
        log.error({ err }, 'token verification failed unexpectedly');
        fail(req, res, started, simError('PROXY_AUTHENTICATION_REQUIRED', { reason: 'token could not be verified' }), {}, PROXY_AUTHENTICATE);
      });
    } else {
      route(req, res, started, target, decision);
    }
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, started: bigint, target: Target, decision: TokenDecision): void {
    if (!decision.ok) {
      return fail(req, res, started, simError('PROXY_AUTHENTICATION_REQUIRED', { reason: decision.reason }),
        { reason: decision.reason, vhost: target.host }, PROXY_AUTHENTICATE);
    }
    const principal = checkPrincipal?.(req.headers, decision.subaccount);
    if (principal === undefined) return open(req, res, started, target, decision);
    if (principal instanceof Promise) {
      principal.then((p) => propagate(req, res, started, target, decision, p), (err) => {
        log.error({ err }, 'user token verification failed unexpectedly');
        propagate(req, res, started, target, decision, { ok: false, reason: 'the user token could not be verified' });
      });
    } else {
      propagate(req, res, started, target, decision, principal);
    }
  }

  function propagate(req: http.IncomingMessage, res: http.ServerResponse, started: bigint, target: Target, decision: Allowed, p: PrincipalDecision): void {
    if (!p.ok) {
      // Never forwarded: the backend must not see a request whose user could not be established.
      return fail(req, res, started, simError('PROXY_PRINCIPAL_INVALID', { reason: p.reason }),
        { subaccount: decision.subaccount, reason: p.reason, vhost: target.host }, WWW_AUTHENTICATE);
    }
    open(req, res, started, target, decision, p.header, p.principal.name);
  }

  function open(
    req: http.IncomingMessage, res: http.ServerResponse, started: bigint, target: Target, decision: Allowed,
    principalHeader?: string, user?: string,
  ): void {
    const locationId = locationOf(req.headers[LOCATION_HEADER]);
    const tunnel = registry.get(decision.subaccount, locationId);
    if (tunnel === undefined || tunnel.session.closed || tunnel.session.destroyed) {
      const found = registry.lookup(decision.subaccount, locationId);
      return fail(req, res, started, simError('SCC_NO_TUNNEL', { subaccount: decision.subaccount, locationId }),
        { subaccount: decision.subaccount, locationId, virtualHost: target.host, virtualPort: target.port, reason: found.found ? 'tunnel closing' : found.reason });
    }
    const headers: Record<string, string | string[]> = nextHopHeaders(req.headers, dropForTunnel);
    headers.host = `${target.host}:${target.port}`;
    if (principalHeader !== undefined) headers[PRINCIPAL_HEADER] = principalHeader;
    const hasBody = req.headers['transfer-encoding'] !== undefined
      || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    const logged = (status: number, extra: Record<string, unknown>) => {
      if (!log.isLevelEnabled('info')) return;
      log.info({
        subaccount: decision.subaccount, locationId, virtualHost: target.host, virtualPort: target.port,
        method: req.method, path: target.path, status, durationMs: ms(started), user, ...extra,
      }, 'proxied');
    };
    // The request goes down one of the tunnel's carriers (tunnel-pool.ts); the answer is
    // written onto `res` as it arrives, with backpressure both ways.
    const onError = (err: Error) => {
      if (res.headersSent) {
        if (res.writableFinished) return;
        log.warn({ subaccount: decision.subaccount, locationId, virtualHost: target.host, path: target.path, err }, 'answer cut: its carrier failed after the head');
        return void res.destroy();
      }
      void carrierError(tunnel, err).then((e) => {
        if (!res.destroyed) fail(req, res, started, e, { subaccount: decision.subaccount, locationId, err });
      });
    };
    const exchange = new TunnelExchange(res, onError, (status, h) => {
      logged(status, { rule: readDecision(h[DECISION_HEADER])?.rule });
      traffic?.record(proxiedRecord(req.method!, {
        subaccount: decision.subaccount, locationId, connector: tunnel.connectorName, virtualHost: target.host, virtualPort: target.port, path: target.path, user,
      }, h, status, ms(started)));
    });
    tunnel.pool.dispatch({ method: req.method!, path: target.pathAndQuery, headers, body: hasBody ? req : null }, exchange);
    res.on('close', () => { if (!res.writableFinished) exchange.abort(); });
  }

  function fail(
    req: http.IncomingMessage, res: http.ServerResponse, started: bigint, err: SimError,
    ctx: Record<string, unknown>, headers: Record<string, string> = {},
  ): void {
    if (log.isLevelEnabled('info')) log.info({ method: req.method, ...ctx, status: err.statusCode, code: err.code, durationMs: ms(started) }, 'refused');
    sendError(res, err, headers);
    req.resume();
    traffic?.record(refusedRecord(req, err, ctx, ms(started)));
  }
}

/** A stream that ended without an answer: the tunnel was lost, or only this stream was reset while the tunnel stays up (WebSocket upgrades: upgrade-forwarder.ts). */
export function streamError(session: ClientHttp2Session, stream: ClientHttp2Stream, cause?: Error): SimError {
  if (session.destroyed || session.closed) return simError('SCC_TUNNEL_BROKEN', {}, cause);
  return simError('SCC_TUNNEL_STREAM_RESET', { reason: h2ErrorName(stream.rstCode) }, cause);
}

/**
 * A request whose carrier failed before an answer: the tunnel was lost, or only the carrier failed
 * while the tunnel stays up. A carrier that closed may be the first sign of a connector that died,
 * so the tunnel is asked (a PING) before the answer says which.
 */
async function carrierError(tunnel: Tunnel, cause: Error): Promise<SimError> {
  const lost = () => tunnel.session.destroyed || tunnel.session.closed;
  if (lost()) return simError('SCC_TUNNEL_BROKEN', {}, cause);
  if (cause instanceof CarrierFailed) return simError('SCC_TUNNEL_STREAM_RESET', { reason: cause.reason }, cause);
  if (!(await tunnel.probe()) || lost()) return simError('SCC_TUNNEL_BROKEN', {}, cause);
  return simError('SCC_TUNNEL_STREAM_RESET', { reason: 'the carrier connection closed before the answer' }, cause);
}

/**
 * One request's carrier handler: writes the connector's answer on the client's response as it
 * arrives — head without hop-by-hop and internal headers, body with backpressure (the carrier is
 * paused while `res` is full).
 */
class TunnelExchange implements CarrierHandler {
  #abort: ((err: Error) => void) | undefined;
  #aborted = false;
  #status = 0;
  #resume: (() => void) | undefined;
  #waiting = false;
  /** The connector's decision and error code, for the log and the cockpit's traffic feed. */
  readonly #seen: IncomingHttpHeaders = {};
  constructor(
    private readonly res: http.ServerResponse,
    private readonly fail: (err: Error) => void,
    private readonly done: (status: number, seen: IncomingHttpHeaders) => void,
  ) {}

  abort(): void {
    this.#aborted = true;
    this.#abort?.(new Error('the client went away'));
  }

  onConnect(abort: (err: Error) => void): void {
    this.#abort = abort;
    if (this.#aborted) abort(new Error('the client went away'));
  }

  onHeaders(status: number, raw: string[], resume: () => void): void {
    this.#status = status;
    const res = this.res;
    // One pass; the fields a Connection header names (rarely any beyond keep-alive) are taken out afterwards.
    let out: string[] = [];
    let named: readonly string[] | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const lower = name.toLowerCase();
      if (isInternal(lower)) { if (lower === DECISION_HEADER) this.#seen[DECISION_HEADER] = raw[i + 1]; continue; }
      const value = raw[i + 1];
      if (lower === 'connection') { const t = connectionTokens(value); if (t.length > 0) named = named === undefined ? t : named.concat(t); }
      if (isHopByHop(lower)) continue;
      if (lower === 'x-internal-error-code') this.#seen[lower] = value;
      out.push(name, value);
    }
    if (named !== undefined) {
      const listed = named;
      out = out.filter((_, i, all) => !listed.includes(all[i - (i % 2)].toLowerCase()));
    }
    res.writeHead(status, out);
    this.#resume = resume;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The client is slow: its exchange is granted no more of the answer (no WINDOW) until `res` drains (a listener only now, so an
    // answer that fits adds none).
    if (!this.#waiting) { this.#waiting = true; this.res.once('drain', () => { this.#waiting = false; this.#resume?.(); }); }
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.done(this.#status, this.#seen);
  }

  onError(err: Error): void {
    if (this.#aborted) return;
    this.fail(err);
  }
}

/** The location ID header: absent and empty are the default location (''). */
export function locationOf(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return (typeof v === 'string' ? v : v[0] ?? '').trim();
}

function ms(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
