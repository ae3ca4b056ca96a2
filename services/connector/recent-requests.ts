// Monitoring's "Most Recent Requests" of one subaccount (scc-rest-api.md §4: at most 50; only
// HTTP counts, not TCP): method, path, status, duration and the access decision with its rule.
// onRecord (the connector's activity: the admin pages' live monitor) sees each one once filled in.
import { Ring } from './ring.js';

export const RECENT_REQUESTS = 50;

export interface RecentRequest {
  /** Epoch ms when the request arrived. */
  time: number;
  protocol: 'HTTP';
  method: string;
  virtualHost: string;
  virtualPort: number;
  /** The path as the client sent it, without the query string. */
  path: string;
  status: number;
  durationMs: number;
  decision: 'allowed' | 'denied';
  /** The resource that allowed it, or why it was denied. */
  rule: string;
  user: string | undefined;
}

export class RecentRequestRing extends Ring<RecentRequest> {
  /** Called with the slot just filled (copy it to keep it). */
  onRecord: ((r: RecentRequest) => void) | undefined;
}

export function recentRequests(): RecentRequestRing {
  return new RecentRequestRing(RECENT_REQUESTS, () => ({
    time: 0, protocol: 'HTTP', method: '', virtualHost: '', virtualPort: 0, path: '', status: 0, durationMs: 0, decision: 'denied', rule: '', user: undefined,
  }));
}

/** Fills the ring's next slot in place. */
export function recordRequest(ring: RecentRequestRing, time: number, method: string, virtualHost: string, virtualPort: number, path: string,
  status: number, durationMs: number, allowed: boolean, rule: string, user: string | undefined): void {
  const r = ring.record();
  r.time = time; r.method = method; r.virtualHost = virtualHost; r.virtualPort = virtualPort; r.path = path;
  r.status = status; r.durationMs = durationMs; r.decision = allowed ? 'allowed' : 'denied'; r.rule = rule; r.user = user;
  ring.onRecord?.(r);
}
