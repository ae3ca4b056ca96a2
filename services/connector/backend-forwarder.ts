// Forwards an allowed request to the internal system (DESIGN.md): one undici dispatch on the pool
// of the snapshot the request started with (forward-targets.ts), with a handler of its own that
// writes the backend's answer on the carrier as it arrives — no response object, no stream between.
// Host per `hostInHeader`, hop-by-hop headers dropped both ways, Location and cookies rewritten;
// failures become gateway answers through backend-failures.ts. Whatever a backend sends (any
// three-digit status, 101, 1xx storms, broken framing, too many headers) ends in an answer or a
// visibly cut body, never in an exception or a hang (issue 11).
//
// `timeoutMs` of a mapping: the response head must arrive within it after the request (with its
// body) went out — a deadline, so a backend that trickles header lines or 1xx answers gets 504 all
// the same; and a pause longer than it while the request body uploads or the response body
// streams ends the exchange (504 before the head, a cut body after it).
//
// Why not http-proxy here (it stays in the bench's peer chain): with Node's HTTP client under it,
// this hop cost ~50-80 µs more per small GET than undici's (README "Performance").
import type { Dispatcher } from 'undici';
import type { TunnelRequest, TunnelResponse } from './carrier-server.js';
import type { ForwardTarget } from './forward-targets.js';
import type { SimError } from '../shared/errors.js';
import { MAX_HEADER_COUNT, tooManyHeaders } from '../shared/header-limits.js';
import { connectionTokens, DECISION_HEADER, isHopByHop, nextHopHeaders } from '../shared/tunnel-protocol.js';
import { BAD_RESPONSE_CODE, TOO_MANY_HEADERS_CODE, coded, errorFor, timeoutError } from './backend-failures.js';
import { isOwnedHeader } from './owned-headers.js';

export interface ForwardResult {
  status?: number;
  error?: SimError;
}

const enum Phase { Request, Head, Body, Over }

/** One backend exchange: undici's dispatch handler (its callback API, the one without wrappers). */
class Exchange implements Dispatcher.DispatchHandler {
  #phase = Phase.Request;
  #abort: ((err?: Error) => void) | undefined;
  /** Set when the exchange must end before undici handed over its abort function. */
  #pending: Error | undefined;
  readonly #timer: NodeJS.Timeout;
  #finished = false;
  /** undici's resume of the backend socket, for the carrier's next 'drain'. */
  #resume: (() => void) | undefined;
  #waiting = false;

  constructor(
    readonly res: TunnelResponse,
    readonly target: ForwardTarget,
    /** The DECISION_HEADER value the backend's answer carries to the proxy. */
    readonly decision: string,
    readonly done: (result: ForwardResult) => void,
  ) {
    this.#timer = setTimeout(() => this.#stop(timeoutError(target.mapping.timeoutMs)), target.mapping.timeoutMs);
    res.once('close', () => {
      // The client (or the carrier) went away: the backend request goes too.
      if (this.#phase !== Phase.Over) this.#stop(coded('the client closed the connection', 'SCC_SIM_CLIENT_GONE'));
      this.#finish({ status: res.statusCode });
    });
  }

  #finish(result: ForwardResult): void {
    if (!this.#finished) {
      this.#finished = true;
      this.done(result);
    }
  }

  /** Ends the backend request; undici answers with onError(err). */
  #stop(err: Error): void {
    if (this.#abort) this.#abort(err);
    else this.#pending ??= err;
  }

  /** The exchange failed before an answer was forwarded: the error answer instead. */
  #fail(err: Error): void {
    this.#phase = Phase.Over;
    clearTimeout(this.#timer);
    this.#finish({ error: errorFor(err, this.target.mapping), status: undefined });
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#pending) abort(this.#pending);
    else this.#abort = abort;
  }

  /** Every chunk of the request body: the idle limit starts again. */
  onBodySent(): void {
    this.#timer.refresh();
  }

