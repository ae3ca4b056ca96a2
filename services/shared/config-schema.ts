// The one schema of the simulated world. Field names are the Cloud Connector's own (DESIGN.md,
// "One vocabulary"); fields that exist only in the simulator say so in their description.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEFAULT_LISTENER_TIMEOUTS } from './http-listener.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

/** Node runs a timer above 2^31-1 ms after 1 ms (issue 11): every millisecond setting is bounded by it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** A duration in milliseconds, 1 to MAX_TIMER_MS (about 24.8 days). */
const Milliseconds = (defaultMs: number, description?: string) =>
  Type.Integer({ minimum: 1, maximum: MAX_TIMER_MS, default: defaultMs, ...(description === undefined ? {} : { description }) });

/** A port as the SCC writes it: a number, a numeric string, or (TCP only) a range `low-high`. */
const MappingPort = Type.Union([
  Type.Integer({ minimum: 1, maximum: 65535 }),
  Type.String({ pattern: '^[0-9]{1,5}(-[0-9]{1,5})?$' }),
], { description: 'port, as number or string; TCP/TCPS mappings may use a range "low-high"' });

/** Epoch milliseconds as a string, as the SCC's REST API returns it; written by the admin API. */
const CreationDate = Type.String({ pattern: '^[0-9]{1,15}$', description: 'epoch ms, written when the admin API creates the entry; kept across restarts' });

const AuditLogLevel = Type.Union([Type.Literal('OFF'), Type.Literal('SECURITY'), Type.Literal('ALL')]);

export const ResourceSchema = Type.Object({
  id: Type.String({ pattern: '^/', description: 'URL path (case-sensitive), always starting with /' }),
  exactMatchOnly: Type.Boolean({ default: false, description: 'true: "Path Only (Sub-Paths Are Excluded)"; false: "Path And All Sub-Paths" (plain string prefix)' }),
  enabled: Type.Boolean({ default: true, description: 'false = suspended: every request for this resource is denied' }),
  websocketUpgradeAllowed: Type.Boolean({ default: false }),
  description: Type.String({ default: '' }),
  creationDate: Type.Optional(CreationDate),
}, { additionalProperties: false });

export const SystemMappingSchema = Type.Object({
  virtualHost: Type.String({ minLength: 1, pattern: '^[^\\s/:@]+$' }),
  virtualPort: MappingPort,
  localHost: Type.String({ minLength: 1 }),
  localPort: MappingPort,
  protocol: Type.Union([Type.Literal('HTTP'), Type.Literal('HTTPS'), Type.Literal('TCP'), Type.Literal('TCPS')], { default: 'HTTP' }),
  backendType: Type.Union(['abapSys', 'netweaverCE', 'netweaverGW', 'applServerJava', 'BC', 'PI', 'hana', 'otherSAPsys', 'nonSAPsys']
    .map((t) => Type.Literal(t)), { default: 'nonSAPsys' }),
  hostInHeader: Type.Union([Type.Literal('VIRTUAL'), Type.Literal('INTERNAL')], { default: 'VIRTUAL' }),
  authenticationMode: Type.Union(['NONE', 'NONE_RESTRICTED', 'X509_GENERAL', 'X509_RESTRICTED', 'KERBEROS']
    .map((t) => Type.Literal(t)), { default: 'NONE' }),
  sid: Type.String({ default: '' }),
  description: Type.String({ default: '' }),
  trustAll: Type.Boolean({ default: false, description: 'simulator: HTTPS backend certificates are not verified' }),
  caFile: Type.Optional(Type.String({ minLength: 1, description: 'simulator: PEM file with the CA(s) that sign the HTTPS backend certificate' })),
  timeoutMs: Milliseconds(30000, 'simulator: the backend must send its response head within this time after the request went out (else 504); '
    + 'a pause longer than this while the request or response body streams ends the exchange'),
  resources: Type.Array(ResourceSchema, { default: [] }),
  creationDate: Type.Optional(CreationDate),
}, { additionalProperties: false });

