// WebSocket upgrades, connector side: a CONNECT stream marked as an upgrade (upgrade-protocol.ts)
// is decided like any request — system mapping, resource, and then the resource's
// `websocketUpgradeAllowed` (access-policy.ts checkUpgrade); denied: 403 with SAP's resource text and an
// "Access Denied" audit entry. Allowed: audited, the HTTP/1.1 upgrade request goes to the internal
// system with the headers of an ordinary request (owned headers dropped, Host per hostInHeader,
// SSL_CLIENT_CERT for principal propagation), and once the backend answers 101 the stream and the
// backend socket are piped both ways (backpressure and half-closes as for TCP). A backend answer
// other than 101 goes back as an ordinary answer; a backend that cannot be reached or is too slow
// to answer gives 502/504 (backend-failures.ts). A backend that drops resets the stream, and a
// stream that is reset (client or tunnel gone) destroys the backend socket: nobody hangs.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { constants as h2c, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { SystemMapping } from '../shared/config-schema.js';
import { simError, type SimError } from '../shared/errors.js';
import { MAX_HEADER_BYTES } from '../shared/header-limits.js';
import { decodePrincipal, PRINCIPAL_HEADER, type Principal } from '../shared/principal-header.js';
import { DECISION_HEADER, decisionValue, nextHopHeaders } from '../shared/tunnel-protocol.js';
import { carrierWrites } from '../shared/tunnel-carrier.js';
import { UPGRADE_HEADER, UPGRADE_PATH_HEADER } from '../shared/upgrade-protocol.js';
import { coded, errorFor, timeoutError, BAD_RESPONSE_CODE } from './backend-failures.js';
import { isOwnedHeader } from './owned-headers.js';
import { EMPTY_CLIENT_CERT, usesClientCertificate } from './principal-certificates.js';
import { recordRequest } from './recent-requests.js';
import { splitAuthority, VERDICT_OF } from './request-handler.js';
import type { SubaccountRuntime } from './subaccount-runtime.js';

const METHOD = 'GET'; // RFC 6455 §4.1: the opening handshake is a GET (the proxy sends only those)

export function forwardUpgrade(rt: SubaccountRuntime, stream: ServerHttp2Stream, h: IncomingHttpHeaders): void {
  const started = performance.now();
  const s = rt.snapshot;
  const { logger } = s;
  const { virtualHost, virtualPort } = splitAuthority(String(h[':authority'] ?? ''));
  const rawPathAndQuery = String(h[UPGRADE_PATH_HEADER] ?? '/');
  const protocol = String(h[UPGRADE_HEADER] ?? 'websocket');
  const q = rawPathAndQuery.indexOf('?');
  const rawPath = q < 0 ? rawPathAndQuery : rawPathAndQuery.slice(0, q);
  const query = q < 0 ? '' : rawPathAndQuery.slice(q);
  const principalHeader = h[PRINCIPAL_HEADER] as string | undefined;
  const principal = principalHeader === undefined ? undefined : principalFrom(rt, principalHeader);
  const user = principal?.name;
  const entry = { virtualHost, virtualPort, path: rawPath, method: METHOD, user };
  stream.on('error', () => {}); // a reset by the proxy surfaces as 'close'
  carrierWrites(stream); // raw bytes of its own once upgraded, like SOCKS5's streams (tunnel-carrier.ts)

  const record = (status: number, allowed: boolean, rule: string) => {
    const durationMs = performance.now() - started;
    recordRequest(rt.recent, performance.timeOrigin + started, METHOD, virtualHost, virtualPort, rawPath, status, durationMs, allowed, rule, user);
    return durationMs;
  };

  const deny = (err: SimError, reason: string) => {
    s.audit.accessDenied({ ...entry, reason });
    respondError(stream, err, decisionValue(VERDICT_OF[err.code as keyof typeof VERDICT_OF] ?? 'resource-denied', reason));
    const durationMs = record(err.statusCode, false, reason);
    logger.info({ ...entry, upgrade: protocol, decision: 'denied', rule: reason, status: err.statusCode, durationMs }, 'access denied');
  };
  const decision = s.policy.checkUpgrade(virtualHost, virtualPort, rawPath);
  if (!decision.allowed) {
    return deny(simError(decision.code, { virtualHost, virtualPort, path: rawPath, reason: decision.reason }), decision.reason);
  }
  const rule = `${decision.resource.id} (${decision.resource.exactMatchOnly ? 'path only' : 'path and sub-paths'}, WebSocket upgrade allowed)`;
  const allowed = decisionValue('allowed', rule);
  s.audit.accessAllowed({ ...entry, reason: decision.reason });
  const { mapping } = decision;
  rt.active += 1;
  stream.once('close', () => { rt.active -= 1; });

  const headers = nextHopHeaders(h, isOwnedHeader) as http.OutgoingHttpHeaders;
  if (mapping.hostInHeader === 'INTERNAL') {
    headers.host = `${mapping.localHost}:${mapping.localPort}`;
    headers['x-forwarded-host'] = `${virtualHost}:${virtualPort}`;
  } else {
    headers.host = `${virtualHost}:${virtualPort}`;
  }
  headers.connection = 'Upgrade';
  headers.upgrade = protocol;
  const dial = (extra: Readonly<Record<string, string>> | undefined) => {
    if (stream.destroyed) return;
    if (extra) Object.assign(headers, extra);
    openBackend(stream, mapping, decision.path + query, headers, allowed, (status, err) => {
      const durationMs = record(status, true, rule);
      if (err) logger.warn({ ...entry, upgrade: protocol, err: err.cause, code: err.code }, 'backend call failed');
      if (logger.isLevelEnabled('info')) {
        logger.info({ ...entry, upgrade: protocol, decision: 'allowed', rule, forwardedPath: decision.path, status, durationMs }, status === 101 ? 'upgraded' : 'forwarded');
      }
    });
  };
  if (!usesClientCertificate(mapping)) return dial(undefined);
  if (principal === undefined) return dial(EMPTY_CLIENT_CERT);
  const cert = s.certificates.headersFor(mapping, principal, principalHeader!);
  if (!(cert instanceof Promise)) return dial(cert);
  cert.then(dial, (err) => {
    logger.error({ virtualHost, virtualPort, user, err }, 'could not issue the principal propagation certificate');
    respondError(stream, simError('SCC_PRINCIPAL_CERTIFICATE_FAILED', {}, err), allowed);
  });
}

