// The one rule for what a client may not send the backend: a header whose name normalises
// (lower case, '-' and '_' alike) to one the connector sets itself. Backends read names that way —
// CGI/WSGI/PHP turn both `SSL-Client-Cert` and `ssl_client_cert` into HTTP_SSL_CLIENT_CERT, nginx
// keeps the dash spelling and drops the underscore one — so replacing only the exact name would
// let a client choose the certificate (issue 11). Checked per header name, without allocating.
import { INTERNAL_HEADER_PREFIX } from '../shared/tunnel-protocol.js';
import { SSL_CLIENT_CERT } from './principal-certificates.js';

const normalise = (name: string) => name.toLowerCase().replace(/-/g, '_');

/** Headers the connector sets toward the backend (Host per hostInHeader, X-Forwarded-Host under INTERNAL, SSL_CLIENT_CERT), normalised. */
export const OWNED_HEADERS: readonly string[] = [SSL_CLIENT_CERT, 'x-forwarded-host', 'host'].map(normalise);
/** The internal headers between proxy and connector (x-scc-sim-*), normalised. */
const OWNED_PREFIX = normalise(INTERNAL_HEADER_PREFIX);

/** True when `a` starts with the normalised `norm` (its first `norm.length` characters compare equal after normalising). */
function startsNormalised(a: string, norm: string): boolean {
  for (let i = 0; i < norm.length; i++) {
    let c = a.charCodeAt(i);
    if (c === 45 /* - */) c = 95 /* _ */;
    else if (c >= 65 && c <= 90) c += 32;
    if (c !== norm.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether a client header of this name must be dropped before the backend, whatever its spelling. */
export function isOwnedHeader(name: string): boolean {
  for (const owned of OWNED_HEADERS) {
    if (name.length === owned.length && startsNormalised(name, owned)) return true;
  }
  return name.length >= OWNED_PREFIX.length && startsNormalised(name, OWNED_PREFIX);
}
