// The library API of scc-sim: the in-process simulator and the building blocks of each service.
export { startSimulator, type Simulator, type SimulatorOptions, type SimulatorClient } from './simulator.js';
export { fetchToken } from './token-client.js';
export { buildVcapServices, buildDefaultEnv, configuredUrls, type VcapServices, type VcapBinding, type VcapUrls } from './vcap-services.js';
export { loadConfigFile, parseConfig, ConfigError } from '../services/shared/config-load.js';
export type { Config, ConfigInput } from '../services/shared/config-schema.js';
export { buildBackend } from '../services/backend/backend-service.js';
export { buildConnector } from '../services/connector/connector-service.js';
export { buildProxy } from '../services/proxy/proxy-service.js';
export { ConfigStore, ConfigFileConflict, type ConfigStoreOptions } from '../services/shared/config-store.js';
export type { ConnectorHandle, AdminEndpoint, MappingSpec, ResourceSpec } from './connector-handle.js';
export type { AdminOperations } from '../services/connector/admin/admin-operations.js';
export { encodeResourceId, decodeResourceId } from '../services/connector/admin/resource-id.js';
