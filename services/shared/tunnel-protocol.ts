// What proxy and connector agree on for the tunnel (DESIGN.md "Topology"): the connector dials
// out, asks for an HTTP/1.1 Upgrade with its subaccount credentials and location ID, then both
// speak HTTP/2 over that socket with the roles reversed (proxy = h2 client, connector = h2 server).
import type { Settings } from 'node:http2';
import { TUNNEL_MAX_HEADER_LIST_SIZE, TUNNEL_MAX_HEADER_PAIRS } from './header-limits.js';

export const TUNNEL_PATH = '/scc-sim/tunnel';
export const TUNNEL_UPGRADE = 'scc-sim-tunnel/1';
export const HEADER_SUBACCOUNT = 'x-scc-subaccount';
/** The location ID, percent-encoded (any characters may appear in it). */
export const HEADER_LOCATION = 'x-scc-location-id';
export const HEADER_CONNECTOR = 'x-scc-connector-name';

/**
 * Internal request headers the proxy adds for the connector. The proxy strips any a client sends,
 * the connector strips them before the backend, so none is ever seen outside the tunnel.
 */
export const INTERNAL_HEADER_PREFIX = 'x-scc-sim-';
/**
 * Response header (connector → proxy only): the connector's access decision, for the proxy's log
 * and the cockpit's live traffic: `<verdict> <rule>`, the rule percent-encoded (it names paths and
 * hosts, which may hold any character). The proxy strips it before the client sees the answer.
 */
export const DECISION_HEADER = 'x-scc-sim-decision';

/** What the connector decided: allowed, or refused because no system mapping names the virtual host, or by the resources, or the path. */
export type ConnectorVerdict = 'allowed' | 'unmapped-system' | 'resource-denied' | 'bad-path';

const VERDICTS: ReadonlySet<string> = new Set<ConnectorVerdict>(['allowed', 'unmapped-system', 'resource-denied', 'bad-path']);

/** The DECISION_HEADER value for a verdict and the rule (or reason) behind it. */
export function decisionValue(verdict: ConnectorVerdict, rule: string): string {
  return `${verdict} ${encodeURIComponent(rule)}`;
}

export interface ConnectorDecision { readonly verdict: ConnectorVerdict; readonly rule: string }

/** Decoded values: the same few (one per resource) come back on every request. Bounded. */
const decoded = new Map<string, ConnectorDecision | undefined>();
const MAX_DECODED = 512;

/** Reads a DECISION_HEADER value; undefined when there is none or it is not one. */
export function readDecision(value: string | string[] | undefined): ConnectorDecision | undefined {
  if (typeof value !== 'string') return undefined;
  const known = decoded.get(value);
  if (known !== undefined || decoded.has(value)) return known;
  const decision = decodeDecision(value);
  if (decoded.size >= MAX_DECODED) decoded.clear();
  decoded.set(value, decision);
  return decision;
}

function decodeDecision(value: string): ConnectorDecision | undefined {
  const space = value.indexOf(' ');
  const verdict = space < 0 ? value : value.slice(0, space);
  if (!VERDICTS.has(verdict)) return undefined;
  let rule = '';
  try {
    rule = space < 0 ? '' : decodeURIComponent(value.slice(space + 1));
  } catch {
    rule = value.slice(space + 1);
  }
  return { verdict: verdict as ConnectorVerdict, rule };
}

/**
 * Carriers (proxy: tunnel-pool.ts and tunnel-endpoint.ts, connector: tunnel-client.ts and
 * carrier-server.ts): TCP connections the connector dials to the tunnel endpoint when the proxy
 * asks for one, on which the proxy sends request after request and the connector answers, both as
 * frames (carrier-frames.ts). The proxy asks with a request on the tunnel session (CARRIER_DIAL_PATH) that carries a
 * fresh single-use ticket; the connector dials with the ticket in CARRIER_TICKET_HEADER and
 * `Upgrade: CARRIER_UPGRADE`. The ticket is the credential: it only ever travelled inside the
 * authenticated tunnel, so a carrier belongs to the tunnel that asked for it and to no other.
 */
export const CARRIER_DIAL_PATH = '/scc-sim/carrier';
/** /3: frames of many exchanges (carrier-frames.ts); /2 carried one exchange at a time, /1 was HTTP/1.1: a /3 proxy takes neither. */
export const CARRIER_UPGRADE = 'scc-sim-carrier/3';
export const CARRIER_TICKET_HEADER = 'x-scc-sim-carrier-ticket';

/** Flow-control windows large enough that a single stream is not throttled by window updates. */
export const TUNNEL_H2_SETTINGS: Settings = {
  initialWindowSize: 1 << 20,
  maxFrameSize: 1 << 16,
  maxConcurrentStreams: 10_000,
  maxHeaderListSize: TUNNEL_MAX_HEADER_LIST_SIZE,
};
export const TUNNEL_SESSION_WINDOW = 32 << 20;
export const TUNNEL_MAX_SESSION_MEMORY_MB = 256;

/**
 * The session options of both tunnel ends (proxy: http2.connect, connector: http2.createServer):
 * the settings above and the header limits of every hop (header-limits.ts), so the tunnel carries
 * any head the HTTP/1 side accepted. Node's defaults (128 entries, 64 KiB blocks) reset a stream
 * with 125 headers.
 */
export const TUNNEL_SESSION_OPTIONS = {
  settings: TUNNEL_H2_SETTINGS,
  maxSessionMemory: TUNNEL_MAX_SESSION_MEMORY_MB,
  maxHeaderListPairs: TUNNEL_MAX_HEADER_PAIRS,
  maxSendHeaderBlockLength: TUNNEL_MAX_HEADER_LIST_SIZE,
} as const;

/** HTTP/2 error codes (RFC 9113 §7) by number, for messages that name why a stream was reset. */
const H2_ERROR_NAMES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED'];

export function h2ErrorName(code: number | undefined): string {
  return code === undefined ? 'no error code' : `HTTP/2 ${H2_ERROR_NAMES[code] ?? `error ${code}`}`;
}

/**
 * Request and response headers that apply to one hop only (RFC 9110 §7.6.1) plus HTTP/2's forbidden
 * ones; and `expect`: the proxy's HTTP/1 listener already answered `100-continue` (Node does when no
 * one listens for 'checkContinue'), and http-proxy would skip its per-request hooks — the backend
 * timeouts — for a request that still carries it.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'proxy-authenticate', 'http2-settings', 'host', 'expect',
]);

/** Whether a (lower-case) header name is hop-by-hop (the list above). */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

const NO_TOKENS: readonly string[] = Object.freeze([]);

/**
 * The field names a Connection header lists (lower case), which are hop-by-hop too — except those
 * on the hop-by-hop list already: `keep-alive`, the value nearly every request and answer carries,
 * names nothing more to drop, and costs no array per request.
 */
export function connectionTokens(value: string): readonly string[] {
  if (value === 'keep-alive' || value === 'Keep-Alive') return NO_TOKENS;
  return value.toLowerCase().split(',').map((s) => s.trim());
}

/**
 * Copies headers for the next hop: drops hop-by-hop headers (and those the Connection header
 * names), pseudo-headers, and every header for which `drop(name)` is true.
 */
export function nextHopHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop?: (name: string) => boolean,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connection = headers.connection;
  const named = connection ? connectionTokens(String(connection)) : undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name)) continue;
    if (named?.includes(name) || (drop && drop(name))) continue;
    out[name] = value;
  }
  return out;
}
