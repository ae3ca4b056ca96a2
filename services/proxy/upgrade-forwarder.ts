// WebSocket upgrades through the HTTP forward proxy, on the http.Server's 'upgrade' event: an
// absolute-form `GET http://<virtual host>:<port>/<path>` with `Upgrade: websocket` gets the same
// checks as any request of forward-proxy.ts — head size, target, Proxy-Authorization (407),
// propagated principal (401), tunnel by (subaccount, location ID) (503) — and the same header
// hygiene (Proxy-Authorization, SAP-Connectivity-* and x-scc-sim-* stop here; hop-by-hop headers
// per hop). Then it opens a CONNECT stream on the tunnel (upgrade-protocol.ts); the connector
// decides (403 when the resource does not allow WebSocket upgrades), dials the backend and answers.
// A switched stream becomes `101 Switching Protocols` on the client's socket and both are piped
// (backpressure both ways); anything else is written as an ordinary answer that closes the
// connection. A tunnel or stream that goes away destroys the client's socket: it never hangs.
// An Upgrade other than WebSocket (h2c, …) is served as the ordinary request it also is.
import http from 'node:http';
import { constants as h2c, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../shared/logger.js';
import { sendError, simError, type SimError } from '../shared/errors.js';
import { MAX_HEADER_COUNT, tooManyHeaders } from '../shared/header-limits.js';
import { PRINCIPAL_HEADER } from '../shared/principal-header.js';
import { DECISION_HEADER, INTERNAL_HEADER_PREFIX, nextHopHeaders, readDecision } from '../shared/tunnel-protocol.js';
import { carrierWrites } from '../shared/tunnel-carrier.js';
import { UPGRADE_HEADER, UPGRADE_PATH_HEADER } from '../shared/upgrade-protocol.js';
import type { TokenDecision } from '../xsuaa/token-verifier.js';
import { parseProxyTarget } from './absolute-url.js';
import { dropForTunnel, LOCATION_HEADER, locationOf, PROXY_AUTHENTICATE, streamError, WWW_AUTHENTICATE } from './forward-proxy.js';
import type { PrincipalCheck } from './principal-check.js';
import type { TrafficFeed } from './traffic-feed.js';
import { proxiedRecord, refusedRecord } from './traffic-event.js';
import type { TunnelRegistry } from './tunnel-registry.js';

export interface UpgradeForwarderOptions {
  /** The forward proxy's server: an upgrade that is not WebSocket goes to its 'request' handler. */
  server: http.Server;
  registry: TunnelRegistry;
  verify: (token: string) => TokenDecision | Promise<TokenDecision>;
  checkPrincipal?: PrincipalCheck;
  logger: Logger;
  /** The cockpit's live traffic: every upgrade is recorded as the forward proxy records requests. */
  traffic?: TrafficFeed;
}

type Upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Whether the request asks for a WebSocket (RFC 6455 §4.1: a GET with `Upgrade: websocket`). */
function isWebSocket(req: http.IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === 'GET' && typeof upgrade === 'string' && /(^|,)\s*websocket\s*(,|$)/i.test(upgrade);
}

const isInternal = (name: string) => name.startsWith(INTERNAL_HEADER_PREFIX);

/** A response object on the upgrade's socket (which no ServerResponse owns), closing it when done. */
function responseOn(req: http.IncomingMessage, socket: Socket): http.ServerResponse {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => { res.detachSocket(socket); socket.end(); });
  return res;
}

