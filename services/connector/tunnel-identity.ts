// What a subaccount's tunnel dials with — and so what, when it changes, makes a new connection —
// and how it asks: the HTTP/1.1 Upgrade to the proxy's tunnel endpoint with the cloud user's
// credentials and the location ID. Also the reconnect delay: capped exponential backoff, ±20 %.
import {
  HEADER_CONNECTOR, HEADER_LOCATION, HEADER_SUBACCOUNT, TUNNEL_UPGRADE,
} from '../shared/tunnel-protocol.js';

/** The tunnel state as the SCC's API names it (scc-rest-api.md §2.2). */
export type SccTunnelState = 'Connected' | 'Disconnected' | 'ConnectFailure';

export interface TunnelIdentity {
  connectorName: string;
  subaccount: string;
  locationID: string;
  cloudUser: string;
  cloudPassword: string;
  /** The proxy's tunnel endpoint. */
  host: string;
  port: number;
}

export interface Backoff {
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
}

export function sameIdentity(a: TunnelIdentity, b: TunnelIdentity): boolean {
  return a.connectorName === b.connectorName && a.subaccount === b.subaccount && a.locationID === b.locationID
    && a.cloudUser === b.cloudUser && a.cloudPassword === b.cloudPassword && a.host === b.host && a.port === b.port;
}

export function upgradeHeaders(id: TunnelIdentity): Record<string, string> {
  return {
    connection: 'Upgrade', upgrade: TUNNEL_UPGRADE,
    authorization: `Basic ${Buffer.from(`${id.cloudUser}:${id.cloudPassword}`).toString('base64')}`,
    [HEADER_SUBACCOUNT]: id.subaccount,
    [HEADER_LOCATION]: encodeURIComponent(id.locationID),
    [HEADER_CONNECTOR]: id.connectorName,
  };
}

/** The wait before reconnect attempt `attempt` (0-based). */
export function backoffDelay(b: Backoff, attempt: number): number {
  const base = Math.min(b.reconnectMaxDelayMs, b.reconnectInitialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
