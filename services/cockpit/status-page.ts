// The cockpit's "Cloud Connectors" view, simulated: which connectors are connected, per
// subaccount and location ID. GET /status answers JSON, GET / a small HTML page.
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

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function registerStatusPage(app: FastifyInstance, opts: StatusPageOptions): Promise<void> {
  app.get('/status', async () => statusOf(opts));
  app.get('/', async (_req, reply) => {
    const s = statusOf(opts);
    const rows = s.subaccounts.flatMap((a) => (a.cloudConnectors.length === 0
      ? [`<tr><td>${escape(a.subaccount)}</td><td colspan="3"><em>no Cloud Connector connected</em></td></tr>`]
      : a.cloudConnectors.map((c) => `<tr><td>${escape(a.subaccount)}</td><td>${escape(c.locationID || '(default)')}</td>`
        + `<td>${escape(c.connector)}</td><td>${escape(c.connectedSince)}</td></tr>`)));
    const endpoints = Object.entries(s.endpoints).map(([k, v]) => `<li>${escape(k)}: <code>${escape(v)}</code></li>`).join('');
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><html><head><meta charset="utf-8"><title>scc-sim</title></head><body>
<h1>scc-sim — connectivity status</h1><ul>${endpoints}</ul>
<table border="1" cellpadding="4"><tr><th>Subaccount</th><th>Location ID</th><th>Connector</th><th>Connected since</th></tr>
${rows.join('\n')}</table></body></html>`;
  });
}
