// The VCAP_SERVICES an app bound to the simulated world sees (sap-contract.md §6.1, §6.2): one
// `connectivity`, `destination` and `xsuaa` binding each, from the first subaccount's first client
// of that service (a service without a client there has no binding).
//
// Which URL goes where — what real clients read:
//   - `url` (and `token_service_url`): the plain-HTTP token service. @sap/xssec 4 (under the SAP
//     Cloud SDK 4) fetches client-credentials tokens from `credentials.url` + /oauth/token when no
//     tenant is given (the provider flow of `executeHttpRequest({ destinationName })`), and so do
//     Python/curl recipes: plain HTTP works there without trusting any CA.
//   - `uaadomain` (and `token_service_domain`): `proxy.uaadomain` (a DNS name, default
//     authentication.localhost) with the port of the HTTPS token listener. xssec builds
//     `https://<uaadomain>/oauth/token` (+ header x-zid) for user flows (a JWT with `zid`: principal
//     propagation), `https://<subdomain>.<uaadomain>/oauth/token` for a tenant by subdomain (the
//     approuter's connectivity and destination tokens; XsuaaService.js:259 — the port survives, it
//     is part of the string) and `https://<uaadomain>/token_keys` for JWKS: the app must trust the
//     simulator's CA (NODE_EXTRA_CA_CERTS) and resolve both names to the proxy (hostsLines()).
//     Without an HTTPS listener it is the HTTP host:port, which only the flows above can use.
//   - `uri` (destination): the Destination service = the token service's HTTP base URL.
// Ports are strings, as on Cloud Foundry.
import { isIP } from 'node:net';
import type { ClientConfig, Config, SubaccountConfig } from '../services/shared/config-schema.js';
import { instanceGuid, xsappnameOf } from '../services/shared/service-instance.js';
import { tenantHostNames } from '../services/xsuaa/tenant-host.js';

export interface VcapUrls {
  /** Token service (and Destination service) base URL, `http://host:port`. */
  tokenService: string;
  /** The HTTPS token listener, `https://host:port`, when the simulator has one. */
  tokenServiceHttps?: string;
  /** `<proxy.uaadomain>:<HTTPS port>`; default: the host:port of tokenServiceHttps, else of tokenService. */
  uaadomain?: string;
  /** `http://host:port` of the HTTP proxy. */
  httpProxy: string;
  /** `socks5://host:port` of the SOCKS5 proxy. */
  socks5Proxy: string;
  /** PEM public key of the token signing key; left out of the bindings when unknown. */
  verificationKey?: string;
}

export interface VcapBinding {
  label: string;
  provider: null;
  plan: string;
  name: string;
  tags: string[];
  instance_guid: string;
  instance_name: string;
  binding_guid: string;
  binding_name: null;
  credentials: Record<string, string>;
  syslog_drain_url: null;
  volume_mounts: [];
}

export type VcapServices = Partial<Record<'connectivity' | 'destination' | 'xsuaa', VcapBinding[]>>;

export interface DefaultEnv {
  VCAP_SERVICES: VcapServices;
}

