// The live traffic of the proxy for the cockpit: the HTTP forward proxy and the SOCKS5 proxy
// record one event per request (traffic-event.ts builds them); the feed keeps the last N for
// new page loads and emits each to whoever listens (the cockpit's event stream). Nothing here
// sees a header: events are built from the route and the verdict only, so no token, cookie or
// credential can reach them.
import { EventEmitter } from 'node:events';

/** Why a request was answered as it was: the connector's verdicts (tunnel-protocol.ts) plus the proxy's own. */
export type TrafficVerdict =
  | 'allowed' | 'unmapped-system' | 'resource-denied' | 'bad-path'
  | 'token-refused' | 'no-connector' | 'refused' | 'failed';

export interface TrafficEvent {
  /** Increases by one per event in this process. */
  id: number;
  /** When the request arrived (epoch ms: a number is cheaper to make than a date string on every request). */
  time: number;
  protocol: 'HTTP' | 'TCP';
  /** Known once a token was accepted. */
  subaccount?: string;
  /** The SAP-Connectivity-SCC-Location_ID asked for ('' = the default location). */
  locationId: string;
  /** The Cloud Connector that answered, when one was connected for the location. */
  connector?: string;
  /** HTTP method; CONNECT for SOCKS5. */
  method: string;
  virtualHost?: string;
  virtualPort?: number;
  /** The path without the query string (HTTP only). */
  path?: string;
  verdict: TrafficVerdict;
  /** The resource that allowed it, or why it was refused. */
  rule: string;
  /** HTTP status; for SOCKS5 the status of the connector's answer (200, 403, 502, 504), or 407/503 from the proxy. */
  status: number;
  /** x-internal-error-code of a refusal. */
  code?: string;
  /** HTTP: until the response ended; SOCKS5: until the relay started (or the refusal). */
  durationMs: number;
  /** The propagated user's name. */
  user?: string;
}

export type TrafficRecord = Omit<TrafficEvent, 'id'>;

export const DEFAULT_TRAFFIC_HISTORY = 200;

export class TrafficFeed extends EventEmitter {
  readonly #ring: TrafficEvent[] = [];
  #next = 0;
  #id = 0;

  constructor(readonly capacity = DEFAULT_TRAFFIC_HISTORY) {
    super();
    // One listener per open cockpit page.
    this.setMaxListeners(0);
  }

  /** Keeps the event (the oldest is dropped beyond `capacity`) and emits it as 'traffic'. */
  record(r: TrafficRecord): void {
    this.#id += 1;
    // The record is the caller's fresh object: it becomes the event in place, no copy per request.
    const event = r as TrafficEvent;
    event.id = this.#id;
    if (this.#ring.length < this.capacity) this.#ring.push(event);
    else this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.capacity;
    this.emit('traffic', event);
  }

  /** The kept events, oldest first. */
  recent(): TrafficEvent[] {
    if (this.#ring.length < this.capacity) return [...this.#ring];
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }
}
