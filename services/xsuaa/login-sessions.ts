// Login sessions of the token service's login page: who is logged in, per subaccount, behind the
// session cookie (named SESSION_COOKIE, never JSESSIONID: that is the approuter's session cookie
// on the same host, and cookies do not tell ports apart). A later /oauth/authorize of a logged-in
// browser gets its code without the form (single sign-on) until the session ends (logout) or
// expires (proxy.loginSessionSeconds).
import { randomBytes } from 'node:crypto';
import { ExpiringMap, type ExpiringMapOptions } from './expiring-map.js';

export const SESSION_COOKIE = 'scc_sim_uaa_session';

export interface Login {
  userName: string;
  /** Epoch seconds. */
  authTime: number;
}

export class LoginSessions {
  private readonly sessions: ExpiringMap<Map<string, Login>>;

  constructor(private readonly validitySeconds: number, opts: ExpiringMapOptions = {}) {
    this.sessions = new ExpiringMap(opts);
  }

  /** The login to `subaccount` of the session `id`, if any. */
  login(id: string | undefined, subaccount: string): Login | undefined {
    return id === undefined ? undefined : this.sessions.get(id)?.get(subaccount);
  }

  /** Records a login; returns the session id (a new one: a login never reuses the id the browser came with). */
  start(previousId: string | undefined, subaccount: string, userName: string): string {
    const logins = new Map(previousId === undefined ? [] : this.sessions.get(previousId) ?? []);
    if (previousId !== undefined) this.sessions.delete(previousId);
    logins.set(subaccount, { userName, authTime: Math.floor(this.sessions.now() / 1000) });
    const id = randomBytes(24).toString('base64url');
    this.sessions.set(id, logins, this.validitySeconds * 1000);
    return id;
  }

  end(id: string | undefined): boolean {
    if (id === undefined || this.sessions.get(id) === undefined) return false;
    this.sessions.delete(id);
    return true;
  }
}
