// Which redirect_uri a client may use: the `redirect-uris` patterns of its xs-security.json
// `oauth2-configuration` (UAA matches them Ant-style). Pure. A pattern is split at "/"; `**` as a
// whole segment matches any number of segments, `*` matches within one segment: in the path any
// characters but "/", in the host:port segment only characters of one label or a port (never ".",
// "@" or ":"), so `https://*.example.com/**` cannot be stretched to another host. Before any
// pattern is tried the URI itself must be plain: http(s), a host, no user info, no fragment, no
// backslash or control characters, and written the way a URL parser reads it (no parser
// differentials). Scheme and host compare case-insensitively.

/** When a client configures none: any loopback URL, as XSUAA allows its own landscape's domain. */
export const LOOPBACK_REDIRECT_URIS: readonly string[] = [
  'http://localhost:*/**', 'http://localhost/**', 'http://127.0.0.1:*/**', 'http://127.0.0.1/**', 'http://[::1]:*/**', 'http://[::1]/**',
];

export type RedirectDecision = { allowed: true; pattern: string } | { allowed: false; reason: string };

export function matchRedirectUri(uri: string, patterns: readonly string[]): RedirectDecision {
  const plain = checkPlain(uri);
  if (plain !== undefined) return { allowed: false, reason: plain };
  const target = segments(uri);
  for (const pattern of patterns) {
    if (matches(segments(pattern), target)) return { allowed: true, pattern };
  }
  return { allowed: false, reason: 'redirect_uri matches none of the client\'s redirect-uris' };
}

function checkPlain(uri: string): string | undefined {
  if (typeof uri !== 'string' || uri === '') return 'redirect_uri is missing';
  if (uri.length > 2048) return 'redirect_uri is too long';
  if (/[\u0000-\u0020\u007f\\]/.test(uri)) return 'redirect_uri contains spaces, control characters or backslashes';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'redirect_uri is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'redirect_uri must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'redirect_uri must not contain user info';
  if (uri.includes('#')) return 'redirect_uri must not contain a fragment';
  const authority = /^https?:\/\/([^/?#]*)/i.exec(uri)?.[1];
  if (authority === undefined || authority.toLowerCase() !== url.host) return 'redirect_uri has an unusual host part';
  return undefined;
}

/** `scheme:`, ``, `host:port`, path segments…; scheme and authority lower-cased. */
function segments(uri: string): string[] {
  const parts = uri.split('/');
  if (parts.length >= 3) {
    parts[0] = parts[0]!.toLowerCase();
    parts[2] = parts[2]!.toLowerCase();
  }
  return parts;
}

function matches(pattern: string[], target: string[]): boolean {
  if (pattern.length < 3 || target.length < 3) return false;
  for (let i = 0; i < 3; i++) {
    if (!segmentMatches(pattern[i]!, target[i]!, i === 2 ? '[^./@:]*' : '[^/]*')) return false;
  }
  return pathMatches(pattern.slice(3), target.slice(3));
}

function pathMatches(pattern: string[], target: string[]): boolean {
  if (pattern.length === 0) return target.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') {
    for (let skip = 0; skip <= target.length; skip++) if (pathMatches(rest, target.slice(skip))) return true;
    return false;
  }
  return target.length > 0 && segmentMatches(head!, target[0]!, '[^/]*') && pathMatches(rest, target.slice(1));
}

function segmentMatches(pattern: string, value: string, star: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const source = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(star);
  return new RegExp(`^${source}$`).test(value);
}
