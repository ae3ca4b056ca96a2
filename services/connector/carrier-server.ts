// The connector's end of a tunnel carrier (carrier-frames.ts): each request the proxy sends on it
// becomes a TunnelRequest and a TunnelResponse for the request handler — the few fields and
// methods of Node's IncomingMessage and ServerResponse it uses, with the same meaning, and
// nothing else built per request. The request body is a Readable only when there is one; the
// answer leaves in one write when it fits (head, body, END: its chunks wait for the end of the
// tick, as the backend's last chunk and its end come from one read), and with backpressure when not.
import { EventEmitter } from 'node:events';
import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { CarrierOutbox, ExchangeTable, FrameReader, ReceiveWindow, WINDOW_BYTES, WINDOW_LIMIT, endFrame, headFrame, parseHead, resetFrame, windowFrame, type FrameSink } from '../shared/carrier-frames.js';
import type { Logger } from '../shared/logger.js';

/** A request from the proxy (Host is the virtual system, the URL origin-form). */
export interface TunnelRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives, or null for a request without one. */
  readonly body: Readable | null;
}

/** The answer to one TunnelRequest: what the request handler needs of Node's ServerResponse. */
export class TunnelResponse extends EventEmitter {
  statusCode = 200;
  /** True once writeHead was called (as Node's, whose head is fixed then). */
  headersSent = false;
  destroyed = false;
  writableFinished = false;
  #set: Record<string, string> | undefined;
  #head: Buffer | undefined;
  /** Body bytes the proxy still takes before it grants more (carrier-frames.ts, WINDOW). */
  #credit = WINDOW_BYTES;
  /** A write() said false: 'drain' comes once the carrier and the credit allow more. */
  #blocked = false;

  constructor(private readonly carrier: CarrierConnection, readonly exchange: number) {
    super();
  }

  setHeader(name: string, value: string): this {
    (this.#set ??= {})[name.toLowerCase()] = value;
    return this;
  }

  /** Validates every field as Node's writeHead does (and throws as it does: nothing is kept then). */
  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    const fields: string[] = [];
    const add = (name: string, value: OutgoingHttpHeaders[string]) => {
      if (value === undefined) return;
      validateHeaderName(name);
      if (Array.isArray(value)) {
        for (const v of value) { const text = String(v); validateHeaderValue(name, text); fields.push(name, text); }
      } else {
        const text = String(value);
        validateHeaderValue(name, text);
        fields.push(name, text);
      }
    };
    const set = this.#set;
    if (set !== undefined) for (const name in set) if (!(name in headers)) add(name, set[name]);
    for (const name in headers) add(name, headers[name]);
    this.statusCode = status;
    this.#head = headFrame(this.exchange, [status, fields]);
    this.headersSent = true;
    return this;
  }

  /**
   * Frames the chunk. It waits for the end of this tick (the backend's last chunk and its end
   * usually come from one read), so an answer that fits leaves in one write, head to END.
   */
  write(chunk: Buffer | string): boolean {
    if (this.destroyed || this.writableFinished) return false;
    this.#frame(chunk);
    const outbox = this.carrier.outbox;
    outbox.sendSoon();
    if (this.#credit > 0 && outbox.open) return true;
    this.#blocked = true;
    return false;
  }

  end(chunk?: Buffer | string): this {
    if (this.destroyed || this.writableFinished) return this;
    this.#frame(chunk);
    this.carrier.outbox.add(endFrame(this.exchange));
    this.carrier.outbox.send();
    this.writableFinished = true;
    this.carrier.answered(this.exchange);
    this.emit('close');
    return this;
  }

  /** Adds the head (before the first chunk) and the chunk to the carrier's outbox. */
  #frame(chunk: Buffer | string | undefined): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    const outbox = this.carrier.outbox;
    if (this.#head !== undefined) { outbox.add(this.#head); this.#head = undefined; }
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data !== undefined && data.length > 0) {
      outbox.addData(this.exchange, data);
      this.#credit -= data.length;
    }
  }

  /** The proxy granted `bytes` more (WINDOW), or the carrier drained. */
  granted(bytes: number): void {
    this.#credit += bytes;
    if (this.#blocked && this.#credit > 0 && this.carrier.outbox.open) {
      this.#blocked = false;
      this.emit('drain');
    }
  }

  /** Cuts the answer: the proxy gets a RESET, so it sees the answer end without END. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.carrier.cut(this.exchange);
  }

  /** The carrier closed, or the proxy reset the exchange, before the answer ended. */
  lost(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.emit('close');
  }
}

class RequestBody extends Readable {
  constructor(private readonly exchange: Exchange) {
    super();
  }

  override _read(): void {
    this.exchange.read();
  }
}

/** One request on a carrier, until its answer ended (and the proxy stops sending its body). */
class Exchange {
  /** The request body still to come (its END not read yet). */
  requestOpen: boolean;
  readonly body: RequestBody | null;
  readonly window = new ReceiveWindow();

  constructor(readonly carrier: CarrierConnection, readonly id: number, readonly res: TunnelResponse, hasBody: boolean) {
    this.requestOpen = hasBody;
    this.body = hasBody ? new RequestBody(this) : null;
  }

  /** The body wants more. */
  read(): void {
    this.carrier.grant(this, this.window.resumed());
  }
}

