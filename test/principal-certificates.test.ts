// The connector's certificate cache for principal propagation, with a real simulator CA and a
// fake clock: one certificate per (mapping, principal), shared by concurrent first requests,
// renewed shortly before it expires; validity and tolerance from the connector's settings.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { SystemMappingSchema, type SystemMapping } from '../services/shared/config-schema.js';
import { encodePrincipal, type Principal } from '../services/shared/principal-header.js';
import { loadOrCreateCa } from '../services/shared/sim-ca.js';
import { createPrincipalCertificates, SSL_CLIENT_CERT } from '../services/connector/principal-certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'scc-sim-pp-certs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const ca = await loadOrCreateCa(join(dir, 'ca'));

const MINUTE = 60_000;
const mappingOf = (virtualHost: string): SystemMapping => Value.Default(SystemMappingSchema, {
  virtualHost, virtualPort: 443, localHost: '127.0.0.1', localPort: 8443, authenticationMode: 'X509_GENERAL',
}) as SystemMapping;
const alice: Principal = { kind: 'business', name: 'alice', clientId: 'sb-app!t1' };
const bob: Principal = { kind: 'business', name: 'bob', clientId: 'sb-app!t1' };

function setup(settings = { subjectPattern: 'CN=${name}, O=Acme', certificateValidityMinutes: 60, expirationToleranceMinutes: 0 }) {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const certs = createPrincipalCertificates({ ca, settings, now: () => clock });
  const get = async (mapping: SystemMapping, p: Principal) => {
    const headers = await certs.headersFor(mapping, p, encodePrincipal(p));
    return headers[SSL_CLIENT_CERT]!;
  };
  return { certs, get, advance: (ms: number) => { clock += ms; }, now: () => clock };
}

t.test('a certificate is issued once per mapping and principal, then answered synchronously', async (t) => {
  const { certs, get } = setup();
  const erp = mappingOf('erp');
  const first = await get(erp, alice);
  const cached = certs.headersFor(erp, alice, encodePrincipal(alice));
  t.notOk(cached instanceof Promise, 'a cache hit is synchronous');
  t.equal((cached as Record<string, string>)[SSL_CLIENT_CERT], first, 'and the same certificate');
  t.not(await get(erp, bob), first, 'another user gets another certificate');
  t.not(await get(mappingOf('crm'), alice), first, 'another mapping gets its own certificate');
});

t.test('concurrent first requests of one user share one certificate', async (t) => {
  const { get } = setup();
  const erp = mappingOf('erp');
  const all = await Promise.all([get(erp, alice), get(erp, alice), get(erp, alice)]);
  t.equal(new Set(all).size, 1);
});

t.test('the certificate follows the settings: subject pattern, validity, tolerance', async (t) => {
  const { get, now } = setup({ subjectPattern: 'CN=${name}, O=Acme', certificateValidityMinutes: 90, expirationToleranceMinutes: 10 });
  const cert = new X509Certificate(Buffer.from(await get(mappingOf('erp'), alice), 'base64'));
  t.equal(cert.subject, 'CN=alice\nO=Acme');
  t.equal(Date.parse(cert.validFrom), now() - 10 * MINUTE, 'valid from now minus the tolerance');
  t.equal(Date.parse(cert.validTo), now() + 90 * MINUTE, 'until now plus the validity');
  t.ok(cert.verify(new X509Certificate(ca.caPem).publicKey), 'signed by the CA');
});

t.test('a certificate is renewed shortly before it expires, not after', async (t) => {
  const { get, advance } = setup();
  const erp = mappingOf('erp');
  const first = await get(erp, alice);
  advance(54 * MINUTE);
  t.equal(await get(erp, alice), first, 'reused 54 minutes into its 60');
  advance(1 * MINUTE + 1);
  const renewed = await get(erp, alice);
  t.not(renewed, first, 'renewed in its last 5 minutes');
  t.equal(await get(erp, alice), renewed, 'and the new one is reused');
});

t.test('a short validity is renewed in its second half', async (t) => {
  const { get, advance } = setup({ subjectPattern: 'CN=${name}', certificateValidityMinutes: 2, expirationToleranceMinutes: 0 });
  const erp = mappingOf('erp');
  const first = await get(erp, alice);
  advance(MINUTE - 1);
  t.equal(await get(erp, alice), first);
  advance(2);
  t.not(await get(erp, alice), first);
});
