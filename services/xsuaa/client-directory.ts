// Who may ask for tokens: the OAuth clients of every subaccount, looked up by client id and
// authenticated in constant time. Pure: plain config in, plain lookups out.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientConfig, Config, SubaccountConfig } from '../shared/config-schema.js';

export interface ClientEntry {
  client: ClientConfig;
  subaccount: SubaccountConfig;
}

export interface ClientDirectory {
  /** The client with this id and the subaccount it belongs to. */
  byClientId(clientId: string): ClientEntry | undefined;
  /** The subaccount with this id. */
  bySubaccount(subaccountId: string): SubaccountConfig | undefined;
  /** The subaccount with this subdomain (the first label of its tenant host names). */
  bySubdomain(subdomain: string): SubaccountConfig | undefined;
  /** The client, if the secret is right; undefined for an unknown client or a wrong secret. */
  authenticate(clientId: string, clientSecret: string): ClientEntry | undefined;
}

interface Known extends ClientEntry {
  secretHash: Buffer;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Compared against when the client id is unknown, so both cases take the same time. */
const NO_SECRET = sha256('\u0000scc-sim: no such client\u0000');

export function createClientDirectory(config: Config): ClientDirectory {
  const clients = new Map<string, Known>();
  const subaccounts = new Map<string, SubaccountConfig>();
  for (const subaccount of config.subaccounts) {
    subaccounts.set(subaccount.subaccount, subaccount);
    for (const client of subaccount.clients) {
      clients.set(client.clientid, { client, subaccount, secretHash: sha256(client.clientsecret) });
    }
  }

  return {
    byClientId(clientId) {
      const known = clients.get(clientId);
      return known === undefined ? undefined : { client: known.client, subaccount: known.subaccount };
    },
    bySubaccount(subaccountId) {
      return subaccounts.get(subaccountId);
    },
    bySubdomain(subdomain) {
      return config.subaccounts.find((s) => s.subdomain === subdomain);
    },
    authenticate(clientId, clientSecret) {
      const known = typeof clientId === 'string' ? clients.get(clientId) : undefined;
      const given = sha256(typeof clientSecret === 'string' ? clientSecret : '');
      const same = timingSafeEqual(given, known?.secretHash ?? NO_SECRET);
      return same && known !== undefined ? { client: known.client, subaccount: known.subaccount } : undefined;
    },
  };
}