/** A cookie domain mapping: `Set-Cookie` domains of the internal system are rewritten to the virtual one. */
export const DomainMappingSchema = Type.Object({
  virtualDomain: Type.String({ minLength: 1 }),
  internalDomain: Type.String({ minLength: 1 }),
}, { additionalProperties: false });

/**
 * How the connector makes the short-lived X.509 certificates of principal propagation
 * (sap-contract.md §4.3; SCC "Configuration > On Premise > Principal Propagation"): one subject
 * pattern (the SCC's default rule, without conditions), validity and tolerance.
 */
export const PrincipalPropagationSchema = Type.Object({
  subjectPattern: Type.String({
    minLength: 1, default: 'CN=${name}',
    description: 'subject DN of the certificates; variables ${name}, ${mail}, ${email}, ${user_uuid}, ${display_name}, ${login_name}, '
      + '${given_name}, ${family_name}, ${client_id}, ${user_type} (values are DN-escaped)',
  }),
  certificateValidityMinutes: Type.Integer({
    minimum: 1, maximum: 43200, default: 60,
    description: 'validity of a certificate; it is reused for the same user until shortly before it expires. '
      + 'SAP allows 0 (a certificate expired on arrival); the simulator needs at least 1',
  }),
  expirationToleranceMinutes: Type.Integer({
    minimum: 0, maximum: 20160, default: 0,
    description: 'simulator: the certificate\'s validity starts this long before now (clock skew). SAP\'s "Expiration Tolerance" '
      + '(0–336 h) lets a certificate outlive the user\'s token; here the proxy refuses expired tokens before the connector sees them',
  }),
}, { additionalProperties: false, default: {} });

/** The keys of the one-subaccount connector shape (still accepted: config-connector-shape.ts). */
export const LEGACY_CONNECTOR_KEYS = ['subaccount', 'regionHost', 'locationID', 'cloudUser', 'cloudPassword', 'systemMappings'] as const;

/** A subaccount a Cloud Connector serves: its own tunnel, location ID and access control (SCC "Subaccount"). */
export const ConnectorSubaccountSchema = Type.Object({
  subaccount: Type.String({ minLength: 1, description: 'the subaccount ID; must be one of subaccounts[].subaccount' }),
  regionHost: Type.String({ minLength: 1, default: 'cf.sim.hana.ondemand.com' }),
  locationID: Type.String({ default: '', maxLength: 189, description: 'empty = the default location' }),
  cloudUser: Type.String({ minLength: 1 }),
  cloudPassword: Type.String({ minLength: 1 }),
  displayName: Type.Optional(Type.String({ description: 'default: the subaccount ID' })),
  description: Type.String({ default: '' }),
  connected: Type.Boolean({ default: true, description: 'false: the tunnel stays closed (SCC "Disconnect")' }),
  autoCertRenewal: Type.Boolean({ default: false }),
  isManaged: Type.Boolean({ default: false }),
  autoSyncTrustEnabled: Type.Boolean({ default: false }),
  auditLogLevel: Type.Optional(Type.Union(AuditLogLevel.anyOf, { description: 'default: the connector\'s auditLogLevel' })),
  systemMappings: Type.Array(SystemMappingSchema, { default: [] }),
  domainMappings: Type.Array(DomainMappingSchema, { default: [] }),
}, { additionalProperties: false });

const ConnectorFields = {
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
  description: Type.String({ default: '' }),
  adminHost: Type.String({ minLength: 1, default: '127.0.0.1', description: 'simulator: address the admin server (REST API) binds to' }),
  adminPort: Type.Optional(Type.Integer({
    minimum: 0, maximum: 65535,
    description: 'HTTPS port of the admin server (SAP: 8443, which the token service\'s HTTPS port takes here); '
      + 'default 8444 for the first connector without one, then the next free numbers; 0 = ephemeral',
  })),
  adminUser: Type.String({ minLength: 1, default: 'Administrator' }),
  adminPassword: Type.String({ minLength: 1, default: 'manage' }),
  tunnelHost: Type.Optional(Type.String({ minLength: 1, description: 'simulator: host of the proxy tunnel endpoint; default proxy.host' })),
  tunnelPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'simulator: default proxy.tunnelPort' })),
  auditLogLevel: Type.Union(AuditLogLevel.anyOf, { default: 'SECURITY' }),
  auditLogCleanup: Type.Union([0, 14, 30, 90, 180, 365].map((d) => Type.Literal(d)), { default: 0, description: 'days the SCC keeps audit files (0 = forever); kept for the API only' }),
  reconnectInitialDelayMs: Milliseconds(100),
  reconnectMaxDelayMs: Milliseconds(10000),
  principalPropagation: PrincipalPropagationSchema,
};

