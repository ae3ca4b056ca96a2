// `docker compose up` for real: .ci/compose-check builds the image, starts docker-compose.yml in a
// Docker engine of its own (project COMPOSE_PROJECT_NAME, engine DOCKER_HOST, the proxy's ports
// published on loopback ports that Docker picked) and runs this file against it, in the engine's
// network namespace where those ports are, as `node dist/test/compose-up.check.js` (prints TAP).
// Not part of `npm test`: there is no engine there. Everything from the "host" side goes through
// the ports the proxy container publishes.
import t from 'tap';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfigFile } from '../services/shared/config-load.js';
import { fetchToken } from '../src/token-client.js';
import { REPO_ROOT } from './helpers/cli-process.js';
import { ComposeProject, runCommand } from './helpers/compose-project.js';
import { proxyRequest } from './helpers/proxy-client.js';
import { echoRoundTrip, sapSocksConnect } from './helpers/socks-client.js';

// The whole file has as long as .ci/compose-check gives it; tap run directly would stop it at 30 s.
t.setTimeout(10 * 60_000);
const project = new ComposeProject();
const world = loadConfigFile(join(REPO_ROOT, 'config/examples/compose.yaml'));
const client = world.subaccounts[0].clients.find((c) => c.service === 'connectivity')!;
const ports = {
  http: await project.published('proxy', world.proxy.httpPort),
  socks5: await project.published('proxy', world.proxy.socks5Port),
  token: await project.published('proxy', world.proxy.tokenServicePort),
  tokenHttps: await project.published('proxy', world.proxy.tokenServiceHttpsPort!),
};
const token = await fetchToken(`http://127.0.0.1:${ports.token.port}`, client.clientid, client.clientsecret);
const NO_CONNECTOR = /There is no SAP Cloud Connector \(SCC\) connected to your subaccount/;
const DEPRECATION = /DeprecationWarning|\[DEP\d{4}\]/;

const hello = () => proxyRequest(ports.http.port, { url: 'http://virtualhost:3333/', token });

/** Calls `probe` every 50 ms until it returns a value, at most `ms`; the last error explains a miss. */
async function within<T>(ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) { last = (err as Error).message; }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s${last ? ` (${last})` : ''}`);
    await delay(50);
  }
}

t.test('every service of docker-compose.yml runs, the proxy is healthy, and its ports are published on loopback only', async (t) => {
  const services = (await project.compose(['config', '--services'])).stdout.split('\n').filter(Boolean).sort();
  t.same(services, ['backend', 'connector', 'echo', 'mail', 'proxy'], 'the services of the compose file');
  for (const s of services) {
    const { State } = await project.inspect(s);
    t.ok(State.Running, `${s} is running (${State.Status})`);
    if (State.Health) t.equal(State.Health.Status, 'healthy', `${s} passes its health check`);
  }
  t.ok((await project.inspect('proxy')).State.Health, 'the proxy has a health check');
  for (const [name, p] of Object.entries(ports)) t.equal(p.host, '127.0.0.1', `${name} is published on 127.0.0.1 (port ${p.port})`);
  const node = await project.exec('proxy', ['node', '--version']);
  t.match(node.stdout, /^v22\./, `the image runs Node 22 (${node.stdout.trim()})`);
});

t.test('the curl line of the README prints Hello World! through the published HTTP proxy port', async (t) => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## docker compose\n'));
  const line = section.split('\n').find((l) => l.startsWith('curl -x http://127.0.0.1:20003 '));
  t.ok(line, 'the docker compose section of the README has a curl line through 127.0.0.1:20003');
  if (!line) return;
  // The README's ports are the defaults; here they were published elsewhere, so the line gets the
  // published HTTP proxy port and `scc-sim token` the published token port (its SCC_SIM_TOKEN_PORT knob).
  const pasted = line.replace('http://127.0.0.1:20003', `http://127.0.0.1:${ports.http.port}`);
  const curl = await runCommand(['bash', '-c', pasted], { ...process.env, SCC_SIM_TOKEN_PORT: String(ports.token.port) });
  t.equal(curl.code, 0, `curl exits 0${curl.stderr ? `: ${curl.stderr}` : ''}`);
  t.equal(curl.stdout, 'Hello World!', pasted);
});

t.test('a SOCKS5 client with SAP\'s method 0x80 reaches the TCP echo through the published SOCKS5 port', async (t) => {
  const socket = await sapSocksConnect({ proxyPort: ports.socks5.port, token, host: 'echo.onprem', port: 7 });
  const trip = await echoRoundTrip(socket, [Buffer.from('hello, echo.onprem:7\n'), randomBytes(256 * 1024)]);
  t.equal(trip.received, trip.sent, `${trip.sent} bytes came back`);
  t.equal(trip.receivedSha256, trip.sentSha256, 'the same bytes');
});

/** From inside a container: does `name` resolve, and does a TCP connection to ip:port open (3 s)? */
const PROBE = `
const [name, ip, port] = process.argv.slice(1);
const out = {};
const done = () => { if (!out.done) { out.done = true; console.log(JSON.stringify(out)); } };
require('node:dns').lookup(name, (err, address) => {
  out.dns = err ? err.code : address;
  const s = require('node:net').connect({ host: ip, port: Number(port), timeout: 3000 });
  s.once('connect', () => { out.connect = 'connected'; s.destroy(); done(); });
  s.once('timeout', () => { out.connect = 'timed out'; s.destroy(); done(); });
  s.once('error', (e) => { out.connect = e.code; done(); });
});`;

