// Subaccounts of the connector (scc-rest-api.md §2.2): list, create (and connect), read, edit,
// delete, connect/disconnect, certificate renewal, trust settings. Every change resolves once the
// connector has applied it: a created or reconnected subaccount's first tunnel attempt is decided,
// a disconnected or deleted one's tunnel is gone from the proxy's registry.
import type { ConnectorSubaccountConfig } from '../../shared/config-schema.js';
import type { IssuedClientCert } from '../../shared/sim-ca.js';
import type { SccTunnelState } from '../tunnel-client.js';
import { duplicate, invalid, SccApiError } from './admin-errors.js';
import { addSubaccount, findConnector, findSubaccount, removeSubaccount, setFields, subaccountPath, type SubaccountRef } from './config-document.js';
import { connectorView, change, type OperationContext } from './operation-context.js';
import { flag, type SubaccountCreate, type SubaccountUpdate } from './request-schemas.js';

export interface SubaccountView {
  config: ConnectorSubaccountConfig;
  tunnel: {
    state: SccTunnelState;
    connectedSince: number;
    /** Requests and TCP connections in flight. */
    connections: number;
    certificate: IssuedClientCert;
  };
}

/** Fields only a `subaccounts[]` entry has (a one-subaccount connector is converted to set them). */
const FULL_SHAPE_ONLY = new Set(['displayName', 'description', 'connected', 'autoCertRenewal', 'isManaged', 'autoSyncTrustEnabled', 'auditLogLevel']);

interface Credentials { subaccount: string; regionHost: string; cloudUser: string; cloudPassword: string }

/**
 * `authenticationData` (SCC ≥ 2.17: the file the BTP cockpit offers for download). Its real format
 * is UNCONFIRMED; the simulator takes JSON, plain or base64, with subaccount, regionHost, cloudUser
 * and cloudPassword.
 */
export function decodeAuthenticationData(data: string): Credentials {
  const parse = (text: string) => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } };
  const o = parse(data) ?? parse(Buffer.from(data, 'base64').toString('utf8'));
  const fields = ['subaccount', 'regionHost', 'cloudUser', 'cloudPassword'] as const;
  if (o === undefined || fields.some((f) => typeof o[f] !== 'string' || o[f] === '')) {
    throw invalid(`authenticationData must be JSON (plain or base64) with ${fields.join(', ')}`);
  }
  return o as unknown as Credentials;
}

function credentialsOf(input: SubaccountCreate): Credentials {
  if (input.authenticationData !== undefined) return decodeAuthenticationData(input.authenticationData);
  for (const f of ['regionHost', 'subaccount', 'cloudUser', 'cloudPassword'] as const) {
    if (input[f] === undefined || input[f] === '') throw invalid(`Missing parameter: ${f}`);
  }
  return input as Credentials;
}

/** `: locationID "BERLIN", displayName (default)` for the audit entry. */
function describe(fields: Record<string, unknown>): string {
  return `: ${Object.entries(fields).map(([k, v]) => `${k} ${v === undefined ? '(default)' : JSON.stringify(v)}`).join(', ')}`;
}