/** A Cloud Connector instance (as loaded: always with `subaccounts`). */
export const ConnectorSchema = Type.Object({
  ...ConnectorFields,
  subaccounts: Type.Array(ConnectorSubaccountSchema, { default: [] }),
}, { additionalProperties: false });

/** The one-subaccount shape of a connector, as files before the admin API wrote it: accepted, normalised on load. */
export const LegacyConnectorSchema = Type.Object({
  ...ConnectorFields,
  ...Type.Omit(ConnectorSubaccountSchema, ['displayName', 'description', 'connected', 'autoCertRenewal', 'isManaged',
    'autoSyncTrustEnabled', 'auditLogLevel', 'domainMappings']).properties,
}, { additionalProperties: false });

/** A destination as the Destination service stores it: SAP's property names, every value a string. */
export const DestinationSchema = Type.Object({
  Name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_-]+$' }),
  Type: Type.String({ default: 'HTTP' }),
  URL: Type.Optional(Type.String()),
  Authentication: Type.String({ default: 'NoAuthentication', description: 'NoAuthentication, BasicAuthentication, PrincipalPropagation, OAuth2TechnicalUserPropagation, …' }),
  ProxyType: Type.String({ default: 'OnPremise' }),
  CloudConnectorLocationId: Type.Optional(Type.String()),
  User: Type.Optional(Type.String()),
  Password: Type.Optional(Type.String()),
}, { additionalProperties: Type.String(), description: 'further properties (sap-client, Description, tokenServiceURL, …) are passed through as strings' });

export const ClientSchema = Type.Object({
  clientid: Type.String({ minLength: 1 }),
  clientsecret: Type.String({ minLength: 1 }),
  service: Type.Union([Type.Literal('connectivity'), Type.Literal('destination'), Type.Literal('xsuaa')], { default: 'connectivity' }),
  xsappname: Type.Optional(Type.String({ description: 'default: derived from clientid (the part after the last "|", else the clientid)' })),
  instanceDestinations: Type.Array(DestinationSchema, { default: [], description: 'destination service clients: destinations of this service instance (found before subaccount destinations)' }),
  'oauth2-configuration': Type.Object({
    'redirect-uris': Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
      description: 'where /oauth/authorize may send the browser back to, as in xs-security.json (`*` within a host label, port or path '
        + 'segment, `**` for any path); default: any loopback URL (http://localhost:*/**, http://127.0.0.1:*/**)',
    })),
    'token-validity': Type.Optional(Type.Integer({ minimum: 1, description: 'seconds; default proxy.tokenValiditySeconds' })),
    'refresh-token-validity': Type.Optional(Type.Integer({ minimum: 1, description: 'seconds; default 604800 (7 days)' })),
  }, { additionalProperties: false, default: {}, description: 'the oauth2-configuration of the client\'s xs-security.json' }),
}, { additionalProperties: false });

/** A role collection of the subaccount: a name for a set of scopes of one application (xsappname). */
export const RoleCollectionSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.String({ default: '' }),
  xsappname: Type.Optional(Type.String({ minLength: 1, description: 'the application whose scopes these are; default: the xsappname of the subaccount\'s first xsuaa client' })),
  scopes: Type.Array(Type.String({ minLength: 1, pattern: '^[^\\s]+$' }), { default: [], description: 'local scope names (Viewer, not $XSAPPNAME.Viewer); tokens carry <xsappname>.<scope>' }),
}, { additionalProperties: false });

