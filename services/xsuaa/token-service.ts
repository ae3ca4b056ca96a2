// The XSUAA token endpoint as apps call it (sap-contract.md §6.4): POST or GET /oauth/token with
// client credentials in an HTTP Basic header or in the parameters, and GET /token_keys (JWKS).
// Parameters are read from the query string and the body (form or JSON; the body wins), as UAA
// (Spring) does. Checked in this order: client credentials, the `x-zid` tenant header (the
// client must belong to that subaccount), the grant type, then the grant's own input:
//   client_credentials                                  → a client token
//   password (username, password of a subaccount user)  → a user token
//   urn:ietf:params:oauth:grant-type:jwt-bearer (assertion = a user token of this service, same
//   subaccount)                                         → a user token of the same user for this client
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import type { ClientDirectory, ClientEntry } from './client-directory.js';
import { issueClientCredentialsToken, issueUserToken, JWT_BEARER, type UserIdentity } from './token-issuer.js';
import type { SigningKeys } from './token-keys.js';
import { createUserDirectory, USER_ORIGIN, type UserDirectory } from './user-directory.js';
import { createUserTokenVerifier, type UserTokenVerifier } from './user-token-verifier.js';

export interface TokenServiceOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** A function: the port is known only after listen. */
  issuerBaseUrl: () => string;
  /** Users for the password grant; default: built from `config`. */
  userDirectory?: UserDirectory;
  /** Checks jwt-bearer assertions; default: built from `keys`, `config`, `issuerBaseUrl`. */
  userTokenVerifier?: UserTokenVerifier;
}

const JSON_UTF8 = 'application/json;charset=UTF-8';
const FORM = 'application/x-www-form-urlencoded';
const BAD_CREDENTIALS = { error: 'invalid_client', error_description: 'Bad credentials' };
const WWW_AUTHENTICATE = 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"';
const BAD_USER_CREDENTIALS = { error: 'unauthorized', error_description: 'Bad credentials' };
const GRANTS = ['client_credentials', 'password', JWT_BEARER];

type Params = Record<string, unknown>;

/** Registers the token routes in their own encapsulated scope (own body parser, own error answers). */
export function registerTokenService(app: FastifyInstance, opts: TokenServiceOptions) {
  return app.register(tokenServicePlugin, opts);
}

export const tokenServicePlugin: FastifyPluginAsync<TokenServiceOptions> = async (scope, opts) => {
  const { keys, config, clientDirectory, issuerBaseUrl } = opts;
  const users = opts.userDirectory ?? createUserDirectory(config);
  const assertions = opts.userTokenVerifier ?? createUserTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl });

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

  async function token(request: FastifyRequest, reply: FastifyReply) {
    const params: Params = { ...(request.query as Params), ...bodyParams(request.body) };
    const entry = authenticate(request.headers.authorization, params, clientDirectory);
    if (entry === undefined) {
      request.log.info({ clientId: str(params.client_id) }, 'token refused: bad credentials');
      reply.header('www-authenticate', WWW_AUTHENTICATE);
      return send(reply, 401, BAD_CREDENTIALS);
    }
    const zid = request.headers['x-zid'];
    if (zid !== undefined && zid !== entry.subaccount.subaccount) {
      request.log.info({ clientId: entry.client.clientid, subaccount: entry.subaccount.subaccount }, 'token refused: the client is not of the x-zid tenant');
      reply.header('www-authenticate', WWW_AUTHENTICATE);
      return send(reply, 401, BAD_CREDENTIALS);
    }
    const grant = str(params.grant_type);
    if (grant === undefined || !GRANTS.includes(grant)) {
      const description = grant === undefined
        ? 'grant_type is missing'
        : `Unsupported grant type: ${grant.slice(0, 100)}; this simulator issues ${GRANTS.join(', ')} tokens`;
      return send(reply, 400, { error: 'unsupported_grant_type', error_description: description });
    }
    const base = {
      client: entry.client,
      subaccount: entry.subaccount,
      issuerBaseUrl: issuerBaseUrl(),
      connectivityXsappname: config.proxy.connectivityXsappname,
      validitySeconds: config.proxy.tokenValiditySeconds,
    };
    const logFields = { clientId: entry.client.clientid, subaccount: entry.subaccount.subaccount, grantType: grant };
    if (grant === 'client_credentials') {
      const issued = await issueClientCredentialsToken(keys, base);
      request.log.info({ ...logFields, jti: issued.jti }, 'token issued');
      return send(reply, 200, issued);
    }
    const found = grant === 'password' ? passwordUser(params, entry) : await assertionUser(params, entry);
    if ('refused' in found) {
      request.log.info({ ...logFields, reason: found.reason }, 'token refused');
      return send(reply, 401, found.refused);
    }
    const issued = await issueUserToken(keys, { ...base, user: found, grantType: grant as 'password' | typeof JWT_BEARER });
    request.log.info({ ...logFields, userName: found.user_name, jti: issued.jti }, 'token issued');
    return send(reply, 200, issued);
  }

  type Found = UserIdentity | { refused: object; reason: string };

  function passwordUser(params: Params, entry: ClientEntry): Found {
    const user = users.authenticate(entry.subaccount.subaccount, str(params.username) ?? '', str(params.password) ?? '');
    return user ?? { refused: BAD_USER_CREDENTIALS, reason: 'bad user credentials' };
  }

  async function assertionUser(params: Params, entry: ClientEntry): Promise<Found> {
    const assertion = str(params.assertion);
    const invalid = (reason: string) => ({ refused: { error: 'invalid_grant', error_description: `Invalid assertion: ${reason}` }, reason });
    if (assertion === undefined) return invalid('the assertion parameter is missing');
    const decision = await assertions.verify(assertion);
    if (!decision.ok) return invalid(decision.reason);
    if (decision.subaccount !== entry.subaccount.subaccount) return invalid('the assertion was issued for another subaccount');
    const c = decision.claims;
    const claim = (name: string) => (typeof c[name] === 'string' ? c[name] as string : undefined);
    return {
      user_name: decision.user.name,
      user_id: decision.user.userId,
      user_uuid: claim('user_uuid') ?? decision.user.userId,
      origin: claim('origin') ?? USER_ORIGIN,
      ...(decision.user.email === undefined ? {} : { email: decision.user.email }),
      ...(decision.user.givenName === undefined ? {} : { given_name: decision.user.givenName }),
      ...(decision.user.familyName === undefined ? {} : { family_name: decision.user.familyName }),
    };
  }

  scope.post('/oauth/token', token);
  scope.get('/oauth/token', token);
  scope.get('/token_keys', async (_request, reply) => send(reply, 200, keys.jwks));
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

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

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
