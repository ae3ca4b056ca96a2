// The port connectors dial (default 8042). A connector asks for an HTTP/1.1 Upgrade with its
// subaccount credentials and location ID; once accepted, the proxy becomes the HTTP/2 client on
// that socket and registers the tunnel. Everything else on this port gets a plain HTTP error.
import http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Config, SubaccountConfig } from '../shared/config-schema.js';
import { answerClientError, listenerOptions } from '../shared/http-listener.js';
import type { Logger } from '../shared/logger.js';
import {
  HEADER_CONNECTOR, HEADER_LOCATION, HEADER_SUBACCOUNT, TUNNEL_PATH, TUNNEL_SESSION_OPTIONS, TUNNEL_SESSION_WINDOW, TUNNEL_UPGRADE,
} from '../shared/tunnel-protocol.js';
import type { Tunnel, TunnelRegistry } from './tunnel-registry.js';

export interface TunnelEndpointOptions {
  config: Config;
  registry: TunnelRegistry;
  logger: Logger;
  /** Interval of HTTP/2 PINGs that detect a connector that vanished without closing the socket. */
  pingIntervalMs?: number;
}

export function createTunnelEndpoint({ config, registry, logger, pingIntervalMs = 10_000 }: TunnelEndpointOptions): http.Server {
  const log = logger.child({ component: 'tunnel-endpoint' });
  const subaccounts = new Map(config.subaccounts.map((s) => [s.subaccount, s]));
  const server = http.createServer(listenerOptions(), (req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: TUNNEL_UPGRADE, connection: 'close' });
    res.end(`This is the scc-sim tunnel endpoint: Cloud Connectors connect here with "Upgrade: ${TUNNEL_UPGRADE}".\n`);
  });
  server.on('clientError', answerClientError(log));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err }, 'tunnel socket error'));
    const subaccountId = String(req.headers[HEADER_SUBACCOUNT] ?? '');
    const connectorName = String(req.headers[HEADER_CONNECTOR] ?? 'unnamed');
    let locationId: string;
    try {
      locationId = decodeURIComponent(String(req.headers[HEADER_LOCATION] ?? ''));
    } catch {
      return refuse(socket, 400, 'the location ID header is not valid percent-encoding', { connectorName });
    }
    const ctx = { subaccount: subaccountId, locationId, connectorName, remoteAddress: req.socket.remoteAddress };
    if (req.url !== TUNNEL_PATH || String(req.headers.upgrade).toLowerCase() !== TUNNEL_UPGRADE) {
      return refuse(socket, 400, `expected GET ${TUNNEL_PATH} with Upgrade: ${TUNNEL_UPGRADE}`, ctx);
    }
    const subaccount = subaccounts.get(subaccountId);
    if (!subaccount || !credentialsMatch(req.headers.authorization, subaccount)) {
      return refuse(socket, 401, subaccount ? 'wrong cloud user or password' : `unknown subaccount "${subaccountId}"`, ctx);
    }
    if (registry.get(subaccountId, locationId)) {
      return refuse(socket, 409, `another Cloud Connector is already connected for subaccount ${subaccountId} with location ID "${locationId}"`, ctx);
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${TUNNEL_UPGRADE}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    (socket as import('node:net').Socket).setNoDelay?.(true);
    (socket as import('node:net').Socket).setKeepAlive?.(true, 10_000);
    const session = http2.connect('http://scc-tunnel', {
      ...TUNNEL_SESSION_OPTIONS,
      createConnection: () => socket,
      peerMaxConcurrentStreams: 10_000,
    });
    session.on('connect', () => session.setLocalWindowSize(TUNNEL_SESSION_WINDOW));
    const tunnel: Tunnel = {
      subaccount: subaccountId, locationId, connectorName,
      remoteAddress: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      connectedSince: Date.now(), session,
    };
    const ping = setInterval(() => {
      if (session.closed || session.destroyed) return;
      session.ping((err) => { if (err) session.destroy(err); });
    }, pingIntervalMs).unref();
    let ended = false;
    const gone = () => {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      if (!session.destroyed) session.destroy();
      registry.remove(tunnel);
      log.warn(ctx, 'Cloud Connector disconnected');
    };
    session.once('close', () => gone());
    session.on('error', (err) => log.warn({ ...ctx, err }, 'tunnel session error'));
    socket.once('close', () => gone());
    // The tunnel endpoint is an http.Server, whose sockets allow half-open connections: a
    // connector that died sends FIN only, so its end must end the tunnel, at once.
    socket.once('end', () => { gone(); socket.destroy(); });
    registry.add(tunnel);
    log.info(ctx, 'Cloud Connector connected');
  });
  return server;

  function refuse(socket: Duplex, status: number, reason: string, ctx: Record<string, unknown>): void {
    log.warn({ ...ctx, status, reason }, 'tunnel refused');
    const body = `${reason}\n`;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n`
      + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
}

function credentialsMatch(authorization: string | undefined, subaccount: SubaccountConfig): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1], 'base64').toString('utf8');
  const expected = `${subaccount.cloudUser}:${subaccount.cloudPassword}`;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
