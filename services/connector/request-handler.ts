// What the connector does with each request that arrives over a subaccount's tunnel: system
// mapping lookup, resource check, audit entry, principal propagation (SSL_CLIENT_CERT), then
// forwarding to the internal system; TCP (SOCKS5) arrives as CONNECT streams. The hot path: the
// subaccount's snapshot is read once per request, and the decision objects are the only
// allocations beyond what Node and undici make.
import type { ServerHttp2Stream } from 'node:http2';
import type { Resource } from '../shared/config-schema.js';
import { sendError, simError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { decodePrincipal, PRINCIPAL_HEADER, type Principal } from '../shared/principal-header.js';
import { DECISION_HEADER, decisionValue, type ConnectorVerdict } from '../shared/tunnel-protocol.js';
import type { AccessDeniedCode } from './access-policy.js';
import { forwardToBackend } from './backend-forwarder.js';
import { EMPTY_CLIENT_CERT, usesClientCertificate } from './principal-certificates.js';
import { recordRequest } from './recent-requests.js';
import type { SubaccountRuntime } from './subaccount-runtime.js';
import { forwardTcp } from './tcp-forwarder.js';

import type { TunnelRequest, TunnelResponse } from './carrier-server.js';

export function handleRequest(rt: SubaccountRuntime, req: TunnelRequest, res: TunnelResponse): void {
  const started = performance.now();
  const s = rt.snapshot;
  const { logger } = s;
  const method = req.method!;
  const { virtualHost, virtualPort } = splitAuthority(req.headers.host ?? '');
  const rawPathAndQuery = req.url ?? '/';
  const q = rawPathAndQuery.indexOf('?');
  const rawPath = q < 0 ? rawPathAndQuery : rawPathAndQuery.slice(0, q);
  const query = q < 0 ? '' : rawPathAndQuery.slice(q);
  const principalHeader = req.headers[PRINCIPAL_HEADER] as string | undefined;
  const principal = principalHeader === undefined ? undefined : principalFrom(logger, principalHeader);
  const user = principal?.name;
  const decision = s.policy.check(virtualHost, virtualPort, rawPath);
  if (!decision.allowed) {
    s.audit.accessDenied({ virtualHost, virtualPort, path: rawPath, method, reason: decision.reason, user });
    const err = simError(decision.code, { virtualHost, virtualPort, path: rawPath, reason: decision.reason });
    res.setHeader(DECISION_HEADER, decisionValue(VERDICT_OF[decision.code], decision.reason));
    sendError(res, err);
    const durationMs = performance.now() - started;
    recordRequest(rt.recent, performance.timeOrigin + started, method, virtualHost, virtualPort, rawPath, err.statusCode, durationMs, false, decision.reason, user);
    if (logger.isLevelEnabled('info')) {
      logger.info({ virtualHost, virtualPort, method, path: rawPath, user, decision: 'denied', rule: decision.reason, status: err.statusCode, durationMs }, 'access denied');
    }
    return;
  }
  s.audit.accessAllowed({ virtualHost, virtualPort, path: rawPath, method, reason: decision.reason, user });
  const rule = ruleOf(decision.resource);
  // On every answer to an allowed request, the backend's or an error: passed along rather than set
  // on `res` now, so writeHead takes the backend's head as it is (Node's fast path, no setHeader per field).
  const decided = { [DECISION_HEADER]: allowedValue(decision.resource, rule) };
  const { mapping } = decision;
  const target = s.targets.get(mapping);
  if (target === undefined) return sendError(res, simError('SCC_BACKEND_UNREACHABLE'), decided);
  const forward = (extraHeaders: Record<string, string> | undefined) => {
    rt.active += 1;
    forwardToBackend(req, res, target, decision.path, query, extraHeaders, decided[DECISION_HEADER], (result) => {
      rt.active -= 1;
      if (result.error) {
        logger.warn({ virtualHost, virtualPort, method, path: rawPath, user, err: result.error.cause, code: result.error.code }, 'backend call failed');
        sendError(res, result.error, decided);
      }
      const durationMs = performance.now() - started;
      recordRequest(rt.recent, performance.timeOrigin + started, method, virtualHost, virtualPort, rawPath, result.status ?? 0, durationMs, true, rule, user);
      if (logger.isLevelEnabled('info')) {
        logger.info({ virtualHost, virtualPort, method, path: rawPath, user, decision: 'allowed', rule, forwardedPath: decision.path, status: result.status, durationMs }, 'forwarded');
      }
    });
  };
  if (!usesClientCertificate(mapping)) return forward(undefined);
  // X.509 principal propagation: the user's certificate, or an EMPTY SSL_CLIENT_CERT without a user (§4.3).
  if (principal === undefined) return forward(EMPTY_CLIENT_CERT as Record<string, string>);
  const headers = s.certificates.headersFor(mapping, principal, principalHeader!);
  if (!(headers instanceof Promise)) return forward(headers);
  headers.then((h) => {
    if (!res.destroyed) forward(h);
  }, (err) => {
    logger.error({ virtualHost, virtualPort, user, err }, 'could not issue the principal propagation certificate');
    sendError(res, simError('SCC_PRINCIPAL_CERTIFICATE_FAILED', {}, err), decided);
  });
}

/** TCP for SOCKS5: a CONNECT stream to a TCP/TCPS system mapping. */
export async function connectTcp(rt: SubaccountRuntime, stream: ServerHttp2Stream, authority: string): Promise<void> {
  const started = performance.now();
  const s = rt.snapshot;
  const { logger } = s;
  const { virtualHost, virtualPort } = splitAuthority(authority);
  const mapping = s.policy.findTcpSystem(virtualHost, virtualPort);
  const entry = { virtualHost, virtualPort, path: '', method: 'CONNECT' };
  if (!mapping) {
    const reason = `no TCP system mapping for ${virtualHost}:${virtualPort}`;
    s.audit.accessDenied({ ...entry, reason });
    stream.respond({ ':status': 403, [DECISION_HEADER]: decisionValue('unmapped-system', reason) }, { endStream: true });
    logger.info({ ...entry, decision: 'denied', rule: reason, status: 403 }, 'access denied');
    return;
  }
  const rule = `${mapping.protocol} ${mapping.virtualHost}:${mapping.virtualPort} → ${mapping.localHost}:${mapping.localPort}`;
  s.audit.accessAllowed({ ...entry, reason: rule });
  rt.active += 1;
  stream.once('close', () => { rt.active -= 1; });
  const status = await forwardTcp(stream, mapping, virtualPort, logger, decisionValue('allowed', rule));
  logger.info({ ...entry, decision: 'allowed', rule, status, durationMs: performance.now() - started }, 'TCP connection opened');
}

/** The principal the proxy sent (verified there); a value that is not one is ignored, loudly. */
function principalFrom(logger: Logger, value: string): Principal | undefined {
  const p = decodePrincipal(value);
  if (p === undefined) logger.warn('the principal header from the proxy is unreadable; treating the request as without user');
  return p;
}

const rules = new WeakMap<Resource, string>();
/** "/ (path and sub-paths)": the rule named in logs, built once per resource. */
function ruleOf(resource: Resource): string {
  let rule = rules.get(resource);
  if (rule === undefined) {
    rule = `${resource.id} (${resource.exactMatchOnly ? 'path only' : 'path and sub-paths'})`;
    rules.set(resource, rule);
  }
  return rule;
}

export const VERDICT_OF: Record<AccessDeniedCode, ConnectorVerdict> = {
  SCC_ACCESS_DENIED_SYSTEM: 'unmapped-system', SCC_ACCESS_DENIED_RESOURCE: 'resource-denied', SCC_BAD_PATH: 'bad-path',
};

const allowedValues = new WeakMap<Resource, string>();
/** The DECISION_HEADER value of a request a resource allowed, encoded once per resource. */
function allowedValue(resource: Resource, rule: string): string {
  let value = allowedValues.get(resource);
  if (value === undefined) {
    value = decisionValue('allowed', rule);
    allowedValues.set(resource, value);
  }
  return value;
}

export function splitAuthority(authority: string): { virtualHost: string; virtualPort: number } {
  const colon = authority.lastIndexOf(':');
  return colon > 0
    ? { virtualHost: authority.slice(0, colon), virtualPort: Number(authority.slice(colon + 1)) }
    : { virtualHost: authority, virtualPort: 80 };
}
