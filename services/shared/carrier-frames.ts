// The bytes on a tunnel carrier (tunnel-protocol.ts): many exchanges at once, as frames of
//   type (1 byte) · exchange (4 bytes, big-endian) · length (4 bytes, big-endian) · payload
// The proxy opens an exchange with a HEAD, its request `[method, path, headers, hasBody]`, under
// an exchange number higher than any before on that carrier; the connector's HEAD on it is the
// answer, `[status, [name, value, …]]`. DATA carries body bytes as they come; END ends a body.
// Each end may have at most WINDOW_BYTES of an exchange's body unacknowledged: the reader grants
// more with WINDOW (payload: 4 bytes, the bytes granted) as it hands the body on, so one slow
// client holds up its own exchange and no other. RESET drops an exchange (the client went away,
// the backend died mid-answer, an answer came before the whole upload); frames for an exchange
// that ended are dropped. An exchange ends once both bodies ended, or at a RESET; either end cuts
// every exchange by closing the carrier.
//
// Why not HTTP/1.1 (issue 10, `npm run bench`): on HTTP/1.1 the carrier cost as much as any
// proxy hop — undici writing and parsing on the proxy's side, Node's HTTP server on the
// connector's — though both ends are ours and already hold the head as fields. Here a head is one
// JSON text, and DATA is handed on in the slices it arrives in: a body is never gathered.
// Why many exchanges on one carrier: under load the end that reads takes the frames of many
// exchanges in one read, where a carrier per exchange cost a read per request on each side, and
// a socket each (`npm run bench`: CPU per request of both hops 0.64-0.74× of one exchange per carrier).
//
// Every byte read or written here is reported to buffer-reclaim.ts, which frees the dead read
// buffers of a streamed body as it goes.
//
// FrameReader is the one parser (fuzzed: test/carrier-frames.test.ts): it never throws on input,
// a frame it cannot take is an error returned to the caller, who closes the carrier.
import type { Socket } from 'node:net';
import { carrierBytesMoved } from './buffer-reclaim.js';
import { TUNNEL_MAX_HEADER_LIST_SIZE } from './header-limits.js';

export const enum FrameType { Head = 1, Data = 2, End = 3, Window = 4, Reset = 5 }

const PREFIX = 9;
/** The largest HEAD payload either end accepts: any head the HTTP/1 side and the tunnel take (header-limits.ts). */
export const MAX_HEAD_BYTES = TUNNEL_MAX_HEADER_LIST_SIZE;
/** Body bytes of one exchange, one way, a sender may have unacknowledged. */
export const WINDOW_BYTES = 256 * 1024;
/** A reader grants once this much was handed on (a small body never needs a WINDOW). */
export const GRANT_BYTES = WINDOW_BYTES / 4;
/**
 * Unacknowledged bytes past which a reader calls the sender broken. A sender stops once its credit
 * is spent, but the chunk that spent it goes whole (a socket read, at most 64 KiB).
 */
export const WINDOW_LIMIT = 4 * WINDOW_BYTES;

function prefixed(type: FrameType, exchange: number, length: number, size = PREFIX): Buffer {
  const frame = Buffer.allocUnsafe(size);
  frame[0] = type;
  frame.writeUInt32BE(exchange, 1);
  frame.writeUInt32BE(length, 5);
  return frame;
}

/** A HEAD frame with `head` as its JSON payload. */
export function headFrame(exchange: number, head: unknown): Buffer {
  const json = JSON.stringify(head);
  const length = Buffer.byteLength(json);
  const frame = prefixed(FrameType.Head, exchange, length, PREFIX + length);
  frame.write(json, PREFIX);
  return frame;
}

/** The prefix of a DATA frame of `length` bytes (the chunk itself follows, uncopied). */
export function dataPrefix(exchange: number, length: number): Buffer {
  return prefixed(FrameType.Data, exchange, length);
}

export function endFrame(exchange: number): Buffer {
  return prefixed(FrameType.End, exchange, 0);
}

export function resetFrame(exchange: number): Buffer {
  return prefixed(FrameType.Reset, exchange, 0);
}

