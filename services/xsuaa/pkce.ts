// PKCE (RFC 7636) for the authorization-code grant: the challenge /oauth/authorize receives and
// the verifier /oauth/token must prove it with. Pure. S256 (what @sap/approuter sends) and plain
// (the RFC's default method when a challenge comes without one).
import { createHash, timingSafeEqual } from 'node:crypto';

export interface PkceChallenge {
  value: string;
  method: 'S256' | 'plain';
}

export type PkceRequest = { ok: true; challenge?: PkceChallenge } | { ok: false; reason: string };
export type PkceProof = { ok: true } | { ok: false; reason: string };

/** RFC 7636 §4.1/§4.2: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
const CODE_SHAPE = /^[A-Za-z0-9._~-]{43,128}$/;

/** Reads code_challenge and code_challenge_method of an authorization request. */
export function readChallenge(challenge: string | undefined, method: string | undefined): PkceRequest {
  if (challenge === undefined || challenge === '') {
    return method === undefined || method === '' ? { ok: true } : { ok: false, reason: 'code_challenge_method without code_challenge' };
  }
  const m = method === undefined || method === '' ? 'plain' : method;
  if (m !== 'S256' && m !== 'plain') return { ok: false, reason: 'Unsupported code challenge method. Supported: S256, plain' };
  if (!CODE_SHAPE.test(challenge)) return { ok: false, reason: 'code_challenge must be 43-128 characters of [A-Za-z0-9-._~]' };
  return { ok: true, challenge: { value: challenge, method: m } };
}

/** Does `verifier` (code_verifier of the token request) prove the code's challenge? */
export function verifyPkce(challenge: PkceChallenge | undefined, verifier: string | undefined): PkceProof {
  const given = verifier === '' ? undefined : verifier;
  if (challenge === undefined) {
    return given === undefined ? { ok: true } : { ok: false, reason: 'code_verifier sent, but the authorization request had no code_challenge' };
  }
  if (given === undefined) return { ok: false, reason: 'code_verifier is missing (the authorization request had a code_challenge)' };
  if (!CODE_SHAPE.test(given)) return { ok: false, reason: 'code_verifier must be 43-128 characters of [A-Za-z0-9-._~]' };
  const derived = challenge.method === 'S256' ? createHash('sha256').update(given, 'ascii').digest('base64url') : given;
  const a = Buffer.from(derived);
  const b = Buffer.from(challenge.value);
  return a.length === b.length && timingSafeEqual(a, b) ? { ok: true } : { ok: false, reason: 'code_verifier does not match the code_challenge' };
}