export function buildVcapServices(config: Config, urls: VcapUrls): VcapServices {
  const subaccount = config.subaccounts[0];
  const clientOf = (service: ClientConfig['service']) => subaccount.clients.find((c) => c.service === service);
  const httpProxy = new URL(urls.httpProxy);
  const socks5 = new URL(urls.socks5Proxy);
  const uaadomain = urls.uaadomain ?? new URL(urls.tokenServiceHttps ?? urls.tokenService).host;
  const key: Record<string, string> = urls.verificationKey === undefined ? {} : { verificationkey: urls.verificationKey };
  const common = (client: ClientConfig): Record<string, string> => ({
    clientid: client.clientid,
    clientsecret: client.clientsecret,
    url: urls.tokenService,
    uaadomain,
    xsappname: xsappnameOf(client),
    identityzone: subaccount.subdomain,
    tenantid: subaccount.subaccount,
    tenantmode: 'dedicated',
    ...key,
    'credential-type': 'binding-secret',
  });
  const vcap: VcapServices = {};
  const connectivity = clientOf('connectivity');
  if (connectivity !== undefined) {
    vcap.connectivity = [binding('connectivity', 'lite', ['connectivity', 'conn', 'connsvc'], connectivity, subaccount, {
      ...common(connectivity),
      token_service_url: urls.tokenService,
      token_service_domain: uaadomain,
      onpremise_proxy_host: httpProxy.hostname,
      onpremise_proxy_http_port: httpProxy.port,
      onpremise_proxy_port: httpProxy.port,
      onpremise_socks5_proxy_port: socks5.port,
    })];
  }
  const destination = clientOf('destination');
  if (destination !== undefined) {
    vcap.destination = [binding('destination', 'lite', ['destination', 'conn', 'connsvc'], destination, subaccount, {
      ...common(destination),
      uri: urls.tokenService,
      instanceid: instanceGuid(destination.clientid),
    })];
  }
  const xsuaa = clientOf('xsuaa');
  if (xsuaa !== undefined) {
    vcap.xsuaa = [binding('xsuaa', 'application', ['xsuaa'], xsuaa, subaccount, {
      ...common(xsuaa),
      subaccountid: subaccount.subaccount,
      zoneid: subaccount.subaccount,
      serviceInstanceId: instanceGuid(xsuaa.clientid),
    })];
  }
  return vcap;
}

/** The `default-env.json` that CAP (`cds`), @sap/xsenv and the approuter read locally. */
export function buildDefaultEnv(config: Config, urls: VcapUrls): DefaultEnv {
  return { VCAP_SERVICES: buildVcapServices(config, urls) };
}

/** The URLs of the configured ports, for when the simulator is not (necessarily) running. */
export function configuredUrls(config: Config): VcapUrls {
  const p = config.proxy;
  const host = p.publicHost ?? (p.host === '0.0.0.0' || p.host === '::' ? '127.0.0.1' : p.host);
  const httpsPort = configuredHttpsPort(config);
  return {
    tokenService: `http://${host}:${p.tokenServicePort}`,
    ...(httpsPort === undefined ? {} : { tokenServiceHttps: `https://${host}:${httpsPort}`, uaadomain: uaadomainOf(config, httpsPort) }),
    httpProxy: `http://${host}:${p.httpPort}`,
    socks5Proxy: `socks5://${host}:${p.socks5Port}`,
  };
}

/** The bindings' `uaadomain`: the DNS name with the HTTPS listener's port (none for 443). */
export function uaadomainOf(config: Config, httpsPort: number): string {
  return httpsPort === 443 ? config.proxy.uaadomain : `${config.proxy.uaadomain}:${httpsPort}`;
}

/**
 * The hosts-file lines that make the uaadomain and every subaccount's tenant name
 * (`<subdomain>.<uaadomain>`) reach the proxy: `<address> <name> <name> …`. The address is the
 * proxy's public host when that is an IP address (loopback for a wildcard bind); for a host name
 * it is unknown here and written as `<address of NAME>`.
 */
export function hostsLines(config: Config): string[] {
  const p = config.proxy;
  const host = p.publicHost ?? (p.host === '0.0.0.0' || p.host === '::' || p.host === '' ? '127.0.0.1' : p.host);
  const address = host === 'localhost' ? '127.0.0.1' : isIP(host) !== 0 ? host : `<address of ${host}>`;
  return [`${address} ${tenantHostNames(config).join(' ')}`];
}

/** The configured HTTPS token listener port; 0 (ephemeral) has no URL before the simulator runs. */
function configuredHttpsPort(config: Config): number | undefined {
  const port = config.proxy.tokenServiceHttpsPort;
  return port > 0 ? port : undefined;
}

function binding(service: string, plan: string, tags: string[], client: ClientConfig, subaccount: SubaccountConfig,
  credentials: Record<string, string>): VcapBinding {
  const name = `${subaccount.subdomain}-${service}`;
  return {
    label: service, provider: null, plan, name, tags,
    instance_guid: instanceGuid(client.clientid), instance_name: name,
    binding_guid: instanceGuid(client.clientid, 'binding'), binding_name: null,
    credentials, syslog_drain_url: null, volume_mounts: [],
  };
}
