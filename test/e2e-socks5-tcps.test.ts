// TCPS and port ranges over SOCKS5: a TCPS system mapping makes the connector speak TLS to the
// internal host (certificate checked against caFile unless trustAll), while the app's SOCKS
// stream stays plain; a TCP mapping with a virtual port range covers every port inside it.
import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startSimulator } from '../src/simulator.js';
import { selfSignedCertificate } from './helpers/tls-files.js';
import { mapping, world } from './helpers/configs.js';
import { sapSocksConnect } from './helpers/socks-client.js';

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-e2e-tcps-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const selfSigned = (name: string) => selfSignedCertificate(dir, name);

const backendCert = selfSigned('tls-echo');
let tlsSessions = 0;
const tlsEcho = tls.createServer({ key: readFileSync(backendCert.key), cert: readFileSync(backendCert.cert) }, (s) => {
  tlsSessions += 1;
  s.on('error', () => s.destroy());
  s.pipe(s);
});
tlsEcho.listen(0, '127.0.0.1');
await once(tlsEcho, 'listening');
t.teardown(() => tlsEcho.close());
const tlsPort = (tlsEcho.address() as AddressInfo).port;

const plainEcho = net.createServer((s) => { s.on('error', () => s.destroy()); s.pipe(s); });
plainEcho.listen(0, '127.0.0.1');
await once(plainEcho, 'listening');
t.teardown(() => plainEcho.close());
const plainPort = (plainEcho.address() as AddressInfo).port;

const tcp = (over: Record<string, unknown>) => mapping({ protocol: 'TCPS', localHost: '127.0.0.1', resources: [], ...over });
const sim = await startSimulator(world({
  mappings: [
    tcp({ virtualHost: 'secure-echo', virtualPort: 7, localPort: tlsPort, caFile: backendCert.cert }),
    tcp({ virtualHost: 'untrusted-echo', virtualPort: 7, localPort: tlsPort }),
    tcp({ virtualHost: 'trustall-echo', virtualPort: 7, localPort: tlsPort, trustAll: true }),
    tcp({ virtualHost: 'range.onprem', virtualPort: '7000-7010', localPort: plainPort, protocol: 'TCP' }),
  ],
}));
t.teardown(() => sim.close());
const token = await sim.token();

async function lineBack(host: string, port: number, line: string): Promise<string> {
  const socket = await sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, host, port });
  socket.end(line);
  let got = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => { got += d; });
  await once(socket, 'end');
  socket.destroy();
  return got;
}

t.test('a TCPS mapping speaks TLS to the backend, checked against caFile, while the app stays plain', async (t) => {
  const before = tlsSessions;
  t.equal(await lineBack('secure-echo', 7, 'over tls\n'), 'over tls\n');
  t.equal(tlsSessions, before + 1, 'the backend saw one TLS session');
});

t.test('a TCPS backend whose certificate is not trusted is unreachable: REP 04', async (t) => {
  await t.rejects(sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, host: 'untrusted-echo', port: 7 }), /HostUnreachable|Host unreachable/i);
});

t.test('trustAll skips the certificate check', async (t) => {
  t.equal(await lineBack('trustall-echo', 7, 'trusted anyway\n'), 'trusted anyway\n');
});

t.test('a virtual port range covers every port inside it and nothing outside', async (t) => {
  t.equal(await lineBack('range.onprem', 7000, 'low\n'), 'low\n');
  t.equal(await lineBack('range.onprem', 7005, 'middle\n'), 'middle\n');
  t.equal(await lineBack('range.onprem', 7010, 'high\n'), 'high\n');
  await t.rejects(sapSocksConnect({ proxyPort: sim.ports.socks5Port, token, host: 'range.onprem', port: 7011 }), /not allowed by ruleset|NotAllowed/i);
});
