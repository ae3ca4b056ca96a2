// The simulator's certificate authority: created once per folder (`ca.key.pem` PKCS#8 + `ca.pem`)
// and reused by every later start, so apps can trust it once (NODE_EXTRA_CA_CERTS,
// REQUESTS_CA_BUNDLE). It signs the token service's HTTPS certificate and the short-lived client
// certificates of principal propagation. Keys are ECDSA P-256: an RSA key costs ~0.5 s to make.
//
// Concurrent first runs (two processes, or two calls in one) agree on one CA: each publishes its
// key, then its certificate, with publishExclusive (never replaces an existing file); the loser
// discards its own and reads the winner's. A reader that finds the key but not yet the
// certificate waits; if the certificate never comes (a crash between the two links), it makes one
// for that key, published the same exclusive way.
import 'reflect-metadata'; // @peculiar/x509 (via tsyringe) needs a Reflect polyfill, loaded first
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { MISSING, PARTIAL, publishExclusive, readPem } from './exclusive-file.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** The subject (and so the issuer of everything it signs) of the simulator CA. */
export const CA_NAME = 'CN=scc-sim local CA, O=scc-sim';
const CA_YEARS = 10;
const MINUTE = 60_000;
const WAIT_STEP_MS = 20;
const CERT_WAIT_MS = 3_000;

export interface IssuedCert {
  certPem: string;
  /** PKCS#8 PEM of the certificate's own (fresh) key. */
  keyPem: string;
}

export interface IssuedClientCert extends IssuedCert {
  /** The certificate's DER, base64 (no PEM armour, no line breaks): the `SSL_CLIENT_CERT` form. */
  derBase64: string;
  subject: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** Subject attributes in the order they are written (`CN=…, OU=…, O=…`); CN is required. */
export type SubjectFields = { CN: string } & Record<string, string>;

export interface ClientCertOptions {
  /** Minutes the validity starts before now (the SCC's "expiration tolerance"); default 0. */
  toleranceMinutes?: number;
  /** Clock; default now. */
  now?: Date;
}

export interface SimCa {
  /** Absolute folder of the CA files. */
  readonly dir: string;
  /** The CA certificate, PEM. */
  readonly caPem: string;
  /** Absolute path of `ca.pem`: give it to NODE_EXTRA_CA_CERTS / REQUESTS_CA_BUNDLE. */
  readonly caFile: string;
  /** A TLS server certificate (1 year) for DNS names and IP addresses (each becomes a SAN). */
  issueServerCert(hostnames: string[]): Promise<IssuedCert>;
  /** A short-lived TLS client certificate; `subject` as fields or as a DN string (`CN=alice, O=Acme`). */
  issueClientCert(subject: SubjectFields | string, validityMinutes: number, opts?: ClientCertOptions): Promise<IssuedClientCert>;
}

/** `<baseDir>/.scc-sim/ca` — where the CLI and startSimulator keep the CA unless `proxy.caDir` says otherwise. */
export function defaultCaDir(baseDir: string = process.cwd()): string {
  return join(resolve(baseDir), '.scc-sim', 'ca');
}

/** Loads the CA from `dir`, creating it (and the folder) on first use. */
export async function loadOrCreateCa(dir: string): Promise<SimCa> {
  const abs = resolve(dir);
  const keyFile = join(abs, 'ca.key.pem');
  const certFile = join(abs, 'ca.pem');
  const started = Date.now();
  const unusable = (err: unknown) => new Error(`CA in ${abs}: cannot use the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); `
    + 'set proxy.caDir to a writable folder', { cause: err });
  for (;;) {
    const [keyPem, certPem] = await Promise.all([readPem(keyFile), readPem(certFile)]).catch((err) => { throw unusable(err); });
    if (typeof keyPem === 'string' && typeof certPem === 'string') return caFrom(abs, certFile, keyPem, certPem);
    if (keyPem === MISSING) {
      const keys = await subtle.generateKey(EC, true, ['sign', 'verify']) as CryptoKeyPair;
      const cert = await selfSign(keys, EC);
      try {
        await fs.mkdir(abs, { recursive: true });
        if (await publishExclusive(keyFile, await pkcs8Pem(keys.privateKey), 0o600)) await publishExclusive(certFile, pem(cert), 0o644);
      } catch (err) {
        throw unusable(err);
      }
      continue; // read back whatever won
    }
    // Another writer is between its two files, or died there.
    if (Date.now() - started < CERT_WAIT_MS) { await delay(WAIT_STEP_MS); continue; }
    if (keyPem === PARTIAL || certPem === PARTIAL) {
      throw new Error(`CA in ${abs}: ${keyPem === PARTIAL ? 'ca.key.pem' : 'ca.pem'} is incomplete; delete the folder to create a new CA`);
    }
    const privateKey = createPrivateKey(keyPem);
    const keys = { privateKey: await toCryptoKey(privateKey), publicKey: await toCryptoKey(createPublicKey(privateKey)) };
    await publishExclusive(certFile, pem(await selfSign(keys, algorithmOf(privateKey))), 0o644);
  }
}

async function caFrom(dir: string, caFile: string, keyPem: string, certPem: string): Promise<SimCa> {
  let keyObject: KeyObject;
  let caCert: x509.X509Certificate;
  try {
    keyObject = createPrivateKey(keyPem);
    caCert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw new Error(`CA in ${dir}: ca.key.pem or ca.pem is not readable PEM; delete the folder to create a new CA`, { cause: err });
  }
  const spki = Buffer.from(createPublicKey(keyObject).export({ type: 'spki', format: 'der' }));
  if (!spki.equals(Buffer.from(caCert.publicKey.rawData))) {
    throw new Error(`CA in ${dir}: ca.pem does not belong to ca.key.pem; delete the folder to create a new CA`);
  }
  if (caCert.notAfter.getTime() < Date.now()) {
    throw new Error(`CA in ${dir}: the certificate expired on ${caCert.notAfter.toISOString()}; delete the folder to create a new CA`);
  }
  const signingKey = await toCryptoKey(keyObject);
  const signingAlgorithm = algorithmOf(keyObject);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);

