// The setup of the fault tests: the proxy service in this test process, each Cloud Connector a real
// `scc-sim connector` child process (so it can be frozen with SIGSTOP, and a crash is a dead
// process, not a dead test), the config written to a temp file both read. Backends are the
// test's: a real Hello World backend on port 0, and whatever hostile server a test starts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../services/shared/config-load.js';
import { silentLogger } from '../../services/shared/logger.js';
import { startBackend } from '../../services/backend/start-backend.js';
import { buildProxy, type ProxyPorts, type ProxyService } from '../../services/proxy/proxy-service.js';
import type { Tunnel } from '../../services/proxy/tunnel-registry.js';
import { fetchToken } from '../../src/token-client.js';
import { startCli, type CliProcess } from './cli-process.js';
import { CLIENT_A, HELLO_PORT, mapping, world, type MappingInput } from './configs.js';
import { beforeDeadline } from './deadline.js';
import { captureLog, type CapturedLog } from './log-capture.js';

interface Teardown { teardown(fn: () => unknown): void }

export interface FaultWorldOptions {
  /** Extra system mappings of connector-a, beside `virtualhost:3333` → the Hello World backend (a localPort of HELLO_PORT means that backend, too). */
  mappings?: MappingInput[];
  /** Extra proxy settings. */
  proxy?: Record<string, unknown>;
}

export interface FaultWorld {
  proxy: ProxyService;
  ports: ProxyPorts;
  token: string;
  configFile: string;
  log: CapturedLog;
  /** Starts `scc-sim connector --name <name>` (connector-a, or a copy of it under another name) and waits until its tunnel answers a PING. */
  startConnector(name?: string): Promise<CliProcess>;
  /** Resolves when the registry has a tunnel of `connectorName` (now or later). */
  connected(connectorName: string): Promise<Tunnel>;
}

export async function faultWorld(t: Teardown, opts: FaultWorldOptions = {}): Promise<FaultWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-fault-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hello = await startBackend({ name: 'hello', kind: 'http', host: '127.0.0.1', port: 0 }, silentLogger());
  t.teardown(() => hello.close());
  const mappings = [mapping(), ...(opts.mappings ?? [])].map((m) => (m.localPort === HELLO_PORT ? { ...m, localPort: hello.port } : m));
  const input = world({ mappings, proxy: opts.proxy, backends: [] }) as any;
  input.logLevel = 'info';
  const configFile = join(dir, 'scc-sim.yaml');
  writeFileSync(configFile, JSON.stringify(input, null, 2));
  const config = loadConfigFile(configFile);
  /** A replacement: connector-a's subaccount, location and mappings under another name, in a file of its own (one file may not hold two). */
  const fileFor = (name: string) => {
    if (name === 'connector-a') return configFile;
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify({ ...input, connectors: [{ ...input.connectors[0], name }] }, null, 2));
    return file;
  };
  const log = captureLog('info');
  const proxy = await buildProxy(config, { logger: log.logger });
  const ports = await proxy.listen({ httpPort: 0, socks5Port: 0, tokenServicePort: 0, tokenServiceHttpsPort: 0, tunnelPort: 0 });
  t.teardown(() => proxy.close());
  const token = await fetchToken(proxy.tokenServiceUrl(), CLIENT_A, 'secret-a');

  const connected = (connectorName: string) => {
    const now = proxy.registry.list().find((x) => x.connectorName === connectorName);
    if (now) return Promise.resolve(now);
    return new Promise<Tunnel>((resolve) => {
      const on = (x: Tunnel) => { if (x.connectorName === connectorName) { proxy.registry.off('connected', on); resolve(x); } };
      proxy.registry.on('connected', on);
    });
  };
  return {
    proxy, ports, token, configFile, log, connected,
    async startConnector(name = 'connector-a') {
      const child = startCli(t, ['connector', '--config', fileFor(name), '--name', name], { SCC_SIM_TUNNEL_PORT: String(ports.tunnelPort), SCC_SIM_ADMIN_PORT: '0' });
      // A frozen child is woken before startCli's teardown kills it.
      t.teardown(() => { if (child.child.exitCode === null) child.child.kill('SIGCONT'); });
      await beforeDeadline(new Promise<void>((resolve, reject) => {
        const onExit = () => reject(new Error(`connector ${name} exited:\n${child.output()}`));
        child.child.once('exit', onExit);
        // Registered at the 101; a PING acknowledged means it speaks HTTP/2 on the tunnel, too.
        void connected(name).then((tunnel) => tunnel.session.ping((err) => {
          child.child.off('exit', onExit);
          // The callback also runs when the session closes first: that tunnel is gone, not connected.
          if (err) reject(new Error(`the tunnel of connector ${name} closed before it acknowledged a PING (${err.message})`));
          else resolve();
        }));
      }), 20_000, `connector ${name} connects`);
      return child;
    },
  };
}
