// The BTP service instance behind an OAuth client of the config: its xsappname and a stable
// instance GUID. The config names clients only; the Destination service (owner.InstanceId) and
// the VCAP_SERVICES bindings (instance_guid) both need the instance, so it is derived here, once.
import { createHash } from 'node:crypto';
import type { ClientConfig } from './config-schema.js';

/**
 * The client's `xsappname`; else, for an xsuaa client, its client id without `sb-` (BTP names the
 * client of an xsuaa instance `sb-<xsappname>`); else the part of its client id after the last
 * "|" (`sb-clone…|connectivity!b137` → `connectivity!b137`), else the client id.
 */
export function xsappnameOf(client: Pick<ClientConfig, 'clientid' | 'xsappname'> & { service?: ClientConfig['service'] }): string {
  if (client.xsappname !== undefined) return client.xsappname;
  if (client.service === 'xsuaa' && client.clientid.startsWith('sb-') && client.clientid.length > 3) return client.clientid.slice(3);
  const bar = client.clientid.lastIndexOf('|');
  return bar >= 0 && bar < client.clientid.length - 1 ? client.clientid.slice(bar + 1) : client.clientid;
}

/**
 * A GUID (RFC 4122 layout, version 4 bits set) derived from `kind` and the client id: the same
 * client always belongs to the same instance, across restarts and processes.
 */
export function instanceGuid(clientid: string, kind = 'instance'): string {
  const h = createHash('sha256').update(`scc-sim:${kind}:${clientid}`).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
