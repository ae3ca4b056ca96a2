// The connected connectors, one per (subaccount, location ID). Pure data structure: the tunnel
// endpoint adds and removes entries; the HTTP and SOCKS5 front ends look them up per request.
import type { ClientHttp2Session } from 'node:http2';
import type { TunnelPool } from './tunnel-pool.js';
import { EventEmitter } from 'node:events';

export interface Tunnel {
  readonly subaccount: string;
  readonly locationId: string;
  readonly connectorName: string;
  readonly remoteAddress: string;
  readonly connectedSince: number;
  readonly session: ClientHttp2Session;
  /** Requests on pooled carriers of this tunnel (tunnel-pool.ts). */
  readonly pool: TunnelPool;
  /** Whether the connector still answers on `session`: true once it acknowledges a PING, false when the tunnel is declared dead. */
  probe(): Promise<boolean>;
}

export type LookupResult = { found: true; tunnel: Tunnel } | { found: false; reason: string };

export class TunnelRegistry extends EventEmitter {
  readonly #tunnels = new Map<string, Tunnel>();

  static key(subaccount: string, locationId: string): string {
    return `${subaccount}\u0000${locationId}`;
  }

  /** Adds a tunnel; false when another connector already holds (subaccount, location). */
  add(tunnel: Tunnel): boolean {
    const key = TunnelRegistry.key(tunnel.subaccount, tunnel.locationId);
    if (this.#tunnels.has(key)) return false;
    this.#tunnels.set(key, tunnel);
    this.emit('connected', tunnel);
    return true;
  }

  /** Removes exactly this tunnel (a newer one under the same key is left alone). */
  remove(tunnel: Tunnel): void {
    const key = TunnelRegistry.key(tunnel.subaccount, tunnel.locationId);
    if (this.#tunnels.get(key) === tunnel) {
      this.#tunnels.delete(key);
      this.emit('disconnected', tunnel);
    }
  }

  get(subaccount: string, locationId: string): Tunnel | undefined {
    return this.#tunnels.get(TunnelRegistry.key(subaccount, locationId));
  }

  /** Like get, with an explanation for the log when nothing is connected. */
  lookup(subaccount: string, locationId: string): LookupResult {
    const tunnel = this.get(subaccount, locationId);
    if (tunnel && !tunnel.session.closed && !tunnel.session.destroyed) return { found: true, tunnel };
    const others = this.list().filter((t) => t.subaccount === subaccount).map((t) => JSON.stringify(t.locationId));
    return {
      found: false,
      reason: others.length > 0
        ? `subaccount ${subaccount} has connectors only for location IDs ${others.join(', ')}`
        : `no connector of subaccount ${subaccount} is connected`,
    };
  }

  list(): Tunnel[] {
    return [...this.#tunnels.values()];
  }

  get size(): number {
    return this.#tunnels.size;
  }
}
