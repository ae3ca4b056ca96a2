// Where the HTTP(S) system mappings of one subaccount forward to: keep-alive agent, http-proxy
// options, Host under hostInHeader INTERNAL, and the reverse lookups of responses (redirect
// `Location` internal → virtual, `Set-Cookie` domains per domain mapping). Immutable: a config
// change builds a new set (forward-targets of the new snapshot), reusing the agent — and so the
// pooled backend connections — of every mapping whose backend did not change; agents no mapping
// uses any more are retired: idle sockets closed now, busy ones when their request is done.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ServerOptions } from 'http-proxy';
import type { DomainMapping, SystemMapping } from '../shared/config-schema.js';
import { MAX_HEADER_BYTES } from '../shared/header-limits.js';

export interface ForwardTarget {
  readonly mapping: SystemMapping;
  readonly agent: http.Agent;
  /** `localHost:localPort`, the Host header under hostInHeader INTERNAL. */
  readonly internalAuthority: string;
  /** http-proxy options, built once per mapping. */
  readonly options: ServerOptions;
  /** The set this target belongs to (for the reverse lookups of its responses). */
  readonly set: ForwardTargets;
}

interface Rewrite {
  /** `http://localhost:3333` (and without the default port) → virtual base. */
  internalBases: string[];
  virtualBase: string;
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' as const };

/** The fields that decide the backend connection: equal keys share one agent. */
function agentKey(m: SystemMapping): string {
  return `${m.protocol}\u0000${m.localHost}\u0000${m.localPort}\u0000${m.caFile ?? ''}\u0000${m.trustAll}`;
}

export class ForwardTargets {
  readonly #targets = new Map<SystemMapping, ForwardTarget>();
  readonly #rewrites: Rewrite[] = [];
  readonly #agents = new Map<string, http.Agent>();
  /** Lower-cased internal domain → virtual domain. */
  readonly #cookieDomains: Map<string, string> | undefined;

  constructor(mappings: readonly SystemMapping[], domainMappings: readonly DomainMapping[], previous?: ForwardTargets) {
    this.#cookieDomains = domainMappings.length === 0 ? undefined
      : new Map(domainMappings.map((d) => [d.internalDomain.toLowerCase().replace(/^\./, ''), d.virtualDomain.replace(/^\./, '')]));
    for (const m of mappings) {
      if (m.protocol !== 'HTTP' && m.protocol !== 'HTTPS') continue;
      const secure = m.protocol === 'HTTPS';
      const ca = m.caFile ? readFileSync(m.caFile) : undefined;
      const key = agentKey(m);
      // The certificate is checked against the internal host the connector dials, never against the
      // Host header (Node's default servername), which is the virtual host under hostInHeader VIRTUAL.
      // An IP gets no SNI ('' stops Node from deriving one) and is matched against the IP SANs.
      const agent = this.#agents.get(key) ?? (previous === undefined ? undefined : previous.#agents.get(key))
        ?? (secure ? new https.Agent({ ...AGENT_OPTIONS, ca, rejectUnauthorized: !m.trustAll, servername: isIP(m.localHost) ? '' : m.localHost })
          : new http.Agent(AGENT_OPTIONS));
      this.#agents.set(key, agent);
      const port = Number(m.localPort);
      const scheme = secure ? 'https' : 'http';
      const host = m.localHost.toLowerCase();
      const target = { protocol: `${scheme}:`, host: m.localHost, port, ca };
      this.#rewrites.push({
        internalBases: port === (secure ? 443 : 80) ? [`${scheme}://${host}:${port}`, `${scheme}://${host}`] : [`${scheme}://${host}:${port}`],
        virtualBase: `http://${m.virtualHost}:${m.virtualPort}`,
      });
      this.#targets.set(m, {
        mapping: m, agent, set: this, internalAuthority: `${m.localHost}:${m.localPort}`,
        // `ssl` is the object http-proxy fills in and hands to http.request, which copies it: the
        // one way to give the backend client its response-head limit (header-limits.ts).
        options: { target: target as ServerOptions['target'], agent, secure: !m.trustAll, ssl: { maxHeaderSize: MAX_HEADER_BYTES } },
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

  /** Retires the agents that `next` does not use (all of them when there is no next). */
  retire(next?: ForwardTargets): void {
    for (const [key, agent] of this.#agents) {
      if (next !== undefined && next.#agents.get(key) === agent) continue;
      (agent as unknown as { keepAlive: boolean }).keepAlive = false; // busy sockets close when their request is done
      for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    }
  }

  /** Closes every connection now (connector shutdown). */
  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
  }
}
