// Decides whose identity a propagated token carries (sap-contract.md §1.2, §4.3):
//   - verify(): `SAP-Connectivity-Authentication` — a business USER token of this token service
//     (it has `user_name` and a user grant: password, jwt-bearer, authorization_code, refresh_token);
//   - verifyTechnical(): `SAP-Connectivity-Technical-Authentication` — a client-credentials token
//     of any client of the subaccount; the technical user's name is its `client_id`.
// Both check signature, `iss`, `exp` (jwt-checks.ts) and that the token's client belongs to the
// token's subaccount. Pure (no fastify); cached like token-verifier.ts (decision-cache.ts), so
// a hit is answered synchronously. Whether the user's subaccount is the caller's is the caller's
// check (it knows the caller). A reason never contains the token.
import type { JWTPayload } from 'jose';
import type { Config } from '../shared/config-schema.js';
import { createClientDirectory, type ClientDirectory } from './client-directory.js';
import { createDecisionCache, type DecisionCacheOptions } from './decision-cache.js';
import { plain, subaccountOf, verifySignature } from './jwt-checks.js';
import { JWT_BEARER } from './token-issuer.js';
import type { SigningKeys } from './token-keys.js';

/** The user a request acts for; `name` is the `${name}` of certificate subject patterns. */
export interface PropagatedUser {
  name: string;
  userId: string;
  email?: string;
  givenName?: string;
  familyName?: string;
}

export type UserDecision =
  /** `expiresAt` is the token's `exp` in epoch MILLISECONDS. */
  | { ok: true; kind: 'business' | 'technical'; user: PropagatedUser; subaccount: string; clientId: string; expiresAt: number; claims: JWTPayload }
  | { ok: false; reason: string };

export interface UserTokenVerifierOptions extends DecisionCacheOptions {
  keys: SigningKeys;
  config: Config;
  /** Base URL of the token service (one issuer per simulator); `iss` must be `<this>/oauth/token`. */
  issuerBaseUrl: string | (() => string);
  /** Default: built from `config`. */
  clientDirectory?: ClientDirectory;
}

export interface UserTokenVerifier {
  /** A business user token. Synchronous on a cache hit, a Promise otherwise; never rejects. */
  verify(token: string): UserDecision | Promise<UserDecision>;
  /** A technical user (client-credentials) token. Synchronous on a cache hit, a Promise otherwise. */
  verifyTechnical(token: string): UserDecision | Promise<UserDecision>;
  clear(): void;
}

/** Grants whose tokens stand for a business user. */
export const USER_GRANTS: readonly string[] = ['password', JWT_BEARER, 'authorization_code', 'refresh_token'];

const deny = (reason: string): UserDecision => ({ ok: false, reason });
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function createUserTokenVerifier(opts: UserTokenVerifierOptions): UserTokenVerifier {
  const { keys } = opts;
  const now = opts.now ?? Date.now;
  const issuer = typeof opts.issuerBaseUrl === 'function' ? opts.issuerBaseUrl : () => opts.issuerBaseUrl as string;
  const clients = opts.clientDirectory ?? createClientDirectory(opts.config);

  function decider(kind: 'business' | 'technical') {
    return async (token: string): Promise<UserDecision> => {
      const checked = await verifySignature(token, { keys, issuerBaseUrl: issuer(), now: now() });
      if (!checked.ok) return deny(checked.reason);
      const { claims } = checked;
      const owner = checkOwner(claims);
      if ('reason' in owner) return deny(owner.reason);
      const user = kind === 'business' ? businessUser(claims) : technicalUser(claims, owner.clientId);
      if ('reason' in user) return deny(user.reason);
      return { ok: true, kind, user, ...owner, expiresAt: (claims.exp as number) * 1000, claims };
    };
  }

  /** The token's client must be a configured client of the token's subaccount. */
  function checkOwner(claims: JWTPayload): { subaccount: string; clientId: string } | { reason: string } {
    const clientId = text(claims.client_id) ?? text(claims.cid);
    if (clientId === undefined) return { reason: 'token names no client (client_id)' };
    const subaccount = subaccountOf(claims);
    if (subaccount === undefined) return { reason: 'token names no subaccount (ext_attr.subaccountid, zid)' };
    const entry = clients.byClientId(clientId);
    if (entry === undefined) return { reason: `client ${plain(clientId) ?? '(unreadable)'} is unknown` };
    if (entry.subaccount.subaccount !== subaccount) {
      return { reason: `token subaccount ${plain(subaccount) ?? '(unreadable)'} is not the subaccount of client ${clientId}` };
    }
    return { subaccount, clientId };
  }

  const { cacheSize, failureCacheSize, failureTtlMs } = opts;
  const cacheOptions = { now, cacheSize, failureCacheSize, failureTtlMs };
  const business = createDecisionCache(decider('business'), cacheOptions);
  const technical = createDecisionCache(decider('technical'), cacheOptions);
  return {
    verify: (token) => business.verify(token),
    verifyTechnical: (token) => technical.verify(token),
    clear() { business.clear(); technical.clear(); },
  };
}

function businessUser(claims: JWTPayload): PropagatedUser | { reason: string } {
  const name = text(claims.user_name);
  const grant = text(claims.grant_type);
  if (name === undefined) {
    return { reason: `token is not a user token (no user_name; grant type ${plain(grant) ?? '(none)'}); a technical token cannot act as a business user` };
  }
  if (grant === undefined || !USER_GRANTS.includes(grant)) {
    return { reason: `token grant type ${plain(grant) ?? '(none)'} is not a user grant (${USER_GRANTS.join(', ')})` };
  }
  const userId = text(claims.user_id) ?? text(claims.sub);
  if (userId === undefined) return { reason: 'user token has no user_id' };
  return {
    name, userId,
    ...optional('email', text(claims.email)),
    ...optional('givenName', text(claims.given_name)),
    ...optional('familyName', text(claims.family_name)),
  };
}

function technicalUser(claims: JWTPayload, clientId: string): PropagatedUser | { reason: string } {
  if (claims.grant_type !== 'client_credentials') {
    return { reason: `token is not a client-credentials token (grant type ${plain(claims.grant_type) ?? '(none)'}); a technical user token is needed` };
  }
  return { name: clientId, userId: text(claims.sub) ?? clientId };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : { [key]: value } as Record<K, string>;
}
