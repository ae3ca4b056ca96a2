// The token service's and the verifiers' view of who exists (OAuth clients, users), following
// the config store: each lookup goes to the directory built from the current config, so a client
// or user added to (or removed from) the file is known (or refused) from the next request on.
import type { Config } from '../shared/config-schema.js';
import { createClientDirectory, type ClientDirectory } from '../xsuaa/client-directory.js';
import { createUserDirectory, type UserDirectory } from '../xsuaa/user-directory.js';

export interface LiveDirectories {
  readonly clients: ClientDirectory;
  readonly users: UserDirectory;
  update(config: Config): void;
}

export function liveDirectories(config: Config): LiveDirectories {
  let clients = createClientDirectory(config);
  let users = createUserDirectory(config);
  return {
    clients: {
      byClientId: (clientId) => clients.byClientId(clientId),
      bySubaccount: (subaccountId) => clients.bySubaccount(subaccountId),
      authenticate: (clientId, clientSecret) => clients.authenticate(clientId, clientSecret),
    },
    users: {
      authenticate: (subaccountId, userName, password) => users.authenticate(subaccountId, userName, password),
      byName: (subaccountId, userName) => users.byName(subaccountId, userName),
    },
    update(next) {
      clients = createClientDirectory(next);
      users = createUserDirectory(next);
    },
  };
}
