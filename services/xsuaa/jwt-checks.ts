// The checks every token of this token service must pass, whoever asks (the proxy's
// Proxy-Authorization, SAP-Connectivity-Authentication, the jwt-bearer exchange): shape, `alg`,
// key id, RS256 signature, `iss`, `exp`. Pure (no fastify). A reason is a short sentence for logs
// and error answers; it never contains the token.
import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { SigningKeys } from './token-keys.js';

export const MAX_TOKEN_LENGTH = 16384;
export const CLOCK_TOLERANCE_SECONDS = 5;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type SignatureCheck = { ok: true; claims: JWTPayload } | { ok: false; reason: string };

export interface SignatureCheckOptions {
  keys: SigningKeys;
  /** Base URL of the token service; `iss` must be `<this>/oauth/token`. */
  issuerBaseUrl: string;
  /** Epoch milliseconds. */
  now: number;
}

/** Header values are attacker-controlled: quote them only when short and plain. */
export const plain = (v: unknown): string | undefined =>
  (typeof v === 'string' && /^[A-Za-z0-9._!|+-]{1,64}$/.test(v) ? v : undefined);

/** Shape, algorithm and key id first (cheap, and specific reasons), then jose's verification. */
export async function verifySignature(token: string, opts: SignatureCheckOptions): Promise<SignatureCheck> {
  const shape = checkShape(token, opts.keys.kid);
  if (shape !== undefined) return { ok: false, reason: shape };
  try {
    const { payload } = await jwtVerify(token, opts.keys.publicKey, {
      algorithms: ['RS256'],
      issuer: `${opts.issuerBaseUrl}/oauth/token`,
      requiredClaims: ['exp', 'iss'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(opts.now),
    });
    return { ok: true, claims: payload };
  } catch (err) {
    return { ok: false, reason: joseReason(err) };
  }
}

/** Structure, algorithm and key id, before any cryptography. */
export function checkShape(token: string, kid: string): string | undefined {
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
  if (header.kid !== kid) return `token key id ${plain(header.kid) ?? '(unreadable)'} is not a key of this token service`;
  if (token.endsWith('.')) return 'token has no signature';
  return undefined;
}

/** The subaccount a token was issued for: `ext_attr.subaccountid`, else `zid`. */
export function subaccountOf(claims: JWTPayload): string | undefined {
  const ext = claims.ext_attr as { subaccountid?: unknown } | undefined;
  const subaccount = ext?.subaccountid ?? claims.zid;
  return typeof subaccount === 'string' && subaccount !== '' ? subaccount : undefined;
}

export function joseReason(err: unknown): string {
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
