// The SAP Cloud SDK for JavaScript (@sap-cloud-sdk/http-client 4.x from npm, unmodified) against a
// real startSimulator(): an app process gets the VCAP_SERVICES that `scc-sim env` prints and the
// simulator CA in NODE_EXTRA_CA_CERTS, and nothing else but the hosts lines `scc-sim env` prints
// (in a private /etc/hosts: helpers/hosts-file.ts). `executeHttpRequest({ destinationName })`
// then goes through the Destination service, the token service (HTTP and HTTPS) and the HTTP
// proxy, honouring the destination's CloudConnectorLocationId; a PrincipalPropagation destination
// called with a user's JWT makes the backend see that user's certificate; a BasicAuthentication
// destination's Authorization header reaches the backend.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSimulator } from '../src/simulator.js';
import { REPO_ROOT, runCli } from './helpers/cli-process.js';
import { hostsLinesOf, spawnWithHosts } from './helpers/hosts-file.js';
import { captureLog } from './helpers/log-capture.js';

const SUBACCOUNT = '5d5d5d5d-3333-4ddd-8ddd-00000000000d';
const CONNECTIVITY = 'sb-clone-sdk!b1|connectivity!b137';
const DESTINATION = 'sb-clone-sdk-dest!b2|destination-xsappname!b9';
const XSUAA = 'sb-sdk-app!t3';
const SDK_APP = join(REPO_ROOT, 'test/fixtures/sdk-app.mjs');

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-sdk-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The simulator listens on ephemeral ports; `scc-sim env` then reads a config file with the ports
// it got (it prints the configured ones), as a developer's file would name them. The backends'
// ports are placeholders that the mappings follow to the ports the backends got.
const [defaultPort, walldorfPort] = [3333, 3334];
const onPrem = (Name: string, URL: string, more: Record<string, string>) =>
  ({ Name, Type: 'HTTP', URL, ProxyType: 'OnPremise', CloudConnectorLocationId: 'WALLDORF', ...more });
const system = (virtualHost: string, localPort: number, authenticationMode = 'NONE') => ({
  virtualHost, virtualPort: 3333, localHost: '127.0.0.1', localPort, protocol: 'HTTP', authenticationMode,
  resources: [{ id: '/', exactMatchOnly: false }],
});
const connector = (name: string, locationID: string, systemMappings: object[]) =>
  ({ name, subaccount: SUBACCOUNT, locationID, cloudUser: 'cloud-user@example.com', cloudPassword: 'cloud-pw', systemMappings });
const world = (ports: { httpPort: number; socks5Port: number; tokenServicePort: number; tokenServiceHttpsPort: number; tunnelPort: number }) => ({
  logLevel: 'silent',
  proxy: { host: '127.0.0.1', ...ports, caDir: join(dir, 'ca') },
  subaccounts: [{
    subaccount: SUBACCOUNT, subdomain: 'sdk', cloudUser: 'cloud-user@example.com', cloudPassword: 'cloud-pw',
    clients: [
      { clientid: CONNECTIVITY, clientsecret: 'conn-secret', service: 'connectivity' },
      { clientid: DESTINATION, clientsecret: 'dest-secret', service: 'destination' },
      { clientid: XSUAA, clientsecret: 'app-secret', service: 'xsuaa' },
    ],
    users: [{ name: 'alice', password: 'alice-pw', email: 'alice@acme.example' }],
    destinations: [
      onPrem('ONPREM', 'http://virtualhost:3333', { Authentication: 'NoAuthentication' }),
      onPrem('ONPREM_PP', 'http://pp-system:3333', { Authentication: 'PrincipalPropagation' }),
      onPrem('ONPREM_BASIC', 'http://virtualhost:3333', { Authentication: 'BasicAuthentication', User: 'erp-user', Password: 'erp-pw' }),
    ],
  }],
  connectors: [
    // The same virtual host in the default location and in WALLDORF, to different backends: which
    // backend answers shows which connector the destination's location ID chose.
    connector('default-location', '', [system('virtualhost', defaultPort)]),
    connector('walldorf', 'WALLDORF', [system('virtualhost', walldorfPort), system('pp-system', walldorfPort, 'X509_GENERAL')]),
  ],
  backends: [{ name: 'default-backend', port: defaultPort }, { name: 'walldorf-backend', port: walldorfPort }],
});

const log = captureLog('info');
const sim = await startSimulator(world({ httpPort: 0, socks5Port: 0, tokenServicePort: 0, tokenServiceHttpsPort: 0, tunnelPort: 0 }), { logger: log.logger });
t.teardown(() => sim.close());
const { httpPort, tokenServicePort, tokenServiceHttpsPort } = sim.ports;
const configFile = join(dir, 'scc-sim.yaml');
writeFileSync(configFile, stringify(world(sim.ports)));

// The app's environment comes from the CLI, as a developer would get it.
const env = await runCli(['env', '--config', configFile]);
if (env.code !== 0) throw new Error(`scc-sim env failed: ${env.stderr}`);
const vcapServices = env.stdout;
const hostsLines = hostsLinesOf(env.stderr);

