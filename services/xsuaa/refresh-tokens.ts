// Refresh tokens: opaque (random, ending in `-r` as XSUAA's do), bound to the client and user they
// were issued for, valid for the client's `refresh-token-validity`. rotate() consumes the old one:
// a refresh token works exactly once, and its successor carries the same login.
import { randomBytes } from 'node:crypto';
import { ExpiringMap, type ExpiringMapOptions } from './expiring-map.js';

export interface RefreshGrant {
  clientId: string;
  subaccount: string;
  userName: string;
  /** The narrowing `scope` of the first request, kept for every refresh. */
  scope?: string;
  /** Epoch seconds of the login. */
  authTime: number;
}

export type RotateResult = { ok: true; grant: RefreshGrant } | { ok: false; reason: string };

export class RefreshTokens {
  private readonly tokens: ExpiringMap<RefreshGrant>;

  constructor(opts: ExpiringMapOptions = {}) {
    this.tokens = new ExpiringMap(opts);
  }

  issue(grant: RefreshGrant, validitySeconds: number): string {
    const token = `${randomBytes(24).toString('hex')}-r`;
    this.tokens.set(token, grant, validitySeconds * 1000);
    return token;
  }

  /** Consumes `token` if it is live and the client's own. */
  take(token: string | undefined, clientId: string): RotateResult {
    if (token === undefined || token === '') return { ok: false, reason: 'the refresh_token parameter is missing' };
    const found = this.tokens.get(token);
    if (found === undefined) return { ok: false, reason: 'Invalid refresh token (unknown, expired or already used)' };
    if (found.clientId !== clientId) return { ok: false, reason: 'Invalid refresh token (issued to another client)' };
    this.tokens.delete(token);
    return { ok: true, grant: found };
  }
}