  /** The request is out: the head deadline starts. */
  onRequestSent(): void {
    if (this.#phase !== Phase.Request) return;
    this.#phase = Phase.Head;
    this.#timer.refresh();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (this.#phase === Phase.Over) return false;
    // Interim answers (102, 103, …) are dropped and buy no time; a 101 without an upgrade header
    // is not interim. HTTP/2 (the tunnel's next hop after the proxy) carries 200-599 only.
    if (status >= 100 && status < 200 && status !== 101) return true;
    if (status < 200 || status > 599) return this.#refuse(coded(`status ${status} is not a final HTTP status (200-599)`, BAD_RESPONSE_CODE));
    if (tooManyHeaders(raw)) return this.#refuse(coded(`more than ${MAX_HEADER_COUNT} header fields`, TOO_MANY_HEADERS_CODE));
    const { res } = this;
    const { set } = this.target;
    const headers = responseHeaders(raw);
    const location = headers.location;
    if (typeof location === 'string') headers.location = set.rewriteLocation(location);
    const cookies = set.rewriteCookies(headers['set-cookie'] as string[] | undefined);
    if (cookies !== undefined) headers['set-cookie'] = cookies;
    headers[DECISION_HEADER] = this.decision;
    try {
      res.writeHead(status, headers);
    } catch (err) {
      // Nothing was set on `res` (writeHead validates before it stores): the error answer starts clean.
      return this.#refuse(coded(`a header cannot be forwarded (${(err as Error).message})`, BAD_RESPONSE_CODE));
    }
    this.#phase = Phase.Body;
    this.#timer.refresh();
    this.#resume = resume;
    return true;
  }

  /** An answer that cannot be forwarded: the error answer, and the backend connection dropped (its body unread). */
  #refuse(err: Error): false {
    this.#fail(err);
    this.#stop(err);
    return false;
  }

  onData(chunk: Buffer): boolean {
    this.#timer.refresh();
    if (this.res.write(chunk)) return true;
    // The carrier is full, or the proxy granted no more of this answer (WINDOW): undici pauses the backend until it drains. Listened for only now, so
    // an answer that fits (nearly all) adds no listener.
    if (!this.#waiting) { this.#waiting = true; this.res.once('drain', () => { this.#waiting = false; this.#resume?.(); }); }
    return false;
  }

  onComplete(): void {
    if (this.#phase === Phase.Over) return;
    this.#phase = Phase.Over;
    clearTimeout(this.#timer);
    this.res.end();
  }

  onError(err: Error): void {
    if (this.#phase === Phase.Over) return;
    if (this.#phase === Phase.Body) {
      // The backend dying mid-body must reach the client as an error, never as a hang: the carrier
      // is destroyed, so the proxy sees the answer cut, not ended.
      this.#phase = Phase.Over;
      clearTimeout(this.#timer);
      this.res.destroy();
      return;
    }
    this.#fail(err);
  }

  onUpgrade(): void {
    // Only for requests that asked for an upgrade, which go through upgrade-forwarder.ts.
  }
}

/** Fields of which Node's HTTP client keeps the first when a head repeats them (what the connector forwarded before undici). */
const FIRST_ONLY = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer',
  'retry-after', 'server', 'user-agent']);

/** The backend's head as the carrier's headers: names lower-cased, hop-by-hop ones (and those Connection names) dropped, repeated fields as Node joins them. */
function responseHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let named: readonly string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    if (name === 'connection') { const t = connectionTokens(value); if (t.length > 0) named = named === undefined ? t : named.concat(t); }
    if (isHopByHop(name)) continue;
    const prior = out[name];
    if (prior === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (typeof prior === 'string') { if (!FIRST_ONLY.has(name)) out[name] = `${prior}, ${value}`; }
    else prior.push(value);
  }
  if (named) for (const name of named) delete out[name];
  return out;
}

/**
 * Streams `req` to the target's system (on the pool of the snapshot the request started with) and
 * its answer back; `done` is called once, when the exchange is over or failed before an answer
 * (then with the error to send).
 */
export function forwardToBackend(req: TunnelRequest, res: TunnelResponse, t: ForwardTarget, path: string, query: string,
  extraHeaders: Record<string, string> | undefined, decision: string, done: (result: ForwardResult) => void): void {
  const { mapping } = t;
  // The client's headers minus every spelling of the ones set here (owned-headers.ts).
  const headers = nextHopHeaders(req.headers, isOwnedHeader);
  if (mapping.hostInHeader === 'INTERNAL') {
    headers.host = t.internalAuthority;
    headers['x-forwarded-host'] = req.headers.host!;
  } else {
    headers.host = req.headers.host!;
  }
  if (extraHeaders) Object.assign(headers, extraHeaders);
  const exchange = new Exchange(res, t, decision, done);
  t.pool.dispatch({
    method: req.method as Dispatcher.HttpMethod, path: query === '' ? path : path + query, headers,
    body: req.body, servername: t.servername,
  } as Dispatcher.DispatchOptions, exchange);
}
