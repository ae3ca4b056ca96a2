// One subaccount of a connector while it runs: its tunnel, and the snapshot its requests are
// decided with — access policy, forward targets, audit log — rebuilt from each new config and
// swapped in one assignment. A request reads the snapshot once, when it arrives, and keeps it to
// the end; the tunnel is only touched when what it dials with (subaccount, location ID, cloud
// user, the proxy's address) or `connected` changed.
import type { ConnectorConfig, ConnectorSubaccountConfig } from '../shared/config-schema.js';
import type { TunnelLivenessSettings } from '../shared/tunnel-liveness.js';
import type { Logger } from '../shared/logger.js';
import type { IssuedClientCert, SimCa } from '../shared/sim-ca.js';
import { createAccessPolicy, type AccessPolicy } from './access-policy.js';
import type { ConnectorActivity } from './connector-activity.js';
import { createAuditLog, type AuditLog, type AuditTrail } from './audit-log.js';
import { ForwardTargets } from './forward-targets.js';
import type { PrincipalCertificates } from './principal-certificates.js';
import { recentRequests } from './recent-requests.js';
import { sameIdentity, TunnelClient, type TunnelClientOptions, type TunnelIdentity } from './tunnel-client.js';

export interface SubaccountSnapshot {
  readonly config: ConnectorSubaccountConfig;
  /** The connector's logger with this subaccount and its location ID. */
  readonly logger: Logger;
  readonly policy: AccessPolicy;
  readonly targets: ForwardTargets;
  readonly audit: AuditLog;
  readonly certificates: PrincipalCertificates;
}

export interface RuntimeContext {
  logger: Logger;
  trail: AuditTrail;
  ca: SimCa;
  /** Where the proxy's tunnel endpoint is, for this config. */
  endpoint: { host: string; port: number };
  certificates: PrincipalCertificates;
  /** PING and SETTINGS deadlines for the proxy's end of the tunnel (tunnel-liveness.ts). */
  liveness: TunnelLivenessSettings;
  /** Where recorded requests and tunnel state changes are announced (the admin pages watch it). */
  activity: ConnectorActivity;
}

/** `<regionHost>\0<subaccount>`: the identity of a subaccount entry, as the admin API addresses it. */
export function subaccountKey(s: { regionHost: string; subaccount: string }): string {
  return `${s.regionHost}\u0000${s.subaccount}`;
}

const CERTIFICATE_MINUTES = 365 * 24 * 60;

export class SubaccountRuntime {
  snapshot: SubaccountSnapshot;
  readonly tunnel: TunnelClient;
  readonly recent = recentRequests();
  /** HTTP requests and TCP connections in flight over this tunnel. */
  active = 0;
  #certificate: Promise<IssuedClientCert> | undefined;
  readonly #ca: SimCa;

  constructor(k: ConnectorConfig, s: ConnectorSubaccountConfig, ctx: RuntimeContext,
    handlers: (rt: SubaccountRuntime) => Pick<TunnelClientOptions, 'onRequest' | 'onConnect'>) {
    this.#ca = ctx.ca;
    this.snapshot = snapshotOf(k, s, ctx);
    this.tunnel = new TunnelClient({
      identity: identityOf(k, s, ctx), backoff: k, logger: ctx.logger, liveness: ctx.liveness, ...handlers(this),
    });
    const { activity } = ctx;
    this.recent.onRecord = (r) => activity.request(this.config, r);
    // Announced when the SCC's state changes (not on each internal step); a failed attempt is ConnectFailure.
    let shown = this.tunnel.sccState;
    const announce = () => {
      if (this.tunnel.sccState === shown) return;
      shown = this.tunnel.sccState;
      activity.tunnel(this.config, shown, this.tunnel.connectedSince);
    };
    this.tunnel.on('state', announce);
    this.tunnel.on('attempt', announce);
  }

  get config(): ConnectorSubaccountConfig {
    return this.snapshot.config;
  }

  /** Swaps in the snapshot of the new config, then brings the tunnel in line (awaited: the admin API answers after it). */
  async apply(k: ConnectorConfig, s: ConnectorSubaccountConfig, ctx: RuntimeContext, started: boolean): Promise<void> {
    const previous = this.snapshot;
    this.snapshot = snapshotOf(k, s, ctx, previous);
    previous.targets.retire(this.snapshot.targets);
    this.tunnel.backoff = k;
    const identity = identityOf(k, s, ctx);
    if (!sameIdentity(identity, this.tunnel.identity)) {
      await this.tunnel.disconnect();
      this.tunnel.identity = identity;
    }
    if (!started) return;
    if (s.connected && this.tunnel.state !== 'connected') await this.tunnel.connect();
    else if (!s.connected && this.tunnel.wanted) await this.tunnel.disconnect();
  }

  /** The subaccount certificate the API shows: issued by the simulator CA on first use, renewed by renewCertificate(). */
  certificate(): Promise<IssuedClientCert> {
    this.#certificate ??= this.#issue();
    return this.#certificate;
  }

  renewCertificate(): Promise<IssuedClientCert> {
    this.#certificate = this.#issue();
    return this.#certificate;
  }

  #issue(): Promise<IssuedClientCert> {
    const { subaccount, regionHost } = this.snapshot.config;
    const p = this.#ca.issueClientCert({ CN: subaccount, OU: regionHost, O: 'scc-sim' }, CERTIFICATE_MINUTES);
    p.catch(() => { this.#certificate = undefined; });
    return p;
  }

  /** Deleted from the config: the proxy has dropped the tunnel when this resolves. */
  async close(): Promise<void> {
    await this.tunnel.disconnect();
    await this.tunnel.close();
    this.snapshot.targets.retire();
  }

  /** Connector shutdown: every connection closed at once. */
  async destroy(): Promise<void> {
    await this.tunnel.close();
    this.snapshot.targets.destroy();
  }
}

function snapshotOf(k: ConnectorConfig, s: ConnectorSubaccountConfig, ctx: RuntimeContext, previous?: SubaccountSnapshot): SubaccountSnapshot {
  const logger = previous?.config.subaccount === s.subaccount && previous.config.locationID === s.locationID
    ? previous.logger : ctx.logger.child({ subaccount: s.subaccount, locationId: s.locationID });
  return {
    config: s,
    logger,
    policy: createAccessPolicy(s.systemMappings),
    targets: new ForwardTargets(s.systemMappings, s.domainMappings, previous?.targets),
    audit: createAuditLog({
      level: s.auditLogLevel ?? k.auditLogLevel, logger: ctx.logger, connector: k.name, subaccount: s.subaccount,
      regionHost: s.regionHost, locationID: s.locationID, trail: ctx.trail,
    }),
    certificates: ctx.certificates,
  };
}

function identityOf(k: ConnectorConfig, s: ConnectorSubaccountConfig, ctx: RuntimeContext): TunnelIdentity {
  return {
    connectorName: k.name, subaccount: s.subaccount, locationID: s.locationID, cloudUser: s.cloudUser, cloudPassword: s.cloudPassword,
    host: ctx.endpoint.host, port: ctx.endpoint.port,
  };
}
