// Domain mappings (cookie domains; scc-rest-api.md §2.5): the connector rewrites
// `Set-Cookie: …; Domain=<internalDomain>` of a backend's answer to the virtual domain. Named by
// the internal domain (compared case-insensitively); a replacement may rename it.
import type { DomainMapping } from '../../shared/config-schema.js';
import { duplicate, notFound } from './admin-errors.js';
import { append, clearList, findSubaccount, setFields, subaccountPath, type Located, type SubaccountRef } from './config-document.js';
import { change, type OperationContext } from './operation-context.js';
import type { DomainMappingInput } from './request-schemas.js';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function indexOf(at: Located, internalDomain: string): number {
  const n = at.subaccount.domainMappings.findIndex((d) => same(d.internalDomain, internalDomain));
  if (n < 0) throw notFound.domainMapping(internalDomain);
  return n;
}

export function domainMappingOperations(ctx: OperationContext) {
  const label = (ref: SubaccountRef, d: DomainMappingInput) => `domain mapping ${d.virtualDomain} → ${d.internalDomain} of ${ref.subaccount}@${ref.regionHost}`;
  return {
    listDomainMappings(ref: SubaccountRef): DomainMapping[] {
      return findSubaccount(ctx.store.fileConfig, ctx.connector, ref).subaccount.domainMappings;
    },

    async addDomainMapping(ref: SubaccountRef, input: DomainMappingInput): Promise<void> {
      await change(ctx, (doc, v) => {
        const at = findSubaccount(v, ctx.connector, ref);
        if (at.subaccount.domainMappings.some((d) => same(d.internalDomain, input.internalDomain))) throw duplicate.domainMapping(input.internalDomain);
        append(doc, subaccountPath(doc, at, true), 'domainMappings', { virtualDomain: input.virtualDomain, internalDomain: input.internalDomain });
      }, () => ({ category: 'DomainMapping', event: 'created', detail: label(ref, input), ref }));
    },

    async replaceDomainMapping(ref: SubaccountRef, internalDomain: string, input: DomainMappingInput): Promise<void> {
      await change(ctx, (doc, v) => {
        const at = findSubaccount(v, ctx.connector, ref);
        const n = indexOf(at, internalDomain);
        const clash = at.subaccount.domainMappings.findIndex((d) => same(d.internalDomain, input.internalDomain));
        if (clash >= 0 && clash !== n) throw duplicate.domainMapping(input.internalDomain);
        setFields(doc, [...subaccountPath(doc, at, true), 'domainMappings', n], { virtualDomain: input.virtualDomain, internalDomain: input.internalDomain });
      }, () => ({ category: 'DomainMapping', event: 'changed', detail: label(ref, input), ref }));
    },

    async removeDomainMapping(ref: SubaccountRef, internalDomain: string): Promise<void> {
      await change(ctx, (doc, v) => {
        const at = findSubaccount(v, ctx.connector, ref);
        doc.deleteIn([...subaccountPath(doc, at, true), 'domainMappings', indexOf(at, internalDomain)]);
      }, () => ({ category: 'DomainMapping', event: 'deleted', detail: `domain mapping ${internalDomain} of ${ref.subaccount}@${ref.regionHost}`, ref }));
    },

    async removeAllDomainMappings(ref: SubaccountRef): Promise<void> {
      await change(ctx, (doc, v) => {
        const at = findSubaccount(v, ctx.connector, ref);
        if (at.subaccount.domainMappings.length > 0) clearList(doc, subaccountPath(doc, at, true), 'domainMappings');
      }, () => ({ category: 'DomainMapping', event: 'deleted', detail: `every domain mapping of ${ref.subaccount}@${ref.regionHost}`, ref }));
    },
  };
}
