// The proxy's HTTP client for one tunnel: HTTP/1.1 requests on pooled, long-lived TCP connections
// the connector dialled for this tunnel ("carriers", tunnel-protocol.ts), kept alive by undici.
//
// Why (issue 10, `npm run bench`): carriers used to be HTTP/2 CONNECT streams of the tunnel
// session. That was cheap per request, but nghttp2 writes a session's output once per event-loop
// turn, so a whole turn's requests crossed the tunnel in one write and the two processes took
// turns on the cores (a third of the machine idle under load). On a TCP carrier each request is
// written at once, as on any HTTP/1.1 hop. The tunnel session stays what holds the tunnel together:
// it authenticates the connector, asks for carriers, carries SOCKS5 and WebSocket streams and the
// PINGs, and a lost session ends every carrier (and so every request on it) at once.
import type { ClientHttp2Session } from 'node:http2';
import { Pool } from '../shared/undici-pool.js';
import { h2ErrorName } from '../shared/tunnel-protocol.js';
import type { CarrierTickets } from './carrier-tickets.js';

/** Carriers per tunnel: concurrent requests beyond this wait in undici's queue. */
export const TUNNEL_POOL_CARRIERS = 512;

/** A carrier the connector did not provide; `reason` says why (an HTTP/2 reset of the request for it, its answer, or no dial in time). */
export class CarrierRefused extends Error {
  readonly code = 'SCC_CARRIER_REFUSED';
  constructor(readonly reason: string, cause?: Error) { super(`no tunnel carrier: ${reason}`, { cause }); }
  static reset(rstCode: number | undefined, cause?: Error): CarrierRefused { return new CarrierRefused(h2ErrorName(rstCode), cause); }
}

export function createTunnelPool(session: ClientHttp2Session, tickets: CarrierTickets, dialTimeoutMs: number): Pool {
  return new Pool('http://scc-tunnel', {
    connections: TUNNEL_POOL_CARRIERS,
    pipelining: 1,
    // The connector enforces each mapping's timeoutMs; the proxy's listener its own timeouts.
    headersTimeout: 0,
    bodyTimeout: 0,
    // Below the connector's carrier keep-alive, so this side ends idle carriers first (no race).
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 30_000,
    // The answer's head as the HTTP/1 side allows it (header-limits.ts); the connector checks the count.
    maxHeaderSize: 64 * 1024,
    connect: (_opts, callback) => tickets.request(session, dialTimeoutMs, (err, socket) => callback(err, (socket ?? null) as never)),
  });
}
