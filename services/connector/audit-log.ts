// The Cloud Connector's audit log (sap-contract.md §4.5): one structured pino line per entry, on
// a child logger `{ audit: true }`, and the most recent entries in memory (AuditTrail, one per
// connector) for the admin API. Access control: SECURITY (the SCC default) writes only "Access
// Denied", ALL writes "Access Allowed" too, OFF writes nothing. Configuration changes (categories
// Account, BackendMapping, AllowedResource, DomainMapping, AuditLogLevel, Configuration, SCCUser,
// SCCPassword) are written at SECURITY and ALL (a change of the level: always). The SCC's own line/CSV format is UNCONFIRMED; the
// simulator writes JSON lines with the SCC's field names.
import type { Logger } from 'pino';
import type { AuditLogLevel } from '../shared/config-schema.js';
import { Ring } from './ring.js';

export type { AuditLogLevel };

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

export type AuditEvent = 'Access Allowed' | 'Access Denied';
export type ConfigCategory = 'Account' | 'BackendMapping' | 'AllowedResource' | 'DomainMapping' | 'AuditLogLevel'
  | 'Configuration' | 'SCCUser' | 'SCCPassword';

/** One entry as the admin API lists it (simulator extension: GET /api/monitoring/auditLog). */
export interface AuditRecord {
  time: number;
  category: string;
  event: string;
  subaccount: string | undefined;
  regionHost: string | undefined;
  locationID: string | undefined;
  user: string | undefined;
  /** "GET http://virtualhost:3333/x", or what changed. */
  detail: string;
  reason: string | undefined;
}

export const AUDIT_RING_SIZE = 500;

/** The connector's recent audit entries (every subaccount, every category), newest first. */
export class AuditTrail {
  readonly ring = new Ring<AuditRecord>(AUDIT_RING_SIZE, () => ({
    time: 0, category: '', event: '', subaccount: undefined, regionHost: undefined, locationID: undefined, user: undefined, detail: '', reason: undefined,
  }));

  constructor(readonly logger: Logger, readonly connector: string) {}

  /** A configuration change, written unless the level is OFF; a change of the level itself is always written (also to OFF). */
  configurationChanged(level: AuditLogLevel, c: { category: ConfigCategory; event: string; detail: string; user: string; subaccount?: string; regionHost?: string }): void {
    if (level === 'OFF' && c.category !== 'AuditLogLevel') return;
    this.logger.info({ audit: true, connector: this.connector, category: c.category, event: c.event, subaccount: c.subaccount,
      regionHost: c.regionHost, user: c.user, detail: c.detail }, `${c.category}: ${c.event}: ${c.detail}`);
    this.#keep(c.category, c.event, c.subaccount, c.regionHost, undefined, c.user, c.detail, undefined);
  }

  #keep(category: string, event: string, subaccount: string | undefined, regionHost: string | undefined, locationID: string | undefined,
    user: string | undefined, detail: string, reason: string | undefined): void {
    const r = this.ring.record();
    r.time = Date.now(); r.category = category; r.event = event; r.subaccount = subaccount; r.regionHost = regionHost;
    r.locationID = locationID; r.user = user; r.detail = detail; r.reason = reason;
  }

  /** For createAuditLog: keeps an access entry. */
  keepAccess(event: AuditEvent, subaccount: string, regionHost: string | undefined, locationID: string, entry: AuditEntry, detail: string): void {
    this.#keep('AccessControl', event, subaccount, regionHost, locationID, entry.user, detail, entry.reason);
  }
}

export interface AuditLogOptions {
  level: AuditLogLevel;
  logger: Logger;
  connector: string;
  subaccount: string;
  locationID: string;
  regionHost?: string;
  /** Where the admin API finds recent entries; none: log lines only. */
  trail?: AuditTrail;
}

export interface AuditLog {
  accessAllowed(entry: AuditEntry): void;
  accessDenied(entry: AuditEntry): void;
}

const ignore = (): void => {};

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { level, connector, subaccount, locationID, regionHost, trail } = options;
  if (level === 'OFF') return { accessAllowed: ignore, accessDenied: ignore };
  const log = options.logger.child({ audit: true, connector, subaccount, locationID });

  function write(event: AuditEvent, entry: AuditEntry): void {
    // Fields picked one by one: nothing else a caller put on the entry reaches the log.
    const { virtualHost, virtualPort, path, method, reason, user } = entry;
    const detail = `${method} http://${virtualHost}:${virtualPort}${path}`;
    log.info({ category: 'AccessControl', event, virtualHost, virtualPort, path, method, reason, user }, `${event}: ${detail}`);
    trail?.keepAccess(event, subaccount, regionHost, locationID, entry, detail);
  }

  return {
    accessAllowed: level === 'ALL' ? (entry) => write('Access Allowed', entry) : ignore,
    accessDenied: (entry) => write('Access Denied', entry),
  };
}
