// The admin API without HTTP: every operation the REST routes offer, over the config store and the
// connector's running parts. The routes (routes/*.ts) and the library's helpers (startSimulator's
// handle) call the same functions; the routes only add HTTP: bodies, status codes, JSON shapes.
import type { ConfigStore } from '../../shared/config-store.js';
import { connectorOperations } from './connector-operations.js';
import { domainMappingOperations } from './domain-mapping-operations.js';
import type { ConnectorRuntimeView, OperationContext } from './operation-context.js';
import { resourceOperations } from './resource-operations.js';
import { subaccountOperations } from './subaccount-operations.js';
import { systemMappingOperations } from './system-mapping-operations.js';

export interface AdminOperationsOptions {
  store: ConfigStore;
  connector: string;
  runtime: ConnectorRuntimeView;
}

function operations(ctx: OperationContext) {
  return {
    ...connectorOperations(ctx),
    ...subaccountOperations(ctx),
    ...systemMappingOperations(ctx),
    ...resourceOperations(ctx),
    ...domainMappingOperations(ctx),
  };
}

export type AdminOperations = ReturnType<typeof operations> & {
  /** The same operations, audited as done by `user`. */
  as(user: string): AdminOperations;
};

export function createAdminOperations(opts: AdminOperationsOptions): AdminOperations {
  const firstSeen = new Map<string, string>();
  const byUser = new Map<string, AdminOperations>();
  const forUser = (user: string): AdminOperations => {
    let ops = byUser.get(user);
    if (ops === undefined) {
      ops = Object.assign(operations({ ...opts, user, firstSeen }), { as: forUser });
      byUser.set(user, ops);
    }
    return ops;
  };
  const adminUser = opts.store.fileConfig.connectors.find((k) => k.name === opts.connector)?.adminUser ?? 'Administrator';
  return forUser(adminUser);
}
