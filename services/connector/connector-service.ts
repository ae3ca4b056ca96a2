// One Cloud Connector: one subaccount connection with one location ID. It dials the proxy's
// tunnel endpoint and serves what arrives over the tunnel: system mapping lookup, resource check,
// audit entry, principal propagation (SSL_CLIENT_CERT), then forwarding to the internal system.
// buildConnector never listens on anything.
//
// The connector signs principal-propagation certificates with the simulator CA, the same CA
// (folder) the proxy uses for its HTTPS listener: one CA per simulated world, trusted once by
// backends and apps. Processes started one by one (`scc-sim proxy`, `scc-sim connector`) share it
// through the folder (proxy.caDir, default <cwd>/.scc-sim/ca); in docker-compose the proxy and
// connector containers therefore mount one shared volume at /app/.scc-sim (docker-compose.yml).
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import type { Config, ConnectorConfig, Resource, SystemMapping } from '../shared/config-schema.js';
import { sendError, simError } from '../shared/errors.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { decodePrincipal, PRINCIPAL_HEADER, type Principal } from '../shared/principal-header.js';
import { defaultCaDir, loadOrCreateCa, type SimCa } from '../shared/sim-ca.js';
import { RULE_HEADER } from '../shared/tunnel-protocol.js';
import { createAccessPolicy } from './access-policy.js';
import { createAuditLog } from './audit-log.js';
import { BackendForwarder } from './backend-forwarder.js';
import { createPrincipalCertificates, EMPTY_CLIENT_CERT, usesClientCertificate } from './principal-certificates.js';
import { forwardTcp } from './tcp-forwarder.js';
import { TunnelClient } from './tunnel-client.js';

export interface ConnectorOptions {
  /** Which connector of the config file; may be left out when the file has exactly one. */
  name?: string;
  logger?: Logger;
  /** Where the proxy's tunnel endpoint is; default the connector's tunnelHost/tunnelPort, then proxy.host/tunnelPort. */
  tunnel?: { host: string; port: number };
  /** The simulator CA; default: loaded (or created) from `proxy.caDir`, else `<cwd>/.scc-sim/ca`. */
  ca?: SimCa;
}

export interface Connector {
  readonly config: ConnectorConfig;
  readonly tunnel: TunnelClient;
  start(): void;
  waitConnected(): Promise<void>;
  close(): Promise<void>;
}

export function pickConnector(config: Config, name?: string): ConnectorConfig {
  if (name === undefined) {
    if (config.connectors.length === 1) return config.connectors[0];
    throw new Error(`the config has ${config.connectors.length} connectors (${config.connectors.map((c) => c.name).join(', ')}): choose one with --name`);
  }
  const found = config.connectors.find((c) => c.name === name);
  if (!found) throw new Error(`no connector named "${name}" in the config (have: ${config.connectors.map((c) => c.name).join(', ') || 'none'})`);
  return found;
}