t.test('the proxy container cannot reach the backend network; the connector, on both networks, can', async (t) => {
  const backendIp = await project.address('backend', 'onprem');
  t.ok(backendIp, `the backend has an address on the onprem network (${backendIp})`);
  if (!backendIp) return;
  const port = String(world.backends.find((b) => b.name === 'hello')!.port);
  const probe = async (service: string) => {
    const r = await project.exec(service, ['node', '-e', PROBE, 'backend', backendIp, port]);
    if (r.code !== 0) throw new Error(`probe in ${service} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { dns: string; connect: string };
  };
  const fromConnector = await probe('connector');
  t.equal(fromConnector.dns, backendIp, 'the connector resolves "backend"');
  t.equal(fromConnector.connect, 'connected', `the connector opens ${backendIp}:${port} (so the probe can succeed)`);
  const fromProxy = await probe('proxy');
  t.not(fromProxy.dns, backendIp, `the proxy cannot resolve "backend" (${fromProxy.dns})`);
  t.not(fromProxy.connect, 'connected', `the proxy cannot open ${backendIp}:${port} (${fromProxy.connect})`);
});

t.test('the principal-propagation certificate the connector sends verifies against the CA of the proxy\'s HTTPS listener: one CA through the shared volume', async (t) => {
  const mountOf = async (s: string) => (await project.inspect(s)).Mounts.find((m) => m.Type === 'volume');
  const [proxyMount, connectorMount] = [await mountOf('proxy'), await mountOf('connector')];
  t.ok(proxyMount?.Name && proxyMount.Name === connectorMount?.Name, `proxy and connector mount the same volume (${proxyMount?.Name})`);
  t.equal(connectorMount?.Destination, proxyMount?.Destination, `at the same place (${proxyMount?.Destination})`);
  const caFile = `${proxyMount?.Destination}/ca/ca.pem`;
  const caPem = (await project.exec('proxy', ['cat', caFile])).stdout;
  t.match(caPem, /^-----BEGIN CERTIFICATE-----/, `the proxy has the CA in ${caFile}`);
  t.equal((await project.exec('connector', ['cat', caFile])).stdout, caPem, 'the connector reads the same CA');
  const ca = new X509Certificate(caPem);

  const listener = await new Promise<X509Certificate>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: ports.tokenHttps.port, ca: caPem }, () => {
      const peer = s.getPeerX509Certificate();
      s.destroy();
      if (peer) resolve(peer); else reject(new Error('no peer certificate'));
    });
    s.once('error', reject);
  });
  t.ok(listener.checkIssued(ca) && listener.verify(ca.publicKey), `the HTTPS listener (published ${ports.tokenHttps.port}) presents a certificate of that CA, trusted with it alone`);

  const res = await proxyRequest(ports.http.port, {
    url: 'http://pp-system:3333/echo', token, headers: { 'SAP-Connectivity-Technical-Authentication': `Bearer ${token}` },
  });
  t.equal(res.status, 200, 'the X509_GENERAL mapping pp-system:3333 answers');
  const der = String(res.json().headers.ssl_client_cert ?? '');
  t.match(der, /^[A-Za-z0-9+/]+={0,2}$/, 'the backend got a certificate in SSL_CLIENT_CERT');
  const cert = new X509Certificate(Buffer.from(der, 'base64'));
  t.equal(cert.subject, `CN=${client.clientid}`, 'for the technical user (the client of the token)');
  t.ok(cert.checkIssued(ca), 'issued by the CA of the HTTPS listener');
  t.ok(cert.verify(ca.publicKey), 'and signed with its key');
});

t.test('docker compose restart connector: the SAP 503 while it is down, then 200 again by itself', async (t) => {
  t.equal((await hello()).status, 200, 'served before the restart');
  let restartDone = false;
  const restart = project.compose(['restart', 'connector']).finally(() => { restartDone = true; });
  const seen = new Map<number, number>();
  let outage: string | undefined;
  while (!restartDone) {
    const res = await hello();
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    if (res.status === 503 && outage === undefined) outage = res.text();
    await delay(10); // the outage lasts as long as a container start at least: hundreds of ms
  }
  const restarted = await restart;
  t.equal(restarted.code, 0, `restart connector exits 0${restarted.code !== 0 ? `: ${restarted.stderr.trim()}` : ''}`);
  const statuses = [...seen].map(([s, n]) => `${s} ×${n}`).join(', ');
  t.ok(outage !== undefined, `a 503 while the connector was down (answers during the restart: ${statuses})`);
  t.match(outage ?? '', NO_CONNECTOR, 'with SAP\'s message');
  const back = await within(60_000, 'Hello World! again after the restart', async () => {
    const res = await hello();
    return res.status === 200 ? res : undefined;
  });
  t.equal(back.text(), 'Hello World!', 'the restarted connector dialled back in by itself (the proxy was not restarted)');
});

t.test('no container printed a DeprecationWarning (Node 22)', async (t) => {
  const logs = await project.compose(['logs', '--no-color']);
  t.equal(logs.code, 0, 'compose logs');
  t.notMatch(logs.stdout + logs.stderr, DEPRECATION, 'no DeprecationWarning in the logs of any service');
});
