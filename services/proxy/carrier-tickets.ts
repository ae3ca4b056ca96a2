// How the proxy gets a carrier (tunnel-protocol.ts) for a tunnel: it mints a single-use ticket,
// asks the connector on the tunnel session to dial one (POST CARRIER_DIAL_PATH with the ticket),
// and the tunnel endpoint hands the connection that arrives with the ticket to whoever asked.
// A ticket is good for one connection and for `timeoutMs`; one nobody asked for, used or expired
// gets 401 at the endpoint. When the session ends, every request for a carrier on it fails.
import { randomBytes } from 'node:crypto';
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { CARRIER_DIAL_PATH, CARRIER_TICKET_HEADER } from '../shared/tunnel-protocol.js';
import { CarrierRefused } from './tunnel-pool.js';

type Callback = (err: Error | null, socket?: Socket) => void;

interface Pending {
  readonly session: ClientHttp2Session;
  readonly callback: Callback;
  readonly timer: NodeJS.Timeout;
  readonly onClose: () => void;
}

export class CarrierTickets {
  readonly #pending = new Map<string, Pending>();

  /** Asks the connector on `session` for a carrier; `callback` gets its socket, or why there is none. */
  request(session: ClientHttp2Session, timeoutMs: number, callback: Callback): void {
    if (session.closed || session.destroyed) return callback(new CarrierRefused('the tunnel is closing'));
    const ticket = randomBytes(24).toString('base64url');
    const onClose = () => this.#fail(ticket, new CarrierRefused('the tunnel closed'));
    const timer = setTimeout(() => this.#fail(ticket, new CarrierRefused(`the Cloud Connector did not dial a carrier within ${timeoutMs} ms`)), timeoutMs);
    this.#pending.set(ticket, { session, callback, timer, onClose });
    session.once('close', onClose);
    let stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': CARRIER_DIAL_PATH, [CARRIER_TICKET_HEADER]: ticket }, { endStream: true });
    } catch (err) {
      return this.#fail(ticket, new CarrierRefused('the tunnel is closing', err as Error));
    }
    // The connector answers once its dial is decided: 204 after the endpoint let it in (which
    // settled this ticket already), anything else says why it could not dial.
    stream.on('response', (h) => {
      if (h[':status'] === 204) return;
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { if (body.length < 500) body += c; });
      stream.on('end', () => this.#fail(ticket, new CarrierRefused(`the Cloud Connector refused a carrier: ${h[':status']} ${body.trim()}`.trim())));
    });
    stream.on('error', () => {});
    stream.on('close', () => { if (stream.rstCode !== 0) this.#fail(ticket, CarrierRefused.reset(stream.rstCode)); });
    stream.resume();
  }

  /** Whether someone waits for a carrier with this ticket. */
  has(ticket: string): boolean {
    return this.#pending.has(ticket);
  }

  /** The tunnel endpoint got a connection with `ticket`: hands it over; false when no one waits for that ticket. */
  redeem(ticket: string, socket: Socket): boolean {
    const p = this.#settle(ticket);
    if (p === undefined) return false;
    p.callback(null, socket);
    return true;
  }

  #fail(ticket: string, err: Error): void {
    this.#settle(ticket)?.callback(err);
  }

  #settle(ticket: string): Pending | undefined {
    const p = this.#pending.get(ticket);
    if (p === undefined) return undefined;
    this.#pending.delete(ticket);
    clearTimeout(p.timer);
    p.session.off('close', p.onClose);
    return p;
  }
}
