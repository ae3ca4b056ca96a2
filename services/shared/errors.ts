// The one error table (STYLE.md): code → status and the BTP-faithful text. Status lives here,
// never at the throw site; `sendError` is the one writer of an error answer.
import { STATUS_CODES as STATUS_TEXT, type ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

type Args = Record<string, string | number>;

const TABLE = {
  PROXY_AUTHENTICATION_REQUIRED: { status: 407, text: (a: Args) => `Proxy Authentication Required: ${a.reason}` },
  PROXY_HTTPS_NOT_SUPPORTED: { status: 405, text: () => 'Method Not Allowed: the connectivity proxy accepts only http:// targets; the Cloud Connector mapping decides whether the backend is reached over HTTPS' },
  // A propagated user (SAP-Connectivity-Authentication / -Technical-Authentication, sap-contract.md
  // §1.2) whose token is invalid, expired, of another subaccount or not a user token. SAP's status
  // is UNCONFIRMED. 401, not 407: the caller's proxy credentials (Proxy-Authorization) were
  // accepted — 407 would tell the client to fix those; what failed is the end user's
  // authentication toward the on-premise system, the meaning of 401 (sent with WWW-Authenticate).
  PROXY_PRINCIPAL_INVALID: { status: 401, text: (a: Args) => `Unauthorized: the propagated principal was refused: ${a.reason}` },
  PROXY_BAD_REQUEST: { status: 400, text: (a: Args) => `Bad Request: ${a.reason}` },
  PROXY_REQUEST_TIMEOUT: { status: 408, text: (a: Args) => `Request Timeout: the request did not arrive in time (its head within ${a.headersTimeoutMs} ms, all of it within ${a.requestTimeoutMs} ms)` },
  PROXY_HEADERS_TOO_LARGE: { status: 431, text: (a: Args) => `Request Header Fields Too Large: the request head exceeds the limit of ${a.limit}` },
  SCC_NO_TUNNEL: { status: 503, text: (a: Args) => `There is no SAP Cloud Connector (SCC) connected to your subaccount matching the requested tunnel for subaccount '${a.subaccount}' and SCC location ID '${a.locationId}'` },
  SCC_ACCESS_DENIED_SYSTEM: { status: 403, text: (a: Args) => `Access denied to system ${a.virtualHost}:${a.virtualPort}` },
  SCC_ACCESS_DENIED_RESOURCE: { status: 403, text: (a: Args) => `Access denied to resource http://${a.virtualHost}:${a.virtualPort}${a.path} on system ${a.virtualHost}:${a.virtualPort}.` },
  SCC_BAD_PATH: { status: 400, text: (a: Args) => `Bad Request: the path is refused by the Cloud Connector (${a.reason})` },
  SCC_BACKEND_UNREACHABLE: { status: 502, text: () => 'Unable to open connection to backend system' },
  SCC_BACKEND_TIMEOUT: { status: 504, text: (a: Args) => `Gateway Timeout: the backend system did not answer within ${a.timeoutMs} ms` },
  // A backend answer that cannot become an HTTP/2 answer (status outside 200-599, an unasked-for
  // 101, broken framing, a connection closed before the head, an unforwardable header).
  SCC_BACKEND_BAD_RESPONSE: { status: 502, text: (a: Args) => `Bad Gateway: the backend system did not give a usable answer: ${a.reason}` },
  SCC_BACKEND_HEADERS_TOO_LARGE: { status: 502, text: (a: Args) => `Bad Gateway: the backend system's response head exceeds the limit of ${a.limit}` },
  SCC_PRINCIPAL_CERTIFICATE_FAILED: { status: 500, text: () => 'Internal Server Error: the Cloud Connector could not create the short-lived certificate for principal propagation' },
  SCC_TUNNEL_BROKEN: { status: 502, text: () => 'Bad Gateway: the connection to the SAP Cloud Connector was lost during the request' },
  // One stream of a tunnel that is still up was reset (by either end): not a lost connection.
  SCC_TUNNEL_STREAM_RESET: { status: 502, text: (a: Args) => `Bad Gateway: the stream of this request through the SAP Cloud Connector tunnel was reset (${a.reason}); the tunnel itself is still connected` },
} as const;

export type ErrorCode = keyof typeof TABLE;

export class SimError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, args: Args = {}, cause?: unknown) {
    super(TABLE[code].text(args), cause === undefined ? undefined : { cause });
    this.name = 'SimError';
    this.code = code;
    this.statusCode = TABLE[code].status;
  }
}

export function simError(code: ErrorCode, args: Args = {}, cause?: unknown): SimError {
  return new SimError(code, args, cause);
}

/** The same answer as raw HTTP/1.1 bytes that close the connection, for a socket no response object owns (clientError). */
export function rawErrorAnswer(err: SimError): string {
  const body = `${err.message}\n`;
  return `HTTP/1.1 ${err.statusCode} ${STATUS_TEXT[err.statusCode] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nx-internal-error-code: ${err.code}\r\nconnection: close\r\n\r\n${body}`;
}

/** Writes an error answer on a raw HTTP/1 or HTTP/2-compat response; a no-op once headers went out. */
/** The answer of a request on a tunnel carrier (the connector's carrier-server.ts): the part of a ServerResponse used here. */
export interface CarrierAnswer {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: string): unknown;
  destroy(): void;
}

export function sendError(res: ServerResponse | Http2ServerResponse | CarrierAnswer, err: SimError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees an error, never a hang.
    (res as any).stream ? (res as Http2ServerResponse).stream.close(2 /* INTERNAL_ERROR */) : (res as ServerResponse).destroy();
    return;
  }
  const body = `${err.message}\n`;
  const answer = res as CarrierAnswer; // each of the three takes these calls
  answer.writeHead(err.statusCode, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-internal-error-code': err.code,
    ...extraHeaders,
  });
  answer.end(body);
}
