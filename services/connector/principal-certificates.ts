// The short-lived X.509 client certificates of principal propagation (sap-contract.md §4.3): for a
// system mapping with authenticationMode X509_GENERAL or X509_RESTRICTED the Cloud Connector sends
// the backend `SSL_CLIENT_CERT` with a certificate for the propagated user, signed by the
// simulator CA, subject from the connector's subject pattern; without a user the header is sent
// EMPTY. Issuing takes ~20 ms, so certificates are cached per (mapping, principal) and reused until
// shortly before they expire; concurrent first requests of one user share one certificate.
import type { PrincipalPropagationConfig, SystemMapping } from '../shared/config-schema.js';
import type { Principal } from '../shared/principal-header.js';
import type { SimCa } from '../shared/sim-ca.js';
import { compileSubjectPattern } from '../shared/subject-pattern.js';

/**
 * The header the backend reads, and its encoding — decided here and nowhere else. SAP's encoding
 * is UNCONFIRMED; the simulator sends the certificate's DER as base64 without PEM armour and
 * without line breaks, the form SAP's ICM reads (`ssl/client_cert` from SSL_CLIENT_CERT).
 * Lower case, as every header in Node's maps, so it replaces one the app may have sent.
 */
export const SSL_CLIENT_CERT = 'ssl_client_cert';

/** What an X.509 mapping sends when no user was propagated. */
export const EMPTY_CLIENT_CERT: Readonly<Record<string, string>> = Object.freeze({ [SSL_CLIENT_CERT]: '' });

const MINUTE = 60_000;
/** Renew this long before notAfter (at most half the validity), so a backend never sees a certificate about to expire. */
const RENEW_MARGIN_MS = 5 * MINUTE;

export function usesClientCertificate(mapping: SystemMapping): boolean {
  return mapping.authenticationMode === 'X509_GENERAL' || mapping.authenticationMode === 'X509_RESTRICTED';
}

export interface PrincipalCertificatesOptions {
  ca: SimCa;
  settings: PrincipalPropagationConfig;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** Certificates kept per mapping (oldest dropped first); default 10 000. */
  maxPerMapping?: number;
}

export interface PrincipalCertificates {
  /**
   * The SSL_CLIENT_CERT header for `principal` on `mapping`: synchronous when cached, a Promise
   * while one is made. `key` identifies the principal (its encoded header).
   */
  headersFor(mapping: SystemMapping, principal: Principal, key: string): Record<string, string> | Promise<Record<string, string>>;
}

type Entry = { headers: Record<string, string>; renewAt: number } | { pending: Promise<Record<string, string>> };

export function createPrincipalCertificates(opts: PrincipalCertificatesOptions): PrincipalCertificates {
  const { ca, settings } = opts;
  const now = opts.now ?? Date.now;
  const max = opts.maxPerMapping ?? 10_000;
  const subject = compileSubjectPattern(settings.subjectPattern);
  const validityMs = settings.certificateValidityMinutes * MINUTE;
  const margin = Math.min(RENEW_MARGIN_MS, validityMs / 2);
  const caches = new WeakMap<SystemMapping, Map<string, Entry>>();

  async function issue(cache: Map<string, Entry>, principal: Principal, key: string): Promise<Record<string, string>> {
    try {
      const cert = await ca.issueClientCert(subject.render(principal), settings.certificateValidityMinutes, {
        toleranceMinutes: settings.expirationToleranceMinutes, now: new Date(now()),
      });
      const headers = { [SSL_CLIENT_CERT]: cert.derBase64 };
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(key, { headers, renewAt: cert.notAfter.getTime() - margin });
      return headers;
    } catch (err) {
      cache.delete(key);
      throw err;
    }
  }

  return {
    headersFor(mapping, principal, key) {
      let cache = caches.get(mapping);
      if (cache === undefined) { cache = new Map(); caches.set(mapping, cache); }
      const hit = cache.get(key);
      if (hit !== undefined) {
        if ('pending' in hit) return hit.pending;
        if (now() < hit.renewAt) return hit.headers;
      }
      const pending = issue(cache, principal, key);
      cache.set(key, { pending });
      return pending;
    },
  };
}