/** A WINDOW frame granting `bytes` more of the exchange's body. */
export function windowFrame(exchange: number, bytes: number): Buffer {
  const frame = prefixed(FrameType.Window, exchange, 4, PREFIX + 4);
  frame.writeUInt32BE(bytes, PREFIX);
  return frame;
}

/** Writes `parts` (`total` bytes) as one write: copied into one Buffer up to `copyUpTo` bytes, else corked into one writev. */
function writeFrames(socket: Socket, parts: Buffer[], total: number, copyUpTo = 16 * 1024): boolean {
  carrierBytesMoved(total);
  if (parts.length === 1) return socket.write(parts[0]);
  if (total <= copyUpTo) return socket.write(Buffer.concat(parts, total));
  socket.cork();
  let ok = true;
  for (const p of parts) ok = socket.write(p);
  socket.uncork();
  return ok;
}

/**
 * One exchange's body as this end reads it (the proxy an answer, the connector a request body):
 * the bytes that came and were not granted back (WINDOW), and when to grant them.
 */
export class ReceiveWindow {
  #unacked = 0;
  /** Of them, handed on. */
  #owed = 0;
  /** The consumer is full: no grant until it wants more. */
  #full = false;

  /** `n` bytes arrived; false when the sender overran its window (more than WINDOW_LIMIT unacknowledged). */
  arrived(n: number): boolean {
    this.#unacked += n;
    return this.#unacked <= WINDOW_LIMIT;
  }

  /** `n` of them were handed on, and the consumer `took` them (false: it is full now): the bytes to grant now, or 0. */
  handedOn(n: number, took: boolean): number {
    this.#owed += n;
    this.#full = !took;
    return this.#due();
  }

  /** The consumer wants more: the bytes to grant now, or 0. */
  resumed(): number {
    this.#full = false;
    return this.#due();
  }

  /** From GRANT_BYTES only: a small body needs no WINDOW, and a sender out of credit has WINDOW_BYTES unacknowledged, so it is always granted. */
  #due(): number {
    if (this.#full || this.#owed < GRANT_BYTES) return 0;
    const n = this.#owed;
    this.#unacked -= n;
    this.#owed = 0;
    return n;
  }
}

/** Bytes a carrier's outbox holds back at most: more leave at once. */
export const HOLD_BYTES = 16 * 1024;

/**
 * A carrier's frames on their way out, every exchange's: what send() finds leaves in one write,
 * and sendSoon() and sendLater() let the frames of an exchange (and of others) gather for a
 * moment first, so that a small answer or request leaves in one write, head to END. More than
 * HOLD_BYTES leave at once. One per carrier.
 *
 * Not a batch per turn of the event loop, which would share one write among more exchanges: when
 * the tunnel was HTTP/2, whose nghttp2 writes so, the two processes took turns on the cores; and
 * writing the first frames of a turn at once and the rest at its end measured no less CPU here
 * (bench, 2 pairs) and a higher p50 at one connection (0.71-0.99× undici against 0.61-0.63×).
 */
export class CarrierOutbox {
  #parts: Buffer[] = [];
  #bytes = 0;
  #laterQueued = false;
  #soonQueued = false;

  constructor(private readonly socket: Socket) {}

  /** A frame (HEAD, END, WINDOW, RESET). */
  add(frame: Buffer): void {
    this.#parts.push(frame);
    this.#bytes += frame.length;
  }

  /** A DATA frame around `chunk` (not copied). */
  addData(exchange: number, chunk: Buffer): void {
    this.#parts.push(dataPrefix(exchange, chunk.length), chunk);
    this.#bytes += PREFIX + chunk.length;
  }

  /** Whether the socket takes more without a 'drain'. */
  get open(): boolean {
    return !this.socket.writableNeedDrain;
  }

