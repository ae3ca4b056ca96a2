import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultCaDir, loadOrCreateCa, type SimCa } from '../services/shared/sim-ca.js';

const SIM_CA_MODULE = fileURLToPath(new URL('../services/shared/sim-ca.js', import.meta.url));
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function freshDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'scc-sim-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'ca');
}

const shared = await loadOrCreateCa(freshDir(t));
const caCert = new X509Certificate(shared.caPem);

t.test('creates the CA once and reuses it on the next load', async (t) => {
  const dir = freshDir(t);
  const first = await loadOrCreateCa(dir);
  t.equal(first.caFile, join(dir, 'ca.pem'), 'caFile is the absolute path of ca.pem');
  t.equal(readFileSync(first.caFile, 'utf8'), first.caPem, 'ca.pem holds the CA certificate');
  t.match(readFileSync(join(dir, 'ca.key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/, 'ca.key.pem is PKCS#8');
  t.equal(statSync(join(dir, 'ca.key.pem')).mode & 0o777, 0o600, 'only the owner may read the key');
  const second = await loadOrCreateCa(dir);
  t.equal(second.caPem, first.caPem, 'the second load returns the same certificate');
  t.same(readdirSync(dir).sort(), ['ca.key.pem', 'ca.pem'], 'no temp files are left behind');
});

t.test('concurrent first loads in one process agree on one CA', async (t) => {
  const dir = freshDir(t);
  const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateCa(dir)));
  t.equal(new Set(all.map((ca) => ca.caPem)).size, 1, 'every load returns the same certificate');
  t.equal(all[0]!.caPem, readFileSync(join(dir, 'ca.pem'), 'utf8'), 'and it is the one on disk');
  t.same(readdirSync(dir).sort(), ['ca.key.pem', 'ca.pem']);
});

t.test('concurrent first runs in separate processes agree on one CA', async (t) => {
  const dir = freshDir(t);
  const script = `const { loadOrCreateCa } = await import(${JSON.stringify(SIM_CA_MODULE)});
    process.stdout.write((await loadOrCreateCa(${JSON.stringify(dir)})).caPem);`;
  const run = () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
  const outputs = await Promise.all([run(), run(), run()]);
  t.equal(new Set(outputs.map((o) => o.stdout)).size, 1, 'all three processes print the same certificate');
  t.equal(outputs[0]!.stdout, readFileSync(join(dir, 'ca.pem'), 'utf8'));
});

t.test('the CA certificate is a self-signed 10-year CA named scc-sim local CA', async (t) => {
  t.ok(caCert.ca, 'basic constraints say CA');
  t.match(caCert.subject, /^CN=scc-sim local CA$/m);
  t.equal(caCert.issuer, caCert.subject, 'self-issued');
  t.ok(caCert.verify(caCert.publicKey), 'self-signed');
  const years = (Date.parse(caCert.validTo) - Date.parse(caCert.validFrom)) / (365.25 * 24 * 3600_000);
  t.ok(years > 9.99 && years < 10.01, `valid for 10 years (${years.toFixed(3)})`);
});

async function serveWith(t: Test, ca: SimCa, hostnames: string[]): Promise<number> {
  const { certPem, keyPem } = await ca.issueServerCert(hostnames);
  const server = https.createServer({ cert: certPem, key: keyPem }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  return (server.address() as AddressInfo).port;
}

/** Connects with TLS; resolves with the error code, or 'trusted'. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...opts }, () => { socket.destroy(); resolve('trusted'); });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

t.test('a server certificate verifies against the CA for each of its host names', async (t) => {
  const port = await serveWith(t, shared, ['localhost', '127.0.0.1', '::1', 'proxy.example']);
  t.equal(await handshake(port, { ca: shared.caPem }), 'trusted', '127.0.0.1 (an IP SAN)');
  t.equal(await handshake(port, { ca: shared.caPem, servername: 'localhost' }), 'trusted', 'localhost (a DNS SAN)');
  t.equal(await handshake(port, { ca: shared.caPem, servername: 'proxy.example' }), 'trusted', 'the public host');
  t.equal(await handshake(port, { ca: shared.caPem, servername: 'other.example' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'no other name');
  t.equal(await handshake(port, {}), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted without the CA');
  const cert = (await shared.issueServerCert(['localhost', '::1'])).certPem;
  t.equal(new X509Certificate(cert).checkIP('::1'), '::1', 'IPv6 addresses become IP SANs');
  t.ok(new X509Certificate(cert).keyUsage?.includes(SERVER_AUTH), 'for TLS servers');
});

t.test('a client certificate carries the subject and validity asked for, signed by the CA', async (t) => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const issued = await shared.issueClientCert({ CN: 'alice@example.com', OU: 'Sales', O: 'Acme' }, 10);
  const cert = new X509Certificate(issued.certPem);
  t.equal(cert.subject, 'CN=alice@example.com\nOU=Sales\nO=Acme', 'the subject, in the order given');
  t.equal(cert.issuer, caCert.subject, 'issued by the CA');
  t.ok(cert.verify(caCert.publicKey), 'the chain verifies with the CA public key');
  t.notOk(cert.ca, 'not a CA');
  t.ok(cert.keyUsage?.includes(CLIENT_AUTH), 'for TLS clients');
  const from = Date.parse(cert.validFrom);
  t.ok(from >= before && from <= before + 5000, 'valid from now');
  t.equal(Date.parse(cert.validTo) - from, 10 * 60_000, 'for 10 minutes');
  t.same([issued.notBefore.getTime(), issued.notAfter.getTime()], [from, Date.parse(cert.validTo)]);
  t.equal(issued.derBase64, cert.raw.toString('base64'), 'derBase64 is the DER in base64');
  t.ok(cert.checkPrivateKey(createPrivateKey(issued.keyPem)), 'keyPem is the certificate\'s key');
  const other = await shared.issueClientCert({ CN: 'alice@example.com' }, 10);
  t.not(other.serialNumber, issued.serialNumber, 'every certificate has its own serial number');
});

t.test('a client certificate takes its subject as a DN string and starts earlier by the tolerance', async (t) => {
  const now = new Date('2030-01-02T03:04:05Z');
  const issued = await shared.issueClientCert('CN=bob, O=Acme', 60, { toleranceMinutes: 30, now });
  const cert = new X509Certificate(issued.certPem);
  t.equal(cert.subject, 'CN=bob\nO=Acme');
  t.equal(new Date(cert.validFrom).toISOString(), '2030-01-02T02:34:05.000Z', 'valid from 30 minutes before now');
  t.equal(new Date(cert.validTo).toISOString(), '2030-01-02T04:04:05.000Z', 'until 60 minutes after now');
});

t.test('a client certificate needs a positive validity', async (t) => {
  await t.rejects(shared.issueClientCert({ CN: 'x' }, 0), /validityMinutes must be positive/);
});

t.test('a ca.pem that does not belong to ca.key.pem is refused with a clear message', async (t) => {
  const dir = freshDir(t);
  const other = await loadOrCreateCa(freshDir(t));
  await loadOrCreateCa(dir);
  copyFileSync(other.caFile, join(dir, 'ca.pem'));
  await t.rejects(loadOrCreateCa(dir), /ca\.pem does not belong to ca\.key\.pem; delete the folder/);
});

t.test('a folder that cannot be created gives a clear message', async (t) => {
  const file = join(freshDir(t), '..', 'a-file');
  writeFileSync(file, 'not a folder');
  await t.rejects(loadOrCreateCa(join(file, 'ca')), /cannot use the folder \(ENOTDIR\); set proxy\.caDir to a writable folder/);
});

t.test('the default CA folder is .scc-sim/ca under the given folder', async (t) => {
  t.equal(defaultCaDir('/srv/app'), '/srv/app/.scc-sim/ca');
  t.equal(defaultCaDir(), join(process.cwd(), '.scc-sim', 'ca'), 'the working directory by default');
});
