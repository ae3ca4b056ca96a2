// What happens on a connector, as it happens, for whoever watches (the admin server's event
// stream, admin/routes/event-stream-routes.ts): each request of the monitor's "Most Recent
// Requests" once it is recorded, and each change of a tunnel's state. Nobody watching costs
// nothing: the request is copied only when there is a listener.
import { EventEmitter } from 'node:events';
import type { SccTunnelState } from './tunnel-client.js';
import type { RecentRequest } from './recent-requests.js';

export interface SubaccountOf { regionHost: string; subaccount: string; locationID: string }

export interface ActivityEvents {
  request: [SubaccountOf & { request: RecentRequest }];
  tunnel: [SubaccountOf & { state: SccTunnelState; connectedSince: number }];
}

export class ConnectorActivity extends EventEmitter<ActivityEvents> {
  constructor() {
    super();
    this.setMaxListeners(0); // one pair per watching browser tab; each removes its own on close
  }

  request(s: SubaccountOf, r: RecentRequest): void {
    if (this.listenerCount('request') > 0) this.emit('request', { regionHost: s.regionHost, subaccount: s.subaccount, locationID: s.locationID, request: { ...r } });
  }

  tunnel(s: SubaccountOf, state: SccTunnelState, connectedSince: number): void {
    if (this.listenerCount('tunnel') > 0) this.emit('tunnel', { regionHost: s.regionHost, subaccount: s.subaccount, locationID: s.locationID, state, connectedSince });
  }
}