  /** What is held leaves now, as one write. False: the socket wants a 'drain'. */
  send(): boolean {
    if (this.#parts.length === 0) return this.open;
    const parts = this.#parts;
    const total = this.#bytes;
    this.#parts = [];
    this.#bytes = 0;
    if (this.socket.destroyed) return false;
    return writeFrames(this.socket, parts, total);
  }

  /** As send(), at the end of this tick (the connector: a backend's last chunk and its end come from one read). */
  sendSoon(): void {
    if (this.#bytes > HOLD_BYTES) return void this.send();
    if (this.#soonQueued) return;
    this.#soonQueued = true;
    process.nextTick(CarrierOutbox.#soon, this);
  }

  /** As send(), at the end of this turn of the event loop, or with an earlier send() (a request head waits for its body). */
  sendLater(): void {
    if (this.#bytes > HOLD_BYTES) return void this.send();
    if (this.#laterQueued) return;
    this.#laterQueued = true;
    setImmediate(CarrierOutbox.#later, this);
  }

  /** Drops what is held (the carrier is being closed). */
  clear(): void {
    this.#parts = [];
    this.#bytes = 0;
  }

  /** One function for every carrier, no closure each. */
  static #soon(o: CarrierOutbox): void {
    o.#soonQueued = false;
    o.send();
  }

  static #later(o: CarrierOutbox): void {
    o.#laterQueued = false;
    o.send();
  }
}

/**
 * Slots of an ExchangeTable. The proxy never has two exchanges open on a carrier whose numbers are
 * equal modulo EXCHANGE_SLOTS (it skips a number whose slot is taken): a HEAD that breaks this
 * rule breaks the protocol. At most half the slots are open at once (TUNNEL_POOL_EXCHANGES).
 */
export const EXCHANGE_SLOTS = 1024;
/**
 * The highest exchange number a carrier starts with: one that reached it takes no new exchange (the
 * proxy dials another). Below 2^32 by EXCHANGE_SLOTS, as a number may be skipped up to that many.
 */
export const LAST_EXCHANGE = 0xffff_ffff - EXCHANGE_SLOTS;

/**
 * A carrier's open exchanges by number: a fixed array indexed by the number modulo
 * EXCHANGE_SLOTS. Not a Map: with a Map of open exchanges the proxy's heap grew by 10-30 MB/s
 * between major GCs under load, and its peak RSS passed 160 MB (README, "Measured 2026-12-08
 * (later)"): V8 links a Map's replaced hash table to its successor, and a replaced table in the old
 * generation kept its successor and its entries alive through minor GCs.
 */
export class ExchangeTable<T extends { readonly id: number }> {
  readonly #slots: (T | undefined)[] = new Array<T | undefined>(EXCHANGE_SLOTS).fill(undefined);
  size = 0;

  get(id: number): T | undefined {
    const ex = this.#slots[id % EXCHANGE_SLOTS];
    return ex !== undefined && ex.id === id ? ex : undefined;
  }

  /** Whether an exchange numbered `id` may open: its slot is free. */
  free(id: number): boolean {
    return this.#slots[id % EXCHANGE_SLOTS] === undefined;
  }

  /** Adds `ex`; false when its slot is taken (nothing changed then). */
  add(ex: T): boolean {
    const i = ex.id % EXCHANGE_SLOTS;
    if (this.#slots[i] !== undefined) return false;
    this.#slots[i] = ex;
    this.size += 1;
    return true;
  }

  /** Removes `ex` if it is open; whether it was. */
  delete(ex: T): boolean {
    const i = ex.id % EXCHANGE_SLOTS;
    if (this.#slots[i] !== ex) return false;
    this.#slots[i] = undefined;
    this.size -= 1;
    return true;
  }

  /** The open exchanges, as a list of their own (the caller may end them while going through it). */
  all(): T[] {
    const out: T[] = [];
    if (this.size > 0) for (const ex of this.#slots) if (ex !== undefined) out.push(ex);
    return out;
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.size = 0;
  }
}

export interface FrameSink {
  /** A whole HEAD payload. */
  head(exchange: number, payload: Buffer): void;
  /** Part of a DATA payload, as it arrived. */
  data(exchange: number, chunk: Buffer): void;
  end(exchange: number): void;
  /** The peer took `bytes` more of what this end sent on the exchange. */
  window(exchange: number, bytes: number): void;
  reset(exchange: number): void;
}

/**
 * Turns a carrier's bytes into frames, whatever the sizes of the chunks they come in. Reading
 * stops for good at the first error or after stop(): a sink that closes the carrier mid-chunk
 * gets nothing more.
 */
export class FrameReader {
  #prefix = Buffer.alloc(PREFIX);
  #prefixHave = 0;
  #type = 0;
  #exchange = 0;
  /** Payload bytes of the current frame still to come; -1 while its prefix is. */
  #remaining = -1;
  /** The payload so far of a HEAD or WINDOW. */
  #gathered: Buffer[] = [];
  #stopped = false;

  constructor(private readonly sink: FrameSink) {}

  stop(): void {
    this.#stopped = true;
  }

  /** Feeds one chunk; returns why the bytes are not frames, or undefined. */
  push(chunk: Buffer): string | undefined {
    carrierBytesMoved(chunk.length);
    let at = 0;
    while (at < chunk.length && !this.#stopped) {
      if (this.#remaining < 0) {
        const take = Math.min(PREFIX - this.#prefixHave, chunk.length - at);
        // The usual case, a whole prefix inside the chunk, is read where it lies.
        const source = this.#prefixHave === 0 && take === PREFIX ? chunk : undefined;
        if (source === undefined) {
          chunk.copy(this.#prefix, this.#prefixHave, at, at + take);
          this.#prefixHave += take;
          at += take;
          if (this.#prefixHave < PREFIX) return undefined;
        }
        const p = source ?? this.#prefix;
        const o = source === undefined ? 0 : at;
        if (source !== undefined) at += PREFIX;
        this.#prefixHave = 0;
        this.#type = p[o];
        this.#exchange = p.readUInt32BE(o + 1);
        const length = p.readUInt32BE(o + 5);
        const wrong = this.#begin(length);
        if (wrong !== undefined) return this.#fail(wrong);
        if (this.#stopped) return undefined;
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      const part = take === chunk.length ? chunk : chunk.subarray(at, at + take);
      at += take;
      this.#remaining -= take;
      if (this.#type === FrameType.Data) this.sink.data(this.#exchange, part);
      else this.#gathered.push(part);
      if (this.#remaining === 0) this.#complete();
    }
    return undefined;
  }

  /** A frame's prefix was read: whether it is one, and the frames without payload delivered. */
  #begin(length: number): string | undefined {
    if (this.#exchange === 0) return 'a frame for exchange 0';
    switch (this.#type) {
      case FrameType.Head:
        if (length > MAX_HEAD_BYTES) return `a head of ${length} bytes (at most ${MAX_HEAD_BYTES})`;
        break;
      case FrameType.Data:
        break;
      case FrameType.End:
      case FrameType.Reset:
        if (length !== 0) return `${this.#type === FrameType.End ? 'an END' : 'a RESET'} frame with ${length} bytes of payload`;
        break;
      case FrameType.Window:
        if (length !== 4) return `a WINDOW frame with ${length} bytes of payload (it has 4)`;
        break;
      default:
        return `frame type ${this.#type} is not one of HEAD, DATA, END, WINDOW, RESET`;
    }
    this.#remaining = length;
    if (length === 0) this.#complete();
    return undefined;
  }

  #complete(): void {
    this.#remaining = -1;
    const exchange = this.#exchange;
    switch (this.#type) {
      case FrameType.Head:
      case FrameType.Window: {
        const parts = this.#gathered;
        this.#gathered = [];
        const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        if (this.#type === FrameType.Head) this.sink.head(exchange, payload);
        else this.sink.window(exchange, payload.readUInt32BE(0));
        break;
      }
      case FrameType.End:
        this.sink.end(exchange);
        break;
      case FrameType.Reset:
        this.sink.reset(exchange);
        break;
    }
  }

  #fail(why: string): string {
    this.#stopped = true;
    return why;
  }
}

/** The JSON of a HEAD payload, or undefined when it is none. */
export function parseHead(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
