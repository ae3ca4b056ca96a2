// Issues access tokens shaped like real XSUAA tokens (sap-contract.md §1.3): client-credentials
// tokens and user tokens; RS256, `jku` pointing at our /token_keys, tenant in `zid` and `ext_attr`.
// One issuer per simulator: `iss` is always the HTTP token service URL (`<http base>/oauth/token`),
// also for tokens fetched over the HTTPS listener — as on BTP, where `iss` names the subdomain
// host whichever host (e.g. the bare uaadomain) the token was requested from.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientConfig, SubaccountConfig } from '../shared/config-schema.js';
import type { SigningKeys } from './token-keys.js';

export interface IssueOptions {
  client: ClientConfig;
  subaccount: SubaccountConfig;
  /** e.g. `http://127.0.0.1:8080`; `iss` is `<this>/oauth/token`, `jku` is `<this>/token_keys`. */
  issuerBaseUrl: string;
  /** The connectivity service's xsappname; connectivity clients get the scope `<this>.proxy`. */
  connectivityXsappname: string;
  validitySeconds: number;
  /** Clock in epoch milliseconds (tests move it); default Date.now. */
  now?: () => number;
}

/** The body of a token response, as Cloud Foundry UAA writes it. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Space-separated, as in OAuth 2.0 token responses. */
  scope: string;
  jti: string;
}

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Who a user token is for, under the claim names of XSUAA. */
export interface UserIdentity {
  user_name: string;
  /** The shadow user's id in the subaccount's zone; also `sub`. */
  user_id: string;
  /** The user's id at the identity provider. */
  user_uuid: string;
  origin: string;
  email?: string;
  given_name?: string;
  family_name?: string;
}

export type UserGrantType = 'password' | typeof JWT_BEARER | 'authorization_code' | 'refresh_token';

export interface UserIssueOptions extends IssueOptions {
  user: UserIdentity;
  grantType: UserGrantType;
  /** The token's scopes; default `openid` plus the client's own (scopesFor). */
  scopes?: string[];
  /** `xs.system.attributes.xs.rolecollections`. */
  roleCollections?: string[];
  /** `xs.user.attributes`. */
  userAttributes?: Record<string, string[]>;
  /** Epoch seconds of the login (`auth_time`); default now. */
  authTime?: number;
}

export function scopesFor(client: ClientConfig, connectivityXsappname: string): string[] {
  return client.service === 'connectivity' ? ['uaa.resource', `${connectivityXsappname}.proxy`] : ['uaa.resource'];
}

export async function issueClientCredentialsToken(keys: SigningKeys, opts: IssueOptions & { scopes?: string[] }): Promise<TokenResponse> {
  const { client, subaccount, connectivityXsappname } = opts;
  const scope = opts.scopes ?? scopesFor(client, connectivityXsappname);
  const clientId = client.clientid;
  return sign(keys, opts, scope, {
    ext_attr: { enhancer: 'XSUAA', subaccountid: subaccount.subaccount, zdn: subaccount.subdomain },
    sub: clientId,
    authorities: scope,
    scope,
    client_id: clientId,
    cid: clientId,
    azp: clientId,
    grant_type: 'client_credentials',
    origin: 'uaa',
    zid: subaccount.subaccount,
    aud: [clientId],
  });
}

/**
 * A user token as XSUAA issues it for the user grants (password, jwt-bearer, authorization code,
 * refresh): the user's identity claims, the requesting client in client_id/cid/azp, the scopes
 * (`openid`, the client's own, the user's role-collection scopes of the client's application),
 * role collections and user attributes, and an `aud` derived from the scopes' prefixes (as UAA does).
 */
export async function issueUserToken(keys: SigningKeys, opts: UserIssueOptions): Promise<TokenResponse> {
  const { client, subaccount, connectivityXsappname, user, grantType } = opts;
  const scope = opts.scopes ?? ['openid', ...scopesFor(client, connectivityXsappname)];
  const clientId = client.clientid;
  const audiences = scope.map((s) => (s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : s));
  return sign(keys, opts, scope, (iat) => ({
    ext_attr: { enhancer: 'XSUAA', subaccountid: subaccount.subaccount, zdn: subaccount.subdomain },
    ...(user.given_name === undefined ? {} : { given_name: user.given_name }),
    ...(user.family_name === undefined ? {} : { family_name: user.family_name }),
    'xs.user.attributes': opts.userAttributes ?? {},
    'xs.system.attributes': { 'xs.rolecollections': opts.roleCollections ?? [] },
    sub: user.user_id,
    scope,
    client_id: clientId,
    cid: clientId,
    azp: clientId,
    grant_type: grantType,
    user_id: user.user_id,
    user_uuid: user.user_uuid,
    origin: user.origin,
    user_name: user.user_name,
    ...(user.email === undefined ? {} : { email: user.email }),
    auth_time: opts.authTime ?? iat,
    zid: subaccount.subaccount,
    aud: [...new Set([clientId, ...audiences])],
  }));
}

/** Adds jti, iat, exp and iss to the claims, signs them, and shapes the token response. */
async function sign(keys: SigningKeys, opts: IssueOptions, scope: string[],
  claims: Record<string, unknown> | ((iat: number) => Record<string, unknown>)): Promise<TokenResponse> {
  const { issuerBaseUrl, validitySeconds } = opts;
  const iat = Math.floor((opts.now ?? Date.now)() / 1000);
  const exp = iat + validitySeconds;
  const jti = randomUUID().replace(/-/g, '');
  const body = typeof claims === 'function' ? claims(iat) : claims;
  const accessToken = await new SignJWT({ jti, ...body, iat, exp, iss: `${issuerBaseUrl}/oauth/token` })
    .setProtectedHeader({ alg: 'RS256', jku: `${issuerBaseUrl}/token_keys`, kid: keys.kid, typ: 'JWT' })
    .sign(keys.privateKey);
  return { access_token: accessToken, token_type: 'bearer', expires_in: exp - iat, scope: scope.join(' '), jti };
}
