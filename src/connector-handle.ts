// What startSimulator's handle offers per connector: where its admin API is (URL, user, password,
// the CA file to trust) and typed helpers for tests that call the admin operations directly, no
// HTTP. Each helper resolves once the change is applied (and written to the config file, when the
// simulator runs from one): after `disconnect()` the proxy answers 503, after `addResource()` the
// next request is allowed. The subaccount is the connector's first unless one is named.
import type { AdminOperations } from '../services/connector/admin/admin-operations.js';
import type { SubaccountRef } from '../services/connector/admin/config-document.js';
import type { ResourceInput, SystemMappingInput } from '../services/connector/admin/request-schemas.js';
import type { Connector } from '../services/connector/connector-service.js';

export interface AdminEndpoint {
  /** `https://127.0.0.1:<port>` */
  url: string;
  user: string;
  password: string;
  /** The simulator CA's certificate: the admin server's certificate is signed by it. */
  caFile: string;
}

/** A mapping for the helpers: SAP's fields, with protocol HTTP and backendType nonSAPsys unless given. */
export type MappingSpec = Omit<SystemMappingInput, 'protocol' | 'backendType'> & Partial<Pick<SystemMappingInput, 'protocol' | 'backendType'>>;

/** A resource for the helpers: enabled unless it says otherwise (the REST API's default is false, as SAP's). */
export type ResourceSpec = ResourceInput;

export interface Which {
  /** Default: the connector's first subaccount. */
  subaccount?: SubaccountRef;
}

export interface ConnectorHandle {
  readonly name: string;
  readonly connector: Connector;
  readonly admin: AdminEndpoint;
  /** Every admin operation (what the REST routes call). */
  readonly operations: AdminOperations;
  addSystemMapping(mapping: MappingSpec, which?: Which): Promise<void>;
  removeSystemMapping(virtualHost: string, virtualPort: string | number, which?: Which): Promise<void>;
  addResource(virtualHost: string, virtualPort: string | number, resource: ResourceSpec, which?: Which): Promise<void>;
  removeResource(virtualHost: string, virtualPort: string | number, id: string, which?: Which): Promise<void>;
  suspendResource(virtualHost: string, virtualPort: string | number, id: string, which?: Which): Promise<void>;
  resumeResource(virtualHost: string, virtualPort: string | number, id: string, which?: Which): Promise<void>;
  /** Closes the subaccount's tunnel; resolves when the proxy answers 503 for it. */
  disconnect(which?: Which): Promise<void>;
  /** Opens it again; resolves when the first attempt is decided. */
  connect(which?: Which): Promise<void>;
}

export function connectorHandle(connector: Connector, admin: () => AdminEndpoint): ConnectorHandle {
  const ops = connector.operations;
  const ref = (which?: Which): SubaccountRef => {
    if (which?.subaccount) return which.subaccount;
    const first = connector.config.subaccounts[0];
    if (first === undefined) throw new Error(`connector ${connector.name} serves no subaccount`);
    return { regionHost: first.regionHost, subaccount: first.subaccount };
  };
  return {
    name: connector.name,
    connector,
    get admin() { return admin(); },
    operations: ops,
    async addSystemMapping(m, which) {
      await ops.addSystemMapping(ref(which), { protocol: 'HTTP', backendType: 'nonSAPsys', ...m });
    },
    removeSystemMapping: (vh, vp, which) => ops.removeSystemMapping(ref(which), vh, String(vp)),
    async addResource(vh, vp, r, which) {
      await ops.addResource(ref(which), vh, String(vp), { enabled: true, ...r });
    },
    removeResource: (vh, vp, id, which) => ops.removeResource(ref(which), vh, String(vp), id),
    suspendResource: (vh, vp, id, which) => ops.setResourceEnabled(ref(which), vh, String(vp), id, false),
    resumeResource: (vh, vp, id, which) => ops.setResourceEnabled(ref(which), vh, String(vp), id, true),
    disconnect: (which) => ops.setConnected(ref(which), false),
    connect: (which) => ops.setConnected(ref(which), true),
  };
}
