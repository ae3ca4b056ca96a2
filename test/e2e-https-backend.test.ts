// A system mapping with protocol HTTPS: the app still speaks http:// to the proxy, the connector
// speaks TLS to the backend and checks its certificate against `caFile` unless `trustAll` is set.
// The certificates are made here with openssl (a self-signed one for 127.0.0.1, and a stranger).
import t from 'tap';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../src/simulator.js';
import { selfSignedCertificate } from './helpers/tls-files.js';
import { mapping, world } from './helpers/configs.js';
import { proxyRequest } from './helpers/proxy-client.js';
import { expectError } from './helpers/expect-error.js';

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-e2e-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const selfSigned = (name: string) => selfSignedCertificate(dir, name);

const backendCert = selfSigned('backend');
const strangerCert = selfSigned('stranger');

const server = https.createServer({ key: readFileSync(backendCert.key), cert: readFileSync(backendCert.cert) }, (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ tls: true, path: req.url, host: req.headers.host }));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
t.teardown(() => { server.closeAllConnections(); server.close(); });
const tlsPort = (server.address() as AddressInfo).port;

const sim = await startSimulator(world({
  mappings: [
    mapping({ virtualHost: 'secure-ca', virtualPort: 443, protocol: 'HTTPS', localPort: tlsPort, caFile: backendCert.cert }),
    mapping({ virtualHost: 'secure-untrusted', virtualPort: 443, protocol: 'HTTPS', localPort: tlsPort, trustAll: false }),
    mapping({ virtualHost: 'secure-wrong-ca', virtualPort: 443, protocol: 'HTTPS', localPort: tlsPort, caFile: strangerCert.cert }),
    mapping({ virtualHost: 'secure-trustall', virtualPort: 443, protocol: 'HTTPS', localPort: tlsPort, trustAll: true }),
  ],
}));
t.teardown(() => sim.close());
const token = await sim.token();

function get(virtual: string) {
  return proxyRequest(sim.ports.httpPort, { url: `http://${virtual}:443/hello?x=1`, token });
}

// Regression: the certificate was checked against the Host header (the virtual host), not the internal host.
t.test('reaches an HTTPS backend whose certificate is signed by the caFile, checked against the internal host', async (t) => {
  const res = await get('secure-ca');
  t.equal(res.status, 200);
  t.same(res.json(), { tls: true, path: '/hello?x=1', host: 'secure-ca:443' });
});

t.test('502 for an HTTPS backend with a self-signed certificate, no caFile and trustAll false', async (t) => {
  expectError(t, await get('secure-untrusted'), 502, 'SCC_BACKEND_UNREACHABLE', 'Unable to open connection to backend system', [token]);
});

t.test('502 for an HTTPS backend whose certificate the caFile did not sign', async (t) => {
  expectError(t, await get('secure-wrong-ca'), 502, 'SCC_BACKEND_UNREACHABLE', 'Unable to open connection to backend system', [token]);
});

t.test('reaches an HTTPS backend with any certificate when trustAll is true', async (t) => {
  const res = await get('secure-trustall');
  t.equal(res.status, 200);
  t.same(res.json(), { tls: true, path: '/hello?x=1', host: 'secure-trustall:443' });
});