interface Call { destination: Record<string, unknown>; request: Record<string, unknown> }
interface CallResult { status?: number; data?: any; error?: string }

/** Runs the SDK app in a fresh process with only VCAP_SERVICES and the CA added to the environment. */
function runSdkApp(calls: Call[]): Promise<CallResult[]> {
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'VCAP_SERVICES'));
  const child = spawnWithHosts(t, hostsLines, process.execPath, [SDK_APP, JSON.stringify(calls)], {
    cwd: REPO_ROOT, env: { ...childEnv, VCAP_SERVICES: vcapServices, NODE_EXTRA_CA_CERTS: sim.caFile }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('SDK-RESULTS '));
      if (code !== 0 || line === undefined) return reject(new Error(`sdk-app exited ${code}:\n${out}`));
      resolve(JSON.parse(line.slice('SDK-RESULTS '.length)) as CallResult[]);
    });
  });
}

async function passwordGrant(username: string, password: string): Promise<string> {
  const res = await fetch(`${sim.urls.tokenService}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${XSUAA}:app-secret`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
  if (res.status !== 200) throw new Error(`password grant: ${res.status} ${await res.text()}`);
  return (await res.json() as { access_token: string }).access_token;
}

t.test('the VCAP_SERVICES that scc-sim env prints are the running simulator\'s bindings', async (t) => {
  t.same(JSON.parse(vcapServices), sim.vcapServices(), 'the CLI prints what startSimulator() returns');
  const { connectivity, destination, xsuaa } = JSON.parse(vcapServices);
  t.equal(connectivity[0].credentials.onpremise_proxy_http_port, String(httpPort), 'the HTTP proxy port the SDK calls');
  t.equal(destination[0].credentials.uri, `http://127.0.0.1:${tokenServicePort}`, 'the Destination service URL');
  t.equal(xsuaa[0].credentials.uaadomain, `authentication.localhost:${tokenServiceHttpsPort}`, 'the HTTPS token listener, by name');
  t.same(hostsLines, ['127.0.0.1 authentication.localhost sdk.authentication.localhost'], 'and the hosts line that resolves it');
});

t.test('executeHttpRequest with destinationName ONPREM returns Hello World! through the destination\'s location', async (t) => {
  const [hello, echo] = await runSdkApp([
    { destination: { destinationName: 'ONPREM' }, request: { method: 'get', url: '/' } },
    { destination: { destinationName: 'ONPREM' }, request: { method: 'get', url: '/echo' } },
  ]);
  t.equal(hello?.error, undefined, 'no error');
  t.equal(hello?.status, 200);
  t.equal(hello?.data, 'Hello World!');
  t.equal(echo?.data?.backend, 'walldorf-backend', 'the backend behind the WALLDORF connector answered, not the default location\'s');
  t.equal(echo?.data?.headers.host, 'virtualhost:3333', 'addressed by the destination\'s virtual host');
  const forwarded = await log.waitFor((l) => l.msg === 'forwarded' && l.path === '/echo');
  t.equal(forwarded.connector, 'walldorf', 'the WALLDORF connector logged it');
  t.equal(forwarded.locationId, 'WALLDORF');
  t.notOk(log.lines.some((l) => l.msg === 'forwarded' && l.connector === 'default-location'), 'the default location\'s connector saw nothing');
});

t.test('a PrincipalPropagation destination called with a user\'s JWT makes the backend see that user\'s certificate', async (t) => {
  const jwt = await passwordGrant('alice', 'alice-pw');
  const [res] = await runSdkApp([{ destination: { destinationName: 'ONPREM_PP', jwt }, request: { method: 'get', url: '/echo' } }]);
  t.equal(res?.error, undefined, 'no error');
  t.equal(res?.status, 200);
  const seen = res?.data?.headers ?? {};
  t.ok(seen.ssl_client_cert, 'the backend got SSL_CLIENT_CERT');
  const cert = new X509Certificate(Buffer.from(seen.ssl_client_cert ?? '', 'base64'));
  t.equal(cert.subject, 'CN=alice', 'for the user of the JWT');
  t.ok(cert.verify(new X509Certificate(readFileSync(sim.caFile)).publicKey), 'signed by the simulator CA');
  t.equal(seen['sap-connectivity-authentication'], undefined, 'the user\'s token itself stayed at the proxy');
  t.equal(seen.authorization, undefined, 'no Authorization header with principal propagation');
  const forwarded = await log.waitFor((l) => l.msg === 'forwarded' && l.virtualHost === 'pp-system');
  t.equal(forwarded.user, 'alice', 'the connector logged the user');
});

t.test('a BasicAuthentication destination passes Authorization: Basic through to the backend', async (t) => {
  const [res] = await runSdkApp([{ destination: { destinationName: 'ONPREM_BASIC' }, request: { method: 'get', url: '/echo' } }]);
  t.equal(res?.error, undefined, 'no error');
  t.equal(res?.data?.headers.authorization, `Basic ${Buffer.from('erp-user:erp-pw').toString('base64')}`);
  t.equal(res?.data?.backend, 'walldorf-backend');
});
