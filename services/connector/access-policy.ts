// The Cloud Connector's access control (sap-contract.md §4.1, §4.2) as plain data in, a decision
// out: which system mapping a virtual host:port names, and whether a path is allowed by its
// resources (for a WebSocket upgrade also whether the resource allows one). Pure: no I/O, no
// fastify, no http. Every decision explains itself in `reason`.
//
// Simulator choices where the contract says UNCONFIRMED (one place, listed in the README):
//   - virtual host compared case-insensitively (DNS semantics); resource ids case-sensitively;
//   - the path is normalised first (path-normalizer.ts); the normalised path is what is forwarded;
//   - precedence: the longest matching resource id wins; if it is suspended the request is denied
//     even when a broader enabled resource matches too; on a tie a suspended resource wins;
//   - no trailing-slash leniency: exact resource `/a` does not allow `/a/`.
import type { Resource, SystemMapping } from '../shared/config-schema.js';
import { normalizePath } from './path-normalizer.js';

export type AccessDeniedCode = 'SCC_ACCESS_DENIED_SYSTEM' | 'SCC_ACCESS_DENIED_RESOURCE' | 'SCC_BAD_PATH';

export type AccessDecision =
  | { allowed: true; mapping: SystemMapping; resource: Resource; path: string; reason: string }
  | { allowed: false; code: AccessDeniedCode; reason: string; mapping?: SystemMapping; resource?: Resource; path: string };

export interface AccessPolicy {
  /** The HTTP/HTTPS mapping for a virtual host:port, if any. */
  findSystem(virtualHost: string, virtualPort: number): SystemMapping | undefined;
  /** The TCP/TCPS mapping for a virtual host:port; a mapping port `low-high` covers the range. */
  findTcpSystem(virtualHost: string, virtualPort: number): SystemMapping | undefined;
  /** System, then path normalisation, then resources. `rawPath` excludes the query string. */
  check(virtualHost: string, virtualPort: number, rawPath: string): AccessDecision;
  /**
   * A WebSocket upgrade: check(), then the deciding resource's `websocketUpgradeAllowed` (§4.2).
   * A resource that allows the path but not the upgrade denies it like a path no resource allows.
   */
  checkUpgrade(virtualHost: string, virtualPort: number, rawPath: string): AccessDecision;
}

interface HttpSystem {
  mapping: SystemMapping;
  /** Resources, longest id first; on equal ids the suspended one first. */
  resources: Resource[];
  /** "(resources: /public [path and sub-paths], /admin [path only, suspended])" */
  listing: string;
}

interface TcpSystem {
  host: string;
  low: number;
  high: number;
  mapping: SystemMapping;
}

const MAX_LISTED_SYSTEMS = 10;

