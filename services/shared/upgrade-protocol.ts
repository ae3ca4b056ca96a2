// WebSocket upgrades through the tunnel (DESIGN.md "Topology"), agreed between the proxy's
// upgrade-forwarder.ts and the connector's: like TCP for SOCKS5, an upgrade travels as an HTTP/2
// CONNECT stream (`:authority` = virtual host:port), marked by the internal headers below and
// carrying the client's end-to-end headers (Sec-WebSocket-*, cookies, …). The connector answers
// `:status` 200 with UPGRADE_HEADER once the backend switched protocols (its 101 head's other
// headers alongside), then the stream carries the upgraded bytes both ways; any other status is
// an ordinary answer (403 of the access policy, 502/504, or the backend's own non-101 answer) with
// its body. The internal headers are x-scc-sim-*, so neither end lets them in from outside.
import { INTERNAL_HEADER_PREFIX } from './tunnel-protocol.js';

/** Request: the protocol the client asked for (`websocket`). Response: the one the backend switched to. */
export const UPGRADE_HEADER = `${INTERNAL_HEADER_PREFIX}upgrade`;
/** Request: the raw path and query of the upgrade request (a CONNECT stream has no `:path`). */
export const UPGRADE_PATH_HEADER = `${INTERNAL_HEADER_PREFIX}upgrade-path`;

/** Whether a CONNECT stream on the tunnel is an upgrade (else it is TCP for SOCKS5). */
export function isUpgradeStream(headers: Record<string, unknown>): boolean {
  return headers[UPGRADE_PATH_HEADER] !== undefined;
}
