// The XSUAA token endpoint as apps call it (sap-contract.md §6.4, reference/xsuaa-login.md): POST
// or GET /oauth/token with client credentials in an HTTP Basic header or in the parameters, GET
// /token_keys (JWKS), and the login of login-endpoints.ts. Parameters are read from the query
// string and the body (form or JSON; the body wins), as UAA (Spring) does. Checked in this order:
// client credentials, the tenant (`<subdomain>.<uaadomain>` in Host, the `x-zid` header, `app_tid`:
// each must name the client's subaccount), the grant type, then the grant's own input
// (user-grants.ts). client_credentials gives a client token; the user grants (password,
// jwt-bearer, authorization_code, refresh_token) a user token with the user's role-collection
// scopes and a refresh token. A `scope` parameter narrows either.
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import { AuthorizationCodes } from './authorization-codes.js';
import type { ClientDirectory, ClientEntry } from './client-directory.js';
import { loginEndpointsPlugin } from './login-endpoints.js';
import { LoginSessions } from './login-sessions.js';
import { RefreshTokens } from './refresh-tokens.js';
import { scopesForClient, userGrants } from './role-collections.js';
import { narrowScopes } from './scope-narrowing.js';
import { tenantOfHost } from './tenant-host.js';
import { issueClientCredentialsToken, issueUserToken, JWT_BEARER, scopesFor, type UserGrantType } from './token-issuer.js';
import type { SigningKeys } from './token-keys.js';
import { createUserDirectory, type UserDirectory } from './user-directory.js';
import { createUserGrants, str, type FoundUser, type Params } from './user-grants.js';
import { createUserTokenVerifier, type UserTokenVerifier } from './user-token-verifier.js';

export interface TokenServiceOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** A function: the port is known only after listen. */
  issuerBaseUrl: () => string;
  /** Users for the password grant and the login page; default: built from `config`. */
  userDirectory?: UserDirectory;
  /** Checks jwt-bearer assertions; default: built from `keys`, `config`, `issuerBaseUrl`. */
  userTokenVerifier?: UserTokenVerifier;
  /** Clock in epoch milliseconds for codes, refresh tokens, sessions and tokens (tests move it); default Date.now. */
  now?: () => number;
}

const JSON_UTF8 = 'application/json;charset=UTF-8';
const FORM = 'application/x-www-form-urlencoded';
const BAD_CREDENTIALS = { error: 'invalid_client', error_description: 'Bad credentials' };
const WWW_AUTHENTICATE = 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"';
const USER_GRANT_TYPES: readonly UserGrantType[] = ['password', JWT_BEARER, 'authorization_code', 'refresh_token'];
const GRANTS = ['client_credentials', ...USER_GRANT_TYPES];
const REFRESH_TOKEN_VALIDITY_SECONDS = 604800;

/** Registers the token routes in their own encapsulated scope (own body parser, own error answers). */
export function registerTokenService(app: FastifyInstance, opts: TokenServiceOptions) {
  return app.register(tokenServicePlugin, opts);
}

