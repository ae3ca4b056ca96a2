// The proxy's client for one tunnel: requests as frames (carrier-frames.ts) on pooled, long-lived
// TCP connections the connector dialled for this tunnel ("carriers", tunnel-protocol.ts), one
// exchange at a time on each, the most recently used carrier first.
//
// Why carriers (issue 10, `npm run bench`): requests used to be HTTP/2 CONNECT streams of the tunnel
// session. That was cheap per request, but nghttp2 writes a session's output once per event-loop
// turn, so a whole turn's requests crossed the tunnel in one write and the two processes took
// turns on the cores (a third of the machine idle under load). On a TCP carrier each request is
// written at once (one with a body at the end of its turn, with as much of the body as came by
// then). The tunnel session stays what holds the tunnel together: it authenticates the
// connector, asks for carriers, carries SOCKS5 and WebSocket streams and the PINGs, and a lost
// session ends every carrier (and so every request on it) at once.
import type { IncomingMessage } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { FrameReader, HeldFrames, endFrame, headFrame, parseHead, type FrameSink } from '../shared/carrier-frames.js';
import { h2ErrorName } from '../shared/tunnel-protocol.js';
import type { CarrierTickets } from './carrier-tickets.js';

/** Carriers per tunnel: concurrent requests beyond this wait their turn. */
export const TUNNEL_POOL_CARRIERS = 512;
/** A carrier idle this long is closed (this side ends idle carriers; the connector keeps them). */
const IDLE_MS = 30_000;

/** A carrier that failed one request while the tunnel may well be up; `reason` says how. */
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
  /** False: the handler is full; the carrier is paused until it calls `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

/** A carrier that closed during an exchange: the cause of the error its handler gets. */
export const CARRIER_CLOSED = 'the carrier connection closed before the answer';

