// What a user is granted through the role collections of their subaccount (config
// `subaccounts[].roleCollections`, `users[].roleCollections`, `users[].attributes`): the scopes
// `<xsappname>.<scope>`, the collection names for `xs.system.attributes.xs.rolecollections` and
// the attributes for `xs.user.attributes`. Pure: plain config in, plain data out.
import type { ClientConfig, RoleCollectionConfig, SubaccountConfig } from '../shared/config-schema.js';
import { xsappnameOf } from '../shared/service-instance.js';

export interface UserGrants {
  /** Every `<xsappname>.<scope>` of the user's role collections, in config order, without duplicates. */
  scopes: string[];
  /** The same, by application: xsappname → local scope names. */
  byApp: Record<string, string[]>;
  roleCollections: string[];
  attributes: Record<string, string[]>;
}

/** The application a collection's scopes belong to: its own xsappname, else the subaccount's first xsuaa client's. */
export function collectionXsappname(subaccount: SubaccountConfig, collection: RoleCollectionConfig): string | undefined {
  if (collection.xsappname !== undefined) return collection.xsappname;
  const app = subaccount.clients.find((c) => c.service === 'xsuaa');
  return app === undefined ? undefined : xsappnameOf(app);
}

export function userGrants(subaccount: SubaccountConfig, userName: string): UserGrants {
  const user = subaccount.users.find((u) => u.name === userName);
  if (user === undefined) return { scopes: [], byApp: {}, roleCollections: [], attributes: {} };
  const scopes = new Set<string>();
  const byApp: Record<string, string[]> = {};
  for (const name of user.roleCollections) {
    const collection = subaccount.roleCollections.find((rc) => rc.name === name);
    const xsappname = collection === undefined ? undefined : collectionXsappname(subaccount, collection);
    if (collection === undefined || xsappname === undefined) continue;
    for (const scope of collection.scopes) {
      if (scopes.has(`${xsappname}.${scope}`)) continue;
      scopes.add(`${xsappname}.${scope}`);
      (byApp[xsappname] ??= []).push(scope);
    }
  }
  const attributes = Object.fromEntries(Object.entries(user.attributes).map(([k, v]) => [k, [...v]]));
  return { scopes: [...scopes], byApp, roleCollections: [...user.roleCollections], attributes };
}

/**
 * The scopes of the user that a token for `client` carries: those of the client's own application
 * (as XSUAA grants an app's scopes to its own client; foreign scope references are not simulated).
 */
export function scopesForClient(grants: UserGrants, client: ClientConfig): string[] {
  const xsappname = xsappnameOf(client);
  return (grants.byApp[xsappname] ?? []).map((s) => `${xsappname}.${s}`);
}