export const tokenServicePlugin: FastifyPluginAsync<TokenServiceOptions> = async (scope, opts) => {
  const { keys, config, clientDirectory, issuerBaseUrl } = opts;
  const now = opts.now ?? Date.now;
  const users = opts.userDirectory ?? createUserDirectory(config);
  const assertions = opts.userTokenVerifier ?? createUserTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl, now });
  const codes = new AuthorizationCodes(config.proxy.authorizationCodeValiditySeconds, { now });
  const refreshTokens = new RefreshTokens({ now });
  const sessions = new LoginSessions(config.proxy.loginSessionSeconds, { now });
  const grants = createUserGrants({ users, assertions, codes, refreshTokens });

  if (!scope.hasContentTypeParser(FORM)) {
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 65536 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
  }

  scope.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'token service failed');
      return send(reply, 500, { error: 'server_error', error_description: 'Internal error' });
    }
    return send(reply, status === 413 || status === 415 ? status : 400, { error: 'invalid_request', error_description: err.message });
  });

  /** The tenant the request names (Host subdomain, x-zid, app_tid) must be the client's; an unknown subdomain is 404 as on UAA. */
  function tenantRefusal(request: FastifyRequest, params: Params, entry: ClientEntry): { status: number; body: object; reason: string } | undefined {
    const host = tenantOfHost(request.headers.host, config.proxy.uaadomain);
    if (host.tenant && clientDirectory.bySubdomain(host.subdomain) === undefined) {
      const description = `Cannot find identity zone for subdomain ${host.subdomain.slice(0, 63)}`;
      return { status: 404, body: { error: 'not_found', error_description: description }, reason: description };
    }
    const own = entry.subaccount;
    if (host.tenant && host.subdomain !== own.subdomain) return { status: 401, body: BAD_CREDENTIALS, reason: 'the client is not of the tenant of the host name' };
    const zid = request.headers['x-zid'];
    if (zid !== undefined && zid !== own.subaccount) return { status: 401, body: BAD_CREDENTIALS, reason: 'the client is not of the x-zid tenant' };
    const appTid = str(params.app_tid);
    if (appTid !== undefined && appTid !== own.subaccount) return { status: 401, body: BAD_CREDENTIALS, reason: 'the client is not of the app_tid tenant' };
    return undefined;
  }

  async function token(request: FastifyRequest, reply: FastifyReply) {
    const params: Params = { ...(request.query as Params), ...bodyParams(request.body) };
    const entry = authenticate(request.headers.authorization, params, clientDirectory);
    if (entry === undefined) {
      request.log.info({ clientId: str(params.client_id) }, 'token refused: bad credentials');
      reply.header('www-authenticate', WWW_AUTHENTICATE);
      return send(reply, 401, BAD_CREDENTIALS);
    }
    const { client, subaccount } = entry;
    const host = tenantOfHost(request.headers.host, config.proxy.uaadomain);
    const logFields = { clientId: client.clientid, subaccount: subaccount.subaccount, grantType: str(params.grant_type),
      ...(host.tenant ? { tenantHost: host.subdomain.slice(0, 63) } : {}) };
    const tenant = tenantRefusal(request, params, entry);
    if (tenant !== undefined) {
      request.log.info({ ...logFields, reason: tenant.reason }, 'token refused');
      if (tenant.status === 401) reply.header('www-authenticate', WWW_AUTHENTICATE);
      return send(reply, tenant.status, tenant.body);
    }
    const grant = str(params.grant_type);
    if (grant === undefined || !GRANTS.includes(grant)) {
      const description = grant === undefined
        ? 'grant_type is missing'
        : `Unsupported grant type: ${grant.slice(0, 100)}; this simulator issues ${GRANTS.join(', ')} tokens`;
      return send(reply, 400, { error: 'unsupported_grant_type', error_description: description });
    }
    const base = {
      client, subaccount, now,
      issuerBaseUrl: issuerBaseUrl(),
      connectivityXsappname: config.proxy.connectivityXsappname,
      validitySeconds: client['oauth2-configuration']['token-validity'] ?? config.proxy.tokenValiditySeconds,
    };
    const own = scopesFor(client, config.proxy.connectivityXsappname);
    if (grant === 'client_credentials') {
      const narrowed = narrowScopes(own, str(params.scope));
      if (!narrowed.ok) return send(reply, 400, { error: 'invalid_scope', error_description: narrowed.reason });
      const issued = await issueClientCredentialsToken(keys, { ...base, scopes: narrowed.scopes });
      request.log.info({ ...logFields, jti: issued.jti }, 'token issued');
      return send(reply, 200, issued);
    }
    const found = await findUser(grant as UserGrantType, params, entry);
    if (!found.ok) {
      request.log.info({ ...logFields, reason: found.reason }, 'token refused');
      return send(reply, found.status, found.body);
    }
    const held = userGrants(subaccount, found.user.user_name);
    const narrowed = narrowScopes(['openid', ...own, ...scopesForClient(held, client)], str(params.scope) ?? found.scope);
    if (!narrowed.ok) return send(reply, 400, { error: 'invalid_scope', error_description: narrowed.reason });
    const issued = await issueUserToken(keys, {
      ...base, user: found.user, grantType: grant as UserGrantType, scopes: narrowed.scopes,
      roleCollections: held.roleCollections, userAttributes: held.attributes, authTime: found.authTime,
    });
    const refreshToken = refreshTokens.issue({
      clientId: client.clientid, subaccount: subaccount.subaccount, userName: found.user.user_name,
      scope: str(params.scope) ?? found.scope, authTime: found.authTime ?? Math.floor(now() / 1000),
    }, client['oauth2-configuration']['refresh-token-validity'] ?? REFRESH_TOKEN_VALIDITY_SECONDS);
    request.log.info({ ...logFields, userName: found.user.user_name, jti: issued.jti }, 'token issued');
    return send(reply, 200, { ...issued, refresh_token: refreshToken });
  }

  function findUser(grant: UserGrantType, params: Params, entry: ClientEntry): FoundUser | Promise<FoundUser> {
    if (grant === 'password') return grants.password(params, entry);
    if (grant === JWT_BEARER) return grants.jwtBearer(params, entry);
    if (grant === 'authorization_code') return grants.authorizationCode(params, entry);
    return grants.refreshToken(params, entry);
  }

  scope.post('/oauth/token', token);
  scope.get('/oauth/token', token);
  scope.get('/token_keys', async (_request, reply) => send(reply, 200, keys.jwks));
  await scope.register(loginEndpointsPlugin, { config, clientDirectory, users, codes, sessions });
};

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_UTF8).header('cache-control', 'no-store')
    .header('pragma', 'no-cache').send(JSON.stringify(body));
}

function bodyParams(body: unknown): Params {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw Object.assign(new Error('the request body must be form fields or a JSON object'), { statusCode: 400 });
  }
  return body as Params;
}

/**
 * HTTP Basic first (RFC 6749 §2.3.1: id and secret are form-encoded before base64; clients that
 * send them raw work too), else client_id/client_secret parameters.
 */
function authenticate(header: string | undefined, params: Params, directory: ClientDirectory): ClientEntry | undefined {
  if (header !== undefined && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const id = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const raw = directory.authenticate(id, secret);
    if (raw !== undefined || !/[%+]/.test(decoded)) return raw;
    const unescape = (s: string) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; } };
    return directory.authenticate(unescape(id), unescape(secret));
  }
  const id = str(params.client_id);
  const secret = str(params.client_secret);
  return id === undefined || secret === undefined ? undefined : directory.authenticate(id, secret);
}
