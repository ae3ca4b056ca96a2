// One Cloud Connector instance: it serves one or more subaccounts (each its own tunnel, location
// ID and access control: subaccount-runtime.ts), follows the config store live, and is operated
// through its admin server (admin/: the SCC's REST API over HTTPS with Basic auth). buildConnector
// never listens on anything; start() dials the tunnels, listenAdmin() opens the admin port.
//
// The connector signs principal-propagation certificates with the simulator CA, the same CA
// (folder) the proxy uses for its HTTPS listener: one CA per simulated world, trusted once by
// backends and apps. Processes started one by one (`scc-sim proxy`, `scc-sim connector`) share it
// through the folder (proxy.caDir, default <cwd>/.scc-sim/ca); in docker-compose the proxy and
// connector containers therefore mount one shared volume at /app/.scc-sim (docker-compose.yml).
import type { Config, ConnectorConfig } from '../shared/config-schema.js';
import { ConfigStore } from '../shared/config-store.js';
import { sendError, simError } from '../shared/errors.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { defaultCaDir, loadOrCreateCa, type SimCa } from '../shared/sim-ca.js';
import { startAdminServer, type AdminServer, type AdminServerOptions } from './admin/admin-server.js';
import { createAdminOperations, type AdminOperations } from './admin/admin-operations.js';
import { AuditTrail } from './audit-log.js';
import { createPrincipalCertificates, type PrincipalCertificates } from './principal-certificates.js';
import { connectTcp, handleRequest } from './request-handler.js';
import { ConnectorActivity } from './connector-activity.js';
import { forwardUpgrade } from './upgrade-forwarder.js';
import { isUpgradeStream } from '../shared/upgrade-protocol.js';
import { SubaccountRuntime, subaccountKey, type RuntimeContext } from './subaccount-runtime.js';
import type { TunnelClient } from './tunnel-client.js';

export interface ConnectorOptions {
  /** Which connector of the config; may be left out when there is exactly one. */
  name?: string;
  logger?: Logger;
  /** Where the proxy's tunnel endpoint is; default the connector's tunnelHost/tunnelPort, then proxy.host/tunnelPort. */
  tunnel?: { host: string; port: number };
  /** The simulator CA; default: loaded (or created) from `proxy.caDir`, else `<cwd>/.scc-sim/ca`. */
  ca?: SimCa;
  /** More plugins on the admin server's app, after the REST API and the admin pages. */
  adminPlugins?: AdminServerOptions['plugins'];
}

