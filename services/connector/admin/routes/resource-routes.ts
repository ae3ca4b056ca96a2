// Resources of a system mapping (scc-rest-api.md §2.4, §5 rows 15–19). The resource is named by
// SAP's encoded ID in the path (resource-id.ts); the router has percent-decoded it already.
import type { FastifyPluginAsync } from 'fastify';
import { invalid } from '../admin-errors.js';
import { ResourceCreateBody, ResourceUpdateBody, type ResourceInput, type ResourceUpdate } from '../request-schemas.js';
import { decodeResourceId } from '../resource-id.js';
import { resourceJson, urls } from '../response-shapes.js';
import { splitSystem } from '../system-mapping-operations.js';
import { baseUrl, created, MAPPING, noContent, operationsFor, refOf, type MappingParams, type RouteOptions } from './route-context.js';

interface ResourceParams extends MappingParams { resourceId: string }

function resourceIdOf(p: ResourceParams): string {
  const id = decodeResourceId(p.resourceId);
  if (id === undefined) throw invalid(`'${p.resourceId}' is not an encoded resource ID ("+" must start "+2B" or "+2D")`);
  return id;
}

export const resourceRoutes: FastifyPluginAsync<RouteOptions> = async (app, opts) => {
  const mappingUrl = (request: { params: MappingParams } & Parameters<typeof baseUrl>[0], vh: string, vp: string) =>
    urls.systemMapping(baseUrl(request), request.params, { virtualHost: vh, virtualPort: vp });

  app.get<{ Params: MappingParams }>(`${MAPPING}/resources`, async (request) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    const base = mappingUrl(request, virtualHost, virtualPort);
    return operationsFor(opts, request).listResources(refOf(request.params), virtualHost, virtualPort).map((r) => resourceJson(r, base, true));
  });

  app.post<{ Params: MappingParams; Body: ResourceInput }>(`${MAPPING}/resources`, { schema: { body: ResourceCreateBody } }, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    const r = await operationsFor(opts, request).addResource(refOf(request.params), virtualHost, virtualPort, request.body);
    return created(reply, urls.resource(mappingUrl(request, virtualHost, virtualPort), r.id));
  });

  app.delete<{ Params: MappingParams }>(`${MAPPING}/resources`, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    await operationsFor(opts, request).removeAllResources(refOf(request.params), virtualHost, virtualPort);
    return noContent(reply);
  });

  app.get<{ Params: ResourceParams }>(`${MAPPING}/resources/:resourceId`, async (request) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    const r = operationsFor(opts, request).getResource(refOf(request.params), virtualHost, virtualPort, resourceIdOf(request.params));
    return resourceJson(r, mappingUrl(request, virtualHost, virtualPort), false);
  });

  app.put<{ Params: ResourceParams; Body: ResourceUpdate }>(`${MAPPING}/resources/:resourceId`, { schema: { body: ResourceUpdateBody } }, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    await operationsFor(opts, request).replaceResource(refOf(request.params), virtualHost, virtualPort, resourceIdOf(request.params), request.body);
    return noContent(reply);
  });

  app.delete<{ Params: ResourceParams }>(`${MAPPING}/resources/:resourceId`, async (request, reply) => {
    const { virtualHost, virtualPort } = splitSystem(request.params.system);
    await operationsFor(opts, request).removeResource(refOf(request.params), virtualHost, virtualPort, resourceIdOf(request.params));
    return noContent(reply);
  });
};
