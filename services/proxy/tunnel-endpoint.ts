// The port connectors dial (default 8042). A connector asks for an HTTP/1.1 Upgrade with its
// subaccount credentials and location ID; once accepted, the proxy becomes the HTTP/2 client on
// that socket and registers the tunnel. Everything else on this port gets a plain HTTP error.
import http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Config, SubaccountConfig } from '../shared/config-schema.js';
import { answerClientError, listenerOptions } from '../shared/http-listener.js';
import type { Logger } from '../shared/logger.js';
import {
  CARRIER_TICKET_HEADER, CARRIER_UPGRADE, HEADER_CONNECTOR, HEADER_LOCATION, HEADER_SUBACCOUNT, TUNNEL_PATH, TUNNEL_SESSION_OPTIONS,
  TUNNEL_SESSION_WINDOW, TUNNEL_UPGRADE,
} from '../shared/tunnel-protocol.js';
import { TunnelLiveness } from '../shared/tunnel-liveness.js';
import type { Tunnel, TunnelRegistry } from './tunnel-registry.js';
import { createTunnelPool } from './tunnel-pool.js';
import { CarrierTickets } from './carrier-tickets.js';

export interface TunnelEndpointOptions {
  /** The config, or a function giving the current one (the cloud users are looked up per connection). */
  config: Config | (() => Config);
  registry: TunnelRegistry;
  logger: Logger;
}

/**
 * Liveness (tunnel-liveness.ts, tunables in `proxy`): a connector that stops answering PINGs, or
 * upgrades and never speaks HTTP/2, is dropped within seconds — its requests in flight get 502,
 * new ones the SAP 503 — and a replacement that dials meanwhile gets the location at once when the
 * registered one fails a PING, instead of 409.
 */
export function createTunnelEndpoint({ config, registry, logger }: TunnelEndpointOptions): http.Server {
  const log = logger.child({ component: 'tunnel-endpoint' });
  const configOf = typeof config === 'function' ? config : () => config;
  const watchers = new WeakMap<Tunnel, TunnelLiveness>();
  const tickets = new CarrierTickets();
  const server = http.createServer(listenerOptions(configOf().proxy), (req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: TUNNEL_UPGRADE, connection: 'close' });
    res.end(`This is the scc-sim tunnel endpoint: Cloud Connectors connect here with "Upgrade: ${TUNNEL_UPGRADE}".\n`);
  });
  server.on('clientError', answerClientError(log, configOf().proxy));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err }, 'tunnel socket error'));
    if (req.url === TUNNEL_PATH && String(req.headers.upgrade).toLowerCase() === CARRIER_UPGRADE) return carrier(req, socket as Socket, head);
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
    const subaccount = configOf().subaccounts.find((s) => s.subaccount === subaccountId);
    if (!subaccount || !credentialsMatch(req.headers.authorization, subaccount)) {
      return refuse(socket, 401, subaccount ? 'wrong cloud user or password' : `unknown subaccount "${subaccountId}"`, ctx);
    }
    const existing = registry.get(subaccountId, locationId);
    if (!existing) return accept(req, socket, head, ctx);
    // Another connector holds the location: it keeps it only if it still answers.
    const probe = watchers.get(existing)?.probe() ?? Promise.resolve(true);
    void probe.then(() => {
      if (socket.destroyed) return;
      if (registry.get(subaccountId, locationId)) {
        return refuse(socket, 409, `another Cloud Connector is already connected for subaccount ${subaccountId} with location ID "${locationId}"`, ctx);
      }
      accept(req, socket, head, ctx);
    });
  });
  return server;

  function accept(req: http.IncomingMessage, socket: Duplex, head: Buffer, ctx: { subaccount: string; locationId: string; connectorName: string }): void {
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
      subaccount: ctx.subaccount, locationId: ctx.locationId, connectorName: ctx.connectorName,
      remoteAddress: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      connectedSince: Date.now(), session,
      pool: createTunnelPool(session, tickets, configOf().proxy.tunnelPingTimeoutMs + configOf().proxy.tunnelSettingsTimeoutMs),
      probe: () => liveness.probe(),
    };
    let ended = false;
    const gone = (why: string) => {
      if (ended) return;
      ended = true;
      liveness.stop();
      if (!session.destroyed) session.destroy();
      tunnel.pool.destroy();
      registry.remove(tunnel);
      log.warn({ ...ctx, reason: why }, 'Cloud Connector disconnected');
    };
    const liveness = new TunnelLiveness(session, configOf().proxy, (reason) => gone(`the Cloud Connector stopped answering: ${reason}`));
    watchers.set(tunnel, liveness);
    session.once('close', () => gone('the tunnel session closed'));
    // A connector that ends the tunnel (GOAWAY, or FIN below: the admin API's disconnect) waits for
    // this side to close: the tunnel leaves the registry first, so the next request gets the 503.
    session.once('goaway', () => gone('the Cloud Connector ended the tunnel (GOAWAY)'));
    session.on('error', (err) => log.warn({ ...ctx, err }, 'tunnel session error'));
    socket.once('close', () => gone('the tunnel connection closed'));
    // The tunnel endpoint is an http.Server, whose sockets allow half-open connections: a
    // connector that died sends FIN only, so its end must end the tunnel, at once.
    socket.once('end', () => { gone('the Cloud Connector closed the tunnel connection'); socket.destroy(); });
    registry.add(tunnel);
    log.info(ctx, 'Cloud Connector connected');
  }

  /** A carrier the connector dialled because this side asked for one (carrier-tickets.ts). */
  function carrier(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const ticket = req.headers[CARRIER_TICKET_HEADER];
    // Accepted before it is handed over: the pool writes its first request on it at once.
    if (typeof ticket !== 'string' || !tickets.has(ticket)) return refuse(socket, 401, 'unknown, used or expired carrier ticket', { remoteAddress: req.socket.remoteAddress });
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${CARRIER_UPGRADE}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    // A connector that died sends FIN only: the carrier ends with it (this server allows half-open sockets).
    socket.once('end', () => socket.destroy());
    tickets.redeem(ticket, socket);
  }

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