/** A business user of the subaccount's identity provider, for the password grant and principal propagation. */
export const UserSchema = Type.Object({
  name: Type.String({ minLength: 1, description: 'user_name claim; the ${name} of certificate subjects' }),
  password: Type.String({ minLength: 1 }),
  email: Type.Optional(Type.String()),
  givenName: Type.Optional(Type.String()),
  familyName: Type.Optional(Type.String()),
  roleCollections: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'names of the subaccount\'s roleCollections assigned to this user' }),
  attributes: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String()), { default: {}, description: 'xs.user.attributes of the user\'s tokens, e.g. { Country: [DE] }' }),
}, { additionalProperties: false });

/** A SAP Data Intelligence connection (connection management) whose gateway is the Cloud Connector. */
export const DiConnectionSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  type: Type.String({ default: 'HTTP' }),
  subaccount: Type.Optional(Type.String({ description: 'default: the first subaccount' })),
  description: Type.String({ default: '' }),
  connectionProperties: Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.String({ default: 'HTTP' }),
    path: Type.Optional(Type.String()),
  }, { additionalProperties: Type.Unknown() }),
  gateway: Type.Object({
    locationID: Type.String({ default: '' }),
    clientid: Type.Optional(Type.String({ description: 'connectivity client whose token the view carries; default: the subaccount\'s first' })),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false });

export const SubaccountSchema = Type.Object({
  subaccount: Type.String({ minLength: 1, description: 'the subaccount ID (a lower-case GUID on BTP)' }),
  subdomain: Type.String({ minLength: 1, pattern: '^[a-z0-9-]+$' }),
  displayName: Type.Optional(Type.String()),
  cloudUser: Type.String({ minLength: 1, description: 'credentials a connector of this subaccount logs on with' }),
  cloudPassword: Type.String({ minLength: 1 }),
  clients: Type.Array(ClientSchema, { minItems: 1 }),
  users: Type.Array(UserSchema, { default: [] }),
  destinations: Type.Array(DestinationSchema, { default: [], description: 'subaccount-level destinations of the Destination service' }),
  roleCollections: Type.Array(RoleCollectionSchema, { default: [], description: 'role collections that users[].roleCollections assign' }),
}, { additionalProperties: false });

export const BackendSchema = Type.Object({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
  kind: Type.Union([Type.Literal('http'), Type.Literal('tcp-echo'), Type.Literal('smtp')], {
    default: 'http', description: 'http: Hello World + diagnostic routes; tcp-echo: echoes every byte; smtp: a mail server that speaks first',
  }),
  host: Type.String({ default: '127.0.0.1' }),
  port: Port,
}, { additionalProperties: false });