/** One carrier: its frames in, the request handler's answers out, many exchanges at once. */
class CarrierConnection implements FrameSink {
  readonly #reader = new FrameReader(this);
  readonly #exchanges = new ExchangeTable<Exchange>();
  /** The highest exchange number the proxy opened: frames for lower ones not open are late, and dropped. */
  #last = 0;
  /** Every exchange's frames until they leave (TunnelResponse.write). */
  readonly outbox: CarrierOutbox;

  constructor(
    private readonly socket: Socket,
    private readonly onRequest: (req: TunnelRequest, res: TunnelResponse) => void,
    private readonly log: Logger,
    ownReads: boolean,
  ) {
    this.outbox = new CarrierOutbox(socket);
    if (ownReads) socket.on('data', this.read);
    socket.on('drain', () => { for (const ex of this.#exchanges.all()) ex.res.granted(0); });
    socket.on('error', (err) => log.debug({ err }, 'tunnel carrier error'));
    socket.once('close', () => {
      this.#reader.stop();
      this.outbox.clear();
      const open = this.#exchanges.all();
      this.#exchanges.clear();
      for (const ex of open) this.#lose(ex);
    });
  }

  /** Bytes read from the carrier. */
  readonly read = (chunk: Buffer): void => {
    const wrong = this.#reader.push(chunk);
    if (wrong !== undefined) this.#refuse(wrong);
  };

  head(exchange: number, payload: Buffer): void {
    if (exchange <= this.#last) return this.#refuse(`a request head for exchange ${exchange}, which is not a new one`);
    if (!this.#exchanges.free(exchange)) return this.#refuse(`a request head for exchange ${exchange}, whose slot an open exchange has (EXCHANGE_SLOTS)`);
    const head = parseHead(payload);
    if (!isRequestHead(head)) return this.#refuse('a request head that is not [method, path, headers, hasBody]');
    this.#last = exchange;
    const [method, url, headers, hasBody] = head;
    const res = new TunnelResponse(this, exchange);
    const ex = new Exchange(this, exchange, res, hasBody);
    this.#exchanges.add(ex);
    this.onRequest({ method, url, headers, body: ex.body }, res);
  }

  data(exchange: number, chunk: Buffer): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return this.#late(exchange, 'body bytes outside a request body');
    if (!ex.requestOpen) return this.#refuse('body bytes outside a request body');
    if (!ex.window.arrived(chunk.length)) return this.#refuse(`more than ${WINDOW_LIMIT} bytes of a body not granted`);
    const body = ex.body!;
    // An answer that is already complete (a denied request, an early error) reads no more of it.
    if (body.destroyed) return;
    this.grant(ex, ex.window.handedOn(chunk.length, body.push(chunk)));
  }

  end(exchange: number): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return this.#late(exchange, 'END outside a request body');
    if (!ex.requestOpen) return this.#refuse('END outside a request body');
    ex.requestOpen = false;
    ex.body!.push(null);
  }

  window(exchange: number, bytes: number): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return this.#late(exchange, 'a WINDOW for no exchange');
    ex.res.granted(bytes);
  }

  reset(exchange: number): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return this.#late(exchange, 'a RESET for no exchange');
    this.#exchanges.delete(ex);
    this.#lose(ex);
  }

  /** Grants the proxy `bytes` more of the exchange's body (none: nothing is due). */
  grant(ex: Exchange, bytes: number): void {
    if (bytes === 0 || this.#exchanges.get(ex.id) !== ex) return;
    this.outbox.add(windowFrame(ex.id, bytes));
    this.outbox.send();
  }

  /** The answer ended: what still comes of the request body is dropped (the proxy resets the exchange). */
  answered(exchange: number): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return;
    this.#exchanges.delete(ex);
    if (ex.requestOpen) ex.body!.destroy();
  }

  /** Cuts the answer with a RESET; the request body, if still coming, is dropped. */
  cut(exchange: number): void {
    const ex = this.#exchanges.get(exchange);
    if (ex === undefined) return;
    this.#exchanges.delete(ex);
    if (ex.requestOpen) ex.body!.destroy();
    this.outbox.add(resetFrame(exchange));
    this.outbox.send();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #lose(ex: Exchange): void {
    if (ex.requestOpen) ex.body!.destroy();
    ex.res.lost();
  }

  /** A frame for an exchange that is not open: one that ended is late and dropped; one never opened breaks the protocol. */
  #late(exchange: number, why: string): void {
    if (exchange > this.#last) this.#refuse(why);
  }

  #refuse(why: string): void {
    this.log.warn({ reason: why }, 'unreadable frames on a tunnel carrier; closing it');
    this.#reader.stop();
    this.socket.destroy();
  }
}

function isRequestHead(h: unknown): h is [string, string, IncomingHttpHeaders, boolean] {
  if (!Array.isArray(h) || h.length !== 4) return false;
  const [method, url, headers, hasBody] = h;
  if (typeof method !== 'string' || typeof url !== 'string' || typeof hasBody !== 'boolean') return false;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return false;
  for (const name in headers) {
    const v = headers[name];
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) return false;
  }
  return true;
}

/** Serves the proxy's requests on a carrier socket until it closes. */
export function serveCarrier(socket: Socket, onRequest: (req: TunnelRequest, res: TunnelResponse) => void, log: Logger): void {
  new CarrierConnection(socket, onRequest, log, true);
}

/** As serveCarrier, for a socket whose reads the caller hands over (net's `onread`): returns where they go. */
export function serveCarrierReads(socket: Socket, onRequest: (req: TunnelRequest, res: TunnelResponse) => void, log: Logger): (chunk: Buffer) => void {
  return new CarrierConnection(socket, onRequest, log, false).read;
}
