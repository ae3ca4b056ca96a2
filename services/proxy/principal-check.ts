// Principal propagation at the proxy (sap-contract.md §1.2, §4.3): an app that calls for a user
// sends `SAP-Connectivity-Authentication: Bearer <user JWT>` (business user) or
// `SAP-Connectivity-Technical-Authentication: Bearer <JWT>` (technical user). The token is checked
// (user-token-verifier.ts, cached) and must belong to the subaccount of the Proxy-Authorization
// token; then only WHO the user is goes down the tunnel, as the internal principal header
// (principal-header.ts) — never the token. No fastify; a decision that explains itself.
import type { IncomingHttpHeaders } from 'node:http';
import { encodePrincipal, type Principal } from '../shared/principal-header.js';
import type { UserDecision, UserTokenVerifier } from '../xsuaa/user-token-verifier.js';

export const USER_AUTH_HEADER = 'sap-connectivity-authentication';
export const TECHNICAL_AUTH_HEADER = 'sap-connectivity-technical-authentication';

const HEADER_NAMES = { business: 'SAP-Connectivity-Authentication', technical: 'SAP-Connectivity-Technical-Authentication' } as const;

export type PrincipalDecision =
  /** `header` is the encoded principal for the tunnel. */
  | { ok: true; principal: Principal; header: string }
  | { ok: false; reason: string };

/**
 * undefined: the request propagates no principal (the common case: two property reads, nothing
 * else). Otherwise the decision — synchronous when the user's token is in the verifier's cache.
 */
export type PrincipalCheck = (headers: IncomingHttpHeaders, subaccount: string) => PrincipalDecision | Promise<PrincipalDecision> | undefined;

export function createPrincipalCheck(verifier: UserTokenVerifier): PrincipalCheck {
  // One principal (and its encoded header) per cached verifier decision: a cache hit costs no
  // JSON or base64 work. Keyed weakly, so it goes when the verifier drops the decision.
  const principals = new WeakMap<object, PrincipalDecision & { ok: true }>();

  function judge(d: UserDecision, kind: 'business' | 'technical', subaccount: string): PrincipalDecision {
    const header = HEADER_NAMES[kind];
    if (!d.ok) return { ok: false, reason: `${header}: ${d.reason}` };
    if (d.subaccount !== subaccount) {
      return { ok: false, reason: `${header}: the user belongs to subaccount ${d.subaccount}, the Proxy-Authorization token to subaccount ${subaccount}` };
    }
    let found = principals.get(d);
    if (found === undefined) {
      const principal = principalOf(d, kind);
      found = { ok: true, principal, header: encodePrincipal(principal) };
      principals.set(d, found);
    }
    return found;
  }

  return (headers, subaccount) => {
    const user = headers[USER_AUTH_HEADER];
    const technical = headers[TECHNICAL_AUTH_HEADER];
    if (user === undefined && technical === undefined) return undefined;
    if (user !== undefined && technical !== undefined) {
      return { ok: false, reason: `both ${HEADER_NAMES.business} and ${HEADER_NAMES.technical} are set; send one` };
    }
    const kind = user !== undefined ? 'business' : 'technical';
    const value = (user ?? technical) as string | string[];
    const m = typeof value === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
    if (m === null) return { ok: false, reason: `${HEADER_NAMES[kind]} is not one Bearer token` };
    const d = kind === 'business' ? verifier.verify(m[1]!) : verifier.verifyTechnical(m[1]!);
    return d instanceof Promise ? d.then((x) => judge(x, kind, subaccount)) : judge(d, kind, subaccount);
  };
}

/** `name`: the first of user_name, email, mail, user_uuid, sub (business) or client_id, cid, sub, azp (technical). */
export function principalOf(d: UserDecision & { ok: true }, kind: 'business' | 'technical'): Principal {
  const c = d.claims as Record<string, unknown>;
  const first = (...keys: string[]) => keys.map((k) => c[k]).find((v): v is string => typeof v === 'string' && v !== '');
  const name = (kind === 'business' ? first('user_name', 'email', 'mail', 'user_uuid', 'sub') : first('client_id', 'cid', 'sub', 'azp')) ?? d.user.name;
  const p: Principal = { kind, name, clientId: d.clientId, userId: d.user.userId };
  if (d.user.email !== undefined) p.email = d.user.email;
  if (d.user.givenName !== undefined) p.givenName = d.user.givenName;
  if (d.user.familyName !== undefined) p.familyName = d.user.familyName;
  return p;
}
