// What every HTTP/1 listener of the simulator shares (HTTP proxy, tunnel endpoint, token service
// over HTTP and HTTPS, backends): its timeouts, set explicitly, and the head-size limit of every
// hop (header-limits.ts); the one answer to a request Node refused before any handler saw it
// (clientError): 408 when the head or the whole request did not arrive in time, 431 naming the
// limit for a head too large, 400 for a malformed request — the error table's text/plain answer,
// never in the middle of a response already under way; and a failed listen() that names the
// config field which asked for the port.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { rawErrorAnswer, simError } from './errors.js';
import { MAX_HEADER_BYTES } from './header-limits.js';
import type { Logger } from './logger.js';

/** The timeouts of a listener (the proxy's come from the `proxy` section of the config). */
export interface ListenerTimeouts {
  /** The request head must arrive within this time, else 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this time, else 408. */
  requestTimeoutMs: number;
  /** A kept-alive connection idle this long is closed. */
  keepAliveTimeoutMs: number;
}

/** The defaults; the backends always use them. */
export const DEFAULT_LISTENER_TIMEOUTS: Readonly<ListenerTimeouts> = Object.freeze({
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
});

/** Options for http.createServer / https.createServer. */
export function listenerOptions(t: ListenerTimeouts = DEFAULT_LISTENER_TIMEOUTS): http.ServerOptions {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: t.headersTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    // How often Node looks for requests past their timeouts (its default, 30 s, would answer a
    // 500 ms headersTimeout after up to 30 s).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(t.headersTimeoutMs / 4))),
  };
}

/** The same for a fastify app (which sets keepAliveTimeout and requestTimeout itself, from its own options). */
export function fastifyListenerOptions(t: ListenerTimeouts = DEFAULT_LISTENER_TIMEOUTS) {
  return { http: listenerOptions(t), keepAliveTimeout: t.keepAliveTimeoutMs, requestTimeout: t.requestTimeoutMs };
}

/** The 'clientError' handler of a listener. */
export function answerClientError(log: Logger, t: ListenerTimeouts): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    log.debug({ err: { code: err.code, message: err.message } }, 'malformed client request');
    // A response already under way on this socket cannot be followed by another status line.
    const underWay = (socket as { _httpMessage?: http.ServerResponse })._httpMessage?.headersSent === true;
    if (!socket.writable || underWay) return void socket.destroy();
    const answer = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? simError('PROXY_REQUEST_TIMEOUT', { headersTimeoutMs: t.headersTimeoutMs, requestTimeoutMs: t.requestTimeoutMs })
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? simError('PROXY_HEADERS_TOO_LARGE', { limit: `${MAX_HEADER_BYTES} bytes` })
        : simError('PROXY_BAD_REQUEST', { reason: `malformed HTTP request (${err.code ?? err.message})` });
    socket.end(rawErrorAnswer(answer));
  };
}

/** For a failed listen(): an error that names what asked for the port (a config field such as `proxy.httpPort`). */
export function listenFailed(what: string, host: string, port: number): (err: NodeJS.ErrnoException) => never {
  return (err) => {
    const why = err.code === 'EADDRINUSE' ? 'the port is in use by another process' : err.code ?? err.message;
    throw new Error(`${what}: cannot listen on ${host}:${port}: ${why}`, { cause: err });
  };
}
