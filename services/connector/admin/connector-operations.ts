// The connector's own settings (scc-rest-api.md §2.1, §2.7, §1): version, description, audit log
// levels (cross-subaccount and per subaccount), the admin user's password and name — and what the
// monitoring API reads: every subaccount's tunnel, the most recent requests (also live), the audit entries.
import type { AuditLogLevel } from '../../shared/config-schema.js';
import type { AuditRecord } from '../audit-log.js';
import type { ActivityEvents } from '../connector-activity.js';
import type { RecentRequest } from '../recent-requests.js';
import { invalid } from './admin-errors.js';
import { findConnector, findSubaccount, setFields, subaccountPath, type SubaccountRef } from './config-document.js';
import { change, connectorView, type OperationContext } from './operation-context.js';
import type { AuditLogUpdate, BasicAuthenticationChange } from './request-schemas.js';

/** The SCC release the API answers as (the version the reference's recordings were made with). */
export const SCC_VERSION = '2.19.0.2';
/** Where the audit log goes: the connector's log output (JSON lines with `"audit": true`). UNCONFIRMED field. */
export const AUDIT_LOG_PATH = 'stdout';

export interface RecentRequests extends SubaccountRef {
  locationID: string;
  requests: RecentRequest[];
}

export function connectorOperations(ctx: OperationContext) {
  const setConnectorFields = (fields: Record<string, unknown>, category: 'Configuration' | 'AuditLogLevel' | 'SCCPassword' | 'SCCUser', detail: string) =>
    change(ctx, (doc, v) => setFields(doc, ['connectors', findConnector(v, ctx.connector).index], fields), () => ({ category, event: 'changed', detail }));

  return {
    version(): { version: string } {
      return { version: SCC_VERSION };
    },

    getConnector(): { ha: 'master'; description: string } {
      return { ha: 'master', description: connectorView(ctx).description };
    },

    async setDescription(description: string): Promise<void> {
      await setConnectorFields({ description: description || undefined }, 'Configuration', 'connector description');
    },

    getAuditLog(): { level: AuditLogLevel; cleanup: number; logPath: string } {
      const k = connectorView(ctx);
      return { level: k.auditLogLevel, cleanup: k.auditLogCleanup, logPath: AUDIT_LOG_PATH };
    },

    async setAuditLog(input: AuditLogUpdate): Promise<void> {
      const fields: Record<string, unknown> = {};
      if (input.level !== undefined) fields.auditLogLevel = input.level;
      if (input.cleanup !== undefined) fields.auditLogCleanup = input.cleanup || undefined;
      if (Object.keys(fields).length > 0) await setConnectorFields(fields, 'AuditLogLevel', `cross-subaccount audit log: ${JSON.stringify(input)}`);
    },

    getSubaccountAuditLog(ref: SubaccountRef): { level: AuditLogLevel } {
      const { connector, subaccount } = findSubaccount(ctx.store.fileConfig, ctx.connector, ref);
      return { level: subaccount.auditLogLevel ?? connector.auditLogLevel };
    },

    async setSubaccountAuditLog(ref: SubaccountRef, level: AuditLogLevel): Promise<void> {
      await change(ctx, (doc, v) => setFields(doc, subaccountPath(doc, findSubaccount(v, ctx.connector, ref), true), { auditLogLevel: level }),
        () => ({ category: 'AuditLogLevel', event: 'changed', detail: `audit log level of ${ref.subaccount}@${ref.regionHost}: ${level}`, ref }));
    },

    /** SAP's rules: the old password must be right and the new one different; renaming needs the password. */
    async changeBasicAuthentication(input: BasicAuthenticationChange): Promise<void> {
      const k = connectorView(ctx);
      if ('oldPassword' in input) {
        if (input.oldPassword !== k.adminPassword) throw invalid('The old password is not correct');
        if (input.newPassword === input.oldPassword) throw invalid('The new password must be different from the old one');
        await setConnectorFields({ adminPassword: input.newPassword }, 'SCCPassword', `password of ${k.adminUser}`);
      } else {
        if (input.password !== k.adminPassword) throw invalid('The password is not correct');
        await setConnectorFields({ adminUser: input.user }, 'SCCUser', `user ${k.adminUser} renamed to ${input.user}`);
      }
    },

    /** Monitoring's "Most Recent Requests" of every subaccount (or one), newest first. */
    recentRequests(ref?: SubaccountRef): RecentRequests[] {
      return connectorView(ctx).subaccounts
        .filter((s) => ref === undefined || (s.subaccount === ref.subaccount && s.regionHost === ref.regionHost))
        .map((s) => ({ regionHost: s.regionHost, subaccount: s.subaccount, locationID: s.locationID,
          requests: ctx.runtime.subaccount(s.regionHost, s.subaccount)?.recent.list() ?? [] }));
    },

    clearRecentRequests(): void {
      for (const s of connectorView(ctx).subaccounts) ctx.runtime.subaccount(s.regionHost, s.subaccount)?.recent.clear();
    },

    /** Follows the connector's requests and tunnel state changes as they happen, until the returned function is called. */
    watchActivity(on: { request: (e: ActivityEvents['request'][0]) => void; tunnel: (e: ActivityEvents['tunnel'][0]) => void }): () => void {
      const { activity } = ctx.runtime;
      activity.on('request', on.request);
      activity.on('tunnel', on.tunnel);
      return () => { activity.off('request', on.request); activity.off('tunnel', on.tunnel); };
    },

    /** The most recent audit entries of the connector (every category), newest first. */
    auditEntries(): AuditRecord[] {
      return ctx.runtime.trail.ring.list();
    },
  };
}
