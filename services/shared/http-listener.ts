// What every HTTP/1 listener of the simulator shares: the head-size limit of every hop
// (header-limits.ts), and the one answer to a request Node's parser refused before any handler saw
// it (clientError): 431 naming the limit for a head too large, 400 for a malformed request — as the
// error table's text/plain answer, never in the middle of a response already under way; and a
// failed listen() that names the config field which asked for the port.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { rawErrorAnswer, simError } from './errors.js';
import { MAX_HEADER_BYTES } from './header-limits.js';
import type { Logger } from './logger.js';

/** Options for http.createServer / https.createServer. */
export function listenerOptions(): http.ServerOptions {
  return { maxHeaderSize: MAX_HEADER_BYTES };
}

/** The 'clientError' handler of a listener. */
export function answerClientError(log: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    log.debug({ err: { code: err.code, message: err.message } }, 'malformed client request');
    // A response already under way on this socket cannot be followed by another status line.
    const underWay = (socket as { _httpMessage?: http.ServerResponse })._httpMessage?.headersSent === true;
    if (!socket.writable || underWay) return void socket.destroy();
    const answer = err.code === 'HPE_HEADER_OVERFLOW'
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
