// Decides whether a bearer token may use the connectivity proxy, and for which subaccount.
// Pure (no fastify). Runs on every proxied request, so decisions are cached by token string:
//   - a cache hit is answered SYNCHRONOUSLY (a TokenDecision, not a Promise); `exp` is re-checked
//     against the clock on every hit;
//   - a miss returns a Promise (jose verifies the signature); concurrent misses for the same
//     token share one verification;
//   - successes are kept until they expire or the cache is full (10,000 tokens, oldest dropped
//     first); failures are kept for 10 s (1,000 tokens); `clear()` forgets everything (call it
//     when the clients or keys change).
// A reason is a short sentence for logs and 407 answers; it never contains the token.
import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../shared/config-schema.js';
import type { ClientDirectory } from './client-directory.js';
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

const MAX_TOKEN_LENGTH = 16384;
const CLOCK_TOLERANCE_SECONDS = 5;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const deny = (reason: string): TokenDecision => ({ ok: false, reason });
/** Header values are attacker-controlled: quote them only when short and plain. */
const plain = (v: unknown): string | undefined =>
  (typeof v === 'string' && /^[A-Za-z0-9._!|+-]{1,64}$/.test(v) ? v : undefined);

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const { keys, clientDirectory } = opts;
  const now = opts.now ?? Date.now;
  const issuer = typeof opts.issuerBaseUrl === 'function' ? opts.issuerBaseUrl : () => opts.issuerBaseUrl as string;
  const proxyScope = `${opts.config.proxy.connectivityXsappname}.proxy`;
  const maxOk = opts.cacheSize ?? 10_000;
  const maxFailed = opts.failureCacheSize ?? 1_000;
  const failureTtlMs = opts.failureTtlMs ?? 10_000;
  const passed = new Map<string, TokenDecision & { ok: true }>();
  const failed = new Map<string, { decision: TokenDecision; until: number }>();
  const pending = new Map<string, Promise<TokenDecision>>();
  let generation = 0;

  function remember<V>(map: Map<string, V>, max: number, key: string, value: V): void {
    if (key.length > MAX_TOKEN_LENGTH) return;
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  function verifyCached(token: string): TokenDecision | undefined {
    const hit = passed.get(token);
    if (hit !== undefined) {
      if (now() < hit.expiresAt + CLOCK_TOLERANCE_SECONDS * 1000) return hit;
      passed.delete(token);
      const expired = deny('token expired');
      remember(failed, maxFailed, token, { decision: expired, until: Number.POSITIVE_INFINITY });
      return expired;
    }
    const miss = failed.get(token);
    if (miss === undefined) return undefined;
    if (now() < miss.until) return miss.decision;
    failed.delete(token);
    return undefined;
  }

  async function verifyFresh(token: string): Promise<TokenDecision> {
    const started = generation;
    const decision = await decide(token);
    if (started !== generation) return decision; // clear() ran meanwhile: the decision is not kept
    if (decision.ok) remember(passed, maxOk, token, decision);
    else remember(failed, maxFailed, token, { decision, until: now() + failureTtlMs });
    return decision;
  }

  async function decide(token: string): Promise<TokenDecision> {
    const shape = checkShape(token);
    if (shape !== undefined) return deny(shape);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys.publicKey, {
        algorithms: ['RS256'],
        issuer: `${issuer()}/oauth/token`,
        requiredClaims: ['exp', 'iss'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
      }));
    } catch (err) {
      return deny(joseReason(err));
    }
    return checkClaims(claims);
  }

  /** Structure, algorithm and key id, before any cryptography. */
  function checkShape(token: string): string | undefined {
    if (typeof token !== 'string' || token === '') return 'no token';
    if (token.length > MAX_TOKEN_LENGTH) return `token is too long (${token.length} characters)`;
    if (!JWT_SHAPE.test(token)) return 'token is not a well-formed JWT';
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    } catch {
      return 'token header is not valid JSON';
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) return 'token header is not a JSON object';
    const alg = header.alg;
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') return 'token algorithm none is not accepted';
    if (alg !== 'RS256') return `token algorithm ${plain(alg) ?? '(unreadable)'} is not accepted; only RS256 is`;
    if (header.kid === undefined) return 'token has no key id (kid)';
    if (header.kid !== keys.kid) return `token key id ${plain(header.kid) ?? '(unreadable)'} is not a key of this token service`;
    if (token.endsWith('.')) return 'token has no signature';
    return undefined;
  }

  /** Who the verified token belongs to, and whether that client may use the proxy. */
  function checkClaims(claims: JWTPayload): TokenDecision {
    const clientId = claims.client_id ?? claims.cid;
    if (typeof clientId !== 'string' || clientId === '') return deny('token names no client (client_id)');
    const entry = clientDirectory.byClientId(clientId);
    if (entry === undefined) return deny(`client ${clientId} is unknown`);
    if (entry.client.service !== 'connectivity') {
      return deny(`client ${clientId} is not allowed to use the connectivity proxy (it is a ${entry.client.service} client)`);
    }
    const ext = claims.ext_attr as { subaccountid?: unknown } | undefined;
    const subaccount = ext?.subaccountid ?? claims.zid;
    if (typeof subaccount !== 'string' || subaccount === '') return deny('token names no subaccount (ext_attr.subaccountid, zid)');
    if (subaccount !== entry.subaccount.subaccount) {
      return deny(`token subaccount ${subaccount} is not the subaccount of client ${clientId}`);
    }
    const scope = Array.isArray(claims.scope) ? claims.scope : typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scope.includes(proxyScope)) return deny(`token lacks the scope ${proxyScope}`);
    return { ok: true, subaccount, clientId, expiresAt: (claims.exp as number) * 1000, claims };
  }

  return {
    verify(token) {
      const cached = verifyCached(token);
      if (cached !== undefined) return cached;
      const inFlight = pending.get(token);
      if (inFlight !== undefined) return inFlight;
      const p = verifyFresh(token).finally(() => { if (pending.get(token) === p) pending.delete(token); });
      pending.set(token, p);
      return p;
    },
    verifyCached,
    clear() {
      generation++;
      pending.clear();
      passed.clear();
      failed.clear();
    },
  };
}

function joseReason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted; only RS256 is';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'token issuer is not this token service';
    if (err.claim === 'nbf') return 'token is not valid yet';
    if (err.reason === 'missing') return `token has no ${err.claim} claim`;
    return `token claim ${err.claim} is invalid`;
  }
  if (err instanceof errors.JWTInvalid) return 'token payload is not a JWT claims set';
  if (err instanceof errors.JOSEError) return 'token is not a well-formed JWT';
  return 'token could not be verified';
}