export function createAccessPolicy(mappings: readonly SystemMapping[]): AccessPolicy {
  const http = new Map<string, HttpSystem>();
  const tcp: TcpSystem[] = [];
  for (const mapping of mappings) {
    const host = mapping.virtualHost.toLowerCase();
    const range = portRange(mapping.virtualPort);
    if (range === undefined) continue;
    if (mapping.protocol === 'TCP' || mapping.protocol === 'TCPS') {
      tcp.push({ host, low: range[0], high: range[1], mapping });
    } else if (range[0] === range[1]) {
      const key = `${host}:${range[0]}`;
      if (!http.has(key)) http.set(key, compileSystem(mapping)); // the first mapping wins
    }
  }
  const knownSystems = describeSystems([...http.values()].map((s) => s.mapping));

  function findHttp(virtualHost: string, virtualPort: number): HttpSystem | undefined {
    return http.get(`${virtualHost.toLowerCase()}:${virtualPort}`);
  }

  const policy: AccessPolicy = {
    findSystem: (virtualHost, virtualPort) => findHttp(virtualHost, virtualPort)?.mapping,

    checkUpgrade(virtualHost, virtualPort, rawPath) {
      const d = policy.check(virtualHost, virtualPort, rawPath);
      if (!d.allowed) return d;
      const { mapping, resource, path } = d;
      if (resource.websocketUpgradeAllowed !== true) {
        return {
          allowed: false, code: 'SCC_ACCESS_DENIED_RESOURCE', mapping, resource, path,
          reason: `WebSocket upgrade not allowed: ${describeResource(resource)} of system ${systemName(mapping)} allows ${path} but not an upgrade (websocketUpgradeAllowed is false)`,
        };
      }
      return { ...d, reason: `${describeResource(resource)} of system ${systemName(mapping)} allows the WebSocket upgrade to ${path}` };
    },

    findTcpSystem(virtualHost, virtualPort) {
      const host = virtualHost.toLowerCase();
      return tcp.find((s) => s.host === host && virtualPort >= s.low && virtualPort <= s.high)?.mapping;
    },

    check(virtualHost, virtualPort, rawPath) {
      const system = findHttp(virtualHost, virtualPort);
      if (system === undefined) {
        return {
          allowed: false, code: 'SCC_ACCESS_DENIED_SYSTEM', path: rawPath,
          reason: `no HTTP/HTTPS system mapping for virtual host ${virtualHost}:${virtualPort} (systems: ${knownSystems})`,
        };
      }
      const { mapping } = system;
      const name = systemName(mapping);
      const normalized = normalizePath(rawPath);
      if (!normalized.ok) {
        return { allowed: false, code: 'SCC_BAD_PATH', mapping, path: rawPath, reason: `path refused for system ${name}: ${normalized.reason}` };
      }
      const { path } = normalized;
      const resource = system.resources.find((r) => matches(r, path));
      if (resource === undefined) {
        return {
          allowed: false, code: 'SCC_ACCESS_DENIED_RESOURCE', mapping, path,
          reason: `no resource of system ${name} matches ${path} ${system.listing}`,
        };
      }
      if (isSuspended(resource)) {
        return {
          allowed: false, code: 'SCC_ACCESS_DENIED_RESOURCE', mapping, resource, path,
          reason: `resource suspended: ${describeResource(resource)} of system ${name} is the most specific match for ${path} ${system.listing}`,
        };
      }
      return { allowed: true, mapping, resource, path, reason: `${describeResource(resource)} of system ${name} allows ${path}` };
    },
  };
  return policy;
}

function compileSystem(mapping: SystemMapping): HttpSystem {
  const resources = [...mapping.resources].sort((a, b) =>
    b.id.length - a.id.length || Number(isSuspended(b)) - Number(isSuspended(a)));
  const listing = `(resources: ${mapping.resources.length === 0 ? 'none' : mapping.resources.map(describeResource).join(', ')})`;
  return { mapping, resources, listing };
}

/** Only an explicit `enabled: false` suspends (the schema default is true). */
function isSuspended(resource: Resource): boolean {
  return resource.enabled === false;
}

function matches(resource: Resource, path: string): boolean {
  return resource.exactMatchOnly ? path === resource.id : path.startsWith(resource.id);
}

/** A mapping port (number, "3333" or "2000-2010") as an inclusive range; undefined if unusable. */
function portRange(port: number | string): [number, number] | undefined {
  const [low, high = low] = String(port).split('-').map(Number);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low! > high!) return undefined;
  return [low!, high!];
}

function systemName(mapping: SystemMapping): string {
  return `${mapping.virtualHost}:${mapping.virtualPort}`;
}

function describeResource(resource: Resource): string {
  const policy = resource.exactMatchOnly ? 'path only' : 'path and sub-paths';
  return `${resource.id} [${policy}${isSuspended(resource) ? ', suspended' : ''}]`;
}

function describeSystems(mappings: SystemMapping[]): string {
  if (mappings.length === 0) return 'none';
  const listed = mappings.slice(0, MAX_LISTED_SYSTEMS).map(systemName).join(', ');
  const more = mappings.length - MAX_LISTED_SYSTEMS;
  return more > 0 ? `${listed} and ${more} more` : listed;
}
