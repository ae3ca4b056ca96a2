// Forwards an allowed request to the internal system with http-proxy (DESIGN.md): the target
// (forward-targets.ts: keep-alive agent, Location and cookie rewriting) comes from the snapshot the
// request started with; Host per `hostInHeader`, hop-by-hop headers handled for the HTTP/2 side,
// and transport failures mapped to gateway answers in this one place (refused/unreachable → 502,
// too slow → 504).
import http from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import httpProxy from 'http-proxy';
import type { ForwardTarget } from './forward-targets.js';
import { simError, type SimError } from '../shared/errors.js';
import { INTERNAL_HEADER_PREFIX, nextHopHeaders } from '../shared/tunnel-protocol.js';

export interface ForwardResult {
  status?: number;
  error?: SimError;
}

const TIMEOUT_CODE = 'SCC_SIM_BACKEND_TIMEOUT';

function isInternal(name: string): boolean {
  return name.startsWith(INTERNAL_HEADER_PREFIX);
}

/** One per connector: streams requests to the targets of whichever snapshot the request started with. */
export class BackendForwarder {
  readonly #proxy = httpProxy.createProxyServer({ xfwd: false, changeOrigin: false, prependPath: false });

  constructor() {
    this.#proxy.on('proxyReq', (proxyReq, req) => {
      const timeoutMs = ((req as any)[kTarget] as ForwardTarget).mapping.timeoutMs;
      proxyReq.setTimeout(timeoutMs, () => {
        proxyReq.destroy(Object.assign(new Error(`backend did not answer within ${timeoutMs} ms`), { code: TIMEOUT_CODE }));
      });
    });
    this.#proxy.on('proxyRes', (proxyRes, req, res) => {
      // The backend dying mid-body must reach the client as an error, never as a hang.
      proxyRes.once('aborted', () => (res as unknown as Http2ServerResponse).stream?.close(2 /* INTERNAL_ERROR */));
      const { set } = (req as any)[kTarget] as ForwardTarget;
      const headers = nextHopHeaders(proxyRes.headers) as http.IncomingHttpHeaders;
      const location = headers.location;
      if (typeof location === 'string') headers.location = set.rewriteLocation(location);
      const cookies = set.rewriteCookies(headers['set-cookie']);
      if (cookies !== undefined) headers['set-cookie'] = cookies;
      proxyRes.headers = headers;
      // HTTP/2 has no reason phrase: http-proxy would copy it onto the HTTP/2 response, which makes
      // Node print an UnsupportedWarning.
      proxyRes.statusMessage = '';
    });
  }

  /**
   * Streams `req` to the target's system and its answer back; `done` is called once, when the
   * exchange is over or failed before an answer (then with the error to send).
   */
  forward(req: Http2ServerRequest, res: Http2ServerResponse, t: ForwardTarget, path: string, query: string,
    extraHeaders: Record<string, string> | undefined, done: (result: ForwardResult) => void): void {
    const { mapping } = t;
    const virtualAuthority = req.headers[':authority'] as string;
    const headers = nextHopHeaders(req.headers, isInternal);
    if (mapping.hostInHeader === 'INTERNAL') {
      headers.host = t.internalAuthority;
      headers['x-forwarded-host'] = virtualAuthority;
    } else {
      headers.host = virtualAuthority;
    }
    if (extraHeaders) Object.assign(headers, extraHeaders);
    // http-proxy copies req.headers and req.url: give it HTTP/1 headers and the checked path.
    Object.defineProperty(req, 'headers', { value: headers, configurable: true });
    req.url = query === '' ? path : path + query;
    (req as any)[kTarget] = t;
    let finished = false;
    const finish = (result: ForwardResult) => { if (!finished) { finished = true; done(result); } };
    res.once('close', () => finish({ status: res.statusCode }));
    this.#proxy.web(req as any, res as any, t.options, (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      const error = code === TIMEOUT_CODE
        ? simError('SCC_BACKEND_TIMEOUT', { timeoutMs: mapping.timeoutMs }, err)
        : simError('SCC_BACKEND_UNREACHABLE', {}, err);
      finish({ error, status: error.statusCode });
    });
  }

  close(): void {
    this.#proxy.close();
  }
}

const kTarget = Symbol('scc-sim.forwardTarget');