export interface Connector {
  readonly name: string;
  /** This connector's part of the current config. */
  readonly config: ConnectorConfig;
  /** The tunnel of the first subaccount (most connectors serve one). */
  readonly tunnel: TunnelClient;
  /** Every subaccount's runtime: tunnel, state, recent requests. */
  subaccounts(): SubaccountRuntime[];
  /** The admin API's operations, without HTTP (what the REST routes call). */
  readonly operations: AdminOperations;
  readonly trail: AuditTrail;
  /** The simulator CA's certificate file (it signs the admin server's certificate). */
  readonly caFile: string;
  start(): void;
  /** Resolves when every subaccount that should be connected is. */
  waitConnected(): Promise<void>;
  /** Opens the admin server on the config's adminHost/adminPort; resolves with its URL. */
  listenAdmin(): Promise<AdminServer>;
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

/** Builds a connector over a config store (live: changes apply, API changes are persisted) or a plain config. */
export async function buildConnector(source: ConfigStore | Config, opts: ConnectorOptions = {}): Promise<Connector> {
  const store = source instanceof ConfigStore ? source : ConfigStore.fromObject(source);
  const first = pickConnector(store.config, opts.name);
  const name = first.name;
  const logger = (opts.logger ?? silentLogger()).child({ service: 'connector', connector: name });
  const ca = opts.ca ?? await loadOrCreateCa(store.config.proxy.caDir ?? defaultCaDir());
  const trail = new AuditTrail(logger, name);
  const activity = new ConnectorActivity();
  const runtimes = new Map<string, SubaccountRuntime>();
  let current = first;
  let started = false;
  let certificates: { key: string; value: PrincipalCertificates } | undefined;
  let admin: AdminServer | undefined;

  function contextFor(config: Config, k: ConnectorConfig): RuntimeContext {
    const key = JSON.stringify(k.principalPropagation);
    if (certificates?.key !== key) certificates = { key, value: createPrincipalCertificates({ ca, settings: k.principalPropagation }) };
    const bindHost = config.proxy.publicHost ?? config.proxy.host;
    const endpoint = opts.tunnel ?? {
      host: k.tunnelHost ?? (bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost),
      port: k.tunnelPort ?? config.proxy.tunnelPort,
    };
    return { logger, trail, ca, endpoint, certificates: certificates.value, liveness: config.proxy, activity };
  }

  function runtimeFor(k: ConnectorConfig, s: ConnectorConfig['subaccounts'][number], ctx: RuntimeContext): SubaccountRuntime {
    const kerberos = s.systemMappings.filter((m) => m.authenticationMode === 'KERBEROS');
    if (kerberos.length > 0) {
      logger.warn({ subaccount: s.subaccount, systems: kerberos.map((m) => `${m.virtualHost}:${m.virtualPort}`) },
        'authenticationMode KERBEROS is not simulated: these systems get no Kerberos token, only the request');
    }
    return new SubaccountRuntime(k, s, ctx, (rt) => ({
      onRequest: (req, res) => {
        try {
          handleRequest(rt, req, res);
        } catch (err) {
          logger.error({ err }, 'request handling failed');
          sendError(res, simError('SCC_BACKEND_UNREACHABLE', {}, err));
        }
      },
      // CONNECT streams: WebSocket upgrades (upgrade-forwarder.ts) or TCP for SOCKS5.
      onConnect: (stream, headers) => (isUpgradeStream(headers) ? forwardUpgrade(rt, stream, headers)
        : void connectTcp(rt, stream, String(headers[':authority'] ?? ''))),
    }));
  }

  /** Brings the running subaccounts in line with `config`; awaited by the store before an API change is answered. */
  async function apply(config: Config): Promise<void> {
    const k = config.connectors.find((c) => c.name === name);
    if (k === undefined) logger.error(`connector "${name}" is no longer in the config: its tunnels are closed until it is back`);
    else {
      if (admin !== undefined && (k.adminPort !== current.adminPort || k.adminHost !== current.adminHost)) {
        logger.warn({ adminHost: k.adminHost, adminPort: k.adminPort }, 'the admin server\'s address changed: it takes effect at the next start');
      }
      current = k;
    }
    const ctx = contextFor(config, current);
    const wanted = new Set<string>();
    const work: Array<Promise<void>> = [];
    for (const s of k?.subaccounts ?? []) {
      const key = subaccountKey(s);
      wanted.add(key);
      const rt = runtimes.get(key);
      if (rt !== undefined) {
        work.push(rt.apply(current, s, ctx, started));
      } else {
        const fresh = runtimeFor(current, s, ctx);
        runtimes.set(key, fresh);
        if (started && s.connected) work.push(fresh.tunnel.connect());
      }
    }
    for (const [key, rt] of runtimes) {
      if (wanted.has(key)) continue;
      runtimes.delete(key);
      work.push(rt.close());
    }
    await Promise.all(work);
  }

  await apply(store.config);
  const unsubscribe = store.subscribe((next) => apply(next));
  const runtime = {
    name,
    trail,
    activity,
    subaccount: (regionHost: string, subaccount: string) => runtimes.get(subaccountKey({ regionHost, subaccount })),
  };
  const operations = createAdminOperations({ store, connector: name, runtime });

  return {
    name,
    get config() { return current; },
    get tunnel() { return [...runtimes.values()][0]?.tunnel as TunnelClient; },
    subaccounts: () => [...runtimes.values()],
    operations,
    trail,
    caFile: ca.caFile,
    start() {
      started = true;
      for (const rt of runtimes.values()) if (rt.config.connected) rt.tunnel.start();
    },
    async waitConnected() {
      await Promise.all([...runtimes.values()].filter((rt) => rt.config.connected).map((rt) => rt.tunnel.waitConnected()));
    },
    async listenAdmin() {
      admin ??= await startAdminServer({ operations, store, connector: name, ca, logger, plugins: opts.adminPlugins });
      return admin;
    },
    async close() {
      unsubscribe();
      await admin?.close();
      await Promise.all([...runtimes.values()].map((rt) => rt.destroy()));
      runtimes.clear();
    },
  };
}
