// What the cockpit page shows, as data: per subaccount its Cloud Connectors by location ID (the
// connected ones from the tunnel registry, and those the config knows that are not connected),
// each with its admin URL when known, and the destinations of the Destination service (without
// credentials). Pure: config and registry in, a plain object out.
import type { Config, DestinationConfig } from '../shared/config-schema.js';
import type { TunnelRegistry } from '../proxy/tunnel-registry.js';

export type ConnectorState = 'Connected' | 'Disconnected' | 'Not connected';

export interface CockpitLocation {
  locationId: string;
  connector: string;
  state: ConnectorState;
  /** ISO 8601, while connected. */
  connectedSince?: string;
  remoteAddress?: string;
  /** The connector's admin server, when this process knows it. */
  adminUrl?: string;
}

export interface CockpitDestination {
  name: string;
  type: string;
  url?: string;
  proxyType: string;
  authentication: string;
  locationId?: string;
}

export interface CockpitSubaccount {
  subaccount: string;
  subdomain: string;
  displayName?: string;
  locations: CockpitLocation[];
  destinations: CockpitDestination[];
}

export interface CockpitView {
  subaccounts: CockpitSubaccount[];
}

export function cockpitView(config: Config, registry: TunnelRegistry, adminUrls: Record<string, string>): CockpitView {
  const tunnels = registry.list();
  return {
    subaccounts: config.subaccounts.map((s) => {
      const locations: CockpitLocation[] = tunnels.filter((t) => t.subaccount === s.subaccount).map((t) => ({
        locationId: t.locationId, connector: t.connectorName, state: 'Connected',
        connectedSince: new Date(t.connectedSince).toISOString(), remoteAddress: t.remoteAddress, adminUrl: adminUrls[t.connectorName],
      }));
      for (const k of config.connectors) {
        for (const ks of k.subaccounts) {
          if (ks.subaccount !== s.subaccount || locations.some((l) => l.connector === k.name && l.locationId === ks.locationID)) continue;
          locations.push({ locationId: ks.locationID, connector: k.name, state: ks.connected ? 'Not connected' : 'Disconnected', adminUrl: adminUrls[k.name] });
        }
      }
      locations.sort((a, b) => a.locationId.localeCompare(b.locationId) || a.connector.localeCompare(b.connector));
      return { subaccount: s.subaccount, subdomain: s.subdomain, displayName: s.displayName, locations, destinations: s.destinations.map(destination) };
    }),
  };
}

/** Only what the page shows: never User, Password or any other property (they may hold secrets). */
function destination(d: DestinationConfig): CockpitDestination {
  return {
    name: d.Name, type: d.Type, url: d.URL, proxyType: d.ProxyType, authentication: d.Authentication, locationId: d.CloudConnectorLocationId,
  };
}
