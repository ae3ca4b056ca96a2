// Parses the request target of a forward-proxy request (RFC 9112 §3.2.2 absolute-form).
// Pure: no I/O. The path is passed on raw; the connector normalises and checks it.

export type ProxyTarget =
  | { ok: true; host: string; port: number; pathAndQuery: string; path: string }
  | { ok: false; code: 'PROXY_HTTPS_NOT_SUPPORTED' | 'PROXY_BAD_REQUEST'; reason: string };

const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$/;

export function parseProxyTarget(method: string | undefined, url: string | undefined): ProxyTarget {
  if (method === 'CONNECT') return { ok: false, code: 'PROXY_HTTPS_NOT_SUPPORTED', reason: 'CONNECT is not supported' };
  if (!url) return { ok: false, code: 'PROXY_BAD_REQUEST', reason: 'empty request target' };
  const scheme = url.slice(0, 8).toLowerCase();
  if (scheme === 'https://') return { ok: false, code: 'PROXY_HTTPS_NOT_SUPPORTED', reason: 'https:// target' };
  if (!scheme.startsWith('http://')) {
    return { ok: false, code: 'PROXY_BAD_REQUEST', reason: 'the connectivity proxy expects absolute-form targets such as http://virtualhost:1234/path' };
  }
  let end = url.length;
  for (let i = 7; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) { end = i; break; }
  }
  const authority = url.slice(7, end).toLowerCase();
  if (authority.includes('@')) return { ok: false, code: 'PROXY_BAD_REQUEST', reason: 'user information in the target URL is not allowed' };
  let host = authority;
  let port = 80;
  const colon = authority.lastIndexOf(':');
  if (colon > authority.lastIndexOf(']')) {
    host = authority.slice(0, colon);
    const p = authority.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) {
      return { ok: false, code: 'PROXY_BAD_REQUEST', reason: `invalid port "${p}" in the target URL` };
    }
    port = Number(p);
  }
  if (host.length === 0 || host.length > 253 || !HOST.test(host)) {
    return { ok: false, code: 'PROXY_BAD_REQUEST', reason: 'invalid host in the target URL' };
  }
  let pathAndQuery = url.slice(end);
  const hash = pathAndQuery.indexOf('#');
  if (hash >= 0) pathAndQuery = pathAndQuery.slice(0, hash);
  if (pathAndQuery === '' || pathAndQuery.charCodeAt(0) === 63) pathAndQuery = `/${pathAndQuery}`;
  const q = pathAndQuery.indexOf('?');
  return { ok: true, host, port, pathAndQuery, path: q < 0 ? pathAndQuery : pathAndQuery.slice(0, q) };
}
