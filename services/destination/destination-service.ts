// The Destination service, consumer side (sap-contract.md §6.3), on the token service's port so
// that the destination binding's `uri` is the token service base URL:
//   GET /destination-configuration/v1/destinations/:name          "find destination": the caller's
//       instance destinations first, then the subaccount's; { owner, destinationConfiguration,
//       authTokens? } ($skipTokenRetrieval=true: no authTokens)
//   GET /destination-configuration/v1/subaccountDestinations[/:name]  bare destination objects
//   GET /destination-configuration/v1/instanceDestinations[/:name]    idem, the caller's instance
// Every call needs `Authorization: Bearer <token of a destination client>`; the token names the
// subaccount and the client (= the service instance). Errors are `{"ErrorMessage": "…"}`.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, DestinationConfig } from '../shared/config-schema.js';
import { instanceGuid } from '../shared/service-instance.js';
import type { ClientDirectory, ClientEntry } from '../xsuaa/client-directory.js';
import { authTokensFor } from './destination-auth-tokens.js';
import type { SigningKeys } from '../xsuaa/token-keys.js';
import type { TokenVerifier } from '../xsuaa/token-verifier.js';

export interface DestinationServiceOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** A verifier created with `accept: 'destination'`. */
  verifier: TokenVerifier;
  issuerBaseUrl: () => string;
}

/**
 * The 404 text of SAP's Destination service for an unknown name. Source: the SAP Cloud SDK for
 * JavaScript compares the answer with exactly this string (SAP/cloud-sdk-js,
 * packages/connectivity/src/scp-cf/destination/destination-service.ts,
 * fetchDestinationWithoutTokenRetrieval: a 404 whose `ErrorMessage` is this text means "not
 * there", anything else is an error; also in @sap-cloud-sdk/connectivity 4.x's published
 * dist/scp-cf/destination/destination-service.js), and its test mocks
 * (test-resources/test/test-util/destination-service-mocks.ts) answer 404 with
 * `{ ErrorMessage: <this text> }`.
 */
export const NOT_FOUND_MESSAGE = 'Configuration with the specified name was not found';

const PREFIX = '/destination-configuration/v1';

interface Caller extends ClientEntry {
  instanceId: string;
}

export const destinationServicePlugin: FastifyPluginAsync<DestinationServiceOptions> = async (scope, opts) => {
  const { keys, config, clientDirectory, verifier, issuerBaseUrl } = opts;
  const callers = new WeakMap<FastifyRequest, Caller>();

  scope.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'destination service failed');
    return sendError(reply, status >= 500 ? 500 : status, status >= 500 ? 'Internal error' : err.message);
  });

  scope.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match === null) return unauthorized(reply, 'no Bearer token in the Authorization header');
    const decision = await verifier.verify(match[1]);
    if (!decision.ok) {
      request.log.info({ reason: decision.reason }, 'destination service: token refused');
      return unauthorized(reply, decision.reason);
    }
    const entry = clientDirectory.byClientId(decision.clientId);
    if (entry === undefined) return unauthorized(reply, `client ${decision.clientId} is unknown`);
    callers.set(request, { ...entry, instanceId: instanceGuid(entry.client.clientid) });
  });

  const caller = (request: FastifyRequest): Caller => callers.get(request)!;
  type Named = FastifyRequest<{ Params: { name: string } }>;

  scope.get(`${PREFIX}/destinations/:name`, async (request: Named, reply) => {
    const who = caller(request);
    const { name } = request.params;
    const instance = who.client.instanceDestinations.find((d) => d.Name === name);
    const found = instance ?? who.subaccount.destinations.find((d) => d.Name === name);
    if (found === undefined) return sendError(reply, 404, NOT_FOUND_MESSAGE);
    const body: Record<string, unknown> = {
      owner: { SubaccountId: who.subaccount.subaccount, InstanceId: instance === undefined ? null : who.instanceId },
      destinationConfiguration: { ...found },
    };
    const query = request.query as Record<string, unknown>;
    if (String(query.$skipTokenRetrieval ?? '').toLowerCase() !== 'true') {
      const authTokens = await authTokensFor(found, {
        keys, config, clientDirectory, issuerBaseUrl: issuerBaseUrl(), subaccount: who.subaccount,
      });
      if (authTokens !== undefined) body.authTokens = authTokens;
    }
    request.log.info({ destination: name, level: instance === undefined ? 'subaccount' : 'instance', clientId: who.client.clientid }, 'destination found');
    return sendJson(reply, 200, body);
  });

  scope.get(`${PREFIX}/subaccountDestinations`, async (request, reply) =>
    sendJson(reply, 200, caller(request).subaccount.destinations.map((d) => ({ ...d }))));
  scope.get(`${PREFIX}/subaccountDestinations/:name`, async (request: Named, reply) =>
    one(reply, caller(request).subaccount.destinations, request.params.name));
  scope.get(`${PREFIX}/instanceDestinations`, async (request, reply) =>
    sendJson(reply, 200, caller(request).client.instanceDestinations.map((d) => ({ ...d }))));
  scope.get(`${PREFIX}/instanceDestinations/:name`, async (request: Named, reply) =>
    one(reply, caller(request).client.instanceDestinations, request.params.name));
};

function one(reply: FastifyReply, list: DestinationConfig[], name: string): FastifyReply {
  const found = list.find((d) => d.Name === name);
  return found === undefined ? sendError(reply, 404, NOT_FOUND_MESSAGE) : sendJson(reply, 200, { ...found });
}

function unauthorized(reply: FastifyReply, reason: string): FastifyReply {
  reply.header('www-authenticate', 'Bearer');
  return sendError(reply, 401, `Unauthorized: ${reason}`);
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, { ErrorMessage: message });
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json;charset=UTF-8').send(JSON.stringify(body));
}
