// SAP Data Intelligence's connection management, the one call a custom operator's runtime needs:
// GET /app/datahub-app-connection/connections/:id → the connection as the operator sees it in
// `api.config.<property>` (sap-contract.md §7; blog reference/000_…txt). The keys the blog's
// operator reads are kept exactly: connectionProperties.host|port and gateway.host|port|
// authentication (a FRESH connectivity access token, as DI hands out). The other keys
// (connectionType, description, gateway.type, gateway.locationID) are UNCONFIRMED: DI's runtime
// shape is not public; change them here, in `connectionView`, only.
// Auth: HTTP Basic (client id + secret) or a Bearer token of any client of the connection's
// subaccount; a connection of another subaccount answers 404, as if it did not exist.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, DiConnectionConfig } from '../shared/config-schema.js';
import type { ClientDirectory, ClientEntry } from '../xsuaa/client-directory.js';
import { issueClientCredentialsToken } from '../xsuaa/token-issuer.js';
import type { SigningKeys } from '../xsuaa/token-keys.js';
import type { TokenVerifier } from '../xsuaa/token-verifier.js';

export interface DiConnectionsOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** A verifier created with `accept: 'any'`. */
  verifier: TokenVerifier;
  issuerBaseUrl: () => string;
  /** Where operators reach the HTTP proxy (known only after listen). */
  gateway: () => { host: string; port: number };
}

export const DI_CONNECTIONS_PATH = '/app/datahub-app-connection/connections';

export const diConnectionsPlugin: FastifyPluginAsync<DiConnectionsOptions> = async (scope, opts) => {
  const { keys, config, clientDirectory, verifier } = opts;

  scope.get(`${DI_CONNECTIONS_PATH}/:id`, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const caller = await authenticate(request.headers.authorization);
    if (typeof caller === 'string') {
      request.log.info({ reason: caller }, 'DI connection view: caller refused');
      reply.header('www-authenticate', 'Basic realm="datahub-app-connection", Bearer');
      return send(reply, 401, { message: `Unauthorized: ${caller}` });
    }
    const { id } = request.params;
    const connection = config.diConnections.find((c) => c.id === id && subaccountOf(c) === caller.subaccount.subaccount);
    if (connection === undefined) return send(reply, 404, { message: `Connection '${id}' does not exist` });
    const gatewayClient = gatewayClientOf(connection);
    if (typeof gatewayClient === 'string') {
      request.log.error({ connectionID: id, reason: gatewayClient }, 'DI connection view: no gateway token');
      return send(reply, 500, { message: gatewayClient });
    }
    const issued = await issueClientCredentialsToken(keys, {
      ...gatewayClient,
      issuerBaseUrl: opts.issuerBaseUrl(),
      connectivityXsappname: config.proxy.connectivityXsappname,
      validitySeconds: config.proxy.tokenValiditySeconds,
    });
    request.log.info({ connectionID: id, clientId: caller.client.clientid, jti: issued.jti }, 'DI connection view served');
    return send(reply, 200, connectionView(connection, opts.gateway(), issued.access_token));
  });

  /** The caller's client, or why it is refused. */
  async function authenticate(header: string | undefined): Promise<ClientEntry | string> {
    if (typeof header !== 'string') return 'no Authorization header (Basic or Bearer)';
    if (/^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const entry = colon < 0 ? undefined : clientDirectory.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
      return entry ?? 'bad client credentials';
    }
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer === null) return 'the Authorization header is neither Basic nor Bearer';
    const decision = await verifier.verify(bearer[1]);
    if (!decision.ok) return decision.reason;
    return clientDirectory.byClientId(decision.clientId) ?? `client ${decision.clientId} is unknown`;
  }

  function subaccountOf(connection: DiConnectionConfig): string {
    return connection.subaccount ?? config.subaccounts[0].subaccount;
  }

  /** The connectivity client whose token the gateway carries, or why there is none. */
  function gatewayClientOf(connection: DiConnectionConfig): ClientEntry | string {
    const subaccount = subaccountOf(connection);
    const wanted = connection.gateway.clientid;
    let entry: ClientEntry | undefined;
    if (wanted !== undefined) entry = clientDirectory.byClientId(wanted);
    else {
      const account = clientDirectory.bySubaccount(subaccount);
      const client = account?.clients.find((c) => c.service === 'connectivity');
      entry = account !== undefined && client !== undefined ? { client, subaccount: account } : undefined;
    }
    if (entry === undefined || entry.client.service !== 'connectivity' || entry.subaccount.subaccount !== subaccount) {
      return `connection '${connection.id}': subaccount ${subaccount} has no connectivity client`
        + `${wanted === undefined ? '' : ` named ${wanted}`} to issue the gateway token`;
    }
    return entry;
  }
};

/** The runtime view of a connection whose gateway is the SAP Cloud Connector. */
export function connectionView(connection: DiConnectionConfig, gateway: { host: string; port: number }, token: string) {
  return {
    configurationType: 'Configuration Manager',
    connectionID: connection.id,
    connectionType: connection.type,
    description: connection.description,
    connectionProperties: { ...connection.connectionProperties },
    gateway: {
      type: 'SAP Cloud Connector',
      host: gateway.host,
      port: gateway.port,
      authentication: token,
      ...(connection.gateway.locationID === '' ? {} : { locationID: connection.gateway.locationID }),
    },
  };
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json;charset=UTF-8').header('cache-control', 'no-store')
    .send(JSON.stringify(body));
}
