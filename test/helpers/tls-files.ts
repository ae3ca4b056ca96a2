// Certificates for TLS backends in tests, made with openssl (Debian's, on every machine here).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A self-signed certificate (its own CA) for 127.0.0.1 and localhost, written into `dir`; returns the file names. */
export function selfSignedCertificate(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'pipe' });
  return { key, cert };
}
