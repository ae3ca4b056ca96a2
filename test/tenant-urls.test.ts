// Tenant token URLs that resolve: `https://<subdomain>.<uaadomain>[:port]/oauth/token` reaches
// the token service of the subaccount with that subdomain, over a certificate that names it. The
// names are resolved the way the README says — from the hosts line `scc-sim env` prints (here
// with a configured uaadomain, in the test process through lookupFrom()).
import t from 'tap';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { startSimulator } from '../src/simulator.js';
import { runCli } from './helpers/cli-process.js';
import { hostsLinesOf, lookupFrom } from './helpers/hosts-file.js';

const A = '1a1a1a1a-0000-4000-8000-00000000001a';
const B = '1b1b1b1b-0000-4000-8000-00000000001b';
const CLIENT_A = 'sb-app-a!t1';
const CLIENT_B = 'sb-app-b!t2';
const dir = mkdtempSync(join(tmpdir(), 'scc-sim-tenant-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const config = {
  logLevel: 'silent',
  proxy: { host: '127.0.0.1', uaadomain: 'uaa.sim.test', caDir: join(dir, 'ca') },
  subaccounts: [
    { subaccount: A, subdomain: 'tenant-a', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: CLIENT_A, clientsecret: 'a-secret', service: 'xsuaa' }],
      users: [{ name: 'anna', password: 'anna-pw' }] },
    { subaccount: B, subdomain: 'tenant-b', cloudUser: 'u', cloudPassword: 'p', clients: [{ clientid: CLIENT_B, clientsecret: 'b-secret', service: 'xsuaa' }],
      users: [{ name: 'bert', password: 'bert-pw' }] },
  ],
};
const file = join(dir, 'scc-sim.yaml');
writeFileSync(file, JSON.stringify(config));
const sim = await startSimulator(file);
t.teardown(() => sim.close());
const printed = await runCli(['env', '--config', file]);
const hostsLines = hostsLinesOf(printed.stderr);
const lookup = lookupFrom(hostsLines);
const ca = readFileSync(sim.caFile);
const port = sim.ports.tokenServiceHttpsPort;

interface Answer { status: number; body: string; cert?: X509Certificate }

function call(host: string, path: string, opts: { method?: string; form?: Record<string, string>; basic?: [string, string] } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (opts.basic) headers.authorization = `Basic ${Buffer.from(opts.basic.join(':')).toString('base64')}`;
    const req = https.request(`https://${host}:${port}${path}`, { method: opts.method ?? 'GET', ca, lookup, agent: false, headers }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body, cert: peer }));
    });
    req.on('error', reject);
    req.end(opts.form ? new URLSearchParams(opts.form).toString() : undefined);
  });
}

const cc = (host: string, id: string, secret: string) => call(host, '/oauth/token', { method: 'POST', form: { grant_type: 'client_credentials' }, basic: [id, secret] });

t.test('scc-sim env prints the hosts line for the configured uaadomain and each tenant, and the bindings use it', async (t) => {
  t.same(hostsLines, ['127.0.0.1 uaa.sim.test tenant-a.uaa.sim.test tenant-b.uaa.sim.test']);
  t.equal(sim.vcapServices().xsuaa![0]!.credentials.uaadomain, `uaa.sim.test:${port}`);
});

t.test('https://<subdomain>.<uaadomain>/oauth/token is the token service of that subaccount', async (t) => {
  for (const [host, id, secret, zid] of [['tenant-a.uaa.sim.test', CLIENT_A, 'a-secret', A], ['tenant-b.uaa.sim.test', CLIENT_B, 'b-secret', B]] as const) {
    const res = await cc(host, id, secret);
    t.equal(res.status, 200, host);
    t.equal(decodeJwt(JSON.parse(res.body).access_token).zid, zid, `${host}: a token of that subaccount`);
    t.ok(res.cert?.checkHost(host), `${host}: the certificate names the host`);
  }
  t.equal((await cc('uaa.sim.test', CLIENT_A, 'a-secret')).status, 200, 'the bare uaadomain serves every subaccount\'s clients');
});

t.test('a client of another subaccount is refused on a tenant host, and an unknown subdomain is 404', async (t) => {
  const foreign = await cc('tenant-a.uaa.sim.test', CLIENT_B, 'b-secret');
  t.equal(foreign.status, 401);
  t.same(JSON.parse(foreign.body), { error: 'invalid_client', error_description: 'Bad credentials' });
  const unknown = await call('tenant-x.uaa.sim.test', '/oauth/token', { method: 'POST', form: { grant_type: 'client_credentials' }, basic: [CLIENT_A, 'a-secret'] })
    .catch((err) => ({ status: 0, body: String(err) }));
  t.equal(unknown.status, 0, 'a name without a hosts line does not resolve at all');
  const wild = await new Promise<Answer>((resolve, reject) => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    const req = https.request(`https://tenant-x.uaa.sim.test:${port}/oauth/token`, {
      method: 'POST', ca, agent: false, lookup: lookupFrom([...hostsLines, '127.0.0.1 tenant-x.uaa.sim.test']),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_A}:a-secret`).toString('base64')}` },
    }, (res) => { let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve({ status: res.statusCode!, body: b })); });
    req.on('error', reject);
    req.end(body);
  });
  t.equal(wild.status, 404, 'resolved by hand: the *.uaadomain certificate covers it, and UAA\'s 404 answers it');
  t.match(JSON.parse(wild.body), { error: 'not_found', error_description: 'Cannot find identity zone for subdomain tenant-x' });
});

t.test('the login on a tenant host is that subaccount\'s: its users, its clients only', async (t) => {
  const q = (client: string) => new URLSearchParams({ response_type: 'code', client_id: client, redirect_uri: 'http://localhost:5000/login/callback' });
  const own = await call('tenant-a.uaa.sim.test', `/login?${q(CLIENT_A)}`);
  t.equal(own.status, 200);
  t.match(own.body, '<code>anna</code>');
  t.notMatch(own.body, 'bert');
  const foreign = await call('tenant-a.uaa.sim.test', `/oauth/authorize?${q(CLIENT_B)}`);
  t.equal(foreign.status, 400, 'another subaccount\'s client gets the error page');
  t.match(foreign.body, 'does not belong to the subaccount with subdomain tenant-a');
});
