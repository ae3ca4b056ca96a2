// The cloud side: token service + status page (fastify, one port, and the same routes over HTTPS
// with a certificate of the simulator CA), the HTTP forward proxy, the
// SOCKS5 proxy (method 0x80) and the tunnel endpoint. buildProxy assembles them; listen() is the caller's call.
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../shared/config-schema.js';
import { answerClientError, fastifyListenerOptions, listenFailed, listenerOptions } from '../shared/http-listener.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { defaultCaDir, loadOrCreateCa, type SimCa } from '../shared/sim-ca.js';
import type { ConfigStore } from '../shared/config-store.js';
import { liveDirectories } from './live-directories.js';
import { destinationServicePlugin } from '../destination/destination-service.js';
import { diConnectionsPlugin } from '../di/di-connections.js';
import { createForwardProxy } from './forward-proxy.js';
import { createUpgradeForwarder } from './upgrade-forwarder.js';
import { createPrincipalCheck } from './principal-check.js';
import { registerCockpit } from '../cockpit/cockpit-page.js';
import { loadSigningKeys, type SigningKeys } from '../xsuaa/token-keys.js';
import { registerTokenService } from '../xsuaa/token-service.js';
import { tenantHostNames } from '../xsuaa/tenant-host.js';
import { createTokenVerifier, type TokenVerifier } from '../xsuaa/token-verifier.js';
import { createSocks5Server, REP } from './socks5-server.js';
import { openTcpOverTunnel } from './tunnel-connect.js';
import { createTunnelEndpoint } from './tunnel-endpoint.js';
import { TrafficFeed } from './traffic-feed.js';
import { TunnelRegistry } from './tunnel-registry.js';
import { createUserTokenVerifier, type UserTokenVerifier } from '../xsuaa/user-token-verifier.js';

export interface ProxyPorts {
  httpPort: number;
  tokenServicePort: number;
  tunnelPort: number;
  socks5Port: number;
  tokenServiceHttpsPort: number;
}

export interface ProxyService {
  readonly registry: TunnelRegistry;
  /** Every request through the HTTP and SOCKS5 proxies, for the cockpit's live traffic. */
  readonly traffic: TrafficFeed;
  /** Tells the cockpit where each connector's admin server is (by connector name). */
  showAdminUrls(urls: () => Record<string, string>): void;
  readonly verifier: TokenVerifier;
  /** The token signing key (its public half is the bindings' `verificationkey`). */
  readonly keys: SigningKeys;
  readonly app: FastifyInstance;
  readonly httpProxy: http.Server;
  readonly tunnelEndpoint: http.Server;
  readonly socks5: net.Server;
  /** The simulator CA (signs the HTTPS certificate; principal propagation certificates). */
  readonly ca: SimCa;
  /** Checks SAP-Connectivity-Authentication (business user) and -Technical-Authentication tokens. */
  readonly userVerifier: UserTokenVerifier;
  /** Every route of `app` (token service, JWKS, Destination service, …) over TLS. */
  readonly tokenServiceHttps: https.Server;
  /** Listens on the given ports (default: the config's) and returns the ports actually bound. */
  listen(ports?: Partial<ProxyPorts>): Promise<ProxyPorts>;
  /** Base URL of the token service as apps reach it. */
  tokenServiceUrl(): string;
  /** The same over HTTPS (`https://<publicHost>:<port>`); the bindings' `uaadomain` is `proxy.uaadomain` with this port. Tokens keep the HTTP `iss`. */
  tokenServiceHttpsUrl(): string;
  close(): Promise<void>;
}

export interface ProxyOptions {
  logger?: Logger;
  /** The CA; default: loaded (or created) from `proxy.caDir`, else `<cwd>/.scc-sim/ca`. */
  ca?: SimCa;
  /**
   * Follow this store: subaccounts (cloud users, OAuth clients, users, destinations) apply live;
   * a removed subaccount's tunnels are closed. The `proxy` section (ports, hosts, keys) and
   * diConnections take effect at the next start.
   */
  store?: ConfigStore;
}

