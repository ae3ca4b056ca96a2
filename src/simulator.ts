// startSimulator: the whole simulated world in one process — backends, the proxy service and
// every connector — for tests (ephemeral ports, silent) and for `scc-sim up` (configured ports).
import type { ClientConfig, Config } from '../services/shared/config-schema.js';
import { loadConfigFile, parseConfig } from '../services/shared/config-load.js';
import { silentLogger, type Logger } from '../services/shared/logger.js';
import { defaultCaDir, loadOrCreateCa } from '../services/shared/sim-ca.js';
import { startBackend, type RunningBackend } from '../services/backend/start-backend.js';
import { buildConnector, type Connector } from '../services/connector/connector-service.js';
import { buildProxy, type ProxyService } from '../services/proxy/proxy-service.js';
import { fetchToken } from './token-client.js';
import { buildVcapServices, uaadomainOf, type VcapServices } from './vcap-services.js';

export interface SimulatorOptions {
  /** Listen on port 0 everywhere (default true); false = the ports of the config. */
  ephemeral?: boolean;
  logger?: Logger;
  /** How long to wait for every connector's tunnel; default 10 s. */
  connectTimeoutMs?: number;
}

export interface SimulatorClient extends ClientConfig {
  subaccount: string;
}

export interface Simulator {
  readonly config: Config;
  readonly urls: { httpProxy: string; socks5Proxy: string; tokenService: string; tokenServiceHttps: string; tunnel: string; backends: Record<string, string> };
  readonly ports: { httpPort: number; socks5Port: number; tokenServicePort: number; tokenServiceHttpsPort: number; tunnelPort: number };
  /** The simulator CA's certificate file (trust it for `urls.tokenServiceHttps`: NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE). */
  readonly caFile: string;
  /** Every OAuth client of the config, with its subaccount. */
  readonly clients: SimulatorClient[];
  /** The default client: the first connectivity client of the first subaccount. */
  readonly credentials: SimulatorClient;
  readonly proxy: ProxyService;
  readonly connectors: Connector[];
  readonly backends: Record<string, RunningBackend>;
  /** An access token from the running token service (default client unless a clientid is given). */
  token(clientid?: string): Promise<string>;
  /** The VCAP_SERVICES of an app bound to this world (its ports), as `scc-sim env` prints it. */
  vcapServices(): VcapServices;
  close(): Promise<void>;
}

export async function startSimulator(input: Config | object | string, opts: SimulatorOptions = {}): Promise<Simulator> {
  const ephemeral = opts.ephemeral ?? true;
  const logger = opts.logger ?? silentLogger();
  const loaded = typeof input === 'string' ? loadConfigFile(input) : Object.isFrozen(input) ? input as Config : parseConfig(input);
  const config = structuredClone(loaded) as Config;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => { for (const c of closers.reverse()) await c().catch(() => {}); };
  try {
    const backends: Record<string, RunningBackend> = {};
    const backendUrls: Record<string, string> = {};
    for (const b of config.backends) {
      const running = await startBackend(b, logger, ephemeral ? 0 : b.port);
      closers.push(() => running.close());
      backends[b.name] = running;
      backendUrls[b.name] = running.url;
      if (running.port !== b.port) retargetMappings(config, b.host, b.port, running.port);
    }
    const ca = await loadOrCreateCa(config.proxy.caDir ?? defaultCaDir());
    const proxy = await buildProxy(config, { logger, ca });
    closers.push(() => proxy.close());
    const zero = { httpPort: 0, socks5Port: 0, tokenServicePort: 0, tunnelPort: 0, tokenServiceHttpsPort: 0 };
    const ports = await proxy.listen(ephemeral ? zero : {});
    const tunnelHost = new URL(proxy.tokenServiceUrl()).hostname;
    const connectors = await Promise.all(config.connectors.map((k) => buildConnector(config, {
      name: k.name, logger, ca, tunnel: ephemeral ? { host: tunnelHost, port: ports.tunnelPort } : undefined,
    })));
    for (const c of connectors) { closers.push(() => c.close()); c.start(); }
    await withTimeout(Promise.all(connectors.map((c) => c.waitConnected())), opts.connectTimeoutMs ?? 10_000,
      'not every connector could open its tunnel to the proxy');

    const clients = config.subaccounts.flatMap((s) => s.clients.map((c) => ({ ...c, subaccount: s.subaccount })));
    const credentials = clients.find((c) => c.service === 'connectivity') ?? clients[0];
    const base = proxy.tokenServiceUrl();
    const host = new URL(base).hostname;
    const urls = {
      httpProxy: `http://${host}:${ports.httpPort}`, socks5Proxy: `socks5://${host}:${ports.socks5Port}`,
      tokenService: base, tokenServiceHttps: proxy.tokenServiceHttpsUrl(), tunnel: `http://${host}:${ports.tunnelPort}`, backends: backendUrls,
    };
    return {
      config, ports, clients, credentials, proxy, connectors, backends, urls, caFile: ca.caFile,
      vcapServices: () => buildVcapServices(config, {
        ...urls, uaadomain: uaadomainOf(config, ports.tokenServiceHttpsPort), verificationKey: proxy.keys.publicJwk.value,
      }),
      token: async (clientid?: string) => {
        const client = clientid === undefined ? credentials : clients.find((c) => c.clientid === clientid);
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
    for (const m of k.systemMappings) {
      const sameHost = m.localHost === host || (LOOPBACK.has(m.localHost) && LOOPBACK.has(host));
      if (sameHost && String(m.localPort) === String(configured)) (m as { localPort: number | string }).localPort = actual;
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
