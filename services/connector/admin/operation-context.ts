// What every admin operation works with: the config store, the connector's name, its running
// parts (tunnel state, recent requests, audit trail, activity) and who asks (for the audit log). change()
// is the one way an operation changes the world: a store update, with its failures turned into
// the SCC's error answers; the audit entry is written once the change has been applied.
import type { Document } from 'yaml';
import type { Config, ConnectorSubaccountConfig } from '../../shared/config-schema.js';
import type { ConfigStore } from '../../shared/config-store.js';
import type { AuditTrail, ConfigCategory } from '../audit-log.js';
import type { ConnectorActivity } from '../connector-activity.js';
import type { SubaccountRuntime } from '../subaccount-runtime.js';
import { fromChangeFailure } from './admin-errors.js';
import { findConnector, type SubaccountRef } from './config-document.js';

/** The connector's running parts the admin API reads. */
export interface ConnectorRuntimeView {
  readonly name: string;
  readonly trail: AuditTrail;
  /** Requests and tunnel state changes as they happen (the event stream). */
  readonly activity: ConnectorActivity;
  subaccount(regionHost: string, subaccount: string): SubaccountRuntime | undefined;
}

export interface OperationContext {
  store: ConfigStore;
  connector: string;
  runtime: ConnectorRuntimeView;
  /** Who makes the changes (the admin user of the request; the library's helpers: the configured one). */
  user: string;
  /** First-seen times of entries the file gives no creationDate (kept for this process). */
  firstSeen: Map<string, string>;
}

export interface AuditNote {
  category: ConfigCategory;
  event: string;
  detail: string;
  ref?: SubaccountRef;
}

/** Applies a Document change through the store; on success writes the audit entry `note` (a function: it may use the result). */
export async function change<T>(ctx: OperationContext, edit: (doc: Document, view: Config) => T, note?: (result: T) => AuditNote): Promise<T> {
  let result: T;
  try {
    result = await ctx.store.update(edit);
  } catch (err) {
    throw fromChangeFailure(err);
  }
  if (note) audit(ctx, note(result));
  return result;
}

function audit(ctx: OperationContext, n: AuditNote): void {
  const view = ctx.store.fileConfig;
  const k = view.connectors.find((c) => c.name === ctx.connector);
  if (k === undefined) return;
  const s = n.ref && k.subaccounts.find((x) => x.subaccount === n.ref!.subaccount && x.regionHost === n.ref!.regionHost);
  const level = s?.auditLogLevel ?? k.auditLogLevel;
  ctx.runtime.trail.configurationChanged(level, { ...n, user: ctx.user, subaccount: n.ref?.subaccount, regionHost: n.ref?.regionHost });
}

/** The connector's part of the file view. */
export function connectorView(ctx: OperationContext) {
  return findConnector(ctx.store.fileConfig, ctx.connector).connector;
}

/** A creationDate for an entry: the one in the file, else when this process first saw the entry. */
export function creationDateOf(ctx: OperationContext, key: string, written: string | undefined): string {
  if (written !== undefined) return written;
  let seen = ctx.firstSeen.get(key);
  if (seen === undefined) {
    seen = String(Date.now());
    ctx.firstSeen.set(key, seen);
  }
  return seen;
}

export function subaccountLabel(s: Pick<ConnectorSubaccountConfig, 'subaccount' | 'regionHost'>): string {
  return `${s.subaccount}@${s.regionHost}`;
}
