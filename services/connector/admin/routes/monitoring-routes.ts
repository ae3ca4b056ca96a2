// Monitoring (scc-rest-api.md §2.9): `GET /api/monitoring/subaccounts` as SAP documents it, and
// two simulator extensions (SAP shows these only in its UI, with no REST API):
//   GET/DELETE /api/monitoring/mostRecentRequests[?regionHost=&subaccount=]  the last 50 requests per subaccount
//   GET        /api/monitoring/auditLog                                       the connector's recent audit entries
import type { FastifyPluginAsync } from 'fastify';
import { SCC_VERSION } from '../connector-operations.js';
import { monitoredSubaccount } from '../response-shapes.js';
import { noContent, operationsFor, type RouteOptions } from './route-context.js';

export const monitoringRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  app.get('/api/monitoring/subaccounts', async (request) => {
    const ops = operationsFor(opts, request);
    const views = await Promise.all(ops.listSubaccounts().map((s) => ops.getSubaccount(s)));
    return { subaccounts: views.map(monitoredSubaccount), version: SCC_VERSION };
  });

  app.get<{ Querystring: { regionHost?: string; subaccount?: string } }>('/api/monitoring/mostRecentRequests', async (request) => {
    const { regionHost, subaccount } = request.query;
    const ref = regionHost !== undefined && subaccount !== undefined ? { regionHost, subaccount } : undefined;
    return { subaccounts: operationsFor(opts, request).recentRequests(ref) };
  });

  app.delete('/api/monitoring/mostRecentRequests', async (request, reply) => {
    operationsFor(opts, request).clearRecentRequests();
    return noContent(reply);
  });

  app.get('/api/monitoring/auditLog', async (request) => ({ entries: operationsFor(opts, request).auditEntries() }));
};
