// Calls a connector's admin API the way the Terraform provider does: real HTTPS (trusting the
// simulator CA), `Authorization: Basic` on every request, `Content-Type: application/json` only
// with a body, no cookies, no CSRF token.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';

export const C = '/api/v1/configuration';

export interface AdminEndpointLike { url: string; user: string; password: string; caFile: string }

export interface AdminResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = any>(): T;
}

export interface AdminRequestOptions {
  /** `user:password`; false = no Authorization header; default the endpoint's credentials. */
  auth?: string | false;
  headers?: Record<string, string>;
  /** Sent as it is (no JSON encoding, no content type unless given in headers). */
  raw?: string | Buffer;
}

export interface AdminClient {
  request(method: string, path: string, body?: unknown, opts?: AdminRequestOptions): Promise<AdminResponse>;
  get(path: string, opts?: AdminRequestOptions): Promise<AdminResponse>;
  post(path: string, body?: unknown, opts?: AdminRequestOptions): Promise<AdminResponse>;
  put(path: string, body?: unknown, opts?: AdminRequestOptions): Promise<AdminResponse>;
  patch(path: string, body?: unknown, opts?: AdminRequestOptions): Promise<AdminResponse>;
  del(path: string, opts?: AdminRequestOptions): Promise<AdminResponse>;
}

export function adminClient(endpoint: AdminEndpointLike | (() => AdminEndpointLike)): AdminClient {
  const current = typeof endpoint === 'function' ? endpoint : () => endpoint;
  const request = (method: string, path: string, body?: unknown, opts: AdminRequestOptions = {}): Promise<AdminResponse> => {
    const e = current();
    const headers: Record<string, string> = { accept: '*/*', ...opts.headers };
    const auth = opts.auth ?? `${e.user}:${e.password}`;
    if (auth !== false) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    let payload: string | Buffer | undefined = opts.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    return new Promise((resolve, reject) => {
      const req = https.request(`${e.url}${path}`, { method, headers, ca: readFileSync(e.caFile), agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  };
  return {
    request,
    get: (path, opts) => request('GET', path, undefined, opts),
    post: (path, body, opts) => request('POST', path, body, opts),
    put: (path, body, opts) => request('PUT', path, body, opts),
    patch: (path, body, opts) => request('PATCH', path, body, opts),
    del: (path, opts) => request('DELETE', path, undefined, opts),
  };
}

/** `/api/v1/configuration/subaccounts/<regionHost>/<subaccount>` */
export function subaccountPath(s: { regionHost: string; subaccount: string }): string {
  return `${C}/subaccounts/${s.regionHost}/${s.subaccount}`;
}
