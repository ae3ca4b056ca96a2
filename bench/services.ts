// Starts backend, proxy and connector as three separate `node dist/src/cli.js …` processes (so
// each one's CPU and RSS can be read from /proc), waits until the connector is connected, and
// gets an access token with `scc-sim token`.
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exited, spawnTracked, stop } from './children.js';
import type { BenchConfig } from './config.js';

export type Role = 'backend' | 'proxy' | 'connector';
export const ROLES: Role[] = ['backend', 'proxy', 'connector'];

export interface Service { role: Role; child: ChildProcess; pid: number; logFile: string }
export type Services = Record<Role, Service>;

export interface StartOptions {
  cli: string;
  config: BenchConfig;
  dir: string;
  /** Roles to run with --cpu-prof. */
  profile: Set<string>;
  profDir: string;
  /** Extra node flags for every service process (BENCH_NODE_ARGS). */
  nodeArgs?: string[];
  /** The node flags of scc-sim's services (backend, proxy, connector): as they ship (SERVICE_NODE_FLAGS) unless BENCH_SERVICE_NODE_ARGS says otherwise. */
  serviceNodeArgs: readonly string[];
}

function spawnService(role: Role, extra: string[], opts: StartOptions): Service {
  const logFile = join(opts.dir, `${role}.log`);
  const fd = openSync(logFile, 'a');
  const nodeArgs = opts.profile.has(role) ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=${role}.${Date.now()}.cpuprofile`] : [];
  const child = spawnTracked(process.execPath, [...nodeArgs, ...(opts.nodeArgs ?? []), ...opts.serviceNodeArgs, opts.cli, role, '--config', opts.config.file, ...extra], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, SCC_SIM_LOG_LEVEL: opts.config.logLevel },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${role}`);
  return { role, child, pid: child.pid, logFile };
}

function tail(file: string, lines = 20): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

/** Polls `check` every `intervalMs` until it returns true; fails early if a service exits. */
async function until(what: string, check: () => Promise<boolean>, services: Service[], timeoutMs = 20_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died: Service | undefined;
  const watchers = services.map((s) => exited(s.child).then(() => { died ??= s; }));
  void watchers;
  for (;;) {
    if (died) throw new Error(`${died.role} exited (code ${died.child.exitCode}, signal ${died.child.signalCode}) while waiting for ${what}:\n${tail(died.logFile)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function startServices(opts: StartOptions): Promise<Services> {
  const { ports } = opts.config;
  const backend = spawnService('backend', ['--name', 'bench-backend'], opts);
  const proxy = spawnService('proxy', [], opts);
  // The connector starts once the proxy listens, so it connects at its first attempt.
  await until('the proxy\'s token service', async () => (await fetch(`http://127.0.0.1:${ports.token}/status`)).status === 200, [backend, proxy]);
  const connector = spawnService('connector', ['--name', 'bench'], opts);
  const all = [backend, proxy, connector];
  await until('the backend', async () => (await fetch(`http://127.0.0.1:${ports.backend}/`)).status === 200, all);
  await until('a connected Cloud Connector on /status', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.token}/status`);
    if (res.status !== 200) return false;
    const body = await res.json() as { subaccounts?: Array<{ cloudConnectors?: unknown[] }> };
    return (body.subaccounts?.[0]?.cloudConnectors?.length ?? 0) > 0;
  }, all);
  return { backend, proxy, connector };
}

/** Ends the services client-side first (connector, proxy, backend), so none logs the others going away. */
export async function stopServices(services: Services, graceMs = 10_000): Promise<void> {
  for (const role of ['connector', 'proxy', 'backend'] as const) await stop(services[role].child, graceMs);
}

export async function getToken(cli: string, configFile: string): Promise<string> {
  const child = spawnTracked(process.execPath, [cli, 'token', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => { out += c; });
  child.stderr!.on('data', (c) => { err += c; });
  const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('close', resolve); });
  const token = out.trim();
  if (code !== 0 || token === '') throw new Error(`scc-sim token failed (exit ${code}): ${err.trim() || '(no output)'}`);
  return token;
}

/** A naive peer chain (bench/peer-chain.ts): its proxy hop and connector-like hop, two processes. */
export interface PeerChain { name: 'undici' | 'http-proxy'; port: number; proxy: Service; connector: Service }

function spawnPeerHop(opts: StartOptions, kind: PeerChain['name'], role: 'proxy' | 'connector', port: number, next: number): Promise<Service> {
  const label = `${kind}-${role}`;
  const logFile = join(opts.dir, `peer-${label}.log`);
  const script = join(dirname(opts.cli), '..', 'bench', 'peer-chain.js');
  const nodeArgs = opts.profile.has(label) ? ['--cpu-prof', `--cpu-prof-dir=${opts.profDir}`, `--cpu-prof-name=${label}.${Date.now()}.cpuprofile`] : [];
  const child = spawnTracked(process.execPath, [...nodeArgs, ...(opts.nodeArgs ?? []), script, kind, role, String(port), String(next), opts.config.file],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${label}`);
  const svc: Service = { role: role as Role, child, pid: child.pid, logFile };
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c;
      appendFileSync(logFile, c);
      if (/^READY \d+/m.test(out)) { child.stdout!.off('data', onData); child.stdout!.on('data', (d) => appendFileSync(logFile, d)); resolve(svc); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c) => { out += c; appendFileSync(logFile, c); });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before it listened:\n${out}`)));
  });
}

export async function startPeers(opts: StartOptions): Promise<PeerChain[]> {
  const { peerPorts: p, ports } = opts.config;
  const [uc, hc] = await Promise.all([
    spawnPeerHop(opts, 'undici', 'connector', p.undiciConnector, ports.backend),
    spawnPeerHop(opts, 'http-proxy', 'connector', p.httpProxyConnector, ports.backend),
  ]);
  const [up, hp] = await Promise.all([
    spawnPeerHop(opts, 'undici', 'proxy', p.undiciProxy, p.undiciConnector),
    spawnPeerHop(opts, 'http-proxy', 'proxy', p.httpProxyProxy, p.httpProxyConnector),
  ]);
  return [{ name: 'undici', port: p.undiciProxy, proxy: up, connector: uc }, { name: 'http-proxy', port: p.httpProxyProxy, proxy: hp, connector: hc }];
}

export async function stopPeers(peers: PeerChain[]): Promise<void> {
  for (const c of peers) { await stop(c.proxy.child, 5000); await stop(c.connector.child, 5000); }
}
