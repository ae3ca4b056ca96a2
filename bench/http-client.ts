// The bench's own HTTP client (node:http, no keep-alive): one request direct to the backend or
// as an absolute-form request through the HTTP proxy, for the smoke check and the 1 GiB transfers.
import { request, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import { VIRTUAL_HOST, VIRTUAL_PORT } from './config.js';

export interface Target {
  port: number;
  /** Through the proxy: absolute-form request line, Proxy-Authorization, optional location ID. */
  proxy?: { token: string; locationId?: string };
}

export const direct = (port: number): Target => ({ port });
export const viaProxy = (port: number, token: string, locationId?: string): Target => ({ port, proxy: { token, locationId } });

/** The request-line target and headers a load generator needs for `path` on this target. */
export function requestShape(t: Target, path: string): { path: string; headers: Record<string, string> } {
  if (!t.proxy) return { path, headers: {} };
  const headers: Record<string, string> = {
    Host: `${VIRTUAL_HOST}:${VIRTUAL_PORT}`,
    'Proxy-Authorization': `Bearer ${t.proxy.token}`,
  };
  if (t.proxy.locationId) headers['SAP-Connectivity-SCC-Location_ID'] = t.proxy.locationId;
  return { path: `http://${VIRTUAL_HOST}:${VIRTUAL_PORT}${path}`, headers };
}

function options(t: Target, method: string, path: string, extra: OutgoingHttpHeaders = {}): RequestOptions {
  const shape = requestShape(t, path);
  return { host: '127.0.0.1', port: t.port, method, path: shape.path, headers: { ...shape.headers, ...extra }, agent: false };
}

function send(opts: RequestOptions, body?: Readable): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(opts, resolve);
    req.once('error', reject);
    if (body) { body.once('error', (err) => req.destroy(err)); body.pipe(req); } else req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function getText(t: Target, path: string): Promise<{ status: number; body: string }> {
  const res = await send(options(t, 'GET', path));
  return { status: res.statusCode ?? 0, body: await readAll(res) };
}

export interface Transfer { status: number; bytes: number; seconds: number; contentLength?: number; answer?: string }

/** GET /bytes/n: counts the bytes and discards them. */
export async function download(t: Target, n: number): Promise<Transfer> {
  const start = process.hrtime.bigint();
  const res = await send(options(t, 'GET', `/bytes/${n}`));
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    res.on('data', (c: Buffer) => { bytes += c.length; });
    res.once('end', resolve);
    res.once('error', reject);
    res.once('aborted', () => reject(new Error(`download aborted after ${bytes} bytes`)));
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cl = res.headers['content-length'];
  return { status: res.statusCode ?? 0, bytes, seconds, contentLength: cl === undefined ? undefined : Number(cl) };
}

/** POST /upload with `body` (n bytes, content-length set); the answer is the backend's {bytes, sha256}. */
export async function upload(t: Target, n: number, body: Readable): Promise<Transfer> {
  const start = process.hrtime.bigint();
  const res = await send(options(t, 'POST', '/upload', { 'content-type': 'application/octet-stream', 'content-length': n }), body);
  const answer = await readAll(res);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { status: res.statusCode ?? 0, bytes: n, seconds, answer };
}
