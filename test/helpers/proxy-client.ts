// Sends requests through the simulator's HTTP proxy the way an app does: absolute-form target,
// `Proxy-Authorization: Bearer <token>`, `SAP-Connectivity-SCC-Location_ID`. The response body
// is hashed as it streams; it is kept only when asked, so multi-GiB downloads stay cheap.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable, pipeline } from 'node:stream';

export const LOCATION_HEADER = 'sap-connectivity-scc-location_id';

export interface ProxyRequest {
  method?: string;
  /** The absolute-form target, e.g. `http://virtualhost:3333/echo`. */
  url: string;
  /** Sent as `Proxy-Authorization: Bearer <token>`; leave out to send no such header. */
  token?: string;
  /** Sent as `SAP-Connectivity-SCC-Location_ID`. */
  location?: string;
  headers?: OutgoingHttpHeaders;
  /** A Readable is streamed (chunked); a string or Buffer is sent with a content-length. */
  body?: string | Buffer | Readable;
  /** true: only count and hash the response body, never keep it. */
  digestOnly?: boolean;
  /** Default: a fresh connection per request (`agent: false`). */
  agent?: http.Agent | false;
}

export interface ProxyResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; empty when `digestOnly`. */
  body: Buffer;
  bytes: number;
  sha256: string;
  /** Whether the request went out on a kept-alive socket. */
  reusedSocket: boolean;
  text(): string;
  json<T = any>(): T;
}

/** One request through the HTTP proxy listening on 127.0.0.1:`proxyPort`. */
export function proxyRequest(proxyPort: number, r: ProxyRequest): Promise<ProxyResponse> {
  const headers: OutgoingHttpHeaders = { ...r.headers };
  if (r.token !== undefined) headers['proxy-authorization'] = `Bearer ${r.token}`;
  if (r.location !== undefined) headers[LOCATION_HEADER] = r.location;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: proxyPort, method: r.method ?? 'GET', path: r.url, headers,
      agent: r.agent ?? false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
        if (!r.digestOnly) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`response aborted after ${bytes} bytes`)));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode!, headers: res.headers, body, bytes, sha256: hash.digest('hex'),
          reusedSocket: req.reusedSocket,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
    });
    if (r.body instanceof Readable) {
      pipeline(r.body, req, (err) => { if (err) reject(err); });
    } else {
      req.end(r.body);
    }
  });
}

export interface RawResponse {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
}

/**
 * Writes `raw` bytes as they are to 127.0.0.1:`port` and parses the one answer (content-length,
 * chunked, or until the connection closes). For requests node:http will not send.
 */
export async function rawRequest(port: number, raw: string | Buffer): Promise<RawResponse> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.write(raw);
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      const parsed = parseResponse(buf, closed);
      if (parsed === undefined) {
        if (closed) { done = true; reject(new Error(`connection closed before a full answer: ${JSON.stringify(buf.toString('latin1'))}`)); }
        return;
      }
      done = true;
      socket.destroy();
      resolve(parsed);
    };
    socket.on('data', (chunk: Buffer) => { buf = Buffer.concat([buf, chunk]); finish(false); });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err) => { if (!done) { done = true; reject(err); } });
  });
}

function parseResponse(buf: Buffer, closed: boolean): RawResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  let body: Buffer | undefined;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length >= n) body = rest.subarray(0, n);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    body = dechunk(rest);
  } else if (closed) {
    body = rest;
  }
  if (body === undefined) return undefined;
  const b = body;
  return { status: Number(statusLine.split(' ')[1]), statusLine, headers, body: b, text: () => b.toString('utf8') };
}

/** The body of a complete chunked encoding, or undefined while the last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
