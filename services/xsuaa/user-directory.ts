// The business users of each subaccount's identity provider (config `subaccounts[].users`), for
// the password grant. Pure: plain config in, plain lookups out. Passwords are compared in
// constant time; user names match exactly (case-sensitive).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config, SubaccountConfig, UserConfig } from '../shared/config-schema.js';
import type { UserIdentity } from './token-issuer.js';

export interface UserDirectory {
  /** The user's identity claims if the password is right; undefined for an unknown user or a wrong password. */
  authenticate(subaccountId: string, userName: string, password: string): UserIdentity | undefined;
  /** The user's identity claims, without a password (the jwt-bearer exchange). */
  byName(subaccountId: string, userName: string): UserIdentity | undefined;
}

/** Users of the simulator's identity provider appear under this origin, as corporate users do on BTP. */
export const USER_ORIGIN = 'ldap';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const NO_PASSWORD = sha256('\u0000scc-sim: no such user\u0000');

interface Known {
  identity: UserIdentity;
  passwordHash: Buffer;
}

export function createUserDirectory(config: Config): UserDirectory {
  const users = new Map<string, Known>();
  const key = (subaccountId: string, name: string) => `${subaccountId}\u0000${name}`;
  for (const subaccount of config.subaccounts) {
    for (const user of subaccount.users) {
      users.set(key(subaccount.subaccount, user.name), { identity: userIdentity(subaccount, user), passwordHash: sha256(user.password) });
    }
  }
  return {
    authenticate(subaccountId, userName, password) {
      const known = typeof userName === 'string' ? users.get(key(subaccountId, userName)) : undefined;
      const same = timingSafeEqual(sha256(typeof password === 'string' ? password : ''), known?.passwordHash ?? NO_PASSWORD);
      return same && known !== undefined ? known.identity : undefined;
    },
    byName(subaccountId, userName) {
      return users.get(key(subaccountId, userName))?.identity;
    },
  };
}

/**
 * The claims of a configured user. `user_id` (the shadow user in the subaccount's zone) and
 * `user_uuid` (the user at the identity provider) are GUIDs derived from the names, so they are
 * stable across restarts. A user without `email` gets its name if that is an address, else
 * `<name>@example.com`: XSUAA user tokens always carry an email.
 */
export function userIdentity(subaccount: SubaccountConfig, user: UserConfig): UserIdentity {
  return {
    user_name: user.name,
    user_id: guid(`user_id\u0000${subaccount.subaccount}\u0000${USER_ORIGIN}\u0000${user.name}`),
    user_uuid: guid(`user_uuid\u0000${USER_ORIGIN}\u0000${user.name}`),
    origin: USER_ORIGIN,
    email: user.email ?? (user.name.includes('@') ? user.name : `${user.name}@example.com`),
    ...(user.givenName === undefined ? {} : { given_name: user.givenName }),
    ...(user.familyName === undefined ? {} : { family_name: user.familyName }),
  };
}

/** A name-based (version 5 style) GUID from the first 16 bytes of sha256(name). */
function guid(name: string): string {
  const b = sha256(name).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
