// Audit log settings (scc-rest-api.md §2.7): cross-subaccount `{level, cleanup, logPath}` and per
// subaccount `{level}`; PATCH answers 204 (SAP documents no code: UNCONFIRMED) and applies live.
import type { FastifyPluginAsync } from 'fastify';
import { AuditLogBody, SubaccountAuditLogBody, type AuditLogUpdate } from '../request-schemas.js';
import { CONFIGURATION } from '../response-shapes.js';
import { noContent, operationsFor, refOf, type RouteOptions, type SubaccountParams } from './route-context.js';
import type { AuditLogLevel } from '../../../shared/config-schema.js';

export const auditLogRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  const path = `${CONFIGURATION}/connector/auditLog`;

  app.get(path, async (request) => operationsFor(opts, request).getAuditLog());

  app.patch<{ Body: AuditLogUpdate }>(path, { schema: { body: AuditLogBody } }, async (request, reply) => {
    await operationsFor(opts, request).setAuditLog(request.body);
    return noContent(reply);
  });

  app.get<{ Params: SubaccountParams }>(`${path}/subaccounts/:regionHost/:subaccount`, async (request) =>
    operationsFor(opts, request).getSubaccountAuditLog(refOf(request.params)));

  app.patch<{ Params: SubaccountParams; Body: { level: AuditLogLevel } }>(`${path}/subaccounts/:regionHost/:subaccount`,
    { schema: { body: SubaccountAuditLogBody } }, async (request, reply) => {
      await operationsFor(opts, request).setSubaccountAuditLog(refOf(request.params), request.body.level);
      return noContent(reply);
    });
};