export class TunnelPool {
  /** Free carriers, the most recently used last. */
  readonly #idle: Carrier[] = [];
  /** Every open carrier, free or not. */
  readonly #all = new Set<Carrier>();
  readonly #queue: { request: CarrierRequest; handler: CarrierHandler }[] = [];
  #dialling = 0;
  #destroyed = false;
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly tickets: Pick<CarrierTickets, 'request'>,
    private readonly dialTimeoutMs: number,
    private readonly maxCarriers = TUNNEL_POOL_CARRIERS,
  ) {
    this.#sweep = setInterval(() => this.#closeIdle(), IDLE_MS / 3).unref();
  }

  /** Carriers open now. */
  get stats(): { connected: number } {
    return { connected: this.#all.size };
  }

  dispatch(request: CarrierRequest, handler: CarrierHandler): void {
    if (this.#destroyed) return handler.onError(new CarrierRefused('the tunnel closed'));
    let carrier = this.#idle.pop();
    // One that closed and has not said so yet ('close' comes a turn later) is passed over.
    while (carrier !== undefined && carrier.closed) carrier = this.#idle.pop();
    if (carrier !== undefined) return carrier.start(request, handler);
    this.#queue.push({ request, handler });
    this.#dialForWaiting();
  }

  /** Closes every carrier (their exchanges fail) and refuses what waits. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearInterval(this.#sweep);
    for (const { handler } of this.#queue.splice(0)) handler.onError(new CarrierRefused('the tunnel closed'));
    for (const c of this.#all) c.close();
  }

  #dial(): void {
    this.#dialling += 1;
    this.tickets.request(this.session, this.dialTimeoutMs, (err, socket) => {
      this.#dialling -= 1;
      if (err || socket === undefined) {
        socket?.destroy();
        // One waiting request learns why; the rest wait for the carriers already being dialled, or dial again.
        this.#queue.shift()?.handler.onError(err ?? new CarrierRefused('no carrier'));
        return this.#dialForWaiting();
      }
      if (this.#destroyed) return void socket.destroy();
      const carrier = new Carrier(socket, this);
      this.#all.add(carrier);
      socket.once('close', () => {
        this.#all.delete(carrier);
        const i = this.#idle.indexOf(carrier);
        if (i >= 0) this.#idle.splice(i, 1);
        this.#dialForWaiting();
      });
      this.release(carrier);
    });
  }

  /** Requests wait that no carrier being dialled will take, and there is room: one more dial. */
  #dialForWaiting(): void {
    if (!this.#destroyed && this.#queue.length > this.#dialling && this.#all.size + this.#dialling < this.maxCarriers) this.#dial();
  }

  /** A carrier is free: the next waiting request takes it, or it waits on top of the idle ones. */
  release(carrier: Carrier): void {
    if (carrier.closed) return; // its 'close' dials for whoever waits
    const next = this.#queue.shift();
    if (next !== undefined) return carrier.start(next.request, next.handler);
    carrier.idleSince = performance.now();
    this.#idle.push(carrier);
  }

  #closeIdle(): void {
    const limit = performance.now() - IDLE_MS;
    // Oldest first: the stack's bottom.
    while (this.#idle.length > 0 && this.#idle[0].idleSince <= limit) this.#idle.shift()!.close();
  }
}

/** One carrier on the proxy's side: an exchange's frames out, the answer's frames in. */
class Carrier implements FrameSink {
  readonly #reader = new FrameReader(this);
  idleSince = 0;
  #handler: CarrierHandler | undefined;
  #body: IncomingMessage | null = null;
  /** The request body still being sent. */
  #sending = false;
  /** The answer's head arrived. */
  #headed = false;
  /** The current exchange's resume: a handler that drains late resumes nothing of the next one. */
  #resume: () => void = noop;
  /** A request's frames not written yet (start() below). */
  readonly #held: HeldFrames;
  #flushQueued = false;
  readonly #onBodyData = (chunk: Buffer) => {
    this.#held.addData(chunk);
    if (this.#held.mayWait) return this.#queueFlush();
    if (!this.#held.flush()) this.#body?.pause();
  };
  readonly #onBodyEnd = () => {
    this.#detachBody();
    this.#held.add(endFrame());
    this.#held.flush();
  };

  constructor(private readonly socket: Socket, private readonly pool: TunnelPool) {
    this.#held = new HeldFrames(socket);
    socket.on('data', (chunk: Buffer) => {
      const wrong = this.#reader.push(chunk);
      if (wrong !== undefined) this.#cut(broken(wrong));
    });
    socket.on('drain', () => this.#body?.resume());
    socket.on('error', () => {});
    socket.once('close', () => {
      this.#reader.stop();
      const handler = this.#handler;
      if (handler === undefined) return;
      this.#handler = undefined;
      this.#detachBody();
      handler.onError(new Error(CARRIER_CLOSED));
    });
  }

  start(request: CarrierRequest, handler: CarrierHandler): void {
    let starting = true;
    let early: Error | undefined;
    this.#handler = handler;
    this.#headed = false;
    this.#resume = () => { if (this.#handler === handler) this.socket.resume(); };
    handler.onConnect((err) => {
      if (this.#handler !== handler) return;
      if (starting) early ??= err;
      else this.#cut(err);
    });
    starting = false;
    if (early !== undefined) {
      // Aborted before anything was written: the carrier stays good for the next request.
      this.#handler = undefined;
      handler.onError(early);
      return this.pool.release(this);
    }
    const body = request.body;
    const head = headFrame([request.method, request.path, request.headers, body !== null]);
    if (body === null) return void this.socket.write(head);
    // A request with a body: its head waits for the body's first chunks and its end, at most until
    // the end of this turn of the event loop (a small POST arrives with its head, and Node hands
    // over its body and end a tick or two later) — so that it leaves in one write, head to END. A
    // body that comes later follows its head, which left at the turn's end.
    this.#held.add(head);
    this.#queueFlush();
    this.#body = body;
    this.#sending = true;
    body.on('data', this.#onBodyData);
    body.on('end', this.#onBodyEnd);
    body.on('error', noop);
  }

  head(payload: Buffer): void {
    const handler = this.#handler;
    if (handler === undefined || this.#headed) return this.#cut(broken('an answer head outside an exchange'));
    const head = parseHead(payload);
    if (!isAnswerHead(head)) return this.#cut(broken('an answer head that is not [status 200-599, [name, value, …]]'));
    this.#headed = true;
    handler.onHeaders(head[0], head[1], this.#resume);
  }

  data(chunk: Buffer): void {
    const handler = this.#handler;
    if (handler === undefined || !this.#headed) return this.#cut(broken('body bytes outside an answer'));
    if (!handler.onData(chunk)) this.socket.pause();
  }

  end(): void {
    const handler = this.#handler;
    if (handler === undefined || !this.#headed) return this.#cut(broken('END outside an answer'));
    // An answer before the whole request body went out (a refusal, an early error): the rest is
    // not sent, and the carrier, which would still expect it, is closed.
    if (this.#sending) {
      this.#handler = undefined;
      this.#detachBody();
      this.socket.destroy();
      return handler.onComplete();
    }
    this.#done();
  }

  close(): void {
    this.socket.destroy();
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(Carrier.#flushHeld, this);
  }

  /** The end of the turn of a start() or a body chunk: what is still held goes (one function for every carrier, no closure each). */
  static #flushHeld(c: Carrier): void {
    c.#flushQueued = false;
    if (c.closed) return;
    if (!c.#held.flush()) c.#body?.pause();
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Both bodies are over: the handler completes and the carrier is free. */
  #done(): void {
    const handler = this.#handler!;
    this.#handler = undefined;
    handler.onComplete();
    // Paused for this answer's last chunk, maybe: the next answer must be read.
    this.socket.resume();
    this.pool.release(this);
  }

  #detachBody(): void {
    const body = this.#body;
    if (body === null) return;
    this.#body = null;
    this.#sending = false;
    body.off('data', this.#onBodyData);
    body.off('end', this.#onBodyEnd);
    body.off('error', noop);
  }

  /** Ends the exchange with `err` and closes the carrier. */
  #cut(err: Error): void {
    const handler = this.#handler;
    this.#handler = undefined;
    this.#held.clear();
    this.#reader.stop();
    this.#detachBody();
    this.socket.destroy();
    handler?.onError(err);
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
