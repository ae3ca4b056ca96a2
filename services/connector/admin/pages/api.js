// The admin REST API as the pages call it: same origin, JSON, the browser's Basic auth
// credentials; an answer other than 2xx is an ApiError with SAP's message. The URL builders
// percent-encode every segment (and a resource ID in SAP's own escape first).
export const C = '/api/v1/configuration';

export class ApiError extends Error {}

export async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) throw new ApiError(`${method} failed (${res.status}): ${json?.message ?? text ?? res.statusText}`);
  return json;
}

export const seg = (s) => encodeURIComponent(s);
/** SAP's resource ID in a URL (scc-rest-api.md §2.4): `+` → `+2B`, `-` → `+2D`, `/` → `-`. */
export const resourceSeg = (id) => seg(id.replace(/\+/g, '+2B').replace(/-/g, '+2D').replace(/\//g, '-'));
export const subaccountUrl = (s) => `${C}/subaccounts/${seg(s.regionHost)}/${seg(s.subaccount)}`;
export const mappingUrl = (s, m) => `${subaccountUrl(s)}/systemMappings/${seg(`${m.virtualHost}:${m.virtualPort}`)}`;
export const resourceUrl = (s, m, r) => `${mappingUrl(s, m)}/resources/${resourceSeg(r.id)}`;
export const keyOf = (s) => `${s.regionHost}/${s.subaccount}`;
