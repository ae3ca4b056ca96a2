// Whose token a user grant asks for — the user behind the grant's own input, per grant type:
//   password            username + password of a user of the client's subaccount
//   jwt-bearer          assertion = a user token of this service for the same subaccount
//   authorization_code  code of /oauth/authorize (single use; same client, redirect_uri, PKCE)
//   refresh_token       a refresh token of the same client (consumed: tokens rotate)
// Answers in UAA's words: 401 for bad user credentials and assertions, 400 invalid_grant for codes,
// 401 invalid_token for refresh tokens.
import type { AuthorizationCodes } from './authorization-codes.js';
import type { ClientEntry } from './client-directory.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { UserIdentity } from './token-issuer.js';
import { USER_ORIGIN, type UserDirectory } from './user-directory.js';
import type { UserTokenVerifier } from './user-token-verifier.js';

export type Params = Record<string, unknown>;

export type FoundUser =
  /** `scope`: the narrowing carried by a code or refresh token; `authTime`: of the original login. */
  | { ok: true; user: UserIdentity; scope?: string; authTime?: number }
  | { ok: false; status: number; body: { error: string; error_description: string }; reason: string };

export interface UserGrantDeps {
  users: UserDirectory;
  assertions: UserTokenVerifier;
  codes: AuthorizationCodes;
  refreshTokens: RefreshTokens;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const refuse = (status: number, error: string, description: string, reason = description): FoundUser =>
  ({ ok: false, status, body: { error, error_description: description }, reason });

export function createUserGrants({ users, assertions, codes, refreshTokens }: UserGrantDeps) {
  /** A user of the config by name (a code or refresh token outlives nothing: the user must still exist). */
  function current(entry: ClientEntry, userName: string, error: string): UserIdentity | FoundUser {
    return users.byName(entry.subaccount.subaccount, userName) ?? refuse(400, error, `the user ${userName} no longer exists`);
  }

  return {
    password(params: Params, entry: ClientEntry): FoundUser {
      const user = users.authenticate(entry.subaccount.subaccount, str(params.username) ?? '', str(params.password) ?? '');
      return user === undefined ? refuse(401, 'unauthorized', 'Bad credentials', 'bad user credentials') : { ok: true, user };
    },

    async jwtBearer(params: Params, entry: ClientEntry): Promise<FoundUser> {
      const invalid = (reason: string) => refuse(401, 'invalid_grant', `Invalid assertion: ${reason}`, reason);
      const assertion = str(params.assertion);
      if (assertion === undefined) return invalid('the assertion parameter is missing');
      const decision = await assertions.verify(assertion);
      if (!decision.ok) return invalid(decision.reason);
      if (decision.subaccount !== entry.subaccount.subaccount) return invalid('the assertion was issued for another subaccount');
      const c = decision.claims;
      const claim = (name: string) => (typeof c[name] === 'string' ? c[name] as string : undefined);
      const u = decision.user;
      return {
        ok: true,
        authTime: typeof c.auth_time === 'number' ? c.auth_time : undefined,
        user: {
          user_name: u.name, user_id: u.userId, user_uuid: claim('user_uuid') ?? u.userId, origin: claim('origin') ?? USER_ORIGIN,
          ...(u.email === undefined ? {} : { email: u.email }),
          ...(u.givenName === undefined ? {} : { given_name: u.givenName }),
          ...(u.familyName === undefined ? {} : { family_name: u.familyName }),
        },
      };
    },

    authorizationCode(params: Params, entry: ClientEntry): FoundUser {
      const redeemed = codes.redeem({
        code: str(params.code), clientId: entry.client.clientid, redirectUri: str(params.redirect_uri), codeVerifier: str(params.code_verifier),
      });
      if (!redeemed.ok) return refuse(400, 'invalid_grant', redeemed.reason);
      const { grant } = redeemed;
      const user = current(entry, grant.userName, 'invalid_grant');
      return 'ok' in user ? user : { ok: true, user, scope: grant.scope, authTime: grant.authTime };
    },

    refreshToken(params: Params, entry: ClientEntry): FoundUser {
      const taken = refreshTokens.take(str(params.refresh_token), entry.client.clientid);
      if (!taken.ok) return refuse(401, 'invalid_token', taken.reason);
      const { grant } = taken;
      const user = current(entry, grant.userName, 'invalid_token');
      return 'ok' in user ? user : { ok: true, user, scope: grant.scope, authTime: grant.authTime };
    },
  };
}
