// System mappings ("Cloud To On-Premises → Access Control"; scc-rest-api.md §2.3): list, read,
// create, replace, delete, delete all — over the config store. A mapping is named by its virtual
// host (compared case-insensitively, as the connector routes) and virtual port.
import type { Document } from 'yaml';
import type { Config, SystemMapping } from '../../shared/config-schema.js';
import { duplicate, invalid, notFound } from './admin-errors.js';
import { append, clearList, findSubaccount, setFields, subaccountPath, type DocPath, type Located, type SubaccountRef } from './config-document.js';
import { change, creationDateOf, type OperationContext } from './operation-context.js';
import { flag, type SystemMappingInput } from './request-schemas.js';

export interface SystemMappingView extends SystemMapping {
  creationDate: string;
}

const SIMULATED = new Set(['HTTP', 'HTTPS', 'TCP', 'TCPS']);
const RFC_ONLY = ['sapRouter', 'sncPartnerName', 'allowedClients', 'blacklistedUsers'] as const;

/** `virtualhost:3333` (the path segment) → its parts; the port is everything after the last colon. */
export function splitSystem(system: string): { virtualHost: string; virtualPort: string } {
  const colon = system.lastIndexOf(':');
  if (colon <= 0 || colon === system.length - 1) throw invalid(`'${system}' is not <virtualHost>:<virtualPort>`);
  return { virtualHost: system.slice(0, colon), virtualPort: system.slice(colon + 1) };
}

export function sameSystem(m: Pick<SystemMapping, 'virtualHost' | 'virtualPort'>, virtualHost: string, virtualPort: string | number): boolean {
  return m.virtualHost.toLowerCase() === virtualHost.toLowerCase() && String(m.virtualPort) === String(virtualPort);
}

export interface FoundMapping extends Located {
  mapping: SystemMapping;
  mappingIndex: number;
}

export function findMapping(view: Config, connector: string, ref: SubaccountRef, virtualHost: string, virtualPort: string): FoundMapping {
  const at = findSubaccount(view, connector, ref);
  const mappingIndex = at.subaccount.systemMappings.findIndex((m) => sameSystem(m, virtualHost, virtualPort));
  if (mappingIndex < 0) throw notFound.systemMapping(virtualHost, virtualPort);
  return { ...at, mapping: at.subaccount.systemMappings[mappingIndex], mappingIndex };
}

export function mappingPath(doc: Document, found: FoundMapping): DocPath {
  return [...subaccountPath(doc, found), 'systemMappings', found.mappingIndex];
}

export function mappingKey(ctx: OperationContext, ref: SubaccountRef, m: Pick<SystemMapping, 'virtualHost' | 'virtualPort'>): string {
  return `${ctx.connector}\u0000${ref.regionHost}\u0000${ref.subaccount}\u0000${m.virtualHost.toLowerCase()}:${m.virtualPort}`;
}

/** A port as the file should say it: a number when it is one, a range as a string. */
function portValue(p: string | number): string | number {
  return typeof p === 'string' && /^[0-9]+$/.test(p) ? Number(p) : p;
}

/** The request's mapping as config fields; SAP's spellings normalised, what cannot be simulated refused. */
function mappingFields(input: SystemMappingInput): Record<string, unknown> {
  const protocol = input.protocol.toUpperCase();
  if (!SIMULATED.has(protocol)) throw invalid(`protocol ${input.protocol} is not simulated (HTTP, HTTPS, TCP and TCPS are)`);
  const http = protocol === 'HTTP' || protocol === 'HTTPS';
  let hostInHeader: string | undefined;
  if (input.hostInHeader !== undefined && input.hostInHeader !== '') {
    if (!http) throw invalid(`hostInHeader is not valid for ${protocol}`);
    hostInHeader = input.hostInHeader.toUpperCase();
    if (hostInHeader !== 'VIRTUAL' && hostInHeader !== 'INTERNAL') throw invalid(`hostInHeader must be VIRTUAL or INTERNAL, not ${input.hostInHeader}`);
  }
  for (const field of RFC_ONLY) {
    const v = input[field];
    if (v !== undefined && v.length > 0) throw invalid(`${field} is valid for RFC mappings only, which are not simulated`);
  }
  return {
    virtualHost: input.virtualHost, virtualPort: portValue(input.virtualPort), localHost: input.localHost, localPort: portValue(input.localPort),
    protocol, backendType: input.backendType, hostInHeader, authenticationMode: (input.authenticationMode || 'NONE').toUpperCase(),
    description: input.description || undefined, sid: input.sid || undefined,
  };
}

