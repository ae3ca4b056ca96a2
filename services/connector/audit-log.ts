// The Cloud Connector's audit log (sap-contract.md §4.5) for access control: one structured pino
// line per entry, on a child logger `{ audit: true }`. SECURITY (the SCC default) writes only
// "Access Denied", ALL writes "Access Allowed" too, OFF writes nothing. The SCC's own line/CSV
// format is UNCONFIRMED; the simulator writes JSON lines with the SCC's field names.
import type { Logger } from 'pino';

export type AuditLogLevel = 'OFF' | 'SECURITY' | 'ALL';

export interface AuditEntry {
  virtualHost: string;
  virtualPort: number | string;
  /** The (normalised) path that was checked, without the query string. */
  path: string;
  method: string;
  /** Why: which rule allowed or denied the request. */
  reason?: string;
  /** The user the request was made for, when known. Never a token. */
  user?: string;
}

export interface AuditLogOptions {
  level: AuditLogLevel;
  logger: Logger;
  connector: string;
  subaccount: string;
  locationID: string;
}

export interface AuditLog {
  accessAllowed(entry: AuditEntry): void;
  accessDenied(entry: AuditEntry): void;
}

export type AuditEvent = 'Access Allowed' | 'Access Denied';

const ignore = (): void => {};

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { level, connector, subaccount, locationID } = options;
  if (level === 'OFF') return { accessAllowed: ignore, accessDenied: ignore };
  const log = options.logger.child({ audit: true, connector, subaccount, locationID });

  function write(event: AuditEvent, entry: AuditEntry): void {
    // Fields picked one by one: nothing else a caller put on the entry reaches the log.
    const { virtualHost, virtualPort, path, method, reason, user } = entry;
    log.info({ category: 'AccessControl', event, virtualHost, virtualPort, path, method, reason, user }, `${event}: ${method} http://${virtualHost}:${virtualPort}${path}`);
  }

  return {
    accessAllowed: level === 'ALL' ? (entry) => write('Access Allowed', entry) : ignore,
    accessDenied: (entry) => write('Access Denied', entry),
  };
}
