// A whole BTP app against a real simulator, for the approuter and CAP tests: SAP's application
// router (@sap/approuter) and a CAP service (@sap/cds), both from npm and unmodified
// (test/fixtures/btp-app, installed by .ci/run), run as child processes on Node 22 (.ci/node22;
// both declare Node >= 22). Their environment is the test's plus only what `scc-sim env` prints:
// VCAP_SERVICES, NODE_EXTRA_CA_CERTS and the hosts line (a private /etc/hosts, hosts-file.ts) —
// and PORT, which Cloud Foundry gives every app.
//
// The world: subaccount `btp-app` with an xsuaa client `sb-bookshop!t7` (xsappname bookshop!t7),
// role collection `Viewers` (scope Viewer) held by alice and not by bob, destinations ONPREM_PP
// (PrincipalPropagation through the WALLDORF connector to an X509_GENERAL system) and CAP (the CAP
// service, token forwarded).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { freePort, REPO_ROOT, runCli } from './cli-process.js';
import { hostsLinesOf, spawnWithHosts } from './hosts-file.js';
import { captureLog, type CapturedLog } from './log-capture.js';

export const FIXTURE = join(REPO_ROOT, 'test/fixtures/btp-app');
export const SUBACCOUNT = '9b1a2c3d-4e5f-4a6b-8c7d-0000000000b9';
export const APP_CLIENT = 'sb-bookshop!t7';
export const XSAPPNAME = 'bookshop!t7';
export const USERS = { alice: 'alice-pw', bob: 'bob-pw' } as const;

interface Teardown { teardown(fn: () => unknown): void }

export interface AppProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

export interface BtpAppWorld {
  sim: Simulator;
  log: CapturedLog;
  approuter: AppProcess;
  cap: AppProcess;
  env: { vcapServices: string; hostsLines: string[]; caFile: string };
}

export interface WorldOptions {
  /** The xsuaa client's oauth2-configuration.token-validity (seconds). */
  tokenValidity?: number;
}

/** The Node 22 binary the SAP packages run on. */
export function node22(): string {
  return execFileSync(join(REPO_ROOT, '.ci/node22'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

export async function startBtpAppWorld(t: Teardown, opts: WorldOptions = {}): Promise<BtpAppWorld> {
  if (!existsSync(join(FIXTURE, 'node_modules/@sap/approuter')) || !existsSync(join(FIXTURE, 'node_modules/@sap/cds'))) {
    throw new Error('the approuter and CAP are not installed: run `npm ci --prefix test/fixtures/btp-app` (.ci/run does)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-btp-app-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort, backendPort, approuterPort, capPort, adminPort] =
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => freePort()));
  const configFile = join(dir, 'scc-sim.yaml');
  writeFileSync(configFile, stringify({
    logLevel: 'info',
    proxy: { host: '127.0.0.1', httpPort, socks5Port, tokenServicePort, tokenServiceHttpsPort, tunnelPort, caDir: join(dir, 'ca') },
    subaccounts: [{
      subaccount: SUBACCOUNT, subdomain: 'btp-app', displayName: 'Bookshop subaccount', cloudUser: 'cloud-user', cloudPassword: 'cloud-pw',
      clients: [
        { clientid: 'sb-clone-bookshop!b1|connectivity!b137', clientsecret: 'conn-secret', service: 'connectivity' },
        { clientid: 'sb-clone-bookshop-dest!b2|destination-xsappname!b9', clientsecret: 'dest-secret', service: 'destination' },
        { clientid: APP_CLIENT, clientsecret: 'app-secret', service: 'xsuaa',
          'oauth2-configuration': opts.tokenValidity === undefined ? {} : { 'token-validity': opts.tokenValidity } },
      ],
      roleCollections: [{ name: 'Viewers', scopes: ['Viewer'] }],
      users: [
        { name: 'alice', password: USERS.alice, email: 'alice@bookshop.example', roleCollections: ['Viewers'], attributes: { Country: ['DE'] } },
        { name: 'bob', password: USERS.bob, email: 'bob@bookshop.example' },
      ],
      destinations: [
        { Name: 'ONPREM_PP', URL: 'http://pp-system:3333', ProxyType: 'OnPremise', Authentication: 'PrincipalPropagation', CloudConnectorLocationId: 'WALLDORF' },
        { Name: 'CAP', URL: `http://127.0.0.1:${capPort}`, ProxyType: 'Internet', Authentication: 'NoAuthentication', 'HTML5.ForwardAuthToken': 'true' },
      ],
    }],
    connectors: [{
      name: 'walldorf', subaccount: SUBACCOUNT, locationID: 'WALLDORF', cloudUser: 'cloud-user', cloudPassword: 'cloud-pw', adminPort,
      systemMappings: [{ virtualHost: 'pp-system', virtualPort: 3333, localHost: '127.0.0.1', localPort: backendPort,
        authenticationMode: 'X509_GENERAL', resources: [{ id: '/' }] }],
    }],
    backends: [{ name: 'erp', port: backendPort }],
  }));

  const log = captureLog('info');
  const sim = await startSimulator(configFile, { ephemeral: false, logger: log.logger });
  t.teardown(() => sim.close());
  const printed = await runCli(['env', '--config', configFile]);
  if (printed.code !== 0) throw new Error(`scc-sim env failed: ${printed.stderr}`);
  const env = { vcapServices: printed.stdout, hostsLines: hostsLinesOf(printed.stderr), caFile: /NODE_EXTRA_CA_CERTS=(\S+)/.exec(printed.stderr)![1]! };

  const node = node22();
  const start = (name: string, cwd: string, script: string, port: number, ready: RegExp) =>
    startApp(t, env, { name, node, cwd, script, port, ready });
  const [approuter, cap] = await Promise.all([
    start('approuter', join(FIXTURE, 'approuter'), join(FIXTURE, 'node_modules/@sap/approuter/approuter.js'), approuterPort, /listening on port/i),
    start('cap', join(FIXTURE, 'cap'), join(FIXTURE, 'node_modules/@sap/cds/bin/serve.js'), capPort, /server listening on/i),
  ]);
  return { sim, log, approuter, cap, env };
}

async function startApp(t: Teardown, env: BtpAppWorld['env'],
  o: { name: string; node: string; cwd: string; script: string; port: number; ready: RegExp }): Promise<AppProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NODE_OPTIONS', 'VCAP_SERVICES', 'NODE_EXTRA_CA_CERTS', 'PORT'].includes(k)));
  const child = spawnWithHosts(t, env.hostsLines, o.node, [o.script], {
    cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, VCAP_SERVICES: env.vcapServices, NODE_EXTRA_CA_CERTS: env.caFile, PORT: String(o.port) },
  });
  const exited = once(child, 'exit');
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => { out += d; if (o.ready.test(out)) { done(); resolve(); } };
    const onExit = (code: number | null) => { done(); reject(new Error(`${o.name} exited (${code}) before it was ready:\n${out}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`${o.name} not ready within 60 s:\n${out}`)); }, 60_000);
    const done = () => { clearTimeout(timer); child.stdout!.off('data', onData); child.stderr!.off('data', onData); child.off('exit', onExit); };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return { child, url: `http://127.0.0.1:${o.port}`, output: () => out };
}
