// The cockpit (the proxy's fastify app): GET / is the page, /cockpit/* its script and style (plain
// files from services/cockpit/public, served by @fastify/static), /cockpit/events the live updates
// (event-stream.ts), /cockpit/sample-request the demo button (sample-request.ts), /status the JSON.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import type { TrafficFeed } from '../proxy/traffic-feed.js';
import type { TunnelRegistry } from '../proxy/tunnel-registry.js';
import { cockpitView } from './cockpit-view.js';
import { registerEventStream } from './event-stream.js';
import { registerSampleRequest } from './sample-request.js';
import { registerStatusPage } from './status-page.js';

export interface CockpitOptions {
  config: () => Config;
  registry: TunnelRegistry;
  traffic: TrafficFeed;
  urls: () => Record<string, string>;
  /** Admin server URL per connector name, when this process knows them (scc-sim up does). */
  adminUrls: () => Record<string, string>;
  onConfigChange?: (listener: () => void) => () => void;
  tokenServiceUrl: () => string;
  forwardProxy: () => { host: string; port: number };
}

/**
 * The static files stay in the source tree (tsc copies none): next to this file when run from
 * source, at <package root>/services/cockpit/public when run from dist/ (the Docker images copy
 * services/ for this).
 */
export function publicDir(): string {
  const candidates = [new URL('./public/', import.meta.url), new URL('../../../services/cockpit/public/', import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(`${p}index.html`));
  if (found === undefined) throw new Error(`the cockpit's static files are missing (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
  return found;
}

export async function registerCockpit(app: FastifyInstance, opts: CockpitOptions): Promise<void> {
  await app.register(fastifyStatic, { root: publicDir(), prefix: '/cockpit/', index: false, wildcard: false, cacheControl: false });
  app.addHook('onSend', async (req, reply) => {
    if (req.url === '/' || req.url.startsWith('/cockpit/')) {
      // The page loads nothing from elsewhere; the policy makes sure of it.
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      reply.header('x-content-type-options', 'nosniff');
    }
  });
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html'));
  await registerStatusPage(app, { config: opts.config, registry: opts.registry, urls: opts.urls });
  const view = () => cockpitView(opts.config(), opts.registry, opts.adminUrls());
  app.get('/cockpit/view', async () => view());
  registerEventStream(app, { view, registry: opts.registry, traffic: opts.traffic, onConfigChange: opts.onConfigChange });
  registerSampleRequest(app, { config: opts.config, tokenServiceUrl: opts.tokenServiceUrl, forwardProxy: opts.forwardProxy });
}
