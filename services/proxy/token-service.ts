// The XSUAA token endpoint as apps call it (sap-contract.md §6.4): POST or GET /oauth/token with
// client credentials in an HTTP Basic header or in the parameters, and GET /token_keys (JWKS).
// Parameters are read from the query string and the body (form or JSON; the body wins), as UAA
// (Spring) does. Credentials are checked first, then the grant type.
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import type { ClientDirectory, ClientEntry } from './client-directory.js';
import { issueClientCredentialsToken } from './token-issuer.js';
import type { SigningKeys } from './token-keys.js';

export interface TokenServiceOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** A function: the port is known only after listen. */
  issuerBaseUrl: () => string;
}

const JSON_UTF8 = 'application/json;charset=UTF-8';
const FORM = 'application/x-www-form-urlencoded';
const BAD_CREDENTIALS = { error: 'invalid_client', error_description: 'Bad credentials' };
const WWW_AUTHENTICATE = 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"';
const GRANTS = ['client_credentials'];

type Params = Record<string, unknown>;

/** Registers the token routes in their own encapsulated scope (own body parser, own error answers). */
export function registerTokenService(app: FastifyInstance, opts: TokenServiceOptions) {
  return app.register(tokenServicePlugin, opts);
}

export const tokenServicePlugin: FastifyPluginAsync<TokenServiceOptions> = async (scope, opts) => {
  const { keys, config, clientDirectory, issuerBaseUrl } = opts;

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
    const grant = str(params.grant_type);
    if (grant === undefined || !GRANTS.includes(grant)) {
      const description = grant === undefined
        ? 'grant_type is missing'
        : `Unsupported grant type: ${grant.slice(0, 100)}; this simulator issues client_credentials tokens only`;
      return send(reply, 400, { error: 'unsupported_grant_type', error_description: description });
    }
    const issued = await issueClientCredentialsToken(keys, {
      client: entry.client,
      subaccount: entry.subaccount,
      issuerBaseUrl: issuerBaseUrl(),
      connectivityXsappname: config.proxy.connectivityXsappname,
      validitySeconds: config.proxy.tokenValiditySeconds,
    });
    request.log.info({ clientId: entry.client.clientid, subaccount: entry.subaccount.subaccount, jti: issued.jti }, 'token issued');
    return send(reply, 200, issued);
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
