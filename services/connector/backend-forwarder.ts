// Forwards an allowed request to the internal system with http-proxy (DESIGN.md): the target
// (forward-targets.ts: keep-alive agent, Location and cookie rewriting) comes from the snapshot the
// request started with; Host per `hostInHeader`, hop-by-hop headers handled for the HTTP/2 side;
// failures become gateway answers through backend-failures.ts. The backend's answer is written
// here, not by http-proxy: whatever a backend sends (any three-digit status, 101, 1xx storms,
// broken framing, too many headers) ends in an answer or a visibly cut body, never in an
// exception or a hang (issue 11).
//
// `timeoutMs` of a mapping: the response head must arrive within it after the request (with its
// body) went out — a deadline, so a backend that trickles header lines gets 504 all the same; and a
// pause longer than it while the request body uploads or the response body streams ends the
// exchange (504 before the head, a cut body after it).
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { TunnelRequest, TunnelResponse } from './request-handler.js';
import { httpProxy } from './http-proxy-module.js';
import type { ForwardTarget } from './forward-targets.js';
import type { SimError } from '../shared/errors.js';
import { MAX_HEADER_COUNT, PARSER_MAX_HEADERS_COUNT, tooManyHeaders } from '../shared/header-limits.js';
import { DECISION_HEADER, nextHopHeaders } from '../shared/tunnel-protocol.js';
import { BAD_RESPONSE_CODE, TOO_MANY_HEADERS_CODE, coded, errorFor, timeoutError } from './backend-failures.js';
import { isOwnedHeader } from './owned-headers.js';

export interface ForwardResult {
  status?: number;
  error?: SimError;
}

const kTarget = Symbol('scc-sim.forwardTarget');
const kFail = Symbol('scc-sim.fail');

/** Ends an exchange whose answer cannot be forwarded: the error answer instead, and the backend connection dropped (its body unread). */
function refuse(proxyRes: http.IncomingMessage, req: http.IncomingMessage, err: Error): void {
  ((req as any)[kFail] as (e: Error) => void)(err);
  (proxyRes as unknown as { req: http.ClientRequest }).req.destroy();
}

/** One per connector: streams requests to the targets of whichever snapshot the request started with. */
export class BackendForwarder {
  readonly #proxy = httpProxy.createProxyServer({ xfwd: false, changeOrigin: false, prependPath: false, selfHandleResponse: true });

  constructor() {
    this.#proxy.on('proxyReq', (proxyReq, req) => {
      const timeoutMs = ((req as any)[kTarget] as ForwardTarget).mapping.timeoutMs;
      const fail = (req as any)[kFail] as (err: Error) => void;
      // The response parser must keep more fields than MAX_HEADER_COUNT, so that #respond sees a head
      // over it (by default Node 22 keeps exactly 1000 and drops the rest). 'proxyReq' comes with the
      // 'socket' event, after Node gave the parser req.maxHeadersCount: set the parser's own limit.
      const parser = (proxyReq.socket as unknown as { parser?: { maxHeaderPairs: number } } | null)?.parser;
      if (parser) parser.maxHeaderPairs = 2 * PARSER_MAX_HEADERS_COUNT;
      // Idle limit: connecting, uploading, and every pause of the response body.
      proxyReq.setTimeout(timeoutMs, () => proxyReq.destroy(timeoutError(timeoutMs)));
      // Deadline for the head, from the end of the request: trickled header lines and 1xx answers
      // keep the socket busy but buy no time. While the body still uploads, the idle limit rules.
      const deadline = setTimeout(() => {
        if (proxyReq.writableFinished) proxyReq.destroy(timeoutError(timeoutMs));
        else deadline.refresh();
      }, timeoutMs);
      const stop = () => clearTimeout(deadline);
      proxyReq.once('finish', () => deadline.refresh());
      proxyReq.once('response', stop);
      proxyReq.once('close', stop);
      // A 101 nobody asked for: Node hands the socket to 'upgrade' listeners, and without one closes
      // the request with neither 'response' nor 'error' — http-proxy would wait forever.
      proxyReq.once('upgrade', (_res: http.IncomingMessage, socket: Socket) => {
        socket.destroy();
        fail(coded('it switched protocols (101) although the request asked for no upgrade', BAD_RESPONSE_CODE));
      });
    });
    this.#proxy.on('proxyRes', (proxyRes, req, res) => this.#respond(proxyRes, req, res as unknown as TunnelResponse));
  }

  /** Writes the backend's answer on the carrier (HTTP/1.1 to the proxy), or fails the exchange when it cannot be forwarded. */
  #respond(proxyRes: http.IncomingMessage, req: http.IncomingMessage, res: TunnelResponse): void {
    const status = proxyRes.statusCode ?? 0;
    // HTTP/1.1 allows any three digits; HTTP/2 carries 200-599 only (1xx are interim, and Node's
    // client delivers only 101 here).
    if (status < 200 || status > 599) return refuse(proxyRes, req, coded(`status ${status} is not a final HTTP status (200-599)`, BAD_RESPONSE_CODE));
    if (tooManyHeaders(proxyRes.rawHeaders)) return refuse(proxyRes, req, coded(`more than ${MAX_HEADER_COUNT} header fields`, TOO_MANY_HEADERS_CODE));
    const { set } = (req as any)[kTarget] as ForwardTarget;
    const headers = nextHopHeaders(proxyRes.headers) as http.OutgoingHttpHeaders;
    const location = headers.location;
    if (typeof location === 'string') headers.location = set.rewriteLocation(location);
    const cookies = set.rewriteCookies(headers['set-cookie'] as string[] | undefined);
    if (cookies !== undefined) headers['set-cookie'] = cookies;
    try {
      res.writeHead(status, headers);
    } catch (err) {
      for (const name of res.getHeaderNames()) if (name !== DECISION_HEADER) res.removeHeader(name);
      return refuse(proxyRes, req, coded(`a header cannot be forwarded (${(err as Error).message})`, BAD_RESPONSE_CODE));
    }
    // The backend dying mid-body must reach the client as an error, never as a hang.
    // The carrier is destroyed, so the proxy sees the answer cut, not ended.
    proxyRes.once('aborted', () => res.destroy());
    proxyRes.pipe(res);
  }

  /**
   * Streams `req` to the target's system and its answer back; `done` is called once, when the
   * exchange is over or failed before an answer (then with the error to send).
   */
  forward(req: TunnelRequest, res: TunnelResponse, t: ForwardTarget, path: string, query: string,
    extraHeaders: Record<string, string> | undefined, done: (result: ForwardResult) => void): void {
    const { mapping } = t;
    const virtualAuthority = req.headers.host!;
    // The client's headers minus every spelling of the ones set here (owned-headers.ts).
    const headers = nextHopHeaders(req.headers, isOwnedHeader);
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
    const fail = (err: Error) => {
      const error = errorFor(err, mapping);
      finish({ error, status: error.statusCode });
    };
    (req as any)[kFail] = fail;
    res.once('close', () => finish({ status: res.statusCode }));
    this.#proxy.web(req as any, res as any, t.options, fail);
  }

  close(): void {
    this.#proxy.close();
  }
}
