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

/** An object with the same methods as `current()`'s, each calling the current one's. */
function following<T extends object>(current: () => T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(current())) {
    if (typeof value === 'function') out[name] = (...args: unknown[]) => (current() as Record<string, (...a: unknown[]) => unknown>)[name](...args);
  }
  return out as T;
}

export function liveDirectories(config: Config): LiveDirectories {
  let clients = createClientDirectory(config);
  let users = createUserDirectory(config);
  return {
    clients: following(() => clients),
    users: following(() => users),
    update(next) {
      clients = createClientDirectory(next);
      users = createUserDirectory(next);
    },
  };
}
