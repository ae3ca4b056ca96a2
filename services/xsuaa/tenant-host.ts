// Which tenant a request's Host names: `<subdomain>.<uaadomain>[:port]` → the subdomain, as
// XSUAA's tenant URLs (`https://<subdomain>.authentication.<region>.hana.ondemand.com`) do. The
// bare uaadomain, an IP address or any other host names no tenant. Pure.

import type { Config } from '../shared/config-schema.js';

export type HostTenant = { tenant: false } | { tenant: true; subdomain: string };

export function tenantOfHost(host: string | undefined, uaadomain: string): HostTenant {
  if (typeof host !== 'string' || host === '' || host.startsWith('[')) return { tenant: false };
  const name = host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  const suffix = `.${uaadomain.toLowerCase()}`;
  if (!name.endsWith(suffix) || name.length === suffix.length) return { tenant: false };
  return { tenant: true, subdomain: name.slice(0, -suffix.length) };
}

/** The uaadomain and every subaccount's `<subdomain>.<uaadomain>`: the names that must reach the proxy. */
export function tenantHostNames(config: Pick<Config, 'proxy' | 'subaccounts'>): string[] {
  return [config.proxy.uaadomain, ...config.subaccounts.map((s) => `${s.subdomain}.${config.proxy.uaadomain}`)];
}