export const ProxySchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'address the proxy service binds to' }),
  publicHost: Type.Optional(Type.String({ description: 'host name apps use to reach the proxy; default host' })),
  httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 20003 }),
  socks5Port: Type.Integer({ minimum: 0, maximum: 65535, default: 20004 }),
  tokenServicePort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  tokenServiceHttpsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8443, description: 'simulator: the same token service over HTTPS (certificate from the simulator CA); clients that use https://<uaadomain>/oauth/token need it' }),
  tunnelPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8042 }),
  connectivityXsappname: Type.String({ default: 'connectivity!b137', description: 'tokens need the scope <this>.proxy' }),
  tokenValiditySeconds: Type.Integer({ minimum: 1, default: 43200 }),
  uaadomain: Type.String({
    default: 'authentication.localhost', pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$',
    description: 'the DNS name of the HTTPS token listener (the bindings\' uaadomain, with its port); https://<subdomain>.<uaadomain>/oauth/token '
      + 'is the token service of the subaccount with that subdomain. Resolve both names to the proxy (the hosts lines of scc-sim env)',
  }),
  authorizationCodeValiditySeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 300, description: 'how long an authorization code of /oauth/authorize can be redeemed' }),
  loginSessionSeconds: Type.Integer({ minimum: 1, default: 1800, description: 'how long a login at the token service\'s login page lasts (single sign-on for later /oauth/authorize)' }),
  signingKeyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM RSA private key (PKCS#8) for stable tokens across restarts' })),
  caDir: Type.Optional(Type.String({ minLength: 1, description: 'simulator: folder of the simulator CA (ca.pem, ca.key.pem), created on first start; relative to the config file; default <cwd>/.scc-sim/ca' })),
  tunnelPingIntervalMs: Milliseconds(3000, 'simulator: both ends of a tunnel PING the other this often'),
  tunnelPingTimeoutMs: Milliseconds(3000, 'simulator: a PING not acknowledged within this time ends the tunnel (requests in flight get 502, new ones 503)'),
  tunnelSettingsTimeoutMs: Milliseconds(3000, 'simulator: after the 101, the other end of a tunnel must speak HTTP/2 (send its SETTINGS) within this time'),
  headersTimeoutMs: Milliseconds(DEFAULT_LISTENER_TIMEOUTS.headersTimeoutMs,
    'simulator: HTTP listeners of the proxy service (HTTP proxy, tunnel endpoint, token service): a request head must arrive within this time, else 408'),
  requestTimeoutMs: Milliseconds(DEFAULT_LISTENER_TIMEOUTS.requestTimeoutMs,
    'simulator: the same listeners: a whole request, body included, must arrive within this time, else 408 (raise it for slow large uploads)'),
  keepAliveTimeoutMs: Milliseconds(DEFAULT_LISTENER_TIMEOUTS.keepAliveTimeoutMs, 'simulator: the same listeners close a kept-alive connection idle this long'),
}, { additionalProperties: false, default: {} });

export const ConfigSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  proxy: ProxySchema,
  subaccounts: Type.Array(SubaccountSchema, { minItems: 1 }),
  connectors: Type.Array(ConnectorSchema, { default: [] }),
  backends: Type.Array(BackendSchema, { default: [] }),
  diConnections: Type.Array(DiConnectionSchema, { default: [] }),
}, { additionalProperties: false, $id: 'https://scc-sim.dev/schema/scc-sim.json', title: 'scc-sim configuration' });

export type Resource = Static<typeof ResourceSchema>;
export type SystemMapping = Static<typeof SystemMappingSchema>;
/** A connector as loaded: `adminPort` is always set (config-load.ts assigns the defaults). */
export type ConnectorConfig = Static<typeof ConnectorSchema> & { adminPort: number };
export type ConnectorSubaccountConfig = Static<typeof ConnectorSubaccountSchema>;
export type DomainMapping = Static<typeof DomainMappingSchema>;
export type AuditLogLevel = Static<typeof AuditLogLevel>;
export type PrincipalPropagationConfig = Static<typeof PrincipalPropagationSchema>;
export type SubaccountConfig = Static<typeof SubaccountSchema>;
export type ClientConfig = Static<typeof ClientSchema>;
export type BackendConfig = Static<typeof BackendSchema>;
export type DestinationConfig = Static<typeof DestinationSchema>;
export type UserConfig = Static<typeof UserSchema>;
export type RoleCollectionConfig = Static<typeof RoleCollectionSchema>;
export type DiConnectionConfig = Static<typeof DiConnectionSchema>;
export type ProxyConfig = Static<typeof ProxySchema>;
/** The config as written in the file (before defaults are applied). */
export type ConfigInput = Partial<Static<typeof ConfigSchema>> & Record<string, unknown>;
/** The validated, defaulted, frozen config every service takes. */
export type Config = Omit<Static<typeof ConfigSchema>, 'connectors'> & { connectors: ConnectorConfig[] };

export type AnySchema = TSchema;

/**
 * What a file may say: a connector in either shape. Only for editors (config/scc-sim.schema.json);
 * files are validated against ConfigSchema after config-connector-shape.ts normalised them.
 */
export const ConfigFileSchema = Type.Object({
  ...ConfigSchema.properties,
  connectors: Type.Array(Type.Union([ConnectorSchema, LegacyConnectorSchema]), { default: [] }),
}, { additionalProperties: false, $id: ConfigSchema.$id, title: ConfigSchema.title });
