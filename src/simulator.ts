// startSimulator: the whole simulated world in one process — backends, the proxy service and
// every connector with its admin server — for tests (ephemeral ports, silent) and for `scc-sim up`
// (configured ports). Started from a file, it follows the file (hand edits apply live) and the
// admin API's changes are written back to it; from a config object, changes stay in memory.
import type { ClientConfig, Config } from '../services/shared/config-schema.js';
import { ConfigStore } from '../services/shared/config-store.js';
import { silentLogger, type Logger } from '../services/shared/logger.js';
import { defaultCaDir, loadOrCreateCa } from '../services/shared/sim-ca.js';
import { startBackend, type RunningBackend } from '../services/backend/start-backend.js';
import { buildConnector, type Connector } from '../services/connector/connector-service.js';
import { buildProxy, type ProxyService } from '../services/proxy/proxy-service.js';
import { connectorHandle, type AdminEndpoint, type ConnectorHandle } from './connector-handle.js';
import { fetchToken } from './token-client.js';
import { buildVcapServices, uaadomainOf, type VcapServices } from './vcap-services.js';

export interface SimulatorOptions {
  /** Listen on port 0 everywhere, admin servers included (default true); false = the ports of the config. */
  ephemeral?: boolean;
  logger?: Logger;
  /** How long to wait for every connector's tunnel; default 10 s. */
  connectTimeoutMs?: number;
}

export interface SimulatorClient extends ClientConfig {
  subaccount: string;
}

export interface Simulator {
  /** The running configuration (replaced on every change). */
  readonly config: Config;
  readonly configStore: ConfigStore;
  readonly urls: { httpProxy: string; socks5Proxy: string; tokenService: string; tokenServiceHttps: string; tunnel: string; backends: Record<string, string> };
  readonly ports: { httpPort: number; socks5Port: number; tokenServicePort: number; tokenServiceHttpsPort: number; tunnelPort: number };
  /** The simulator CA's certificate file (trust it for `urls.tokenServiceHttps` and the admin servers: NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE). */
  readonly caFile: string;
  /** Every OAuth client of the config, with its subaccount. */
  readonly clients: SimulatorClient[];
  /** The default client: the first connectivity client of the first subaccount. */
  readonly credentials: SimulatorClient;
  readonly proxy: ProxyService;
  readonly connectors: Connector[];
  /** Each connector's admin API: URL, user, password, CA file. */
  readonly admin: Record<string, AdminEndpoint>;
  readonly backends: Record<string, RunningBackend>;
  /** A connector's admin URL and typed helpers (add a mapping, suspend a resource, disconnect …); default: the only/first one. */
  connector(name?: string): ConnectorHandle;
  /** An access token from the running token service (default client unless a clientid is given). */
  token(clientid?: string): Promise<string>;
  /** The VCAP_SERVICES of an app bound to this world (its ports), as `scc-sim env` prints it. */
  vcapServices(): VcapServices;
  close(): Promise<void>;
}

function storeOf(input: Config | object | string | ConfigStore, logger: Logger): ConfigStore {
  if (input instanceof ConfigStore) return input;
  if (typeof input === 'string') {
    const store = ConfigStore.open(input, { logger });
    store.watch();
    return store;
  }
  return ConfigStore.fromObject(input, { logger });
}

