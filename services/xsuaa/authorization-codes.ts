// Authorization codes of /oauth/authorize: single use, short-lived (proxy.authorizationCodeValiditySeconds),
// bound to the client, the redirect_uri and the PKCE challenge of the request that made them.
// redeem() checks all of that and consumes the code whatever the outcome, so a code can never be
// tried twice (RFC 6749 §4.1.2, §10.5).
import { randomBytes } from 'node:crypto';
import { ExpiringMap, type ExpiringMapOptions } from './expiring-map.js';
import { verifyPkce, type PkceChallenge } from './pkce.js';

export interface CodeGrant {
  clientId: string;
  subaccount: string;
  userName: string;
  /** The redirect_uri of the authorization request; the token request must repeat it. */
  redirectUri: string;
  challenge?: PkceChallenge;
  /** The `scope` parameter of the authorization request, if any. */
  scope?: string;
  /** Epoch seconds of the login. */
  authTime: number;
}

export interface Redemption {
  code: string | undefined;
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

export type RedeemResult = { ok: true; grant: CodeGrant } | { ok: false; reason: string };

export class AuthorizationCodes {
  private readonly codes: ExpiringMap<CodeGrant>;

  constructor(private readonly validitySeconds: number, opts: ExpiringMapOptions = {}) {
    this.codes = new ExpiringMap(opts);
  }

  issue(grant: CodeGrant): string {
    const code = randomBytes(16).toString('base64url');
    this.codes.set(code, grant, this.validitySeconds * 1000);
    return code;
  }

  redeem(r: Redemption): RedeemResult {
    if (r.code === undefined || r.code === '') return { ok: false, reason: 'the code parameter is missing' };
    const taken = this.codes.take(r.code);
    if (taken.found === 'none') return { ok: false, reason: 'Invalid authorization code (unknown, or already used)' };
    if (taken.found === 'expired') return { ok: false, reason: 'Invalid authorization code (expired)' };
    const grant = taken.value;
    if (grant.clientId !== r.clientId) return { ok: false, reason: 'Invalid authorization code (issued to another client)' };
    if (r.redirectUri !== grant.redirectUri) return { ok: false, reason: 'Redirect URI mismatch' };
    const pkce = verifyPkce(grant.challenge, r.codeVerifier);
    if (!pkce.ok) return { ok: false, reason: `PKCE verification failed: ${pkce.reason}` };
    return { ok: true, grant };
  }
}
