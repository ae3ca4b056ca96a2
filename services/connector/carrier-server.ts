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
import { FrameReader, HeldFrames, endFrame, headFrame, parseHead, type FrameSink } from '../shared/carrier-frames.js';
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
  /** A flush of the carrier's held frames is queued for the end of this tick (write() below). */
  #flushing = false;

  constructor(private readonly carrier: CarrierConnection) {
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
    this.#head = headFrame([status, fields]);
    this.headersSent = true;
    return this;
  }

  /**
   * Frames the chunk. A small one waits for the end of this tick (the backend's last chunk and its
   * end usually come from one read): an answer that fits then leaves in one write, head to END.
   */
  write(chunk: Buffer | string): boolean {
    if (this.destroyed || this.writableFinished) return false;
    this.#frame(chunk);
    if (this.carrier.held.mayWait) {
      if (!this.#flushing) { this.#flushing = true; process.nextTick(TunnelResponse.#flushHeld, this); }
      return true;
    }
    return this.carrier.held.flush();
  }

  end(chunk?: Buffer | string): this {
    if (this.destroyed || this.writableFinished) return this;
    this.#frame(chunk);
    this.carrier.held.add(endFrame());
    this.carrier.held.flush();
    this.writableFinished = true;
    this.carrier.answered();
    this.emit('close');
    return this;
  }

  /** Adds the head (before the first chunk) and the chunk to what the carrier holds. */
  #frame(chunk: Buffer | string | undefined): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    const held = this.carrier.held;
    if (this.#head !== undefined) { held.add(this.#head); this.#head = undefined; }
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data !== undefined && data.length > 0) held.addData(data);
  }

  /** The end of the tick of a write(): what is still held goes (one function for every answer, no closure each). */
  static #flushHeld(res: TunnelResponse): void {
    res.#flushing = false;
    if (!res.destroyed && !res.writableFinished) res.carrier.held.flush();
  }

  /** Cuts the answer: the carrier closes, so the proxy sees it end without END. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.carrier.destroy();
  }

  /** The carrier closed before the answer ended. */
  lost(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.emit('close');
  }

}

class RequestBody extends Readable {
  constructor(private readonly carrier: CarrierConnection) {
    super();
  }

  override _read(): void {
    this.carrier.resume();
  }
}

/** One carrier: its frames in, the request handler's answers out, one exchange at a time. */
class CarrierConnection implements FrameSink {
  readonly #reader = new FrameReader(this);
  /** The request body still to come (its END not read yet). */
  #requestOpen = false;
  #body: RequestBody | null = null;
  #res: TunnelResponse | undefined;
  /** The answer's frames until they leave (TunnelResponse.write). */
  readonly held: HeldFrames;

  constructor(
    private readonly socket: Socket,
    private readonly onRequest: (req: TunnelRequest, res: TunnelResponse) => void,
    private readonly log: Logger,
    ownReads: boolean,
  ) {
    this.held = new HeldFrames(socket);
    if (ownReads) socket.on('data', this.read);
    socket.on('drain', () => this.#res?.emit('drain'));
    socket.on('error', (err) => log.debug({ err }, 'tunnel carrier error'));
    socket.once('close', () => {
      this.#reader.stop();
      if (this.#requestOpen) this.#body?.destroy();
      this.#res?.lost();
    });
  }

  /** Bytes read from the carrier. */
  readonly read = (chunk: Buffer): void => {
    const wrong = this.#reader.push(chunk);
    if (wrong !== undefined) this.#refuse(wrong);
  };

  head(payload: Buffer): void {
    if (this.#requestOpen || this.#res !== undefined) return this.#refuse('a request head before the previous exchange ended');
    const head = parseHead(payload);
    if (!isRequestHead(head)) return this.#refuse('a request head that is not [method, path, headers, hasBody]');
    const [method, url, headers, hasBody] = head;
    this.#requestOpen = hasBody;
    const body = hasBody ? new RequestBody(this) : null;
    this.#body = body;
    const res = new TunnelResponse(this);
    this.#res = res;
    this.onRequest({ method, url, headers, body }, res);
  }

  data(chunk: Buffer): void {
    if (!this.#requestOpen) return this.#refuse('body bytes outside a request body');
    const body = this.#body!;
    // An answer that is already complete (a denied request, an early error) reads no more of it.
    if (this.#res === undefined || body.destroyed) return;
    if (!body.push(chunk)) this.socket.pause();
  }

  end(): void {
    if (!this.#requestOpen) return this.#refuse('END outside a request body');
    this.#requestOpen = false;
    if (this.#res !== undefined) this.#body!.push(null);
    else this.#body = null;
  }

  /** The answer ended: the carrier takes the next request once this one's body has come too. */
  answered(): void {
    this.#res = undefined;
    if (this.#requestOpen) this.socket.resume(); // the rest of the body is read and dropped
    else this.#body = null;
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
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
