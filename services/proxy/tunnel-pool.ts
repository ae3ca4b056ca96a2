// The proxy's client for one tunnel: requests as exchanges of frames (carrier-frames.ts) on a
// long-lived TCP connection the connector dialled for this tunnel (a "carrier",
// tunnel-protocol.ts), many exchanges at once on it.
//
// Why carriers (issue 10, `npm run bench`): requests used to be HTTP/2 CONNECT streams of the tunnel
// session. That was cheap per request, but nghttp2 writes a session's output once per event-loop
// turn, so a whole turn's requests crossed the tunnel in one write and the two processes took
// turns on the cores (a third of the machine idle under load). A carrier writes each request at
// once (one with a body at the end of its turn, with as much of the body as came by then). Why
// one carrier for many exchanges: under load a read takes many answers, where a carrier per
// exchange cost a read per request (carrier-frames.ts).
// The tunnel session stays what holds the tunnel together: it authenticates the connector, asks
// for carriers, carries SOCKS5 and WebSocket streams and the PINGs, and a lost session ends every
// carrier (and so every request on it) at once.
import type { IncomingMessage } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { CarrierOutbox, EXCHANGE_SLOTS, ExchangeTable, FrameReader, LAST_EXCHANGE, ReceiveWindow, WINDOW_BYTES, WINDOW_LIMIT, endFrame, headFrame, parseHead, resetFrame, windowFrame, type FrameSink } from '../shared/carrier-frames.js';
import { h2ErrorName } from '../shared/tunnel-protocol.js';
import type { CarrierTickets } from './carrier-tickets.js';

/** Concurrent exchanges per tunnel: requests beyond this wait their turn. */
export const TUNNEL_POOL_EXCHANGES = 512;
/** A carrier without an exchange this long is closed (this side ends idle carriers; the connector keeps them). */
const IDLE_MS = 30_000;

export class CarrierFailed extends Error {
  constructor(readonly reason: string, message = reason, cause?: Error) { super(message, { cause }); }
}

/** A carrier the connector did not provide; `reason` says why (an HTTP/2 reset of the request for it, its answer, or no dial in time). */
export class CarrierRefused extends CarrierFailed {
  readonly code = 'SCC_CARRIER_REFUSED';
  constructor(reason: string, cause?: Error) { super(reason, `no tunnel carrier: ${reason}`, cause); }
  static reset(rstCode: number | undefined, cause?: Error): CarrierRefused { return new CarrierRefused(h2ErrorName(rstCode), cause); }
}

export interface CarrierRequest {
  method: string;
  /** Origin-form: path and query. */
  path: string;
  headers: Record<string, string | string[]>;
  /** The client's request when it has a body, else null. */
  body: IncomingMessage | null;
}

/** What gets the answer: the connector's head, its body chunks, the end — or an error instead. */
export interface CarrierHandler {
  /** `abort` cuts the exchange (the carrier closes); onError follows. */
  onConnect(abort: (err: Error) => void): void;
  /** `fields`: name, value, name, value, … as the connector sent them. */
  onHeaders(status: number, fields: string[], resume: () => void): void;
  /** False: the handler is full; its exchange is granted no more (no WINDOW) until it calls `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

/** A carrier that closed during an exchange: the cause of the error its handler gets. */
export const CARRIER_CLOSED = 'the carrier connection closed before the answer';
/** A RESET from the connector (the backend died mid-answer): the reason of the CarrierFailed its handler gets. */
export const CONNECTOR_RESET = 'the Cloud Connector reset the exchange';

export class TunnelPool {
  /** Every open carrier. */
  readonly #carriers: Carrier[] = [];
  readonly #queue: { request: CarrierRequest; handler: CarrierHandler }[] = [];
  #dialling = 0;
  /** Exchanges started and not over. */
  #inFlight = 0;
  #destroyed = false;
  readonly #sweep: NodeJS.Timeout;
  readonly maxExchanges: number;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly tickets: Pick<CarrierTickets, 'request'>,
    private readonly dialTimeoutMs: number,
    maxExchanges = TUNNEL_POOL_EXCHANGES,
    /** The highest exchange number a carrier takes (tests make it small). */
    private readonly lastExchange = LAST_EXCHANGE,
  ) {
    // At most half a carrier's slots open: a free number is never far (Carrier.start).
    this.maxExchanges = Math.min(maxExchanges, EXCHANGE_SLOTS / 2);
    this.#sweep = setInterval(() => this.#closeIdle(), IDLE_MS / 3).unref();
  }

