// The JSON the admin API answers with, in the exact types SCC 2.19 returns and the Terraform
// provider's strict decoder insists on (scc-rest-api.md §2, §5): ports and creationDate as
// strings, real booleans, tunnel timestamps and counts as numbers, HAL `_links` with full URLs.
import type { ConnectorSubaccountConfig, DomainMapping } from '../../shared/config-schema.js';
import { CA_NAME } from '../../shared/sim-ca.js';
import { encodeResourceId } from './resource-id.js';
import type { ResourceView } from './resource-operations.js';
import type { SubaccountView } from './subaccount-operations.js';
import type { SystemMappingView } from './system-mapping-operations.js';

export const CONFIGURATION = '/api/v1/configuration';

const link = (href: string) => ({ href });
/** A path segment: percent-encoded, but `+` (SAP's resource IDs are full of them), `:` and `@` left readable. */
const segment = (s: string) => encodeURIComponent(s).replace(/%2B/g, '+').replace(/%3A/g, ':').replace(/%40/g, '@');

export const urls = {
  subaccount: (base: string, s: { regionHost: string; subaccount: string }) => `${base}${CONFIGURATION}/subaccounts/${segment(s.regionHost)}/${segment(s.subaccount)}`,
  systemMapping: (base: string, s: { regionHost: string; subaccount: string }, m: { virtualHost: string; virtualPort: string | number }) =>
    `${urls.subaccount(base, s)}/systemMappings/${segment(`${m.virtualHost}:${m.virtualPort}`)}`,
  resource: (mappingUrl: string, id: string) => `${mappingUrl}/resources/${segment(encodeResourceId(id))}`,
  domainMapping: (base: string, s: { regionHost: string; subaccount: string }, internalDomain: string) =>
    `${urls.subaccount(base, s)}/domainMappings/${segment(internalDomain)}`,
};

/** `0a1b…` → `0a:1b:…`, the form the SCC shows certificate serial numbers in. */
function colonHex(serial: string): string {
  return (serial.length % 2 ? `0${serial}` : serial).toLowerCase().match(/../g)!.join(':');
}

function tunnelOf(v: SubaccountView) {
  const { tunnel } = v;
  return {
    state: tunnel.state,
    connectedSinceTimeStamp: tunnel.state === 'Connected' ? tunnel.connectedSince : 0,
    connections: tunnel.connections,
    applicationConnections: [],
    serviceChannels: [],
    subaccountCertificate: {
      notAfterTimeStamp: tunnel.certificate.notAfter.getTime(),
      notBeforeTimeStamp: tunnel.certificate.notBefore.getTime(),
      subjectDN: tunnel.certificate.subject,
      issuer: CA_NAME,
      serialNumber: colonHex(tunnel.certificate.serialNumber),
    },
    user: v.config.cloudUser,
  };
}

export function subaccountListItem(s: ConnectorSubaccountConfig, base: string) {
  return { regionHost: s.regionHost, subaccount: s.subaccount, locationID: s.locationID, displayName: s.displayName || s.subaccount,
    _links: { self: link(urls.subaccount(base, s)) } };
}

export function subaccountEntity(v: SubaccountView, base: string) {
  const s = v.config;
  const self = urls.subaccount(base, s);
  return {
    regionHost: s.regionHost,
    subaccount: s.subaccount,
    locationID: s.locationID,
    displayName: s.displayName || s.subaccount,
    description: s.description,
    autoCertRenewal: s.autoCertRenewal,
    isManaged: s.isManaged,
    tunnel: tunnelOf(v),
    _links: {
      self: link(self), state: link(`${self}/state`), validity: link(`${self}/validity`), trust: link(`${self}/trust`),
      systemMappings: link(`${self}/systemMappings`), domainMappings: link(`${self}/domainMappings`),
    },
  };
}

/** One entry of GET /api/monitoring/subaccounts. */
export function monitoredSubaccount(v: SubaccountView) {
  const s = v.config;
  return { regionHost: s.regionHost, subaccount: s.subaccount, displayName: s.displayName || s.subaccount, description: s.description,
    locationID: s.locationID, tunnel: tunnelOf(v) };
}

export function systemMappingJson(m: SystemMappingView, s: { regionHost: string; subaccount: string }, base: string) {
  const self = urls.systemMapping(base, s, m);
  const http = m.protocol === 'HTTP' || m.protocol === 'HTTPS';
  return {
    virtualHost: m.virtualHost,
    virtualPort: String(m.virtualPort),
    localHost: m.localHost,
    localPort: String(m.localPort),
    creationDate: m.creationDate,
    protocol: m.protocol,
    backendType: m.backendType,
    hostInHeader: http ? m.hostInHeader : '',
    sid: m.sid,
    totalResourcesCount: m.resources.length,
    enabledResourcesCount: m.resources.filter((r) => r.enabled).length,
    authenticationMode: m.authenticationMode,
    description: m.description,
    sapRouter: '',
    sncPartnerName: '',
    allowedClients: [],
    blacklistedUsers: [],
    // Simulator fields (SAP's clients ignore keys they do not know).
    trustAll: m.trustAll,
    timeoutMs: m.timeoutMs,
    _links: { self: link(self), resources: link(`${self}/resources`) },
  };
}

/** A resource; in a list its `_links` are empty, as SCC 2.19 answers. */
export function resourceJson(r: ResourceView, mappingUrl: string, inList: boolean) {
  return {
    id: r.id,
    enabled: r.enabled,
    exactMatchOnly: r.exactMatchOnly,
    websocketUpgradeAllowed: r.websocketUpgradeAllowed,
    creationDate: r.creationDate,
    description: r.description,
    _links: inList ? {} : { self: link(urls.resource(mappingUrl, r.id)) },
  };
}

export function domainMappingJson(d: DomainMapping, s: { regionHost: string; subaccount: string }, base: string) {
  return { virtualDomain: d.virtualDomain, internalDomain: d.internalDomain, _links: { self: link(urls.domainMapping(base, s, d.internalDomain)) } };
}