/**
 * Sends the upgrade request to the internal system; `done(status, err?)` once its answer is known:
 * 101 (then piped), the backend's other status (answered as it is), or the error sent instead.
 */
function openBackend(stream: ServerHttp2Stream, mapping: SystemMapping, path: string, headers: http.OutgoingHttpHeaders,
  decision: string, done: (status: number, err?: SimError) => void): void {
  const secure = mapping.protocol === 'HTTPS';
  const host = mapping.localHost;
  const options: https.RequestOptions = {
    host, port: Number(mapping.localPort), method: METHOD, path, headers, agent: false, maxHeaderSize: MAX_HEADER_BYTES,
  };
  if (secure) {
    options.ca = mapping.caFile ? readFileSync(mapping.caFile) : undefined;
    options.rejectUnauthorized = !mapping.trustAll;
    options.servername = isIP(host) ? '' : host;
  }
  let decided = false;
  const fail = (e: Error) => {
    if (decided) return;
    decided = true;
    const err = errorFor(e, mapping);
    respondError(stream, err, decision);
    done(err.statusCode, err);
  };
  const req = (secure ? https : http).request(options);
  // The backend's head must arrive within timeoutMs (as for requests); once upgraded, no limit.
  const deadline = setTimeout(() => req.destroy(timeoutError(mapping.timeoutMs)), mapping.timeoutMs);
  req.on('error', (e) => { clearTimeout(deadline); fail(e); });
  req.on('close', () => clearTimeout(deadline));
  // The client gave up (or the tunnel went) while the backend was still deciding.
  stream.once('close', () => { if (!decided) { decided = true; clearTimeout(deadline); req.destroy(); done(499); } });

  req.on('response', (res) => {
    clearTimeout(deadline);
    if (decided) return void res.destroy();
    decided = true;
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 599) {
      decided = false;
      res.destroy();
      return fail(coded(`status ${status} is not a final HTTP status (200-599)`, BAD_RESPONSE_CODE));
    }
    try {
      stream.respond({ ...nextHopHeaders(res.headers), ':status': status, [DECISION_HEADER]: decision });
    } catch (e) {
      decided = false;
      res.destroy();
      return fail(coded(`a header cannot be forwarded (${(e as Error).message})`, BAD_RESPONSE_CODE));
    }
    res.pipe(stream);
    res.once('aborted', () => { if (!stream.destroyed) stream.close(h2c.NGHTTP2_INTERNAL_ERROR); });
    stream.once('close', () => res.destroy());
    done(status);
  });

  req.on('upgrade', (res, socket: Socket, head: Buffer) => {
    clearTimeout(deadline);
    if (decided || stream.destroyed) return void socket.destroy();
    decided = true;
    try {
      stream.respond({ ...nextHopHeaders(res.headers), ':status': 200, [UPGRADE_HEADER]: String(res.headers.upgrade ?? headers.upgrade), [DECISION_HEADER]: decision });
    } catch (e) {
      socket.destroy();
      decided = false;
      return fail(coded(`a header of its 101 cannot be forwarded (${(e as Error).message})`, BAD_RESPONSE_CODE));
    }
    socket.setNoDelay(true);
    if (head.length > 0) stream.write(head);
    pipeBoth(stream, socket);
    done(101);
  });
  req.end();
}

/** The upgraded bytes both ways, as tcp-forwarder.ts relays TCP: half-closes pass, a drop resets. */
function pipeBoth(stream: ServerHttp2Stream, socket: Socket): void {
  stream.pipe(socket);
  socket.pipe(stream);
  socket.on('error', () => { if (!stream.destroyed) stream.close(h2c.NGHTTP2_CONNECT_ERROR); });
  socket.on('close', () => { if (!stream.destroyed && !stream.writableEnded) stream.close(h2c.NGHTTP2_CONNECT_ERROR); });
  stream.on('close', () => {
    if (!socket.destroyed && (stream.rstCode ?? 0) !== h2c.NGHTTP2_NO_ERROR) socket.destroy();
    else if (!socket.destroyed) socket.end();
  });
}

/** An error answer on the CONNECT stream (the proxy writes it to the client as HTTP/1.1). */
/** `decision` is the DECISION_HEADER value (tunnel-protocol.ts) the proxy's traffic feed reads. */
function respondError(stream: ServerHttp2Stream, err: SimError, decision: string): void {
  if (stream.destroyed) return;
  if (stream.headersSent) return void stream.close(h2c.NGHTTP2_INTERNAL_ERROR);
  const body = `${err.message}\n`;
  stream.respond({
    ':status': err.statusCode, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body),
    'x-internal-error-code': err.code, [DECISION_HEADER]: decision,
  });
  stream.end(body);
}

function principalFrom(rt: SubaccountRuntime, value: string): Principal | undefined {
  const p = decodePrincipal(value);
  if (p === undefined) rt.snapshot.logger.warn('the principal header from the proxy is unreadable; treating the upgrade as without user');
  return p;
}
