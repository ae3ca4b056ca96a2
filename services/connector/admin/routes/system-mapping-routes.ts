// System mappings of a subaccount (scc-rest-api.md §2.3, §5 rows 10–14): the mapping is named by
// `{virtualHost}:{virtualPort}` in the path. POST answers 201 + Location with no body, PUT 204.
import type { FastifyPluginAsync } from 'fastify';
import { SystemMappingBody, type SystemMappingInput } from '../request-schemas.js';
import { systemMappingJson, urls } from '../response-shapes.js';
import { splitSystem } from '../system-mapping-operations.js';
import { baseUrl, created, MAPPING, noContent, operationsFor, refOf, SUBACCOUNT, type MappingParams, type RouteOptions, type SubaccountParams } from './route-context.js';

export const systemMappingRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  app.get<{ Params: SubaccountParams }>(`${SUBACCOUNT}/systemMappings`, async (request) =>
    operationsFor(opts, request).listSystemMappings(refOf(request.params)).map((m) => systemMappingJson(m, request.params, baseUrl(request))));

  app.post<{ Params: SubaccountParams; Body: SystemMappingInput }>(`${SUBACCOUNT}/systemMappings`, { schema: { body: SystemMappingBody } }, async (request, reply) => {
    const m = await operationsFor(opts, request).addSystemMapping(refOf(request.params), request.body);
    return created(reply, urls.systemMapping(baseUrl(request), request.params, m));
  });

  app.delete<{ Params: SubaccountParams }>(`${SUBACCOUNT}/systemMappings`, async (request, reply) => {
    await operationsFor(opts, request).removeAllSystemMappings(refOf(request.params));
    return noContent(reply);
  });

  app.get<{ Params: MappingParams }>(MAPPING, async (request) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    return systemMappingJson(operationsFor(opts, request).getSystemMapping(refOf(request.params), virtualHost, virtualPort), request.params, baseUrl(request));
  });

  app.put<{ Params: MappingParams; Body: SystemMappingInput }>(MAPPING, { schema: { body: SystemMappingBody } }, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    await operationsFor(opts, request).replaceSystemMapping(refOf(request.params), virtualHost, virtualPort, request.body);
    return noContent(reply);
  });

  app.delete<{ Params: MappingParams }>(MAPPING, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    await operationsFor(opts, request).removeSystemMapping(refOf(request.params), virtualHost, virtualPort);
    return noContent(reply);
  });
};