export function subaccountOperations(ctx: OperationContext) {
  const runtimeOf = (ref: SubaccountRef) => {
    const rt = ctx.runtime.subaccount(ref.regionHost, ref.subaccount);
    if (rt === undefined) throw new SccApiError('RUNTIME_FAILURE', `Subaccount '${ref.subaccount}@${ref.regionHost}' is configured but not running`);
    return rt;
  };
  const label = (ref: SubaccountRef) => `subaccount ${ref.subaccount}@${ref.regionHost}`;

  /** Writes the given fields of a subaccount ('' and undefined: back to the default). */
  function setSubaccountFields(ref: SubaccountRef, fields: Record<string, unknown>, event: string, detail = describe(fields)) {
    return change(ctx, (doc, v) => {
      const at = findSubaccount(v, ctx.connector, ref);
      const full = Object.entries(fields).some(([k, x]) => FULL_SHAPE_ONLY.has(k) && x !== undefined);
      const path = subaccountPath(doc, at, full);
      // On a one-subaccount connector, `description` or `auditLogLevel` would be the connector's own: left alone.
      const own = path.length === 2 ? Object.fromEntries(Object.entries(fields).filter(([k]) => !FULL_SHAPE_ONLY.has(k))) : fields;
      setFields(doc, path, own);
    }, () => ({ category: 'Account' as const, event, detail: `${label(ref)}${detail}`, ref }));
  }

  const ops = {
    listSubaccounts(): ConnectorSubaccountConfig[] {
      return connectorView(ctx).subaccounts;
    },

    async getSubaccount(ref: SubaccountRef): Promise<SubaccountView> {
      const config = findSubaccount(ctx.store.fileConfig, ctx.connector, ref).subaccount;
      const rt = runtimeOf(ref);
      const { tunnel } = rt;
      return { config, tunnel: { state: tunnel.sccState, connectedSince: tunnel.connectedSince, connections: rt.active, certificate: await rt.certificate() } };
    },

    async addSubaccount(input: SubaccountCreate): Promise<SubaccountView> {
      const c = credentialsOf(input);
      const ref = { regionHost: c.regionHost, subaccount: c.subaccount };
      const entry: Record<string, unknown> = { subaccount: c.subaccount, regionHost: c.regionHost, cloudUser: c.cloudUser, cloudPassword: c.cloudPassword };
      if (input.locationID) entry.locationID = input.locationID;
      if (input.displayName) entry.displayName = input.displayName;
      if (input.description) entry.description = input.description;
      if (flag(input.isManaged)) entry.isManaged = true;
      if (flag(input.autoCertRenewal)) entry.autoCertRenewal = true;
      await change(ctx, (doc, v) => {
        const { connector, index } = findConnector(v, ctx.connector);
        if (connector.subaccounts.some((s) => s.subaccount === c.subaccount && s.regionHost === c.regionHost)) throw duplicate.subaccount(c.subaccount, c.regionHost);
        addSubaccount(doc, index, entry);
      }, () => ({ category: 'Account', event: 'created', detail: `${label(ref)}, location ID "${input.locationID ?? ''}"`, ref }));
      return ops.getSubaccount(ref);
    },

    async updateSubaccount(ref: SubaccountRef, input: SubaccountUpdate): Promise<SubaccountView> {
      const fields: Record<string, unknown> = {};
      for (const f of ['locationID', 'displayName', 'description'] as const) if (input[f] !== undefined) fields[f] = input[f] || undefined;
      if (input.autoCertRenewal !== undefined) fields.autoCertRenewal = flag(input.autoCertRenewal) || undefined;
      if (Object.keys(fields).length > 0) await setSubaccountFields(ref, fields, 'changed');
      return ops.getSubaccount(ref);
    },

    async removeSubaccount(ref: SubaccountRef): Promise<void> {
      await change(ctx, (doc, v) => removeSubaccount(doc, findSubaccount(v, ctx.connector, ref)),
        () => ({ category: 'Account', event: 'deleted', detail: label(ref), ref }));
    },

    /** Connects (true) or disconnects (false); resolves when the proxy sees it (see tunnel-client.ts). */
    async setConnected(ref: SubaccountRef, connected: boolean): Promise<void> {
      await setSubaccountFields(ref, { connected: connected ? undefined : false }, connected ? 'connected' : 'disconnected', '');
    },

    async renewCertificate(ref: SubaccountRef, input: { user?: string; password?: string; authenticationData?: string }): Promise<SubaccountView> {
      const s = findSubaccount(ctx.store.fileConfig, ctx.connector, ref).subaccount;
      if (input.authenticationData !== undefined) {
        const c = decodeAuthenticationData(input.authenticationData);
        if (c.regionHost !== s.regionHost) throw new SccApiError('BAD_REQUEST', `The region of the authentication data (${c.regionHost}) is not the subaccount's (${s.regionHost})`);
        input = { user: c.cloudUser, password: c.cloudPassword };
      }
      if (input.user === undefined || input.password === undefined) throw invalid('Missing parameter: user and password');
      if (input.user !== s.cloudUser || input.password !== s.cloudPassword) throw invalid(`The user or password is not valid for ${label(ref)}`);
      await runtimeOf(ref).renewCertificate();
      return ops.getSubaccount(ref);
    },

    getTrust(ref: SubaccountRef): { autoSyncTrustEnabled: boolean } {
      return { autoSyncTrustEnabled: findSubaccount(ctx.store.fileConfig, ctx.connector, ref).subaccount.autoSyncTrustEnabled };
    },

    /** "Synchronize trust": there is no trust configuration to fetch in the simulator; the subaccount must exist. */
    syncTrust(ref: SubaccountRef): void {
      findSubaccount(ctx.store.fileConfig, ctx.connector, ref);
    },

    async setTrust(ref: SubaccountRef, autoSyncTrustEnabled: boolean): Promise<void> {
      await setSubaccountFields(ref, { autoSyncTrustEnabled: autoSyncTrustEnabled || undefined }, 'trust settings changed');
    },
  };
  return ops;
}
