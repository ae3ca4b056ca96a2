// How a backend exchange fails, in one place (STYLE.md: transport failures map to gateway answers
// once): the forwarder marks its own failures with a code, and `errorFor` turns any failure —
// those, undici's parser and socket errors, system errors — into a row of the error table: refused or
// unreachable → 502, too slow → 504, an answer that cannot be forwarded → 502 saying why.
import type { SystemMapping } from '../shared/config-schema.js';
import { simError, type SimError } from '../shared/errors.js';
import { MAX_HEADER_BYTES, MAX_HEADER_COUNT } from '../shared/header-limits.js';

/** Codes of the errors the forwarder gives a backend request, mapped to the error table by `errorFor`. */
export const TIMEOUT_CODE = 'SCC_SIM_BACKEND_TIMEOUT';
export const BAD_RESPONSE_CODE = 'SCC_SIM_BACKEND_BAD_RESPONSE';
export const TOO_MANY_HEADERS_CODE = 'SCC_SIM_BACKEND_TOO_MANY_HEADERS';

export function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export function timeoutError(timeoutMs: number): Error {
  return coded(`backend did not answer within ${timeoutMs} ms`, TIMEOUT_CODE);
}

/** The one mapping of a failed backend exchange to the error table. */
export function errorFor(err: Error, mapping: SystemMapping): SimError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case TIMEOUT_CODE: return simError('SCC_BACKEND_TIMEOUT', { timeoutMs: mapping.timeoutMs }, err);
    case BAD_RESPONSE_CODE: return simError('SCC_BACKEND_BAD_RESPONSE', { reason: err.message }, err);
    case TOO_MANY_HEADERS_CODE: return simError('SCC_BACKEND_HEADERS_TOO_LARGE', { limit: `${MAX_HEADER_COUNT} header fields` }, err);
    case 'UND_ERR_HEADERS_OVERFLOW': case 'HPE_HEADER_OVERFLOW':
      return simError('SCC_BACKEND_HEADERS_TOO_LARGE', { limit: `${MAX_HEADER_BYTES} bytes` }, err);
    case 'ECONNRESET': case 'EPIPE':
      return simError('SCC_BACKEND_BAD_RESPONSE', { reason: 'it closed the connection before answering' }, err);
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return simError('SCC_BACKEND_BAD_RESPONSE', { reason: `the response is malformed (its body does not match its framing: ${err.message})` }, err);
    case 'UND_ERR_SOCKET': return simError('SCC_BACKEND_BAD_RESPONSE', { reason: socketReason(err.message) }, err);
  }
  // undici's parser errors carry llhttp's reason in the message (and, in undici 7, no code).
  if (err.name === 'HTTPParserError') {
    const reason = /\((.+)\)$/.exec(err.message)?.[1] ?? err.message;
    return simError('SCC_BACKEND_BAD_RESPONSE', { reason: `the response is malformed (${reason})` }, err);
  }
  if (code.startsWith('HPE_')) {
    const reason = (err as { reason?: string }).reason ?? err.message;
    return simError('SCC_BACKEND_BAD_RESPONSE', { reason: `the response is malformed (${code}: ${reason})` }, err);
  }
  return simError('SCC_BACKEND_UNREACHABLE', {}, err);
}

/** undici's SocketError messages, as the error table's reasons. */
function socketReason(message: string): string {
  switch (message) {
    case 'bad upgrade': return 'it switched protocols (101) although the request asked for no upgrade';
    case 'bad response': return 'it sent 100 Continue, which the request did not ask for';
    default: return 'it closed the connection before answering';
  }
}