/** `HTTP/1.1 101` with the backend's headers (hop-by-hop and internal ones dropped), as raw bytes. */
function switchingHead(h: IncomingHttpHeaders): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${h[UPGRADE_HEADER]}\r\n`;
  const rest = nextHopHeaders(h, isInternal);
  for (const name in rest) {
    const v = rest[name]!;
    for (const value of Array.isArray(v) ? v : [v]) head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

export function createUpgradeForwarder({ server, registry, verify, checkPrincipal, logger, traffic }: UpgradeForwarderOptions): Upgrade {
  const log = logger.child({ component: 'http-proxy' });

  return (req, duplex, head) => {
    const socket = duplex as Socket;
    socket.on('error', () => socket.destroy());
    const started = process.hrtime.bigint();
    if (!isWebSocket(req)) {
      const res = responseOn(req, socket);
      const hasBody = req.headers['transfer-encoding'] !== undefined
        || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
      // After an 'upgrade' Node no longer parses the socket: a body could not be read.
      if (hasBody || head.length > 0) {
        return fail(req, res, started, simError('PROXY_BAD_REQUEST', { reason: `an Upgrade to "${req.headers.upgrade}" with a request body is not supported; only WebSocket upgrades are forwarded` }), {});
      }
      server.emit('request', req, res);
      return;
    }
    void admit(req, socket, head, started).catch((err) => {
      log.error({ err }, 'the WebSocket upgrade failed unexpectedly');
      socket.destroy();
    });
  };

  async function admit(req: http.IncomingMessage, socket: Socket, head: Buffer, started: bigint): Promise<void> {
    const refuse = (err: SimError, ctx: Record<string, unknown>, headers?: Record<string, string>) =>
      fail(req, responseOn(req, socket), started, err, { upgrade: 'websocket', ...ctx }, headers);
    if (tooManyHeaders(req.rawHeaders)) {
      return refuse(simError('PROXY_HEADERS_TOO_LARGE', { limit: `${MAX_HEADER_COUNT} header fields` }), { fields: req.rawHeaders.length / 2 });
    }
    // ws:// is what the client had in mind; the connectivity proxy's targets are http:// (the same on the wire).
    const url = req.url?.slice(0, 5).toLowerCase() === 'ws://' ? `http://${req.url.slice(5)}` : req.url;
    const target = parseProxyTarget(req.method, url);
    if (!target.ok) return refuse(simError(target.code, { reason: target.reason }), { reason: target.reason });
    const auth = req.headers['proxy-authorization'];
    const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    if (!m) {
      const reason = auth ? 'Proxy-Authorization is not a Bearer token' : 'Proxy-Authorization header is missing';
      return refuse(simError('PROXY_AUTHENTICATION_REQUIRED', { reason }), { reason, vhost: target.host }, PROXY_AUTHENTICATE);
    }
    let decision: TokenDecision;
    try {
      decision = await verify(m[1]!);
    } catch (err) {
      log.error({ err }, 'token verification failed unexpectedly');
      return refuse(simError('PROXY_AUTHENTICATION_REQUIRED', { reason: 'token could not be verified' }), {}, PROXY_AUTHENTICATE);
    }
    if (!decision.ok) {
      return refuse(simError('PROXY_AUTHENTICATION_REQUIRED', { reason: decision.reason }), { reason: decision.reason, vhost: target.host }, PROXY_AUTHENTICATE);
    }
    const { subaccount } = decision;
    let principalHeader: string | undefined;
    let user: string | undefined;
    const checked = checkPrincipal?.(req.headers, subaccount);
    if (checked !== undefined) {
      const p = await Promise.resolve(checked).catch((err) => {
        log.error({ err }, 'user token verification failed unexpectedly');
        return { ok: false as const, reason: 'the user token could not be verified' };
      });
      if (!p.ok) {
        return refuse(simError('PROXY_PRINCIPAL_INVALID', { reason: p.reason }), { subaccount, reason: p.reason, vhost: target.host }, WWW_AUTHENTICATE);
      }
      principalHeader = p.header;
      user = p.principal.name;
    }
    if (socket.destroyed) return; // the client left while its token was checked
    const locationId = locationOf(req.headers[LOCATION_HEADER]);
    const tunnel = registry.get(subaccount, locationId);
    if (tunnel === undefined || tunnel.session.closed || tunnel.session.destroyed) {
      const found = registry.lookup(subaccount, locationId);
      return refuse(simError('SCC_NO_TUNNEL', { subaccount, locationId }),
        { subaccount, locationId, virtualHost: target.host, virtualPort: target.port, reason: found.found ? 'tunnel closing' : found.reason });
    }
    const headers: Record<string, string | string[]> = nextHopHeaders(req.headers, dropForTunnel);
    headers[':method'] = 'CONNECT';
    headers[':authority'] = `${target.host}:${target.port}`;
    headers[UPGRADE_PATH_HEADER] = target.pathAndQuery;
    headers[UPGRADE_HEADER] = 'websocket';
    if (principalHeader !== undefined) headers[PRINCIPAL_HEADER] = principalHeader;
    let stream: ClientHttp2Stream;
    try {
      stream = tunnel.session.request(headers);
      carrierWrites(stream); // raw bytes of its own, like SOCKS5's streams (tunnel-carrier.ts)
    } catch (err) {
      return refuse(simError('SCC_TUNNEL_BROKEN', {}, err), { subaccount, locationId, err });
    }
    const ctx = { subaccount, locationId, virtualHost: target.host, virtualPort: target.port, method: req.method, path: target.path, user, upgrade: 'websocket' };
    const logged = (status: number, h: IncomingHttpHeaders) => {
      if (log.isLevelEnabled('info')) log.info({ ...ctx, status, durationMs: ms(started), rule: readDecision(h[DECISION_HEADER])?.rule }, 'proxied');
      traffic?.record(proxiedRecord(req.method!, {
        subaccount, locationId, connector: tunnel.connectorName, virtualHost: target.host, virtualPort: target.port, path: target.path, user,
      }, h, status, ms(started)));
    };
    let answered = false;
    // Before the answer: the client leaving cancels the stream (the connector drops its backend call).
    const onEarlyClose = () => { if (!stream.closed) stream.close(h2c.NGHTTP2_CANCEL); };
    socket.once('close', onEarlyClose);
    stream.on('error', () => {}); // surfaces as 'close' below
    stream.once('close', () => {
      if (!answered) {
        answered = true;
        socket.off('close', onEarlyClose);
        if (!socket.destroyed) refuse(streamError(tunnel.session, stream), { subaccount, locationId, rstCode: stream.rstCode });
      }
    });
    stream.once('response', (h: IncomingHttpHeaders) => {
      answered = true;
      socket.off('close', onEarlyClose);
      const status = Number(h[':status']);
      if (status === 200 && h[UPGRADE_HEADER] !== undefined) {
        if (socket.destroyed) return void stream.close(h2c.NGHTTP2_CANCEL);
        socket.setTimeout(0);
        socket.write(switchingHead(h));
        if (head.length > 0) stream.write(head);
        relay(stream, socket);
        logged(101, h); // the upgrade is answered now; the WebSocket itself may live for hours
        return;
      }
      // An ordinary answer: the connector's refusal (403 …) or the backend's own non-101 answer.
      const res = responseOn(req, socket);
      res.writeHead(status, nextHopHeaders(h, isInternal));
      stream.pipe(res);
      stream.once('close', () => { if (!stream.readableEnded) socket.destroy(); });
      res.once('finish', () => logged(status, h));
    });
  }

  function fail(req: http.IncomingMessage, res: http.ServerResponse, started: bigint, err: SimError,
    ctx: Record<string, unknown>, headers: Record<string, string> = {}): void {
    if (log.isLevelEnabled('info')) log.info({ method: req.method, ...ctx, status: err.statusCode, code: err.code, durationMs: ms(started) }, 'refused');
    sendError(res, err, headers);
    traffic?.record(refusedRecord(req, err, ctx, ms(started)));
  }
}

/** The upgraded bytes both ways: half-closes pass, a reset stream or a dropped socket ends the other side. */
function relay(stream: ClientHttp2Stream, socket: Socket): void {
  socket.pipe(stream);
  stream.pipe(socket);
  socket.on('close', () => { if (!stream.closed) stream.close(h2c.NGHTTP2_CANCEL); });
  stream.on('close', () => {
    if (socket.destroyed) return;
    if ((stream.rstCode ?? 0) !== h2c.NGHTTP2_NO_ERROR || !stream.readableEnded) socket.destroy();
    else socket.end();
  });
}

function ms(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
