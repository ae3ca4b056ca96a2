// The propagated principal as it travels down the tunnel: the proxy verifies the user's token
// (SAP-Connectivity-Authentication or -Technical-Authentication, sap-contract.md §1.2) and sends
// the connector only who the user is, in ONE internal header — never the token. The value is
// base64url of a small JSON object. Like every x-scc-sim-* header, the proxy drops one a client
// sends and the connector drops it before the backend (tunnel-protocol.ts), so a client cannot
// forge a principal.
import { INTERNAL_HEADER_PREFIX } from './tunnel-protocol.js';

export const PRINCIPAL_HEADER = `${INTERNAL_HEADER_PREFIX}principal`;

/** Who a request acts for; `name` is the `${name}` of certificate subject patterns (§4.3). */
export interface Principal {
  /** business: SAP-Connectivity-Authentication; technical: SAP-Connectivity-Technical-Authentication. */
  kind: 'business' | 'technical';
  /** Business: first of user_name, email, mail, user_uuid, sub. Technical: client_id, cid, sub, azp. */
  name: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  userId?: string;
  /** The OAuth client the user's token was issued to. */
  clientId: string;
}

const OPTIONAL = ['email', 'givenName', 'familyName', 'userId'] as const;

export function encodePrincipal(p: Principal): string {
  const plain: Principal = { kind: p.kind, name: p.name, clientId: p.clientId };
  for (const k of OPTIONAL) if (p[k] !== undefined) plain[k] = p[k];
  return Buffer.from(JSON.stringify(plain), 'utf8').toString('base64url');
}

/** The principal of a header value, or undefined when the value is not one (never throws). */
export function decodePrincipal(value: string | string[] | undefined): Principal | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Record<string, unknown>;
  if ((o.kind !== 'business' && o.kind !== 'technical') || !text(o.name) || !text(o.clientId)) return undefined;
  const p: Principal = { kind: o.kind, name: o.name as string, clientId: o.clientId as string };
  for (const k of OPTIONAL) if (text(o[k])) p[k] = o[k] as string;
  return p;
}

const text = (v: unknown): boolean => typeof v === 'string' && v !== '';
