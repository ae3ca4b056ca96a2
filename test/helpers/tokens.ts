// Tokens the token service would never issue, built by the test with the simulator's own signing
// key (from `proxy.signingKeyFile`) or with a stranger's: expired, foreign, tampered, unsigned.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { signingKeysFrom, type SigningKeys } from '../../services/xsuaa/token-keys.js';
import { issueClientCredentialsToken } from '../../services/xsuaa/token-issuer.js';
import type { Simulator } from '../../src/simulator.js';

/** The simulator's signing key, read from the PEM file given as `proxy.signingKeyFile`. */
export function keysFromFile(file: string): SigningKeys {
  return signingKeysFrom(createPrivateKey(readFileSync(file, 'utf8')));
}

/** A key the simulator has never seen. */
export function strangerKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

export interface IssueLike {
  /** Client id of the config whose token is imitated. */
  clientid: string;
  /** Issue time relative to now, in seconds (negative = in the past). */
  issuedSecondsAgo?: number;
  validitySeconds?: number;
}

/** A token exactly as the token service issues it, but with the given key and clock. */
export async function issueWith(sim: Simulator, keys: SigningKeys, o: IssueLike): Promise<string> {
  const client = sim.clients.find((c) => c.clientid === o.clientid);
  if (!client) throw new Error(`no client ${o.clientid}`);
  const subaccount = sim.config.subaccounts.find((s) => s.subaccount === client.subaccount)!;
  const issuedAt = Date.now() - (o.issuedSecondsAgo ?? 0) * 1000;
  const res = await issueClientCredentialsToken(keys, {
    client, subaccount, issuerBaseUrl: sim.urls.tokenService,
    connectivityXsappname: sim.config.proxy.connectivityXsappname,
    validitySeconds: o.validitySeconds ?? 3600, now: () => issuedAt,
  });
  return res.access_token;
}

/** An expired (one hour ago) but otherwise perfect token of `clientid`, signed with the real key. */
export function expiredToken(sim: Simulator, keys: SigningKeys, clientid: string): Promise<string> {
  return issueWith(sim, keys, { clientid, issuedSecondsAgo: 7200, validitySeconds: 3600 });
}

export function decodePart(part: string): Record<string, any> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The same token with its payload changed by `edit` and the original signature kept. */
export function tamperPayload(token: string, edit: (claims: Record<string, any>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = decodePart(payload!);
  edit(claims);
  return `${header}.${encodePart(claims)}.${signature}`;
}

/** The same claims under `alg: none`, without a signature. */
export function unsignedCopy(token: string): string {
  const [header, payload] = token.split('.');
  const h = decodePart(header!);
  return `${encodePart({ ...h, alg: 'none' })}.${payload}.`;
}

/** The same header and claims signed by `key` (the header, and so the kid, kept as is). */
export async function resignedCopy(token: string, key: KeyObject | Uint8Array, alg = 'RS256'): Promise<string> {
  const [header, payload] = token.split('.');
  return new SignJWT(decodePart(payload!)).setProtectedHeader({ ...decodePart(header!), alg }).sign(key);
}
