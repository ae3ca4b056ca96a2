// GET /cockpit/events: the cockpit's server-sent events. On connect: one `status` event (the
// cockpit view) and the kept `traffic` events; then a `status` event whenever a connector connects
// or drops or the config changes, and a `traffic` event per request through the proxies. A comment
// line every 15 s keeps idle connections open through proxies; every listener goes with the client.
import type { FastifyInstance } from 'fastify';
import type { TrafficEvent, TrafficFeed } from '../proxy/traffic-feed.js';
import type { TunnelRegistry } from '../proxy/tunnel-registry.js';
import type { CockpitView } from './cockpit-view.js';

export const EVENTS_PATH = '/cockpit/events';
export const HEARTBEAT_MS = 15_000;

export interface EventStreamOptions {
  view: () => CockpitView;
  registry: TunnelRegistry;
  traffic: TrafficFeed;
  /** Calls back on every config change; returns the unsubscribe function. */
  onConfigChange?: (listener: () => void) => () => void;
  heartbeatMs?: number;
}

export function registerEventStream(app: FastifyInstance, opts: EventStreamOptions): void {
  app.get(EVENTS_PATH, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const sendStatus = () => send('status', opts.view());
    const sendTraffic = (e: TrafficEvent) => send('traffic', e);
    sendStatus();
    for (const e of opts.traffic.recent()) sendTraffic(e);
    opts.registry.on('connected', sendStatus);
    opts.registry.on('disconnected', sendStatus);
    opts.traffic.on('traffic', sendTraffic);
    const unsubscribe = opts.onConfigChange?.(sendStatus);
    const heartbeat = setInterval(() => { if (!res.destroyed) res.write(': heartbeat\n\n'); }, opts.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    let closed = false;
    const cleanup = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      opts.registry.off('connected', sendStatus);
      opts.registry.off('disconnected', sendStatus);
      opts.traffic.off('traffic', sendTraffic);
      unsubscribe?.();
    };
    req.raw.socket.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
  });
}
