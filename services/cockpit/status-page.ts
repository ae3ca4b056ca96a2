// GET /status: which connectors are connected, per subaccount and location ID, and the proxy's
// endpoints, as JSON (scripts and tests read it; the cockpit page is cockpit-page.ts).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import type { TunnelRegistry } from '../proxy/tunnel-registry.js';

export interface StatusPageOptions {
  /** The config, or a function giving the current one. */
  config: Config | (() => Config);
  registry: TunnelRegistry;
  urls: () => Record<string, string>;
}

export function statusOf({ config: source, registry, urls }: StatusPageOptions) {
  const config = typeof source === 'function' ? source() : source;
  const connected = registry.list();
  return {
    endpoints: urls(),
    subaccounts: config.subaccounts.map((s) => ({
      subaccount: s.subaccount,
      subdomain: s.subdomain,
      cloudConnectors: connected.filter((t) => t.subaccount === s.subaccount).map((t) => ({
        locationID: t.locationId,
        connector: t.connectorName,
        remoteAddress: t.remoteAddress,
        connectedSince: new Date(t.connectedSince).toISOString(),
        state: 'Connected',
      })),
    })),
  };
}

export async function registerStatusPage(app: FastifyInstance, opts: StatusPageOptions): Promise<void> {
  app.get('/status', async () => statusOf(opts));
}
