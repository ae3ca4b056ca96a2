// What every route file shares: the operations (bound to the authenticated admin user), the
// subaccount path parameters, the base URL for `_links` and `Location`, and the answers without a
// body (201 + Location, 204).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminOperations } from '../admin-operations.js';
import type { SubaccountRef } from '../config-document.js';
import { CONFIGURATION } from '../response-shapes.js';

export interface RouteOptions {
  operations: AdminOperations;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin user the request authenticated as. */
    sccUser?: string;
  }
}

export const SUBACCOUNT = `${CONFIGURATION}/subaccounts/:regionHost/:subaccount`;
export const MAPPING = `${SUBACCOUNT}/systemMappings/:system`;

export interface SubaccountParams { regionHost: string; subaccount: string }
export interface MappingParams extends SubaccountParams { system: string }

export function refOf(p: SubaccountParams): SubaccountRef {
  return { regionHost: p.regionHost, subaccount: p.subaccount };
}

export function operationsFor(opts: RouteOptions, request: FastifyRequest): AdminOperations {
  return request.sccUser === undefined ? opts.operations : opts.operations.as(request.sccUser);
}

/** `https://<Host>`: how the client reached the admin server (for `_links` and `Location`). */
export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** 201 with the full URI of the new entity in `Location`; mappings, resources and domains answer without a body. */
export function created(reply: FastifyReply, location: string, body?: unknown): FastifyReply {
  reply.code(201).header('location', location);
  return body === undefined ? reply.send() : reply.send(body);
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