export async function startSimulator(input: Config | object | string | ConfigStore, opts: SimulatorOptions = {}): Promise<Simulator> {
  const ephemeral = opts.ephemeral ?? true;
  const logger = opts.logger ?? silentLogger();
  const store = storeOf(input, logger);
  const closers: Array<() => Promise<void>> = [async () => { if (store !== input) store.close(); }];
  const close = async () => { for (const c of closers.reverse()) await c().catch(() => {}); };
  try {
    const backends: Record<string, RunningBackend> = {};
    const backendUrls: Record<string, string> = {};
    const moved: Array<{ host: string; configured: number; actual: number }> = [];
    for (const b of store.config.backends) {
      const running = await startBackend(b, logger, ephemeral ? 0 : b.port);
      closers.push(() => running.close());
      backends[b.name] = running;
      backendUrls[b.name] = running.url;
      if (running.port !== b.port) moved.push({ host: b.host, configured: b.port, actual: running.port });
    }
    // Runtime only, never written to the file: mappings follow their backends, admin ports are ephemeral.
    await store.setRuntimeView((c) => {
      const view = structuredClone(c) as Config;
      if (ephemeral) for (const k of view.connectors) k.adminPort = 0;
      for (const m of moved) retargetMappings(view, m.host, m.configured, m.actual);
      return view;
    });
    const ca = await loadOrCreateCa(store.config.proxy.caDir ?? defaultCaDir());
    const proxy = await buildProxy(store.config, { logger, ca, store });
    closers.push(() => proxy.close());
    const zero = { httpPort: 0, socks5Port: 0, tokenServicePort: 0, tunnelPort: 0, tokenServiceHttpsPort: 0 };
    const ports = await proxy.listen(ephemeral ? zero : {});
    const tunnelHost = new URL(proxy.tokenServiceUrl()).hostname;
    const connectors = await Promise.all(store.config.connectors.map((k) => buildConnector(store, {
      name: k.name, logger, ca, tunnel: ephemeral ? { host: tunnelHost, port: ports.tunnelPort } : undefined,
    })));
    const admin: Record<string, AdminEndpoint> = {};
    for (const c of connectors) {
      closers.push(() => c.close());
      const server = await c.listenAdmin();
      c.start();
      Object.defineProperty(admin, c.name, {
        enumerable: true,
        get: () => ({ url: server.url, user: c.config.adminUser, password: c.config.adminPassword, caFile: ca.caFile }),
      });
    }
    await withTimeout(Promise.all(connectors.map((c) => c.waitConnected())), opts.connectTimeoutMs ?? 10_000,
      'not every connector could open its tunnel to the proxy');
    const handles = new Map(connectors.map((c) => [c.name, connectorHandle(c, () => admin[c.name])]));
    proxy.showAdminUrls(() => Object.fromEntries(Object.entries(admin).map(([name, e]) => [name, e.url])));

    const clientsOf = (config: Config) => config.subaccounts.flatMap((s) => s.clients.map((c) => ({ ...c, subaccount: s.subaccount })));
    const clients = clientsOf(store.config);
    const credentials = clients.find((c) => c.service === 'connectivity') ?? clients[0];
    const base = proxy.tokenServiceUrl();
    const host = new URL(base).hostname;
    const urls = {
      httpProxy: `http://${host}:${ports.httpPort}`, socks5Proxy: `socks5://${host}:${ports.socks5Port}`,
      tokenService: base, tokenServiceHttps: proxy.tokenServiceHttpsUrl(), tunnel: `http://${host}:${ports.tunnelPort}`, backends: backendUrls,
    };
    return {
      get config() { return store.config; },
      configStore: store, ports, clients, credentials, proxy, connectors, backends, urls, caFile: ca.caFile, admin,
      connector(name?: string) {
        const handle = name === undefined ? [...handles.values()][0] : handles.get(name);
        if (handle === undefined) throw new Error(name === undefined ? 'the simulator has no connector' : `no connector named "${name}"`);
        return handle;
      },
      vcapServices: () => buildVcapServices(store.config, {
        ...urls, uaadomain: uaadomainOf(store.config, ports.tokenServiceHttpsPort), verificationKey: proxy.keys.publicJwk.value,
      }),
      token: async (clientid?: string) => {
        const client = clientid === undefined ? credentials : clientsOf(store.config).find((c) => c.clientid === clientid);
        if (!client) throw new Error(`no client "${clientid}" in the config`);
        return fetchToken(base, client.clientid, client.clientsecret);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);

/** A mapping that names a simulated backend by its configured port follows it to the port it got. */
function retargetMappings(config: Config, host: string, configured: number, actual: number): void {
  for (const k of config.connectors) {
    for (const s of k.subaccounts) {
      for (const m of s.systemMappings) {
        const sameHost = m.localHost === host || (LOOPBACK.has(m.localHost) && LOOPBACK.has(host));
        if (sameHost && String(m.localPort) === String(configured)) (m as { localPort: number | string }).localPort = actual;
      }
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); }),
  ]);
}
