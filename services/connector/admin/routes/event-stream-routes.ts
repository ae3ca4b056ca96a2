// The monitor, live (simulator extension; SAP's UI refreshes by hand): `GET /api/monitoring/events`
// is a server-sent event stream of the connector's activity — `event: request` with a request of
// "Most Recent Requests" (the same fields as GET /api/monitoring/mostRecentRequests, plus the
// subaccount and its location ID) once it is answered, `event: tunnel` with a subaccount's new
// tunnel state. `?regionHost=&subaccount=` narrows it to one subaccount. Nothing else is sent: no
// header, no token. A client that stops reading is dropped once MAX_BUFFERED bytes wait for it
// (it reconnects and reads the lists again); a comment every HEARTBEAT_MS keeps the line open.
import type { FastifyPluginAsync } from 'fastify';
import { operationsFor, type RouteOptions } from './route-context.js';

export const HEARTBEAT_MS = 15_000;
export const MAX_BUFFERED = 256 * 1024;

export const eventStreamRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  app.get<{ Querystring: { regionHost?: string; subaccount?: string } }>('/api/monitoring/events', async (request, reply) => {
    const { regionHost, subaccount } = request.query;
    const wanted = (e: { regionHost: string; subaccount: string }) =>
      (regionHost === undefined || e.regionHost === regionHost) && (subaccount === undefined || e.subaccount === subaccount);
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.write(': scc-sim connector activity\nretry: 1000\n\n');
    const send = (event: string, data: unknown) => {
      if (res.writableLength > MAX_BUFFERED) return void res.destroy();
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const stop = operationsFor(opts, request).watchActivity({
      request: (e) => { if (wanted(e)) send('request', e); },
      tunnel: (e) => { if (wanted(e)) send('tunnel', e); },
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS).unref();
    res.on('close', () => { clearInterval(heartbeat); stop(); });
    res.on('error', (err) => request.log.debug({ err }, 'event stream closed by an error')); // a gone client is not a crash
  });
};
