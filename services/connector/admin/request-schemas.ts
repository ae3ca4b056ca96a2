// The JSON bodies the admin API accepts (scc-rest-api.md §2, §3, §5), as TypeBox schemas: the
// routes hand them to fastify's ajv (configured so that an unknown field is an error, never
// silently dropped: admin-server.ts), and their static types are the inputs of the operations
// that tests call directly. What the Terraform provider sends must pass: booleans as JSON
// booleans or the strings "true"/"false", ports as strings (numbers are accepted too),
// `authenticationMode: ""`, `hostInHeader` in any case.
import { Type, type Static } from '@sinclair/typebox';

/** A boolean, or "true"/"false" as the Terraform provider sends them (fmt.Sprintf("%t")). */
export const Flag = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')]);
export type FlagValue = Static<typeof Flag>;

export function flag(value: FlagValue | undefined): boolean | undefined {
  return value === undefined ? undefined : value === true || value === 'true';
}

const Port = Type.Union([Type.String({ pattern: '^[0-9]{1,5}(-[0-9]{1,5})?$' }), Type.Integer({ minimum: 1, maximum: 65535 })]);
const Text = Type.String({ maxLength: 4096 });
const Name = Type.String({ minLength: 1, maxLength: 1024 });

export const SubaccountCreateBody = Type.Object({
  regionHost: Type.Optional(Name),
  subaccount: Type.Optional(Name),
  cloudUser: Type.Optional(Name),
  cloudPassword: Type.Optional(Name),
  authenticationData: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
  locationID: Type.Optional(Type.String({ maxLength: 189 })),
  displayName: Type.Optional(Text),
  description: Type.Optional(Text),
  isManaged: Type.Optional(Flag),
  autoCertRenewal: Type.Optional(Flag),
}, { additionalProperties: false });

export const SubaccountUpdateBody = Type.Object({
  locationID: Type.Optional(Type.String({ maxLength: 189 })),
  displayName: Type.Optional(Text),
  description: Type.Optional(Text),
  autoCertRenewal: Type.Optional(Flag),
}, { additionalProperties: false });

export const StateBody = Type.Object({ connected: Flag }, { additionalProperties: false });

export const ValidityBody = Type.Object({
  user: Type.Optional(Name),
  password: Type.Optional(Name),
  authenticationData: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
}, { additionalProperties: false });

export const TrustBody = Type.Object({ autoSyncTrustEnabled: Flag }, { additionalProperties: false });

export const SystemMappingBody = Type.Object({
  virtualHost: Type.String({ minLength: 1, maxLength: 253 }),
  virtualPort: Port,
  localHost: Type.String({ minLength: 1, maxLength: 253 }),
  localPort: Port,
  protocol: Type.String({ minLength: 1 }),
  backendType: Type.String({ minLength: 1 }),
  authenticationMode: Type.Optional(Type.String()),
  hostInHeader: Type.Optional(Type.String()),
  description: Type.Optional(Text),
  sid: Type.Optional(Type.String({ maxLength: 8 })),
  sapRouter: Type.Optional(Type.String()),
  sncPartnerName: Type.Optional(Type.String()),
  allowedClients: Type.Optional(Type.Array(Type.String())),
  blacklistedUsers: Type.Optional(Type.Array(Type.Object({ client: Type.String(), user: Type.String() }, { additionalProperties: false }))),
  // Simulator fields (not SAP's): see the config schema.
  trustAll: Type.Optional(Flag),
  caFile: Type.Optional(Type.String({ minLength: 1 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false });

export const ResourceCreateBody = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 2048 }),
  enabled: Type.Optional(Flag),
  exactMatchOnly: Type.Optional(Flag),
  websocketUpgradeAllowed: Type.Optional(Flag),
  description: Type.Optional(Text),
}, { additionalProperties: false });

export const ResourceUpdateBody = Type.Object({
  enabled: Type.Optional(Flag),
  exactMatchOnly: Type.Optional(Flag),
  websocketUpgradeAllowed: Type.Optional(Flag),
  description: Type.Optional(Text),
}, { additionalProperties: false });

export const DomainMappingBody = Type.Object({
  virtualDomain: Type.String({ minLength: 1, maxLength: 253 }),
  internalDomain: Type.String({ minLength: 1, maxLength: 253 }),
}, { additionalProperties: false });

const Level = Type.Union([Type.Literal('OFF'), Type.Literal('SECURITY'), Type.Literal('ALL')]);
export const AuditLogBody = Type.Object({
  level: Type.Optional(Level),
  cleanup: Type.Optional(Type.Union([0, 14, 30, 90, 180, 365].map((d) => Type.Literal(d)))),
}, { additionalProperties: false });
export const SubaccountAuditLogBody = Type.Object({ level: Level }, { additionalProperties: false });

export const ConnectorBody = Type.Object({ description: Type.String({ maxLength: 4096 }) }, { additionalProperties: false });

export const BasicAuthenticationBody = Type.Union([
  Type.Object({ oldPassword: Type.String(), newPassword: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ user: Type.String({ minLength: 1 }), password: Type.String() }, { additionalProperties: false }),
]);

export type SubaccountCreate = Static<typeof SubaccountCreateBody>;
export type SubaccountUpdate = Static<typeof SubaccountUpdateBody>;
export type SystemMappingInput = Static<typeof SystemMappingBody>;
export type ResourceInput = Static<typeof ResourceCreateBody>;
export type ResourceUpdate = Static<typeof ResourceUpdateBody>;
export type DomainMappingInput = Static<typeof DomainMappingBody>;
export type AuditLogUpdate = Static<typeof AuditLogBody>;
export type BasicAuthenticationChange = Static<typeof BasicAuthenticationBody>;
