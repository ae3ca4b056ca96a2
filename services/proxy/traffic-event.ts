// The live-traffic records of the HTTP forward proxy (traffic-feed.ts): one for an answer that
// came through a tunnel, one for a refusal. Only the route is read (target, location ID header,
// the connector's decision header); no other header, no query string, no token.
import type http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http2';
import type { SimError } from '../shared/errors.js';
import { DECISION_HEADER, readDecision } from '../shared/tunnel-protocol.js';
import { parseProxyTarget } from './absolute-url.js';
import type { TrafficRecord, TrafficVerdict } from './traffic-feed.js';

const LOCATION_HEADER = 'sap-connectivity-scc-location_id';

export interface ProxiedRoute {
  subaccount: string;
  locationId: string;
  connector: string;
  virtualHost: string;
  virtualPort: number;
  path: string;
  user?: string;
}

/** A request the connector answered (allowed, or refused by its access control). */
export function proxiedRecord(method: string, route: ProxiedRoute, headers: IncomingHttpHeaders, status: number, durationMs: number): TrafficRecord {
  const decision = readDecision(headers[DECISION_HEADER]);
  const code = headers['x-internal-error-code'];
  return {
    time: arrival(durationMs), protocol: 'HTTP', method, ...route,
    verdict: decision?.verdict ?? (status >= 500 ? 'failed' : 'allowed'),
    rule: decision?.rule ?? '',
    status, code: typeof code === 'string' ? code : undefined, durationMs,
  };
}

/** Context the forward proxy logs with a refusal; the fields read here. */
export interface RefusalContext {
  subaccount?: unknown;
  locationId?: unknown;
  connector?: unknown;
  reason?: unknown;
}

/** A request the proxy answered itself: bad request, token refused, no connector, tunnel lost. */
export function refusedRecord(req: http.IncomingMessage, err: SimError, ctx: RefusalContext, durationMs: number): TrafficRecord {
  const target = parseProxyTarget(req.method, req.url);
  const location = req.headers[LOCATION_HEADER];
  return {
    time: arrival(durationMs), protocol: 'HTTP', method: req.method ?? '',
    subaccount: typeof ctx.subaccount === 'string' ? ctx.subaccount : undefined,
    locationId: typeof ctx.locationId === 'string' ? ctx.locationId : (typeof location === 'string' ? location.trim() : ''),
    connector: typeof ctx.connector === 'string' ? ctx.connector : undefined,
    virtualHost: target.ok ? target.host : undefined,
    virtualPort: target.ok ? target.port : undefined,
    path: target.ok ? target.path : undefined,
    verdict: verdictOf(err),
    rule: typeof ctx.reason === 'string' ? ctx.reason : err.message,
    status: err.statusCode, code: err.code, durationMs,
  };
}

export function verdictOf(err: SimError): TrafficVerdict {
  if (err.code === 'PROXY_AUTHENTICATION_REQUIRED' || err.code === 'PROXY_PRINCIPAL_INVALID') return 'token-refused';
  if (err.code === 'SCC_NO_TUNNEL') return 'no-connector';
  return err.statusCode >= 500 ? 'failed' : 'refused';
}

function arrival(durationMs: number): number {
  return Date.now() - durationMs;
}