export async function buildConnector(config: Config, opts: ConnectorOptions = {}): Promise<Connector> {
  const k = pickConnector(config, opts.name);
  const logger = (opts.logger ?? silentLogger()).child({ service: 'connector', connector: k.name, locationId: k.locationID });
  const policy = createAccessPolicy(k.systemMappings);
  const ca = opts.ca ?? await loadOrCreateCa(config.proxy.caDir ?? defaultCaDir());
  const certificates = createPrincipalCertificates({ ca, settings: k.principalPropagation });
  const kerberos = k.systemMappings.filter((m) => m.authenticationMode === 'KERBEROS');
  if (kerberos.length > 0) {
    logger.warn({ systems: kerberos.map((m) => `${m.virtualHost}:${m.virtualPort}`) },
      'authenticationMode KERBEROS is not simulated: these systems get no Kerberos token, only the request');
  }
  const forwarder = new BackendForwarder(k.systemMappings);
  const audit = createAuditLog({ level: k.auditLogLevel, logger, connector: k.name, subaccount: k.subaccount, locationID: k.locationID });
  const bindHost = config.proxy.publicHost ?? config.proxy.host;
  const tunnel = new TunnelClient({
    connector: k,
    host: opts.tunnel?.host ?? k.tunnelHost ?? (bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost),
    port: opts.tunnel?.port ?? k.tunnelPort ?? config.proxy.tunnelPort,
    logger,
    liveness: config.proxy,
    onRequest: (req, res) => {
      try {
        handle(req, res);
      } catch (err) {
        logger.error({ err }, 'request handling failed');
        sendError(res, simError('SCC_BACKEND_UNREACHABLE', {}, err));
      }
    },
    onConnect: (stream, headers) => void connectTcp(stream, String(headers[':authority'] ?? '')),
  });

  /** TCP for SOCKS5: a CONNECT stream to a TCP/TCPS system mapping. */
  async function connectTcp(stream: ServerHttp2Stream, authority: string): Promise<void> {
    const started = process.hrtime.bigint();
    const { virtualHost, virtualPort } = splitAuthority(authority);
    const mapping = policy.findTcpSystem(virtualHost, virtualPort);
    const entry = { virtualHost, virtualPort, path: '', method: 'CONNECT' };
    if (!mapping) {
      const reason = `no TCP system mapping for ${virtualHost}:${virtualPort}`;
      audit.accessDenied({ ...entry, reason });
      stream.respond({ ':status': 403, [RULE_HEADER]: reason }, { endStream: true });
      logger.info({ ...entry, decision: 'denied', rule: reason, status: 403 }, 'access denied');
      return;
    }
    const rule = `${mapping.protocol} ${mapping.virtualHost}:${mapping.virtualPort} → ${mapping.localHost}:${mapping.localPort}`;
    audit.accessAllowed({ ...entry, reason: rule });
    const status = await forwardTcp(stream, mapping, virtualPort, logger);
    logger.info({ ...entry, decision: 'allowed', rule, status, durationMs: ms(started) }, 'TCP connection opened');
  }

  function handle(req: Http2ServerRequest, res: Http2ServerResponse): void {
    const started = process.hrtime.bigint();
    const method = req.method;
    const { virtualHost, virtualPort } = splitAuthority(String(req.headers[':authority'] ?? ''));
    const rawPathAndQuery = String(req.headers[':path'] ?? '/');
    const q = rawPathAndQuery.indexOf('?');
    const rawPath = q < 0 ? rawPathAndQuery : rawPathAndQuery.slice(0, q);
    const query = q < 0 ? '' : rawPathAndQuery.slice(q);
    const principalHeader = req.headers[PRINCIPAL_HEADER] as string | undefined;
    const principal = principalHeader === undefined ? undefined : principalFrom(principalHeader);
    const user = principal?.name;
    const decision = policy.check(virtualHost, virtualPort, rawPath);
    if (!decision.allowed) {
      audit.accessDenied({ virtualHost, virtualPort, path: rawPath, method, reason: decision.reason, user });
      const err = simError(decision.code, { virtualHost, virtualPort, path: rawPath, reason: decision.reason });
      res.setHeader(RULE_HEADER, decision.reason);
      sendError(res, err);
      if (logger.isLevelEnabled('info')) {
        logger.info({ virtualHost, virtualPort, method, path: rawPath, user, decision: 'denied', rule: decision.reason, status: err.statusCode, durationMs: ms(started) }, 'access denied');
      }
      return;
    }
    audit.accessAllowed({ virtualHost, virtualPort, path: rawPath, method, reason: decision.reason, user });
    const rule = ruleOf(decision.resource);
    res.setHeader(RULE_HEADER, rule);
    const { mapping } = decision;
    const forward = (extraHeaders: Record<string, string> | undefined) => {
      forwarder.forward(req, res, mapping, decision.path, query, extraHeaders, (result) => {
        if (result.error) {
          logger.warn({ virtualHost, virtualPort, method, path: rawPath, user, err: result.error.cause, code: result.error.code }, 'backend call failed');
          sendError(res, result.error);
        }
        if (logger.isLevelEnabled('info')) {
          logger.info({ virtualHost, virtualPort, method, path: rawPath, user, decision: 'allowed', rule, forwardedPath: decision.path, status: result.status, durationMs: ms(started) }, 'forwarded');
        }
      });
    };
    if (!usesClientCertificate(mapping)) return forward(undefined);
    // X.509 principal propagation: the user's certificate, or an EMPTY SSL_CLIENT_CERT without a user (§4.3).
    if (principal === undefined) return forward(EMPTY_CLIENT_CERT as Record<string, string>);
    const headers = certificates.headersFor(mapping, principal, principalHeader!);
    if (!(headers instanceof Promise)) return forward(headers);
    headers.then((h) => {
      if (!res.stream.destroyed) forward(h);
    }, (err) => {
      logger.error({ virtualHost, virtualPort, user, err }, 'could not issue the principal propagation certificate');
      sendError(res, simError('SCC_PRINCIPAL_CERTIFICATE_FAILED', {}, err));
    });
  }

  /** The principal the proxy sent (verified there); a value that is not one is ignored, loudly. */
  function principalFrom(value: string): Principal | undefined {
    const p = decodePrincipal(value);
    if (p === undefined) logger.warn('the principal header from the proxy is unreadable; treating the request as without user');
    return p;
  }

  return {
    config: k,
    tunnel,
    start: () => tunnel.start(),
    waitConnected: () => tunnel.waitConnected(),
    close: async () => {
      await tunnel.close();
      forwarder.close();
    },
  };
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

function splitAuthority(authority: string): { virtualHost: string; virtualPort: number } {
  const colon = authority.lastIndexOf(':');
  return colon > 0
    ? { virtualHost: authority.slice(0, colon), virtualPort: Number(authority.slice(colon + 1)) }
    : { virtualHost: authority, virtualPort: 80 };
}

function ms(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