  /** Carriers open now. */
  get stats(): { connected: number } {
    return { connected: this.#carriers.length };
  }

  dispatch(request: CarrierRequest, handler: CarrierHandler): void {
    if (this.#destroyed) return handler.onError(new CarrierRefused('the tunnel closed'));
    if (this.#inFlight < this.maxExchanges && this.#queue.length === 0) {
      const carrier = this.#pick();
      if (carrier !== undefined) return this.#start(carrier, request, handler);
    }
    this.#queue.push({ request, handler });
    this.#dialForWaiting();
  }

  /** Closes every carrier (their exchanges fail) and refuses what waits. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearInterval(this.#sweep);
    for (const { handler } of this.#queue.splice(0)) handler.onError(new CarrierRefused('the tunnel closed'));
    for (const c of [...this.#carriers]) c.close();
  }

  /** An exchange is over: the next waiting request starts. */
  exchangeOver(): void {
    this.#inFlight -= 1;
    this.#startWaiting();
  }

  #start(carrier: Carrier, request: CarrierRequest, handler: CarrierHandler): void {
    this.#inFlight += 1;
    carrier.start(request, handler);
  }

  #startWaiting(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.maxExchanges) {
      const carrier = this.#pick();
      if (carrier === undefined) return this.#dialForWaiting();
      const { request, handler } = this.#queue.shift()!;
      this.#start(carrier, request, handler);
    }
  }

  /** The carrier that takes new exchanges (the others end once their last exchange does), if one is open. */
  #pick(): Carrier | undefined {
    for (const c of this.#carriers) if (c.usable) return c;
    return undefined;
  }

  #dial(): void {
    this.#dialling += 1;
    this.tickets.request(this.session, this.dialTimeoutMs, (err, socket) => {
      this.#dialling -= 1;
      if (err || socket === undefined) {
        socket?.destroy();
        // One waiting request learns why; the rest wait for a carrier being dialled, or dial again.
        this.#queue.shift()?.handler.onError(err ?? new CarrierRefused('no carrier'));
        return this.#dialForWaiting();
      }
      if (this.#destroyed) return void socket.destroy();
      const carrier = new Carrier(socket, this, this.lastExchange);
      this.#carriers.push(carrier);
      socket.once('close', () => {
        const i = this.#carriers.indexOf(carrier);
        if (i >= 0) this.#carriers.splice(i, 1);
        this.#dialForWaiting();
      });
      this.#startWaiting();
    });
  }

  /** Requests wait, no open carrier takes them and none is being dialled: a dial. */
  #dialForWaiting(): void {
    if (this.#destroyed || this.#queue.length === 0 || this.#dialling > 0) return;
    if (this.#pick() !== undefined) return this.#startWaiting();
    this.#dial();
  }

  #closeIdle(): void {
    const limit = performance.now() - IDLE_MS;
    for (const c of [...this.#carriers]) if (c.load === 0 && c.idleSince <= limit) c.close();
  }
}

/** One request on a carrier: its frames out, the answer's frames in. */
class Exchange {
  /** The request body still being sent. */
  body: IncomingMessage | null = null;
  /** The answer's head arrived. */
  headed = false;
  /** Body bytes the connector still takes before it grants more. */
  credit = WINDOW_BYTES;
  /** The answer as this end reads it. */
  readonly window = new ReceiveWindow();
  readonly resume = () => this.carrier.resumed(this);
  /** The request body's listeners, for a request with one (start()). */
  onBodyData: (chunk: Buffer) => void = noop;
  onBodyEnd: () => void = noop;

  constructor(readonly carrier: Carrier, readonly id: number, readonly handler: CarrierHandler) {}
}

/** One carrier on the proxy's side: the exchanges' frames out, their answers' frames in. */
class Carrier implements FrameSink {
  readonly #reader = new FrameReader(this);
  readonly #exchanges = new ExchangeTable<Exchange>();
  /** The next exchange's number; frames for lower ones not open are late, and dropped. */
  #next = 1;
  readonly #outbox: CarrierOutbox;
  /** When the last exchange ended (for the idle sweep). */
  idleSince = performance.now();

  constructor(private readonly socket: Socket, private readonly pool: TunnelPool, private readonly lastExchange: number) {
    this.#outbox = new CarrierOutbox(socket);
    socket.on('data', (chunk: Buffer) => {
      const wrong = this.#reader.push(chunk);
      if (wrong !== undefined) this.#cut(broken(wrong));
    });
    socket.on('drain', () => {
      for (const ex of this.#exchanges.all()) if (ex.body !== null && ex.credit > 0) ex.body.resume();
    });
    socket.on('error', () => {});
    socket.once('close', () => this.#failAll(new Error(CARRIER_CLOSED)));
  }

  /** Exchanges open on it. */
  get load(): number {
    return this.#exchanges.size;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Open, and its exchange numbers not used up (one that used them up closes once its last exchange ends). */
  get usable(): boolean {
    return !this.socket.destroyed && this.#next <= this.lastExchange;
  }

  start(request: CarrierRequest, handler: CarrierHandler): void {
    let starting = true;
    let early: Error | undefined;
    // The next number whose slot is free (ExchangeTable): at most half the slots are open.
    while (!this.#exchanges.free(this.#next)) this.#next += 1;
    const ex = new Exchange(this, this.#next++, handler);
    this.#exchanges.add(ex);
    handler.onConnect((err) => {
      if (this.#exchanges.get(ex.id) !== ex) return;
      if (starting) early ??= err;
      else this.#abort(ex, err);
    });
    starting = false;
    if (early !== undefined) {
      // Aborted before anything was written: nothing goes out.
      this.#over(ex);
      return handler.onError(early);
    }
    const body = request.body;
    this.#outbox.add(headFrame(ex.id, [request.method, request.path, request.headers, body !== null]));
    if (body === null) return void this.#outbox.send();
    // A request with a body: its head waits for the body's first chunks and its end, at most until
    // the end of this turn of the event loop (a small POST arrives with its head, and Node hands
    // over its body and end a tick or two later) — so that it leaves in one write, head to END. A
    // body that comes later follows its head, which left at the turn's end.
    this.#outbox.sendLater();
    ex.body = body;
    ex.onBodyData = (chunk: Buffer) => this.bodyData(ex, chunk);
    ex.onBodyEnd = () => this.bodyEnd(ex);
    body.on('data', ex.onBodyData);
    body.on('end', ex.onBodyEnd);
    body.on('error', noop);
  }

  bodyData(ex: Exchange, chunk: Buffer): void {
    this.#outbox.addData(ex.id, chunk);
    ex.credit -= chunk.length;
    this.#outbox.sendLater();
    if (!this.#outbox.open || ex.credit <= 0) ex.body?.pause();
  }

  bodyEnd(ex: Exchange): void {
    this.#detachBody(ex);
    this.#outbox.add(endFrame(ex.id));
    this.#outbox.send();
  }

  head(id: number, payload: Buffer): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined || ex.headed) return this.#late(id, 'an answer head outside an exchange', ex !== undefined);
    const head = parseHead(payload);
    if (!isAnswerHead(head)) return this.#cut(broken('an answer head that is not [status 200-599, [name, value, …]]'));
    ex.headed = true;
    ex.handler.onHeaders(head[0], head[1], ex.resume);
  }

  data(id: number, chunk: Buffer): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined || !ex.headed) return this.#late(id, 'body bytes outside an answer', ex !== undefined);
    if (!ex.window.arrived(chunk.length)) return this.#cut(broken(`more than ${WINDOW_LIMIT} bytes of an answer not granted`));
    this.#grant(ex, ex.window.handedOn(chunk.length, ex.handler.onData(chunk)));
  }

  end(id: number): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined || !ex.headed) return this.#late(id, 'END outside an answer', ex !== undefined);
    // An answer before the whole request body went out (a refusal, an early error): the rest is
    // not sent, and the connector is told to forget the exchange.
    if (ex.body !== null) {
      this.#detachBody(ex);
      this.#outbox.add(resetFrame(id));
      this.#outbox.send();
    }
    this.#over(ex);
    ex.handler.onComplete();
  }

  window(id: number, bytes: number): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined) return this.#late(id, 'a WINDOW for no exchange', false);
    ex.credit += bytes;
    if (ex.body !== null && ex.credit > 0 && this.#outbox.open) ex.body.resume();
  }

  reset(id: number): void {
    const ex = this.#exchanges.get(id);
    if (ex === undefined) return this.#late(id, 'a RESET for no exchange', false);
    this.#detachBody(ex);
    this.#over(ex);
    ex.handler.onError(new CarrierFailed(CONNECTOR_RESET));
  }

  /** The handler can take more of the answer. */
  resumed(ex: Exchange): void {
    this.#grant(ex, ex.window.resumed());
  }

  close(): void {
    this.socket.destroy();
  }

  /** Grants the connector `bytes` more of the answer (none: nothing is due). */
  #grant(ex: Exchange, bytes: number): void {
    if (bytes === 0 || this.#exchanges.get(ex.id) !== ex) return; // or it ended in its handler's onData
    this.#outbox.add(windowFrame(ex.id, bytes));
    this.#outbox.send();
  }

  /** The client went away: the connector is told to forget the exchange. */
  #abort(ex: Exchange, err: Error): void {
    this.#detachBody(ex);
    this.#over(ex);
    this.#outbox.add(resetFrame(ex.id));
    this.#outbox.send();
    ex.handler.onError(err);
  }

  #over(ex: Exchange): void {
    if (!this.#exchanges.delete(ex)) return;
    if (this.#exchanges.size === 0) {
      this.idleSince = performance.now();
      if (this.#next > this.lastExchange) this.socket.destroy();
    }
    this.pool.exchangeOver();
  }

  #detachBody(ex: Exchange): void {
    const body = ex.body;
    if (body === null) return;
    ex.body = null;
    body.off('data', ex.onBodyData);
    body.off('end', ex.onBodyEnd);
    body.off('error', noop);
  }

  /** A frame for an exchange that is not open (or not in that state): one that ended is late and dropped; else the protocol broke. */
  #late(id: number, why: string, open: boolean): void {
    if (open || id >= this.#next) this.#cut(broken(why));
  }

  /** Closes the carrier: every exchange on it ends with `err`. */
  #cut(err: Error): void {
    this.#reader.stop();
    this.#outbox.clear();
    this.socket.destroy();
    this.#failAll(err);
  }

  #failAll(err: Error): void {
    this.#reader.stop();
    const open = this.#exchanges.all();
    for (const ex of open) {
      this.#detachBody(ex);
      this.#over(ex);
    }
    for (const ex of open) ex.handler.onError(err);
  }
}

function noop(): void {}

function broken(why: string): CarrierFailed {
  return new CarrierFailed(`the Cloud Connector broke the carrier protocol: ${why}`);
}

function isAnswerHead(h: unknown): h is [number, string[]] {
  if (!Array.isArray(h) || h.length !== 2) return false;
  const [status, fields] = h;
  return Number.isInteger(status) && status >= 200 && status <= 599 && Array.isArray(fields) && fields.length % 2 === 0
    && fields.every((f) => typeof f === 'string');
}

export function createTunnelPool(session: ClientHttp2Session, tickets: CarrierTickets, dialTimeoutMs: number): TunnelPool {
  return new TunnelPool(session, tickets, dialTimeoutMs);
}
