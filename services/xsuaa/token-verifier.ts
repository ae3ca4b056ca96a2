// Decides whether a bearer token may use the connectivity proxy, and for which subaccount.
// Pure (no fastify). Runs on every proxied request, so decisions are cached by token string
// (decision-cache.ts: synchronous on a hit, `exp` re-checked on every hit, failures kept 10 s;
// `clear()` forgets everything — call it when the clients or keys change). The signature, issuer
// and expiry checks are jwt-checks.ts. A reason never contains the token.
import type { JWTPayload } from 'jose';
import type { Config } from '../shared/config-schema.js';
import type { ClientDirectory } from './client-directory.js';
import { createDecisionCache } from './decision-cache.js';
import { subaccountOf, verifySignature } from './jwt-checks.js';
import type { SigningKeys } from './token-keys.js';

export type TokenDecision =
  /** `expiresAt` is the token's `exp` in epoch MILLISECONDS. */
  | { ok: true; subaccount: string; clientId: string; expiresAt: number; claims: JWTPayload }
  | { ok: false; reason: string };

export interface TokenVerifierOptions {
  keys: SigningKeys;
  config: Config;
  clientDirectory: ClientDirectory;
  /** Base URL of the token service; a token's `iss` must be `<this>/oauth/token`. */
  issuerBaseUrl: string | (() => string);
  /**
   * Whose tokens are accepted: `connectivity` (default; the proxy: a connectivity client with the
   * scope `<connectivityXsappname>.proxy`), `destination` (the Destination service: a destination
   * client), or `any` (any configured client, e.g. the DI connection view).
   */
  accept?: 'connectivity' | 'destination' | 'any';
  /** Clock in epoch milliseconds; default Date.now. */
  now?: () => number;
  cacheSize?: number;
  failureCacheSize?: number;
  failureTtlMs?: number;
}

export interface TokenVerifier {
  /** Synchronous on a cache hit, a Promise otherwise. Never throws or rejects. */
  verify(token: string): TokenDecision | Promise<TokenDecision>;
  /** The cached decision (exp re-checked), or undefined when the token must be verified. */
  verifyCached(token: string): TokenDecision | undefined;
  clear(): void;
}

const deny = (reason: string): TokenDecision => ({ ok: false, reason });
const SERVICE_NAMES = { connectivity: 'connectivity proxy', destination: 'destination service' } as const;

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const { keys, clientDirectory } = opts;
  const now = opts.now ?? Date.now;
  const issuer = typeof opts.issuerBaseUrl === 'function' ? opts.issuerBaseUrl : () => opts.issuerBaseUrl as string;
  const proxyScope = `${opts.config.proxy.connectivityXsappname}.proxy`;
  const accept = opts.accept ?? 'connectivity';

  async function decide(token: string): Promise<TokenDecision> {
    const checked = await verifySignature(token, { keys, issuerBaseUrl: issuer(), now: now() });
    return checked.ok ? checkClaims(checked.claims) : deny(checked.reason);
  }

  /** Who the verified token belongs to, and whether that client may use the proxy. */
  function checkClaims(claims: JWTPayload): TokenDecision {
    const clientId = claims.client_id ?? claims.cid;
    if (typeof clientId !== 'string' || clientId === '') return deny('token names no client (client_id)');
    const entry = clientDirectory.byClientId(clientId);
    if (entry === undefined) return deny(`client ${clientId} is unknown`);
    if (accept !== 'any' && entry.client.service !== accept) {
      return deny(`client ${clientId} is not allowed to use the ${SERVICE_NAMES[accept]} (it is a ${entry.client.service} client)`);
    }
    const subaccount = subaccountOf(claims);
    if (subaccount === undefined) return deny('token names no subaccount (ext_attr.subaccountid, zid)');
    if (subaccount !== entry.subaccount.subaccount) {
      return deny(`token subaccount ${subaccount} is not the subaccount of client ${clientId}`);
    }
    const scope = Array.isArray(claims.scope) ? claims.scope : typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (accept === 'connectivity' && !scope.includes(proxyScope)) return deny(`token lacks the scope ${proxyScope}`);
    return { ok: true, subaccount, clientId, expiresAt: (claims.exp as number) * 1000, claims };
  }

  const { cacheSize, failureCacheSize, failureTtlMs } = opts;
  return createDecisionCache(decide, { now, cacheSize, failureCacheSize, failureTtlMs });
}
