// Every TCP port the configured world listens on, each with the config field that asks for it —
// one list, so that `scc-sim check` finds two of them on one port before `up` fails with a bare
// EADDRINUSE (issue 11, defect 8). Port 0 (ephemeral) never collides. Also the listeners' rule
// that Node enforces at start: the head timeout is within the request timeout.
import type { Config } from './config-schema.js';

export interface Listener {
  host: string;
  port: number;
  /** The config path, as in every problem: `proxy.httpPort`, `backends[1].port`. */
  path: string;
}

/** The listeners of the proxy service, the backends and the connectors' admin servers. */
export function listenersOf(c: Config): Listener[] {
  const p = c.proxy;
  const proxy = (field: 'httpPort' | 'socks5Port' | 'tokenServicePort' | 'tokenServiceHttpsPort' | 'tunnelPort'): Listener =>
    ({ host: p.host, port: p[field], path: `proxy.${field}` });
  return [
    proxy('httpPort'), proxy('socks5Port'), proxy('tokenServicePort'), proxy('tokenServiceHttpsPort'), proxy('tunnelPort'),
    ...c.backends.map((b, i) => ({ host: b.host, port: b.port, path: `backends[${i}].port` })),
    // Admin servers with an explicit port (the defaults are picked later, around every port here).
    ...c.connectors.flatMap((k, i) => (k.adminPort === undefined ? [] : [{ host: k.adminHost, port: k.adminPort, path: `connectors[${i}].adminPort` }])),
  ];
}

const WILDCARD = new Set(['', '0.0.0.0', '::']);
const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** Whether two bind addresses can clash: the same one, a wildcard (binds them all), or `localhost` and a loopback address. */
function overlaps(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y || WILDCARD.has(x) || WILDCARD.has(y)) return true;
  return (x === 'localhost' && LOOPBACK.has(y)) || (y === 'localhost' && LOOPBACK.has(x));
}

/** One problem per listener whose port an earlier one already takes on an overlapping address. */
export function portConflicts(listeners: readonly Listener[]): string[] {
  const out: string[] = [];
  listeners.forEach((l, i) => {
    if (l.port === 0) return;
    const first = listeners.slice(0, i).find((o) => o.port === l.port && overlaps(o.host, l.host));
    if (first) out.push(`${l.path}: port ${l.port} on ${l.host} is already ${first.path}${first.host === l.host ? '' : ` (on ${first.host})`}`);
  });
  return out;
}

/** Every problem of the configured listeners: ports taken twice, timeouts Node would refuse. */
export function listenerProblems(c: Config): string[] {
  const out = portConflicts(listenersOf(c));
  if (c.proxy.headersTimeoutMs > c.proxy.requestTimeoutMs) out.push('proxy.headersTimeoutMs: must be <= proxy.requestTimeoutMs');
  return out;
}
