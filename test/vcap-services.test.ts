// VCAP_SERVICES for apps: what `scc-sim env` prints (and writes with --write), what
// sim.vcapServices() returns, and that the credentials in it really work against the simulator.
import t from 'tap';
import https from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../services/shared/config-load.js';
import { startSimulator, type Simulator } from '../src/simulator.js';
import { buildVcapServices, configuredUrls, hostsLines } from '../src/vcap-services.js';
import { freePort, REPO_ROOT, runCli } from './helpers/cli-process.js';
import { DESTINATION_CLIENT_A, mapping, signingKeyFile, SUBACCOUNT_A, world } from './helpers/configs.js';
import { hostsLinesOf, lookupFrom } from './helpers/hosts-file.js';
import { proxyRequest } from './helpers/proxy-client.js';

const XSUAA_CLIENT = 'sb-e2e-app!t7';
const CONNECTIVITY_FIELDS = ['clientid', 'clientsecret', 'url', 'token_service_url', 'token_service_domain', 'uaadomain',
  'identityzone', 'tenantid', 'tenantmode', 'xsappname', 'verificationkey', 'credential-type',
  'onpremise_proxy_host', 'onpremise_proxy_http_port', 'onpremise_proxy_port', 'onpremise_socks5_proxy_port'];
const DESTINATION_FIELDS = ['uri', 'url', 'clientid', 'clientsecret', 'uaadomain', 'xsappname', 'tenantid', 'identityzone', 'credential-type'];
const XSUAA_FIELDS = ['url', 'clientid', 'clientsecret', 'xsappname', 'uaadomain', 'verificationkey', 'subaccountid', 'tenantid',
  'zoneid', 'identityzone', 'tenantmode', 'credential-type'];

async function appWorld(teardown: (fn: () => void) => void, ports?: Record<string, number>) {
  const { hello = 3333, ...proxyPorts } = ports ?? {};
  const w = world({
    proxy: { signingKeyFile: signingKeyFile(teardown), ...proxyPorts },
    mappings: [mapping({ localPort: hello })], backends: [{ name: 'hello', port: hello }],
  }) as any;
  w.subaccounts[0].clients.push({ clientid: XSUAA_CLIENT, clientsecret: 'secret-app', service: 'xsuaa', xsappname: 'e2e-app!t7' });
  w.subaccounts[0].destinations = [{ Name: 'ONPREM', URL: 'http://virtualhost:3333' }];
  return w;
}

async function tokenFrom(url: string, clientid: string, clientsecret: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientid, client_secret: clientsecret }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

t.test('scc-sim env', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ports = { httpPort: await freePort(), socks5Port: await freePort(), tokenServicePort: await freePort(),
    tokenServiceHttpsPort: await freePort(), tunnelPort: await freePort(), hello: await freePort() };
  const config = await appWorld((fn) => t.teardown(fn), ports);
  config.proxy.caDir = join(dir, 'ca');
  config.connectors[0].adminPort = await freePort(); // started with its configured ports below: never the shared default 8444
  const file = join(dir, 'scc-sim.yaml');
  writeFileSync(file, JSON.stringify(config));
  const { code, stdout, stderr } = await runCli(['env', '--config', file]);
  t.equal(code, 0, code === 0 ? 'scc-sim env exits 0' : stderr);
  const vcap = JSON.parse(stdout);

  t.test('prints one connectivity, destination and xsuaa binding with every field apps read', async (t) => {
    const expect = { connectivity: ['lite', ['connectivity', 'conn', 'connsvc'], CONNECTIVITY_FIELDS],
      destination: ['lite', ['destination', 'conn', 'connsvc'], DESTINATION_FIELDS], xsuaa: ['application', ['xsuaa'], XSUAA_FIELDS] } as const;
    t.same(Object.keys(vcap).sort(), Object.keys(expect).sort());
    for (const [label, [plan, tags, fields]] of Object.entries(expect)) {
      t.equal(vcap[label].length, 1, label);
      const b = vcap[label][0];
      t.has(b, { label, plan, tags }, label);
      for (const k of ['name', 'instance_name', 'instance_guid']) t.type(b[k], 'string', `${label}.${k}`);
      for (const f of fields) t.type(b.credentials[f], 'string', `${label}.credentials.${f}`);
    }
    const c = vcap.connectivity[0].credentials;
    t.has(c, {
      url: `http://127.0.0.1:${ports.tokenServicePort}`, token_service_url: `http://127.0.0.1:${ports.tokenServicePort}`,
      uaadomain: `authentication.localhost:${ports.tokenServiceHttpsPort}`, token_service_domain: `authentication.localhost:${ports.tokenServiceHttpsPort}`,
      onpremise_proxy_host: '127.0.0.1', onpremise_proxy_http_port: String(ports.httpPort), onpremise_proxy_port: String(ports.httpPort),
      onpremise_socks5_proxy_port: String(ports.socks5Port), tenantid: SUBACCOUNT_A, tenantmode: 'dedicated', xsappname: 'connectivity!b137',
    });
    t.match(c.verificationkey, /^-----BEGIN PUBLIC KEY-----/);
    t.has(vcap.destination[0].credentials, { uri: `http://127.0.0.1:${ports.tokenServicePort}`, clientid: DESTINATION_CLIENT_A });
    t.has(vcap.xsuaa[0].credentials, { clientid: XSUAA_CLIENT, xsappname: 'e2e-app!t7', subaccountid: SUBACCOUNT_A, zoneid: SUBACCOUNT_A });
  });

  t.test('says on stderr how to trust the simulator CA, and the CA file exists', async (t) => {
    const caFile = join(dir, 'ca', 'ca.pem');
    t.match(stderr, `export NODE_EXTRA_CA_CERTS=${caFile}`);
    t.match(stderr, `export REQUESTS_CA_BUNDLE=${caFile}`);
    t.ok(existsSync(caFile));
  });

  t.test('prints on stderr the hosts line that resolves the uaadomain and every subaccount\'s tenant name to the simulator', async (t) => {
    t.same(hostsLinesOf(stderr), ['127.0.0.1 authentication.localhost e2e-a.authentication.localhost e2e-b.authentication.localhost']);
    t.match(stderr, '/etc/hosts');
  });

  t.test('--write writes default-env.json with the same VCAP_SERVICES and prints none', async (t) => {
    const out = join(dir, 'default-env.json');
    const written = await runCli(['env', '--config', file, '--write', out]);
    t.equal(written.code, 0, written.code === 0 ? 'exits 0' : written.stderr);
    t.equal(written.stdout, '');
    t.strictSame(JSON.parse(readFileSync(out, 'utf8')), { VCAP_SERVICES: vcap });
  });

  t.test('prints what the running simulator returns for the same ports', async (t) => {
    const sim = await startSimulator(file, { ephemeral: false });
    t.teardown(() => sim.close());
    t.strictSame(sim.vcapServices(), vcap);
  });
});

