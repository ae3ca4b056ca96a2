// The resources of a system mapping ("allowed resources"; scc-rest-api.md §2.4): list, read,
// create, replace, delete, delete all, and suspend/resume (a replacement with `enabled` flipped).
// As SAP's API does, a flag the request leaves out is false — also `enabled` — while a resource
// written by hand in the file is enabled unless it says otherwise (the config schema's default).
import type { Resource } from '../../shared/config-schema.js';
import { duplicate, notFound } from './admin-errors.js';
import { append, clearList, setFields, type SubaccountRef } from './config-document.js';
import { change, creationDateOf, type OperationContext } from './operation-context.js';
import { flag, type ResourceInput, type ResourceUpdate } from './request-schemas.js';
import { findMapping, mappingKey, mappingPath, type FoundMapping } from './system-mapping-operations.js';

export interface ResourceView extends Resource {
  creationDate: string;
}

function resourceIndex(found: FoundMapping, id: string): number {
  const n = found.mapping.resources.findIndex((r) => r.id === id);
  if (n < 0) throw notFound.resource(id);
  return n;
}

function resourceFields(input: ResourceUpdate): Record<string, unknown> {
  return {
    enabled: flag(input.enabled) ?? false,
    exactMatchOnly: flag(input.exactMatchOnly) ?? false,
    websocketUpgradeAllowed: flag(input.websocketUpgradeAllowed) ?? false,
    description: input.description || undefined,
  };
}

export function resourceOperations(ctx: OperationContext) {
  const key = (ref: SubaccountRef, found: FoundMapping, id: string) => `${mappingKey(ctx, ref, found.mapping)}\u0000${id}`;
  const find = (ref: SubaccountRef, vh: string, vp: string) => findMapping(ctx.store.fileConfig, ctx.connector, ref, vh, vp);
  const view = (ref: SubaccountRef, found: FoundMapping, r: Resource): ResourceView => ({ ...r, creationDate: creationDateOf(ctx, key(ref, found, r.id), r.creationDate) });
  const label = (ref: SubaccountRef, vh: string, vp: string, id: string) => `resource ${id} of ${vh}:${vp} (${ref.subaccount}@${ref.regionHost})`;

  /** Replaces a resource's settings with `fields(current)`; id and creationDate stay. */
  async function replace(ref: SubaccountRef, vh: string, vp: string, id: string, fields: (r: Resource) => Record<string, unknown>, event: string): Promise<void> {
    await change(ctx, (doc, v) => {
      const found = findMapping(v, ctx.connector, ref, vh, vp);
      const n = resourceIndex(found, id);
      const r = found.mapping.resources[n];
      setFields(doc, [...mappingPath(doc, found), 'resources', n], { ...fields(r), creationDate: creationDateOf(ctx, key(ref, found, id), r.creationDate) });
    }, () => ({ category: 'AllowedResource', event, detail: label(ref, vh, vp, id), ref }));
  }

  const ops = {
    listResources(ref: SubaccountRef, virtualHost: string, virtualPort: string): ResourceView[] {
      const found = find(ref, virtualHost, virtualPort);
      return found.mapping.resources.map((r) => view(ref, found, r));
    },

    getResource(ref: SubaccountRef, virtualHost: string, virtualPort: string, id: string): ResourceView {
      const found = find(ref, virtualHost, virtualPort);
      return view(ref, found, found.mapping.resources[resourceIndex(found, id)]);
    },

    async addResource(ref: SubaccountRef, virtualHost: string, virtualPort: string, input: ResourceInput): Promise<ResourceView> {
      const entry = { id: input.id, ...resourceFields(input), creationDate: String(Date.now()) };
      await change(ctx, (doc, v) => {
        const found = findMapping(v, ctx.connector, ref, virtualHost, virtualPort);
        if (found.mapping.resources.some((r) => r.id === input.id)) throw duplicate.resource(input.id);
        append(doc, mappingPath(doc, found), 'resources', Object.fromEntries(Object.entries(entry).filter(([, x]) => x !== undefined)));
      }, () => ({ category: 'AllowedResource', event: 'created', detail: label(ref, virtualHost, virtualPort, input.id), ref }));
      return ops.getResource(ref, virtualHost, virtualPort, input.id);
    },

    replaceResource(ref: SubaccountRef, virtualHost: string, virtualPort: string, id: string, input: ResourceUpdate): Promise<void> {
      return replace(ref, virtualHost, virtualPort, id, () => resourceFields(input), 'changed');
    },

    /** Suspends (false) or resumes (true) a resource; its other settings stay. */
    setResourceEnabled(ref: SubaccountRef, virtualHost: string, virtualPort: string, id: string, enabled: boolean): Promise<void> {
      return replace(ref, virtualHost, virtualPort, id, (r) => ({
        enabled, exactMatchOnly: r.exactMatchOnly, websocketUpgradeAllowed: r.websocketUpgradeAllowed, description: r.description || undefined,
      }), enabled ? 'resumed' : 'suspended');
    },

    async removeResource(ref: SubaccountRef, virtualHost: string, virtualPort: string, id: string): Promise<void> {
      await change(ctx, (doc, v) => {
        const found = findMapping(v, ctx.connector, ref, virtualHost, virtualPort);
        doc.deleteIn([...mappingPath(doc, found), 'resources', resourceIndex(found, id)]);
      }, () => ({ category: 'AllowedResource', event: 'deleted', detail: label(ref, virtualHost, virtualPort, id), ref }));
    },

    async removeAllResources(ref: SubaccountRef, virtualHost: string, virtualPort: string): Promise<void> {
      await change(ctx, (doc, v) => clearList(doc, mappingPath(doc, findMapping(v, ctx.connector, ref, virtualHost, virtualPort)), 'resources'),
        () => ({ category: 'AllowedResource', event: 'deleted', detail: `every resource of ${virtualHost}:${virtualPort} (${ref.subaccount}@${ref.regionHost})`, ref }));
    },
  };
  return ops;
}
