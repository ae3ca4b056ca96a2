// The connector itself: version (the Terraform provider's first call), common properties,
// the admin user's password, and the health check `GET /exposed?action=ping`.
import type { FastifyPluginAsync } from 'fastify';
import { invalid } from '../admin-errors.js';
import { BasicAuthenticationBody, ConnectorBody, type BasicAuthenticationChange } from '../request-schemas.js';
import { CONFIGURATION } from '../response-shapes.js';
import { noContent, operationsFor, type RouteOptions } from './route-context.js';

export const versionRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  app.get('/api/v1/connector/version', async (request, reply) => {
    reply.header('cache-control', 'max-age=3600');
    return operationsFor(opts, request).version();
  });

  // SAP documents no body; the process is up if this answers. Behind Basic auth like everything else (README).
  app.get<{ Querystring: { action?: string } }>('/exposed', async (request) => {
    if (request.query.action !== 'ping') throw invalid('Only action=ping is supported');
    return { status: 'UP' };
  });

  app.get(`${CONFIGURATION}/connector`, async (request) => operationsFor(opts, request).getConnector());

  app.put<{ Body: { description: string } }>(`${CONFIGURATION}/connector`, { schema: { body: ConnectorBody } }, async (request) => {
    const ops = operationsFor(opts, request);
    await ops.setDescription(request.body.description);
    return ops.getConnector();
  });

  app.put<{ Body: BasicAuthenticationChange }>(`${CONFIGURATION}/connector/authentication/basic`, { schema: { body: BasicAuthenticationBody } }, async (request, reply) => {
    await operationsFor(opts, request).changeBasicAuthentication(request.body);
    return noContent(reply);
  });
};
