// Subaccounts (scc-rest-api.md §2.2, §5 rows 2–9): list, create (201 + Location + the entity),
// read, edit (200 + the entity: a 204 breaks the Terraform provider), delete, state, validity, trust.
import type { FastifyPluginAsync } from 'fastify';
import { flag, StateBody, SubaccountCreateBody, SubaccountUpdateBody, TrustBody, ValidityBody, type FlagValue, type SubaccountCreate, type SubaccountUpdate } from '../request-schemas.js';
import { CONFIGURATION, subaccountEntity, subaccountListItem, urls } from '../response-shapes.js';
import { baseUrl, created, noContent, operationsFor, refOf, SUBACCOUNT, type RouteOptions, type SubaccountParams } from './route-context.js';

export const subaccountRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  app.get(`${CONFIGURATION}/subaccounts`, async (request) =>
    operationsFor(opts, request).listSubaccounts().map((s) => subaccountListItem(s, baseUrl(request))));

  app.post<{ Body: SubaccountCreate }>(`${CONFIGURATION}/subaccounts`, { schema: { body: SubaccountCreateBody } }, async (request, reply) => {
    const view = await operationsFor(opts, request).addSubaccount(request.body);
    const base = baseUrl(request);
    return created(reply, urls.subaccount(base, view.config), subaccountEntity(view, base));
  });

  app.get<{ Params: SubaccountParams }>(SUBACCOUNT, async (request) =>
    subaccountEntity(await operationsFor(opts, request).getSubaccount(refOf(request.params)), baseUrl(request)));

  app.put<{ Params: SubaccountParams; Body: SubaccountUpdate }>(SUBACCOUNT, { schema: { body: SubaccountUpdateBody } }, async (request) =>
    subaccountEntity(await operationsFor(opts, request).updateSubaccount(refOf(request.params), request.body), baseUrl(request)));

  app.delete<{ Params: SubaccountParams }>(SUBACCOUNT, async (request, reply) => {
    await operationsFor(opts, request).removeSubaccount(refOf(request.params));
    return noContent(reply);
  });

  app.put<{ Params: SubaccountParams; Body: { connected: FlagValue } }>(`${SUBACCOUNT}/state`, { schema: { body: StateBody } }, async (request, reply) => {
    await operationsFor(opts, request).setConnected(refOf(request.params), flag(request.body.connected)!);
    return noContent(reply);
  });

  app.post<{ Params: SubaccountParams; Body: { user?: string; password?: string; authenticationData?: string } }>(`${SUBACCOUNT}/validity`,
    { schema: { body: ValidityBody } }, async (request) =>
      subaccountEntity(await operationsFor(opts, request).renewCertificate(refOf(request.params), request.body), baseUrl(request)));

  app.get<{ Params: SubaccountParams }>(`${SUBACCOUNT}/trust`, async (request) => operationsFor(opts, request).getTrust(refOf(request.params)));

  app.post<{ Params: SubaccountParams }>(`${SUBACCOUNT}/trust`, async (request, reply) => {
    operationsFor(opts, request).syncTrust(refOf(request.params));
    return noContent(reply);
  });

  app.put<{ Params: SubaccountParams; Body: { autoSyncTrustEnabled: FlagValue } }>(`${SUBACCOUNT}/trust`, { schema: { body: TrustBody } }, async (request, reply) => {
    await operationsFor(opts, request).setTrust(refOf(request.params), flag(request.body.autoSyncTrustEnabled)!);
    return noContent(reply);
  });
};
