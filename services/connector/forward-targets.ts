// Where the HTTP(S) system mappings of one subaccount forward to: an undici connection pool per
// backend, Host under hostInHeader INTERNAL, and the reverse lookups of responses (redirect
// `Location` internal → virtual, `Set-Cookie` domains per domain mapping). Immutable: a config
// change builds a new set (forward-targets of the new snapshot), reusing the pool — and so the
// open backend connections — of every mapping whose backend did not change; pools no mapping
// uses any more are retired: idle connections closed now, busy ones when their request is done.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Pool as UndiciPool } from 'undici';
import { Pool, buildConnector } from '../shared/undici-pool.js';
import type { DomainMapping, SystemMapping } from '../shared/config-schema.js';
import { MAX_HEADER_BYTES } from '../shared/header-limits.js';

export interface ForwardTarget {
  readonly mapping: SystemMapping;
  /** The backend's connections (shared by every mapping with the same backend and TLS settings). */
  readonly pool: Pool;
  /** `localHost:localPort`, the Host header under hostInHeader INTERNAL. */
  readonly internalAuthority: string;
  /** The TLS server name of an HTTPS backend, constant per pool (see `backendPool`); undefined for HTTP. */
  readonly servername: string | undefined;
  /** The set this target belongs to (for the reverse lookups of its responses). */
  readonly set: ForwardTargets;
}

interface Rewrite {
  /** `http://localhost:3333` (and without the default port) → virtual base. */
  internalBases: string[];
  virtualBase: string;
}

/**
 * A pool of keep-alive connections to one backend. Timeouts are the forwarder's (per mapping), so
 * undici's own are off; its parser refuses a response head over MAX_HEADER_BYTES.
 *
 * TLS: the certificate is checked against the internal host the connector dials, never against
 * the Host header — which is the virtual host under hostInHeader VIRTUAL, and from which undici
 * would derive the server name of each request. So the connector ignores the request's server
 * name and derives it from the pool's origin: the host name as SNI, none for an IP (matched
 * against the IP SANs).
 */
function backendPool(m: SystemMapping, ca: Buffer | undefined): Pool {
  const secure = m.protocol === 'HTTPS';
  const origin = `${secure ? 'https' : 'http'}://${isIP(m.localHost) === 6 ? `[${m.localHost}]` : m.localHost}:${m.localPort}`;
  const options: UndiciPool.Options = { connections: 512, maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: 0, bodyTimeout: 0 };
  if (secure) {
    const tls = buildConnector({ ca, rejectUnauthorized: !m.trustAll });
    options.connect = (opts, cb) => tls({ ...opts, servername: undefined }, cb);
  }
  return new Pool(origin, options);
}

/** The fields that decide the backend connection: equal keys share one pool. */
function poolKey(m: SystemMapping): string {
  return `${m.protocol}\u0000${m.localHost}\u0000${m.localPort}\u0000${m.caFile ?? ''}\u0000${m.trustAll}`;
}

export class ForwardTargets {
  readonly #targets = new Map<SystemMapping, ForwardTarget>();
  readonly #rewrites: Rewrite[] = [];
  readonly #pools = new Map<string, Pool>();
  /** Lower-cased internal domain → virtual domain. */
  readonly #cookieDomains: Map<string, string> | undefined;

  constructor(mappings: readonly SystemMapping[], domainMappings: readonly DomainMapping[], previous?: ForwardTargets) {
    this.#cookieDomains = domainMappings.length === 0 ? undefined
      : new Map(domainMappings.map((d) => [d.internalDomain.toLowerCase().replace(/^\./, ''), d.virtualDomain.replace(/^\./, '')]));
    for (const m of mappings) {
      if (m.protocol !== 'HTTP' && m.protocol !== 'HTTPS') continue;
      const secure = m.protocol === 'HTTPS';
      const ca = m.caFile ? readFileSync(m.caFile) : undefined;
      const key = poolKey(m);
      const pool = this.#pools.get(key) ?? (previous === undefined ? undefined : previous.#pools.get(key)) ?? backendPool(m, ca);
      this.#pools.set(key, pool);
      const port = Number(m.localPort);
      const scheme = secure ? 'https' : 'http';
      const host = m.localHost.toLowerCase();
      this.#rewrites.push({
        internalBases: port === (secure ? 443 : 80) ? [`${scheme}://${host}:${port}`, `${scheme}://${host}`] : [`${scheme}://${host}:${port}`],
        virtualBase: `http://${m.virtualHost}:${m.virtualPort}`,
      });
      this.#targets.set(m, {
        mapping: m, pool, set: this, internalAuthority: `${m.localHost}:${m.localPort}`,
        // Any constant: the pool's connector ignores it (backendPool); a request's server name
        // differing from the connection's would make undici reconnect.
        servername: secure ? m.localHost : undefined,
      });
    }
  }

  get(mapping: SystemMapping): ForwardTarget | undefined {
    return this.#targets.get(mapping);
  }

  /** A redirect to an internal system becomes one to its virtual host (the first matching mapping). */
  rewriteLocation(location: string): string {
    const lower = location.toLowerCase();
    for (const t of this.#rewrites) {
      for (const base of t.internalBases) {
        if (lower.startsWith(base) && (lower.length === base.length || '/?#'.includes(lower[base.length]))) {
          return t.virtualBase + location.slice(base.length);
        }
      }
    }
    return location;
  }

  /** `Set-Cookie: …; Domain=<internal>` → `Domain=<virtual>` per domain mapping; undefined when there is nothing to do. */
  rewriteCookies(cookies: string[] | undefined): string[] | undefined {
    if (this.#cookieDomains === undefined || cookies === undefined) return undefined;
    return cookies.map((cookie) => cookie.replace(/(;\s*domain=)\.?([^;\s]+)/i, (whole, prefix: string, domain: string) => {
      const virtual = this.#cookieDomains!.get(domain.toLowerCase());
      return virtual === undefined ? whole : `${prefix}${virtual}`;
    }));
  }

  /** Retires the pools that `next` does not use (all of them when there is no next): idle connections close now, busy ones when their request is done. */
  retire(next?: ForwardTargets): void {
    for (const [key, pool] of this.#pools) {
      if (next !== undefined && next.#pools.get(key) === pool) continue;
      pool.close().catch(() => {});
    }
  }

  /** Closes every connection now (connector shutdown). */
  destroy(): void {
    for (const pool of this.#pools.values()) pool.destroy().catch(() => {});
  }
}
