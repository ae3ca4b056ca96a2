// The token service's RS256 signing key and its public half as a JWKS (the shape of Cloud
// Foundry UAA's /token_keys). Either read from a PEM file (stable tokens across restarts) or
// generated fresh at start.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface PublicJwk {
  kty: 'RSA';
  e: string;
  n: string;
  use: 'sig';
  kid: string;
  alg: 'RS256';
  /** The public key as PEM (SPKI), as UAA publishes it. */
  value: string;
}

export interface SigningKeys {
  /** `default-jwt-key-` + the first 8 hex digits of sha256(public key DER): stable per key. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
  jwks: { keys: PublicJwk[] };
}

const generateRsa = promisify(generateKeyPair);

/**
 * A generated key, made once per process: RSA key generation takes 100–400 ms, the bulk of
 * startSimulator's start-up, and tests start many simulators. Tokens still differ per simulator
 * (each has its own issuer URL, which the verifier checks).
 */
let generated: Promise<SigningKeys> | undefined;

/** Reads a PEM RSA private key (PKCS#8; PKCS#1 is accepted too), or generates a 2048-bit key. */
export async function loadSigningKeys(file?: string): Promise<SigningKeys> {
  if (file === undefined) {
    generated ??= generateRsa('rsa', { modulusLength: 2048 }).then(({ privateKey }) => signingKeysFrom(privateKey));
    return generated;
  }
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`signing key ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`signing key ${file}: not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", PKCS#8)`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`signing key ${file}: an RSA key is needed for RS256, found a key of type ${key.asymmetricKeyType ?? '(none)'}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new Error(`signing key ${file}: RS256 needs an RSA key of at least 2048 bits, found ${bits}`);
  return signingKeysFrom(key);
}

/** Builds the key set from an RSA private key. */
export function signingKeysFrom(privateKey: KeyObject): SigningKeys {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = `default-jwt-key-${createHash('sha256').update(der).digest('hex').slice(0, 8)}`;
  const { n, e } = publicKey.export({ format: 'jwk' });
  const value = String(publicKey.export({ type: 'spki', format: 'pem' })).trim();
  const publicJwk: PublicJwk = { kty: 'RSA', e: e as string, n: n as string, use: 'sig', kid, alg: 'RS256', value };
  return { kid, privateKey, publicKey, publicJwk, jwks: { keys: [publicJwk] } };
}
