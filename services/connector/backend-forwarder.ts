// Forwards an allowed request to the internal system with http-proxy (DESIGN.md): keep-alive
// agents per system mapping, Host per `hostInHeader`, redirect `Location` rewritten from internal
// to virtual, hop-by-hop headers handled for the HTTP/2 side, and transport failures mapped to
// gateway answers in this one place (refused/unreachable → 502, too slow → 504).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createRequire } from 'node:module';
import util from 'node:util';
import type HttpProxy from 'http-proxy';
import type { SystemMapping } from '../shared/config-schema.js';
import { simError, type SimError } from '../shared/errors.js';
import { INTERNAL_HEADER_PREFIX, nextHopHeaders } from '../shared/tunnel-protocol.js';

export interface ForwardResult {
  status?: number;
  error?: SimError;
}

interface Target {
  mapping: SystemMapping;
  agent: http.Agent;
  target: { protocol: string; host: string; port: number; ca?: Buffer };
  /** `http://localhost:3333` (and without the default port) → virtual base, for Location rewriting. */
  internalBases: string[];
  virtualBase: string;
  /** `localHost:localPort`, the Host header under hostInHeader INTERNAL. */
  internalAuthority: string;
  /** http-proxy options, built once per mapping. */
  options: HttpProxy.ServerOptions;
}

const TIMEOUT_CODE = 'SCC_SIM_BACKEND_TIMEOUT';

// DEP0060: http-proxy 1.18.1 (its last release) keeps `require('util')._extend` from load time and
// calls it for every request; Node 22 prints a DeprecationWarning at the first call. It is loaded
// while util._extend is Object.assign (what Node's message says to use; the same copy for
// http-proxy's two-argument calls), and Node's function is put back at once.
const httpProxy = ((): typeof HttpProxy => {
  const nodeUtil = util as unknown as { _extend: unknown };
  const deprecated = nodeUtil._extend;
  nodeUtil._extend = Object.assign;
  try {
    return createRequire(import.meta.url)('http-proxy') as typeof HttpProxy;
  } finally {
    nodeUtil._extend = deprecated;
  }
})();

function isInternal(name: string): boolean {
  return name.startsWith(INTERNAL_HEADER_PREFIX);
}

export class BackendForwarder {
  readonly #proxy = httpProxy.createProxyServer({ xfwd: false, changeOrigin: false, prependPath: false });
  readonly #targets = new Map<SystemMapping, Target>();

  constructor(mappings: readonly SystemMapping[]) {
    for (const m of mappings) {
      if (m.protocol !== 'HTTP' && m.protocol !== 'HTTPS') continue;
      const secure = m.protocol === 'HTTPS';
      const ca = m.caFile ? readFileSync(m.caFile) : undefined;
      const agentOptions = { keepAlive: true, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' as const };
      // The certificate is checked against the internal host the connector dials, never against the
      // Host header (Node's default servername), which is the virtual host under hostInHeader VIRTUAL.
      // An IP gets no SNI ('' stops Node from deriving one) and is matched against the IP SANs.
      const servername = isIP(m.localHost) ? '' : m.localHost;
      const agent = secure
        ? new https.Agent({ ...agentOptions, ca, rejectUnauthorized: !m.trustAll, servername })
        : new http.Agent(agentOptions);
      const port = Number(m.localPort);
      const scheme = secure ? 'https' : 'http';
      const defaultPort = secure ? 443 : 80;
      const host = m.localHost.toLowerCase();
      const target = { protocol: `${scheme}:`, host: m.localHost, port, ca };
      this.#targets.set(m, {
        mapping: m, agent, target,
        internalBases: port === defaultPort ? [`${scheme}://${host}:${port}`, `${scheme}://${host}`] : [`${scheme}://${host}:${port}`],
        virtualBase: `http://${m.virtualHost}:${m.virtualPort}`,
        internalAuthority: `${m.localHost}:${m.localPort}`,
        options: { target: target as HttpProxy.ServerOptions['target'], agent, secure: !m.trustAll },
      });
    }
    this.#proxy.on('proxyReq', (proxyReq, req) => {
      const timeoutMs = (req as any)[kTimeout] as number;
      proxyReq.setTimeout(timeoutMs, () => {
        proxyReq.destroy(Object.assign(new Error(`backend did not answer within ${timeoutMs} ms`), { code: TIMEOUT_CODE }));
      });
    });
    this.#proxy.on('proxyRes', (proxyRes, _req, res) => {
      // The backend dying mid-body must reach the client as an error, never as a hang.
      proxyRes.once('aborted', () => (res as unknown as Http2ServerResponse).stream?.close(2 /* INTERNAL_ERROR */));
      const headers = nextHopHeaders(proxyRes.headers) as http.IncomingHttpHeaders;
      const location = headers.location;
      if (typeof location === 'string') headers.location = this.#rewriteLocation(location);
      proxyRes.headers = headers;
      // HTTP/2 has no reason phrase: http-proxy would copy it onto the HTTP/2 response, which makes
      // Node print an UnsupportedWarning.
      proxyRes.statusMessage = '';
    });
  }

  /**
   * Streams `req` to the system and its answer back; `done` is called once, when the exchange is
   * over or failed before an answer (then with the error to send).
   */
  forward(req: Http2ServerRequest, res: Http2ServerResponse, mapping: SystemMapping, path: string, query: string,
    extraHeaders: Record<string, string> | undefined, done: (result: ForwardResult) => void): void {
    const t = this.#targets.get(mapping);
    if (!t) return done({ error: simError('SCC_BACKEND_UNREACHABLE') });
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
    (req as any)[kTimeout] = mapping.timeoutMs;
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

  #rewriteLocation(location: string): string {
    const lower = location.toLowerCase();
    for (const t of this.#targets.values()) {
      for (const base of t.internalBases) {
        if (lower.startsWith(base) && (lower.length === base.length || '/?#'.includes(lower[base.length]))) {
          return t.virtualBase + location.slice(base.length);
        }
      }
    }
    return location;
  }

  close(): void {
    for (const t of this.#targets.values()) t.agent.destroy();
    this.#proxy.close();
  }
}

const kTimeout = Symbol('scc-sim.timeoutMs');