  async function issue(subject: string | x509.JsonName, notBefore: Date, notAfter: Date, extensions: x509.Extension[]) {
    const keys = await subtle.generateKey(EC, true, ['sign', 'verify']) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject, issuer: caCert.subject, notBefore, notAfter, signingAlgorithm,
      publicKey: keys.publicKey, signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        authorityKeyId,
        ...extensions,
      ],
    });
    return { cert, keyPem: await pkcs8Pem(keys.privateKey) };
  }

  return {
    dir, caFile, caPem: pem(caCert),
    async issueServerCert(hostnames) {
      const names = [...new Set(hostnames.filter((h) => h !== ''))];
      if (names.length === 0) throw new Error('issueServerCert: at least one host name is needed');
      const now = Date.now();
      const { cert, keyPem } = await issue([{ CN: [names[0]] }], new Date(now - 5 * MINUTE), new Date(now + 365 * 24 * 60 * MINUTE), [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) !== 0 ? 'ip' as const : 'dns' as const, value: n }))),
      ]);
      return { certPem: pem(cert), keyPem };
    },
    async issueClientCert(subject, validityMinutes, opts = {}) {
      if (!(validityMinutes > 0)) throw new Error(`issueClientCert: validityMinutes must be positive, got ${validityMinutes}`);
      const name = typeof subject === 'string' ? subject : Object.entries(subject).map(([k, v]) => ({ [k]: [v] }));
      const start = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
      const notBefore = new Date(start - (opts.toleranceMinutes ?? 0) * MINUTE);
      const notAfter = new Date(start + validityMinutes * MINUTE);
      const { cert, keyPem } = await issue(name, notBefore, notAfter, [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]);
      return {
        certPem: pem(cert), keyPem, derBase64: Buffer.from(cert.rawData).toString('base64'),
        subject: cert.subject, serialNumber: cert.serialNumber, notBefore: cert.notBefore, notAfter: cert.notAfter,
      };
    },
  };
}

async function selfSign(keys: CryptoKeyPair, signingAlgorithm: Algorithm): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: CA_NAME, keys, signingAlgorithm,
    notBefore: new Date(now - 5 * MINUTE), notAfter: new Date(now + CA_YEARS * 365.25 * 24 * 60 * MINUTE),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

function algorithmOf(key: KeyObject): Algorithm {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return EC as Algorithm;
  throw new Error(`CA key: expected an ECDSA P-256 or RSA key, found ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`);
}

async function toCryptoKey(key: KeyObject): Promise<CryptoKey> {
  const algorithm = algorithmOf(key);
  if (key.type === 'public') return subtle.importKey('spki', key.export({ type: 'spki', format: 'der' }), algorithm, true, ['verify']);
  return subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return String(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }));
}

/** 16 random bytes, first bit clear (a positive INTEGER), never all zero. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

const pem = (cert: x509.X509Certificate): string => `${cert.toString('pem')}\n`;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