/** Simulator fields: given ones replace, missing ones are kept (SAP's clients do not know them). */
function simulatorFields(input: SystemMappingInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (input.trustAll !== undefined) out.trustAll = flag(input.trustAll);
  if (input.caFile !== undefined) out.caFile = input.caFile;
  if (input.timeoutMs !== undefined) out.timeoutMs = input.timeoutMs;
  return out;
}

export function systemMappingOperations(ctx: OperationContext) {
  const view = (m: SystemMapping, ref: SubaccountRef): SystemMappingView => ({ ...m, creationDate: creationDateOf(ctx, mappingKey(ctx, ref, m), m.creationDate) });
  const label = (ref: SubaccountRef, m: { virtualHost: string; virtualPort: string | number }) => `${m.virtualHost}:${m.virtualPort} of ${ref.subaccount}@${ref.regionHost}`;

  const ops = {
    listSystemMappings(ref: SubaccountRef): SystemMappingView[] {
      return findSubaccount(ctx.store.fileConfig, ctx.connector, ref).subaccount.systemMappings.map((m) => view(m, ref));
    },

    getSystemMapping(ref: SubaccountRef, virtualHost: string, virtualPort: string): SystemMappingView {
      return view(findMapping(ctx.store.fileConfig, ctx.connector, ref, virtualHost, virtualPort).mapping, ref);
    },

    async addSystemMapping(ref: SubaccountRef, input: SystemMappingInput): Promise<SystemMappingView> {
      const fields = { ...mappingFields(input), ...simulatorFields(input), creationDate: String(Date.now()) };
      await change(ctx, (doc, v) => {
        const at = findSubaccount(v, ctx.connector, ref);
        if (at.subaccount.systemMappings.some((m) => sameSystem(m, input.virtualHost, input.virtualPort))) {
          throw duplicate.systemMapping(input.virtualHost, String(input.virtualPort));
        }
        append(doc, subaccountPath(doc, at), 'systemMappings', Object.fromEntries(Object.entries(fields).filter(([, x]) => x !== undefined)));
      }, () => ({ category: 'BackendMapping', event: 'created', detail: `system mapping ${label(ref, input)} → ${input.localHost}:${input.localPort}`, ref }));
      return ops.getSystemMapping(ref, input.virtualHost, String(input.virtualPort));
    },

    async replaceSystemMapping(ref: SubaccountRef, virtualHost: string, virtualPort: string, input: SystemMappingInput): Promise<void> {
      if (!sameSystem(input, virtualHost, virtualPort)) {
        throw invalid('virtualHost and virtualPort cannot be changed: delete the system mapping and create a new one');
      }
      const fields = mappingFields(input);
      await change(ctx, (doc, v) => {
        const found = findMapping(v, ctx.connector, ref, virtualHost, virtualPort);
        // A replacement: SAP's fields as given (left-out ones back to their defaults); resources,
        // creationDate and simulator fields the request does not name stay.
        setFields(doc, mappingPath(doc, found), { ...fields, virtualHost: found.mapping.virtualHost, ...simulatorFields(input),
          creationDate: creationDateOf(ctx, mappingKey(ctx, ref, found.mapping), found.mapping.creationDate) });
      }, () => ({ category: 'BackendMapping', event: 'changed', detail: `system mapping ${label(ref, input)} → ${input.localHost}:${input.localPort}`, ref }));
    },

    async removeSystemMapping(ref: SubaccountRef, virtualHost: string, virtualPort: string): Promise<void> {
      await change(ctx, (doc, v) => {
        const found = findMapping(v, ctx.connector, ref, virtualHost, virtualPort);
        doc.deleteIn(mappingPath(doc, found));
      }, () => ({ category: 'BackendMapping', event: 'deleted', detail: `system mapping ${label(ref, { virtualHost, virtualPort })}`, ref }));
    },

    async removeAllSystemMappings(ref: SubaccountRef): Promise<void> {
      await change(ctx, (doc, v) => clearList(doc, subaccountPath(doc, findSubaccount(v, ctx.connector, ref)), 'systemMappings'),
        () => ({ category: 'BackendMapping', event: 'deleted', detail: `every system mapping of ${ref.subaccount}@${ref.regionHost}`, ref }));
    },
  };
  return ops;
}