t.test('a config without destination and xsuaa clients gets only the connectivity binding', async (t) => {
  const config = loadConfigFile(join(REPO_ROOT, 'config/examples/seed-blog.yaml'));
  t.same(Object.keys(buildVcapServices(config, configuredUrls(config))), ['connectivity']);
});

t.test('sim.vcapServices()', async (t) => {
  const sim: Simulator = await startSimulator(await appWorld((fn) => t.teardown(fn)));
  t.teardown(() => sim.close());
  const vcap = sim.vcapServices();
  const conn = vcap.connectivity![0].credentials;
  const dest = vcap.destination![0].credentials;

  t.test('has the ephemeral ports and URLs of the running simulator', async (t) => {
    t.has(conn, {
      onpremise_proxy_http_port: String(sim.ports.httpPort), onpremise_socks5_proxy_port: String(sim.ports.socks5Port),
      token_service_url: sim.urls.tokenService, url: sim.urls.tokenService, uaadomain: `authentication.localhost:${sim.ports.tokenServiceHttpsPort}`,
      verificationkey: sim.proxy.keys.publicJwk.value,
    });
    t.equal(dest.uri, sim.urls.tokenService);
  });

  t.test('gives connectivity credentials whose token reaches Hello World through the HTTP proxy', async (t) => {
    const token = await tokenFrom(conn.token_service_url, conn.clientid, conn.clientsecret);
    const res = await proxyRequest(Number(conn.onpremise_proxy_http_port), { url: 'http://virtualhost:3333/', token });
    t.equal(res.status, 200);
    t.equal(res.text(), 'Hello World!');
  });

  t.test('gives destination credentials whose token reads a destination at uri', async (t) => {
    const token = await tokenFrom(dest.url, dest.clientid, dest.clientsecret);
    const res = await fetch(`${dest.uri}/destination-configuration/v1/destinations/ONPREM`, { headers: { authorization: `Bearer ${token}` } });
    t.equal(res.status, 200);
    t.equal(((await res.json()) as any).destinationConfiguration.URL, 'http://virtualhost:3333');
  });

  t.test('names in uaadomain an HTTPS token endpoint that a client trusting the simulator CA can use, bare and per tenant', async (t) => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: conn.clientid, client_secret: conn.clientsecret }).toString();
    const lookup = lookupFrom(hostsLines(sim.config));
    for (const host of [conn.uaadomain, `${conn.identityzone}.${conn.uaadomain}`]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(`https://${host}/oauth/token`, {
          method: 'POST', ca: readFileSync(sim.caFile), lookup, agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }, (res) => { res.resume(); resolve(res.statusCode!); });
        req.on('error', reject);
        req.end(body);
      });
      t.equal(status, 200, `https://${host}/oauth/token`);
    }
  });
});