export async function buildProxy(config: Config, opts: ProxyOptions = {}): Promise<ProxyService> {
  const logger = (opts.logger ?? silentLogger()).child({ service: 'proxy' });
  const keys = await loadSigningKeys(config.proxy.signingKeyFile);
  const directories = liveDirectories(config);
  const clientDirectory = directories.clients;
  let current = config;
  const registry = new TunnelRegistry();
  registry.setMaxListeners(0); // each open cockpit page listens
  const traffic = new TrafficFeed();
  let adminUrls: () => Record<string, string> = () => ({});
  const publicHost = config.proxy.publicHost ?? (config.proxy.host === '0.0.0.0' || config.proxy.host === '::' ? '127.0.0.1' : config.proxy.host);
  let bound: ProxyPorts | undefined;
  const tokenServiceUrl = () => `http://${publicHost}:${bound?.tokenServicePort ?? config.proxy.tokenServicePort}`;
  const tokenServiceHttpsUrl = () => `https://${publicHost}:${bound?.tokenServiceHttpsPort ?? config.proxy.tokenServiceHttpsPort}`;
  const verifier = createTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl: tokenServiceUrl });
  const userVerifier = createUserTokenVerifier({ keys, config, clientDirectory, issuerBaseUrl: tokenServiceUrl });
  const ca = opts.ca ?? await loadOrCreateCa(config.proxy.caDir ?? defaultCaDir());

  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'token-service' }) as FastifyBaseLogger, forceCloseConnections: true,
    ...fastifyListenerOptions(config.proxy),
  });
  await registerTokenService(app, { keys, config, clientDirectory, issuerBaseUrl: tokenServiceUrl, userTokenVerifier: userVerifier, userDirectory: directories.users });
  await registerCockpit(app, {
    config: () => current, registry, traffic, urls: () => urls(), adminUrls: () => adminUrls(),
    onConfigChange: opts.store ? (listener) => opts.store!.subscribe(() => listener()) : undefined,
    tokenServiceUrl,
    forwardProxy: () => ({ host: wildcardHost(config.proxy.host) ? '127.0.0.1' : config.proxy.host, port: bound?.httpPort ?? config.proxy.httpPort }),
  });
  const sharedOpts = { keys, config, clientDirectory, issuerBaseUrl: tokenServiceUrl };
  const destinationVerifier = createTokenVerifier({ ...sharedOpts, accept: 'destination' });
  const anyVerifier = createTokenVerifier({ ...sharedOpts, accept: 'any' });
  await app.register(destinationServicePlugin, { ...sharedOpts, verifier: destinationVerifier });
  await app.register(diConnectionsPlugin, {
    ...sharedOpts, verifier: anyVerifier,
    gateway: () => ({ host: publicHost, port: bound?.httpPort ?? config.proxy.httpPort }),
  });

  const checkPrincipal = createPrincipalCheck(userVerifier);
  const httpProxy = createForwardProxy({
    registry, verify: (t) => verifier.verify(t), checkPrincipal, logger, timeouts: config.proxy, traffic,
  });
  // WebSocket upgrades through the same proxy port, with the same checks (upgrade-forwarder.ts).
  httpProxy.on('upgrade', createUpgradeForwarder({ server: httpProxy, registry, verify: (t) => verifier.verify(t), checkPrincipal, logger, traffic }));
  const tunnelEndpoint = createTunnelEndpoint({ config: () => current, registry, logger });
  const unsubscribe = opts.store?.subscribe((next) => {
    const previous = current;
    current = next;
    if (JSON.stringify(next.proxy) !== JSON.stringify(previous.proxy)) logger.warn('the proxy section of the config changed: it takes effect at the next start');
    if (JSON.stringify(next.subaccounts) === JSON.stringify(previous.subaccounts)) return;
    directories.update(next);
    for (const v of [verifier, destinationVerifier, anyVerifier]) v.clear();
    for (const t of registry.list()) {
      if (!next.subaccounts.some((s) => s.subaccount === t.subaccount)) {
        logger.warn({ subaccount: t.subaccount, locationId: t.locationId }, 'the subaccount is no longer in the config: its tunnel is closed');
        t.session.destroy();
      }
    }
    logger.info('subaccounts, clients, users and destinations changed: applied');
  });
  const socks5 = createSocks5Server({
    logger: logger.child({ component: 'socks5' }), traffic,
    authenticate: async (jwt) => {
      const d = await verifier.verify(jwt);
      return d.ok ? { ok: true, subaccount: d.subaccount } : { ok: false, reason: d.reason };
    },
    connect: async ({ subaccount, locationId, host, port }) => {
      const found = registry.lookup(subaccount, locationId);
      if (!found.found) return { ok: false, rep: REP.NETWORK_UNREACHABLE, reason: found.reason };
      return openTcpOverTunnel(found.tunnel, host, port);
    },
  });
  const wildcard = ['0.0.0.0', '::', ''].includes(config.proxy.host);
  // The uaadomain, its tenant names (`*.` and each subdomain spelled out: Node refuses `*.` on a
  // two-label name such as `*.localhost`), then the addresses the listener is reached by.
  const [uaadomain, ...tenants] = tenantHostNames(config);
  const tls = await ca.issueServerCert([uaadomain!, `*.${uaadomain}`, ...tenants, 'localhost', '127.0.0.1', '::1', publicHost, ...(wildcard ? [] : [config.proxy.host])]);
  const tokenServiceHttps = https.createServer({ ...listenerOptions(config.proxy), key: tls.keyPem, cert: tls.certPem }, (req, res) => app.routing(req, res));
  tokenServiceHttps.on('clientError', answerClientError(logger.child({ component: 'token-service' }), config.proxy));
  const servers: Array<http.Server | net.Server> = [httpProxy, tunnelEndpoint, socks5, tokenServiceHttps];

  function urls() {
    const p = bound ?? config.proxy;
    return {
      httpProxy: `http://${publicHost}:${p.httpPort}`,
      socks5Proxy: `socks5://${publicHost}:${p.socks5Port}`,
      tokenService: tokenServiceUrl(),
      tokenServiceHttps: tokenServiceHttpsUrl(),
      tunnel: `http://${publicHost}:${p.tunnelPort}`,
    };
  }

  return {
    registry, traffic, verifier, keys, app, httpProxy, tunnelEndpoint, socks5, tokenServiceUrl,
    ca, userVerifier, tokenServiceHttps, tokenServiceHttpsUrl,
    showAdminUrls(next) { adminUrls = next; },
    async listen(ports: Partial<ProxyPorts> = {}) {
      const host = config.proxy.host;
      const want = { ...pick(config), ...ports };
      await app.listen({ host, port: want.tokenServicePort }).catch(listenFailed('proxy.tokenServicePort', host, want.tokenServicePort));
      const tokenServicePort = (app.server.address() as net.AddressInfo).port;
      const httpPort = await listenOn(httpProxy, host, want.httpPort, 'proxy.httpPort');
      const tunnelPort = await listenOn(tunnelEndpoint, host, want.tunnelPort, 'proxy.tunnelPort');
      const socks5Port = await listenOn(socks5, host, want.socks5Port, 'proxy.socks5Port');
      const tokenServiceHttpsPort = await listenOn(tokenServiceHttps, host, want.tokenServiceHttpsPort, 'proxy.tokenServiceHttpsPort');
      bound = { httpPort, tokenServicePort, tunnelPort, socks5Port, tokenServiceHttpsPort };
      logger.info(urls(), 'proxy service listening');
      return bound;
    },
    async close() {
      unsubscribe?.();
      for (const t of registry.list()) t.session.destroy();
      await Promise.all(servers.map((s) => closeServer(s)));
      await app.close();
    },
  };
}

function wildcardHost(host: string): boolean {
  return ['0.0.0.0', '::', ''].includes(host);
}

function pick(config: Config): ProxyPorts {
  const { httpPort, tokenServicePort, tunnelPort, socks5Port, tokenServiceHttpsPort } = config.proxy;
  return { httpPort, tokenServicePort, tunnelPort, socks5Port, tokenServiceHttpsPort };
}

/** Listens and resolves with the bound port; a failure names the config field that asked for the port. */
export function listenOn(server: net.Server, host: string, port: number, field: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  }).catch(listenFailed(field, host, port));
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    (server as http.Server).closeAllConnections?.();
  });
}
