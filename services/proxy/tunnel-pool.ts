// The proxy's HTTP client for one tunnel: HTTP/1.1 requests on long-lived HTTP/2 CONNECT streams
// of the tunnel session ("carriers", tunnel-protocol.ts), pooled and kept alive by undici.
//
// Why (issue 10, `npm run bench`): a fresh HTTP/2 stream per request costs Node ~88 µs in the
// proxy alone (ClientHttp2Session.request(), a third of it AsyncResource.bind) and as much again in
// the connector's compat layer; a carrier is opened once and then carries request after request
// as plain bytes in DATA frames, parsed by undici here and by Node's HTTP/1.1 server in the
// connector. The tunnel stays one TCP connection: SOCKS5 CONNECT streams, PINGs and liveness are
// unchanged, and a lost session ends every carrier (and so every request on it) at once.
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { Pool } from '../shared/undici-pool.js';
import { carrierWrites } from '../shared/tunnel-carrier.js';
import { CARRIER_AUTHORITY, CARRIER_HEADER, CARRIER_HTTP1 } from '../shared/tunnel-protocol.js';

/** Carriers per tunnel: concurrent requests beyond this wait in undici's queue. */
export const TUNNEL_POOL_CARRIERS = 512;

/** A carrier the connector refused or reset before it answered; `rstCode` names why (HTTP/2 error code). */
export class CarrierRefused extends Error {
  readonly code = 'SCC_CARRIER_REFUSED';
  constructor(readonly rstCode: number | undefined, cause?: Error) { super(`the tunnel carrier stream was reset (code ${rstCode})`, { cause }); }
}

export function createTunnelPool(session: ClientHttp2Session): Pool {
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
    connect: (_opts, callback) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({ ':method': 'CONNECT', ':authority': CARRIER_AUTHORITY, [CARRIER_HEADER]: CARRIER_HTTP1 });
      } catch (err) {
        return void callback(err as Error, null);
      }
      carrierWrites(stream);
      let decided = false;
      const fail = (err: Error) => { if (!decided) { decided = true; stream.destroy(); callback(err, null); } };
      stream.once('response', (h) => {
        if (h[':status'] !== 200) return fail(new CarrierRefused(undefined));
        decided = true;
        // What undici calls on a net.Socket; an HTTP/2 stream has no such knobs (the tunnel socket has them set).
        const s = stream as unknown as Record<string, unknown>;
        s.setNoDelay = () => stream;
        s.setKeepAlive = () => stream;
        s.ref = () => stream;
        s.unref = () => stream;
        callback(null, stream as never);
      });
      stream.once('error', (err) => fail(new CarrierRefused(stream.rstCode, err)));
      stream.once('close', () => fail(new CarrierRefused(stream.rstCode)));
    },
  });
}
