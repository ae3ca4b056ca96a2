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

export const ResourceSchema = Type.Object({
  id: Type.String({ pattern: '^/', description: 'URL path (case-sensitive), always starting with /' }),
  exactMatchOnly: Type.Boolean({ default: false, description: 'true: "Path Only (Sub-Paths Are Excluded)"; false: "Path And All Sub-Paths" (plain string prefix)' }),
  enabled: Type.Boolean({ default: true, description: 'false = suspended: every request for this resource is denied' }),
  websocketUpgradeAllowed: Type.Boolean({ default: false }),
  description: Type.String({ default: '' }),
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

export const ConnectorSchema = Type.Object({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
  subaccount: Type.String({ minLength: 1 }),
  regionHost: Type.String({ default: 'cf.sim.hana.ondemand.com' }),
  locationID: Type.String({ default: '', maxLength: 189, description: 'empty = the default location' }),
  cloudUser: Type.String({ minLength: 1 }),
  cloudPassword: Type.String({ minLength: 1 }),
  tunnelHost: Type.Optional(Type.String({ minLength: 1, description: 'simulator: host of the proxy tunnel endpoint; default proxy.host' })),
  tunnelPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'simulator: default proxy.tunnelPort' })),
  auditLogLevel: Type.Union([Type.Literal('OFF'), Type.Literal('SECURITY'), Type.Literal('ALL')], { default: 'SECURITY' }),
  reconnectInitialDelayMs: Milliseconds(100),
  reconnectMaxDelayMs: Milliseconds(10000),
  systemMappings: Type.Array(SystemMappingSchema, { default: [] }),
  principalPropagation: PrincipalPropagationSchema,
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
}, { additionalProperties: false });

/** A business user of the subaccount's identity provider, for the password grant and principal propagation. */
export const UserSchema = Type.Object({
  name: Type.String({ minLength: 1, description: 'user_name claim; the ${name} of certificate subjects' }),
  password: Type.String({ minLength: 1 }),
  email: Type.Optional(Type.String()),
  givenName: Type.Optional(Type.String()),
  familyName: Type.Optional(Type.String()),
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
export type ConnectorConfig = Static<typeof ConnectorSchema>;
export type PrincipalPropagationConfig = Static<typeof PrincipalPropagationSchema>;
export type SubaccountConfig = Static<typeof SubaccountSchema>;
export type ClientConfig = Static<typeof ClientSchema>;
export type BackendConfig = Static<typeof BackendSchema>;
export type DestinationConfig = Static<typeof DestinationSchema>;
export type UserConfig = Static<typeof UserSchema>;
export type DiConnectionConfig = Static<typeof DiConnectionSchema>;
export type ProxyConfig = Static<typeof ProxySchema>;
/** The config as written in the file (before defaults are applied). */
export type ConfigInput = Partial<Static<typeof ConfigSchema>> & Record<string, unknown>;
/** The validated, defaulted, frozen config every service takes. */
export type Config = Static<typeof ConfigSchema>;

export type AnySchema = TSchema;
