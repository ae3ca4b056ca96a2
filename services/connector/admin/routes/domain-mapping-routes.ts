// Domain mappings of a subaccount (scc-rest-api.md §2.5, §5 row 20): list, create (201, no body),
// replace by the current internal domain (204; may rename it), delete, delete all.
import type { FastifyPluginAsync } from 'fastify';
import { DomainMappingBody, type DomainMappingInput } from '../request-schemas.js';
import { domainMappingJson, urls } from '../response-shapes.js';
import { baseUrl, created, noContent, operationsFor, refOf, SUBACCOUNT, type RouteOptions, type SubaccountParams } from './route-context.js';

interface DomainParams extends SubaccountParams { internalDomain: string }

export const domainMappingRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  const path = `${SUBACCOUNT}/domainMappings`;

  app.get<{ Params: SubaccountParams }>(path, async (request) =>
    operationsFor(opts, request).listDomainMappings(refOf(request.params)).map((d) => domainMappingJson(d, request.params, baseUrl(request))));

  app.post<{ Params: SubaccountParams; Body: DomainMappingInput }>(path, { schema: { body: DomainMappingBody } }, async (request, reply) => {
    await operationsFor(opts, request).addDomainMapping(refOf(request.params), request.body);
    return created(reply, urls.domainMapping(baseUrl(request), request.params, request.body.internalDomain));
  });

  app.delete<{ Params: SubaccountParams }>(path, async (request, reply) => {
    await operationsFor(opts, request).removeAllDomainMappings(refOf(request.params));
    return noContent(reply);
  });

  app.put<{ Params: DomainParams; Body: DomainMappingInput }>(`${path}/:internalDomain`, { schema: { body: DomainMappingBody } }, async (request, reply) => {
    await operationsFor(opts, request).replaceDomainMapping(refOf(request.params), request.params.internalDomain, request.body);
    return noContent(reply);
  });

  app.delete<{ Params: DomainParams }>(`${path}/:internalDomain`, async (request, reply) => {
    await operationsFor(opts, request).removeDomainMapping(refOf(request.params), request.params.internalDomain);
    return noContent(reply);
  });
};
