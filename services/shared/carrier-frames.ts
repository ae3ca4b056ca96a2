// The bytes on a tunnel carrier (tunnel-protocol.ts): one exchange at a time, as frames of
//   type (1 byte) · length (4 bytes, big-endian) · payload
// HEAD carries a head as JSON — the proxy's request `[method, path, headers, hasBody]`, the
// connector's answer `[status, [name, value, …]]`; DATA carries body bytes as they come; END ends
// a body. A carrier carries its next exchange once both bodies ended; either end cuts an exchange
// by closing the carrier.
//
// Why not HTTP/1.1 (issue 10, `npm run bench`): on HTTP/1.1 the carrier cost as much as any
// proxy hop — undici writing and parsing on the proxy's side, Node's HTTP server on the
// connector's — though both ends are ours and already hold the head as fields. Here a head is one
// JSON text, and DATA is handed on in the slices it arrives in: a body is never gathered.
//
// Every byte read or written here is reported to buffer-reclaim.ts, which frees the dead read
// buffers of a streamed body as it goes.
//
// FrameReader is the one parser (fuzzed: test/carrier-frames.test.ts): it never throws on input,
// a frame it cannot take is an error returned to the caller, who closes the carrier.
import type { Socket } from 'node:net';
import { carrierBytesMoved } from './buffer-reclaim.js';
import { TUNNEL_MAX_HEADER_LIST_SIZE } from './header-limits.js';

export const enum FrameType { Head = 1, Data = 2, End = 3 }

const PREFIX = 5;
/** The largest HEAD payload either end accepts: any head the HTTP/1 side and the tunnel take (header-limits.ts). */
export const MAX_HEAD_BYTES = TUNNEL_MAX_HEADER_LIST_SIZE;

const END_FRAME = Buffer.from([FrameType.End, 0, 0, 0, 0]);

/** A HEAD frame with `head` as its JSON payload. */
export function headFrame(head: unknown): Buffer {
  const json = JSON.stringify(head);
  const length = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(PREFIX + length);
  frame[0] = FrameType.Head;
  frame.writeUInt32BE(length, 1);
  frame.write(json, PREFIX);
  return frame;
}

/** The prefix of a DATA frame of `length` bytes (the chunk itself follows, uncopied). */
export function dataPrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(PREFIX);
  prefix[0] = FrameType.Data;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

export function endFrame(): Buffer {
  return END_FRAME;
}

/** Writes `parts` as one write: copied into one Buffer up to `copyUpTo` bytes, else corked into one writev. */
export function writeFrames(socket: Socket, parts: Buffer[], copyUpTo = 16 * 1024): boolean {
  if (parts.length === 1) {
    carrierBytesMoved(parts[0].length);
    return socket.write(parts[0]);
  }
  let total = 0;
  for (const p of parts) total += p.length;
  carrierBytesMoved(total);
  if (total <= copyUpTo) return socket.write(Buffer.concat(parts, total));
  socket.cork();
  let ok = true;
  for (const p of parts) ok = socket.write(p);
  socket.uncork();
  return ok;
}

/** Body bytes (with the head) a carrier holds back so that they leave in one write (HeldFrames). */
export const HOLD_BYTES = 16 * 1024;

/**
 * A carrier's frames not written yet, so that an exchange's head, small body and END leave in one
 * write: the connector's answer until the end of its tick (carrier-server.ts), a request with a
 * body until the end of its turn (tunnel-pool.ts). One per carrier: it carries one exchange at a time.
 */
export class HeldFrames {
  #parts: Buffer[] = [];
  /** Head and body bytes held (END is not counted). */
  #bytes = 0;

  constructor(private readonly socket: Socket) {}

  /** A HEAD frame, or END. */
  add(frame: Buffer): void {
    this.#parts.push(frame);
    if (frame !== END_FRAME) this.#bytes += frame.length;
  }

  /** A DATA frame around `chunk` (not copied). */
  addData(chunk: Buffer): void {
    this.#parts.push(dataPrefix(chunk.length), chunk);
    this.#bytes += chunk.length;
  }

  /** Whether what is held may wait longer: at most HOLD_BYTES, and the socket wants no 'drain'. */
  get mayWait(): boolean {
    return this.#bytes <= HOLD_BYTES && !this.socket.writableNeedDrain;
  }

  /** Writes what is held, as one write; false when the socket wants a 'drain'. */
  flush(): boolean {
    const parts = this.#parts;
    if (parts.length === 0) return !this.socket.writableNeedDrain;
    this.#parts = [];
    this.#bytes = 0;
    return writeFrames(this.socket, parts);
  }

  /** Drops what is held (the carrier is being closed). */
  clear(): void {
    this.#parts = [];
    this.#bytes = 0;
  }
}

export interface FrameSink {
  /** A whole HEAD payload. */
  head(payload: Buffer): void;
  /** Part of a DATA payload, as it arrived. */
  data(chunk: Buffer): void;
  end(): void;
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
  /** Payload bytes of the current frame still to come; -1 while its prefix is. */
  #remaining = -1;
  #head: Buffer[] = [];
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
        const length = p.readUInt32BE(o + 1);
        const wrong = this.#begin(length);
        if (wrong !== undefined) return this.#fail(wrong);
        if (this.#stopped) return undefined;
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      const part = take === chunk.length ? chunk : chunk.subarray(at, at + take);
      at += take;
      this.#remaining -= take;
      if (this.#type === FrameType.Data) this.sink.data(part);
      else this.#head.push(part);
      if (this.#remaining === 0) this.#complete();
    }
    return undefined;
  }

  /** A frame's prefix was read: whether it is one, and the frames without payload delivered. */
  #begin(length: number): string | undefined {
    switch (this.#type) {
      case FrameType.Head:
        if (length > MAX_HEAD_BYTES) return `a head of ${length} bytes (at most ${MAX_HEAD_BYTES})`;
        break;
      case FrameType.Data:
        break;
      case FrameType.End:
        if (length !== 0) return `an END frame with ${length} bytes of payload`;
        break;
      default:
        return `frame type ${this.#type} is not one of HEAD, DATA, END`;
    }
    this.#remaining = length;
    if (length === 0) this.#complete();
    return undefined;
  }

  #complete(): void {
    this.#remaining = -1;
    if (this.#type === FrameType.Head) {
      const parts = this.#head;
      this.#head = [];
      this.sink.head(parts.length === 1 ? parts[0] : Buffer.concat(parts));
    } else if (this.#type === FrameType.End) {
      this.sink.end();
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
